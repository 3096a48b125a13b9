"""The emergency detector on situations, misspellings and voice input, and on worries and noise.

Development examples written for this detector (the benchmark's sets are written apart, see
bench/safety.py): situations told without the word for the emergency, sound-alike characters
as pinyin input and dictation produce them, dialect, and what must not alarm: worry, incidents
that are over, questions about fees and rules, complaints, noise.
"""

from __future__ import annotations

import random
import string

import pytest

from policy_kb.emergency import (
    GENERAL,
    MODEL,
    NOISE,
    SOUND_ALIKE,
    WEAK_SIGN,
    Assessment,
    EmergencyDetector,
    detect,
    emergency_probability,
)

EMERGENCIES = [
    # situations without the word for the emergency
    ("我妈在厕所里半天没出来 喊她也不答应 门从里面锁着", "medical"),
    ("我爸躺在床上怎么叫都叫不醒", "medical"),
    ("楼下老王倒在花坛边上 脸色煞白 一动不动", "medical"),
    ("有个老太太坐在路边起不来了 说腿疼", "medical"),
    ("我老伴刚才吃饭噎住了 现在说不出话", "medical"),
    ("孩子发高烧 浑身抽 眼睛往上翻", "medical"),
    ("我喘不上来气 胸口像压了块石头", "medical"),
    ("邻居大爷从梯子上掉下来了 头磕破了 血一直流", "medical"),
    ("广告牌被风刮下来 砸到一个路过的人", "medical"),
    ("车库塌了一块 下面压着个人", "medical"),
    ("我儿子被车门夹住手了 出血止不住", "medical"),
    ("老爷子吃了降压药 现在人软绵绵的 喊不应", "medical"),
    ("地下室进水了 水已经没过膝盖了 我奶奶还在下面", "water"),
    ("雨太大了 一楼的水涨到腰了 老人出不来", "water"),
    ("有个小孩在河边玩 掉下去了 没看见人上来", "water"),
    ("我和孩子被困在车里 外面的水越来越高", "water"),
    ("电梯停在两层中间 我们三个人在里面 手机快没电了", "lift"),
    ("被关在电梯里了 怎么按都没用", "lift"),
    ("电梯门夹住了老人的腿 电梯还在往上走", "lift"),
    ("门把手坏了 我爸被反锁在屋里出不来 他有心脏病", "medical"),
    ("楼上一股烧塑料的味道 走廊里都是烟", "fire"),
    ("厨房的锅烧干了 火窜到油烟机上了", "fire"),
    ("阳台上的衣服烧起来了", "fire"),
    ("配电箱在冒火花 噼噼啪啪的", "fire"),
    ("一进门就闻到很重的煤气味 我妈倒在厨房", "gas"),
    ("燃气表那儿嘶嘶响 一股臭味", "gas"),
    ("屋里有股怪味 全家人都头晕想吐", "gas"),
    ("有个男的在楼道里挥着刀 嘴里喊要砍人", "violence"),
    ("我老公喝醉了 把我按在地上打", "violence"),
    ("楼下两伙人打起来了 有人拿砖头砸", "violence"),
    ("有人在我家门口踹门 说不开门就弄死我", "violence"),
    ("我闺女被人拽上一辆面包车拉走了", "violence"),
    ("我家老头有痴呆 下午出去遛弯到现在天黑了还没回来", "missing"),
    ("五岁的孙子在超市门口一眨眼就没了 到处找不到", "missing"),
    ("我女儿放学到现在都没到家 平时半小时就到了", "missing"),
    ("我爷爷走失了 穿灰色外套 拄拐杖", "missing"),
    ("有人站在楼顶边上 看样子要往下跳", "general"),
    ("救救我 我被人关在屋里了", "general"),
    # misspelt, sound-alike, voice input without punctuation
    ("着伙了快来人啊", "fire"),
    ("楼下失伙了好大的烟", "fire"),
    ("煤汽泄露了 味道很冲", "gas"),
    ("救名啊 有人掉水里了", "water"),
    ("我妈晕到了 在卫生间", "medical"),
    ("我爸摔到了起不来", "medical"),
    ("老人昏到在地上", "medical"),
    ("我爷爷叫不星了", "medical"),
    ("他有心藏病 现在胸口痛", "medical"),
    ("孩子走丢了找了一个小时了", "missing"),
    ("快叫就护车 我老伴不行了", "medical"),
    ("被困在电题里了出不去", "lift"),
    ("有人那刀砍人", "violence"),
    ("我家着火了我在三楼下不去你们快来", "fire"),
    ("我奶奶刚才摔了一跤现在头上全是血", "medical"),
    ("隔壁阿姨家里冒烟敲门没人开", "fire"),
    ("喂喂 我老头子倒在地上了 你们快点", "medical"),
    # dialect and elderly wording
    ("俺爹从炕上栽下来了 叫不应", "medical"),
    ("俺家娃不见了 咋整啊", "missing"),
    ("伊老头子跌跤了 爬勿起来", "medical"),
    ("阿拉屋里向着火了", "fire"),
    ("我心口疼得厉害 头也晕 站不住", "medical"),
    ("快来人啊 出人命了", "violence"),
    # past framing followed by what is happening now
    ("昨天摔了一跤 今天早上我妈就叫不醒了", "medical"),
    ("上周楼下着过一次火 现在又冒烟了", "fire"),
    ("火是灭了 可是我爸还没有呼吸", "medical"),
    ("我担心我妈 她现在躺地上起不来", "medical"),
    ("隔壁独居老人三天没出门 敲门也没人应", "general"),
    ("救命", "general"),
    ("sos", "general"),
    ("快报警 有人撬门", "violence"),
]

