"""Whether a message asks about a service or asks for something to be done.

A question about a service (能不能、有没有、管不管、咋报名、在哪儿、要啥条件…) is a consultation: it is
answered from the catalogue, and the booking or a person is offered after. Only a transactional
signal (我要约、帮我预约、报修、我要投诉…) starts a form. Residents write both in plain and dialect
words and often without punctuation, so the cues are words, not sentence shapes; a message with both
(“能不能帮我约个理发”) is a request, since the resident already said what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Asking whether the community can or does provide something, how to sign up, where, who, what conditions.
_QUESTION = re.compile(
    "|".join(
        [
            r"能不能|能否|可不可以|可以不|行不行|成不成|能行不|会不会|是不是|算不算|够不够",
            r"有没有|有木有|有莫得|有冇|有无|有没|没有.{0,6}[吗么嘛]",
            r"管不管|管吗|管么|归谁管|谁管|谁来管|找谁|问谁|谁负责|谁给|谁能给|谁帮忙|哪个部门|哪个单位|能给.{0,4}[吗么嘛]",
            r"收不收|要不要|给不给|办不办|送不送|教不教|帮不帮|让不让|用不用|开不开",
            # Any "A不A" / "A没A" (发不发, 去不去, 来没来): the spoken yes-no question.
            r"([\u4e00-\u9fff])[不没]\1",
            r"干嘛|干啥|干什么|做什么|是啥|啥意思|什么意思|还是|谁来|谁能|谁可以|往哪|哪能",
            r"怎么|怎样|咋|如何|啷个|么样|哪样",
            r"哪儿|哪里|哪块|哪旮|哪边|在哪|去哪|到哪|哪个|啥地方|什么地方",
            # 哪里 typed by sound as 那里 at the end of a question (避难所在那里).
            r"(?:在|去|到)那(?:里|儿)(?:[\s，。？?！!]|$)",
            r"什么|啥|多少|几点|几号|几天|多久|多长时间|多大|几岁|啥时候|什么时候",
            r"条件|资格|手续|流程|材料|证件|标准|费用|收费|多少钱|要钱|免费",
            r"请问|问一下|问问|打听|(?<!心理|法律|律师)咨询|了解一下|想知道|不知道|不晓得|晓得不|知道不",
            # A need told as a statement (想申请…, 想找个地方…, 白天没人看孩子) asks what there is for it.
            r"想(?:申请|报名|参加|加入|学|了解)|想找.{0,10}(?:地方|医生|老师|工作|活干|去处)|没人(?:看|带|照顾|照看|陪|接)",
            r"哪有|哪些|哪家|有啥|能啥",
            # A question particle at the end of a sentence, or of a spoken phrase (voice input has no ？).
            r"[吗么嘛伐不没](?:[\s，。,！!…]|$)|[？?]",
        ]
    )
)

# Asking for something to be done now: a booking, a repair, a complaint, a post, a person.
_REQUEST = re.compile(
    "|".join(
        [
            # Only what a form does: booking, repairs and complaints, a post. Signing up for a class or
            # registering (报名、登记) has no form here: the catalogue says how.
            r"(?:我|俺|咱)(?:要|想|得|需要|准备)(?:约|预约|预订|订|报修|投诉|举报|反映|发)",
            r"(?:帮|给|替|麻烦)(?:我|俺|咱|我们|俺们|我家|老人|我妈|我爸)(?:约|预约|订|报修|安排|排|发|叫)",
            r"约一?个|预约一下|约一下|订一?个|排一?个|安排一?个|安排一下|^\s*(?:预约|预订)",
            r"报修|报个修|投诉一下|我要投诉|我投诉|举报一下|我要举报|我要反映|反映一下",
            r"发个?(?:求助|帖子|消息)|帮我发|登个记",
            # How a ticket is going: the resident wants their ticket looked up.
            r"我(?:发|提|报|约|投诉|反映|申请|预约)的|了没[\s，。？?！!]*$|进度|处理得?怎么样|办得怎么样|怎么样了|有结果|有回复|工单|[Gg][Dd]\d|我(?:的|上次|上周|昨天|前天).{0,6}(?:投诉|预约|反映|求助|申请)",
            r"转人工|人工|客服|找(?:个)?真人|找工作人员|叫工作人员|我找(?:他|她|你们)|在不在|在吗|联系上",
            r"订|挂.{1,8}号|帮我挂号|给我挂号|登记一下",
            # A suggestion asks for something new to be built, added or changed (社区能不能装个充电桩).
            r"我建议|建议(?:社区|小区|物业|在|多|把|给|增加)|提个?意见|希望(?:社区|小区|物业|多|能|可以)",
            r"(?:能不能|可不可以|能否|应该|最好)(?!帮|给我|上门)(?:.{0,8})"
            r"(?:装个|建个|换些|换成|改成|推出|开设|开通|出个|增加|增设|设置|多装|多建|多放|多组织|多搞|多开)",
            # A favour asked of neighbours, an offer of help, a look at the board: the mutual-help forms.
            r"有(?:没有)?(?:人|邻居|谁)(?:能|可以|愿意)?(?:帮我|帮忙|顺路|陪我)|找个人帮我|谁(?:能|可以|愿意|有空)(?:帮我|帮俺|陪我|替我|顺路)",
            r"我(?:可以|能|愿意|会)(?:免费)?(?:教|帮|陪|带|修)|(?:可以|能|愿意)免费(?:教|帮|陪|带|修)|需求|我看看|看看(?:有|大家|邻居)|谁家在",
            # A problem reported for fixing: the complaint form.
            r"没人(?:管|修|拆|处理|清理|收拾|打扫)|怎么还没|太吵|扰民|乱停|乱扔|乱堆|违建|私自",
        ]
    )
)


# Words of a legal problem rather than a service: courts, suits, compensation, what the law says.
_LEGAL = re.compile(r"法院|起诉|诉状|判|合法|违法|犯法|赔|法律责任|律师费|仲裁|官司|拒交|拒付|侵权|维权|索赔")


@dataclass(frozen=True)
class Cues:
    """What the wording of one message says, whatever the intent classifier thinks."""

    asks: bool
    requests: bool
    legal: bool = False

    @property
    def is_question(self) -> bool:
        """Asks about a service without asking for anything to be done."""
        return self.asks and not self.requests


def read_cues(text: str) -> Cues:
    return Cues(
        asks=bool(_QUESTION.search(text)), requests=bool(_REQUEST.search(text)), legal=bool(_LEGAL.search(text))
    )


# A particular person or role asked to come, call or take over (让网格员给我回个电话, 叫社工来一趟, 找你们主任),
# whatever else the message says: a ticket number in it (GD… 请工作人员联系我) does not make it a status query.
_ROLE = r"个人|人|工作人员|网格员|社工|社工老师|书记|主任|负责人|领导|经理|管事的|值班的|调解员|同志|专人"
_ASKS_PERSON = re.compile(
    r"(?:叫|让|请(?!问)|麻烦)(?:个|一?位|你们的?|社区的?|我们的?|片区的?|负责的?|片的)*"
    rf"(?:{_ROLE})[^，。,!！?？]{{0,8}}?(?:来|过来|联系|打电话|打个电话|回电话|回个电话|回我|跟我|给我打|接手|对接|当面)"
    r"|找(?:你们的?|社区的?)?(?:负责的人|负责人|领导|主任|书记|管事的|值班的)|转人工|人工客服|找真人|当面(?:说|谈|聊|讲)"
)


def asks_for_person(text: str) -> bool:
    """Whether the resident asks for a person or a role to come, call or take over."""
    return bool(_ASKS_PERSON.search(text))
