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
            r"怎么|怎样|咋|如何|啷个|么样|哪样",
            r"哪儿|哪里|哪块|哪旮|哪边|在哪|去哪|到哪|哪个|啥地方|什么地方",
            r"什么|啥|多少|几点|几号|几天|多久|多长时间|多大|几岁|啥时候|什么时候",
            r"条件|资格|手续|流程|材料|证件|标准|费用|收费|多少钱|要钱|免费",
            r"请问|问一下|问问|打听|咨询|了解一下|想知道|不知道|不晓得|晓得不|知道不",
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
            r"约一?个|预约一下|约一下|订一?个|排一?个|安排一?个|安排一下",
            r"报修|报个修|投诉一下|我要投诉|我投诉|举报一下|我要举报|我要反映|反映一下",
            r"发个?(?:求助|帖子|消息)|帮我发|登个记",
            # How a ticket is going: the resident wants their ticket looked up.
            r"进度|处理得?怎么样|办得怎么样|怎么样了|有结果|有回复|工单|[Gg][Dd]\d|我(?:的|上次|上周|昨天|前天).{0,6}(?:投诉|预约|反映|求助|申请)",
            r"转人工|人工服务|找(?:个)?真人|找工作人员|叫工作人员",
            # A suggestion asks for something new to be built or added (社区能不能装个充电桩).
            r"我建议|建议(?:社区|小区|物业|在|多|把|给|增加)|(?:能不能|可不可以|可以|能|应该)(?:多|再|给小区|在小区)?(?:装|建|修建|增加|增设|加装|多装|多建|多放|设置|改成|换成)",
        ]
    )
)


@dataclass(frozen=True)
class Cues:
    """What the wording of one message says, whatever the intent classifier thinks."""

    asks: bool
    requests: bool

    @property
    def is_question(self) -> bool:
        """Asks about a service without asking for anything to be done."""
        return self.asks and not self.requests


def read_cues(text: str) -> Cues:
    return Cues(asks=bool(_QUESTION.search(text)), requests=bool(_REQUEST.search(text)))