NOT_EMERGENCIES = [
    # worry without present danger
    "我妈一个人在家 我有点担心 能不能请网格员去看看",
    "我爸最近老忘事 怕他哪天走丢了 有没有防走失手环",
    "担心隔壁独居老人 能不能安排志愿者上门探望",
    "我在外地 我爸电话老是没人接 心里不踏实 能帮忙去看看吗",
    "我妈腿脚不好 怕她在家摔倒 能装扶手吗",
    "孩子晚上老咳嗽 有点担心 社区医院几点开门",
    # incidents that are over
    "上周三号楼着火的事后来怎么处理的",
    "昨天走丢的那个老人找到了吗",
    "前几天我爸摔了一跤 现在在医院 住院费能报销吗",
    "上个月电梯困人那事 物业给说法了吗",
    "前天楼下打架 警察来过了 我想问问结果",
    "孩子刚才找不到 现在找到了 没事了 谢谢",
    "火已经灭了 楼道里黑乎乎的 谁来打扫",
    # questions about rules, fees, safety knowledge
    "煤气费怎么交",
    "燃气公司的电话是多少 我想换个燃气灶",
    "消防通道被占了 车都堆在那里 谁管",
    "灭火器在哪里领",
    "电梯年检是什么时候",
    "楼道里堆了很多纸箱 有火灾隐患",
    "家里的烟雾报警器一直叫 是不是没电了",
    "社区什么时候搞消防演练",
    "老人摔倒了应该怎么扶 有没有讲座",
    "如果着火了应该打哪个电话",
    "万一电梯困住了该怎么办",
    "急救培训在哪报名",
    # complaints and everyday life
    "楼上天天吵架 摔东西 吵得睡不着",
    "楼下烧烤摊烟很大 窗户都不敢开",
    "隔壁装修电钻声太吵了 头都要炸了",
    "我的快递不见了 门口放着就没了",
    "我家猫丢了 谁看见一只橘猫",
    "钥匙找不到了 能帮忙开锁吗",
    "电梯又坏了 爬楼梯累死了",
    "楼道灯坏了 晚上黑得吓人 老人容易摔",
    "小区门口的树倒了 挡住路了",
    "自行车胎漏气了 附近哪有修车的",
    "我把手机摔坏了 哪里能修",
    "热水器打不着火 想约师傅修",
    "下水道堵了 水下不去",
    "家里水管爆了 水漫了一地 找物业修",
    "邻居家的狗半夜一直叫",
    "拼多多帮我砍一刀",
    "打我电话就行 13812345678",
    "你是活人吗",
    "你说的对",
    "那倒没有",
    "有啥人要帮忙的吗",
    "我爹到家了 不用来了",
    "谢谢喽",
    "晓得了",
    "想预约上门理发 我妈中风后行动不便",
    "我爸中风以后半边不能动 能办残疾证吗",
    "被狗咬了 打狂犬疫苗去哪",
    "老公经常打我 我想咨询离婚",
    "以前被家暴过 现在想申请法律援助",
    "我很好 就是想找人聊聊天",
    "今天天气怎么样",
    "社区食堂几点开门",
    # noise
    "asdfghjkl",
    "x7#kQ!9zz",
    "SELECT * FROM tickets WHERE 1=1; --",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "<b></b>",
    "🙂🙂🙂",
    "🔥🔥",
    "?????",
    "1234567",
    "...",
]


@pytest.fixture(scope="module")
def detector() -> EmergencyDetector:
    return EmergencyDetector()


@pytest.mark.parametrize("text, kind", EMERGENCIES)
def test_a_danger_situation_is_an_emergency_without_the_classifier(detector, text, kind):
    assessment = detector.detect(text)
    assert assessment.is_emergency, assessment
    assert assessment.kind == kind


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_worry_past_questions_complaints_and_noise_do_not_alarm(detector, text):
    assert not detector.detect(text).is_emergency


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_not_even_when_the_classifier_is_sure_of_an_emergency_if_the_message_says_otherwise(detector, text):
    assessment = detector.detect(text, 0.95)
    assert not assessment.is_emergency or assessment.reason == MODEL


@pytest.mark.parametrize(
    "text, kind", [("着伙了", "fire"), ("煤汽味好大", "gas"), ("救名啊", "general"), ("我爸叫不星了", "medical")]
)
def test_sound_alike_spellings_are_read_as_meant(detector, text, kind):
    assert detector.detect(text) == Assessment(kind, True, SOUND_ALIKE)


def test_random_ascii_is_noise_even_when_the_classifier_says_emergency(detector):
    rng = random.Random(20)
    keys = string.ascii_letters + string.digits + string.punctuation + " "
    strings = ["".join(rng.choice(keys) for _ in range(rng.randint(1, 30))) for _ in range(200)]
    assert [s for s in strings if detector.detect(s, 0.99).is_emergency] == []
    assert detector.detect("1 OR 1=1; DROP TABLE tickets", 0.99).reason == NOISE


def test_the_classifier_alone_decides_a_message_without_a_situation(detector):
    assert detector.detect("你们快过来一趟", 0.9).is_emergency
    assert not detector.detect("你们快过来一趟", 0.2).is_emergency
    assert not detector.detect("你们快过来一趟").is_emergency  # no classifier, no situation


def test_a_weak_sign_needs_the_classifier_and_no_worry(detector):
    assert detector.detect("我妈电话一直没人接", 0.3) == Assessment(GENERAL, True, WEAK_SIGN)
    assert not detector.detect("我妈电话一直没人接", 0.05).is_emergency
    assert not detector.detect("我妈电话一直没人接 有点担心 能去看看吗", 0.9).is_emergency


def test_a_new_danger_after_an_old_one_is_an_emergency(detector):
    assert not detector.detect("上周楼下着火了").is_emergency
    assert detector.detect("上周楼下着火了 现在又冒烟了").is_emergency
    assert not detector.detect("孩子刚才不见了 现在找到了").is_emergency


def test_detect_without_a_probability_is_what_a_channel_can_call():
    assert detect("楼道里着火了").kind == "fire"
    assert not detect("煤气费怎么交").is_emergency


def test_the_probability_is_read_from_the_ranking_whatever_the_top_intent():
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "report_emergency", "confidence": 0.3},
        ],
    }
    assert emergency_probability(parse) == 0.3
    assert emergency_probability({"intent": {"name": "report_emergency", "confidence": 0.7}}) == 0.7
    assert emergency_probability({"intent": {"name": "greet", "confidence": 0.9}}) == 0.0
