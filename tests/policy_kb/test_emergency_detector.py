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
    # five more rounds, each written before the detector was tuned on it
    ("我婆婆在阳台上晾衣服 突然就倒下去了 现在嘴里一直冒沫", "medical"),
    ("我老伴洗澡的时候滑了一跤 后脑勺着地 现在人迷糊了", "medical"),
    ("我家孩子把花生米呛进气管了 咳不出来", "medical"),
    ("我爸糖尿病 刚才开始说胡话 满头大汗", "medical"),
    ("一个外卖小哥被车撞倒在小区门口 腿流了好多血", "medical"),
    ("我奶奶一个人在家 刚才打电话给我说她胸口疼得厉害 现在电话打不通了", "medical"),
    ("施工的架子倒了 下面有工人被压着", "medical"),
    ("我老公在浴室里半天没动静 门反锁了 叫他也不应", "medical"),
    ("大风把楼顶的铁皮刮下来了 砸在一个老人身上", "medical"),
    ("小区游泳池有个小孩趴在水面上不动", "water"),
    ("暴雨 地下车库全淹了 还有人在里面挪车", "water"),
    ("河边钓鱼的大爷滑下去了 在水里扑腾", "water"),
    ("我们一家被困在二楼 楼下的水已经齐腰深了", "water"),
    ("我闻到楼道里一股液化气的味道 越来越浓", "gas"),
    ("我家燃气灶关了还有火苗往外窜 管子在漏", "gas"),
    ("全家人都头疼恶心 是不是煤气中毒了 我老公已经站不起来了", "gas"),
    ("对面楼十几层的窗户里往外冒火 好大的黑烟", "fire"),
    ("电瓶车在屋里充电突然炸了 着起来了", "fire"),
    ("楼下的垃圾房烧起来了 火快蹿到二楼了", "fire"),
    ("家里插座冒火花 还有焦味 我不敢碰", "fire"),
    ("电梯从十楼一下子掉到了五楼 门打不开 我和我妈在里面", "lift"),
    ("我家小孩一个人在电梯里 电梯卡住不动了 他在里面哭", "lift"),
    ("有个喝醉的人拿着酒瓶子见人就砸", "violence"),
    ("我前夫冲到我家来了 说要杀了我 现在在撞门", "violence"),
    ("楼下有个男的在打一个女的 女的一直在喊救命", "violence"),
    ("有个陌生人一直在我女儿学校门口拉她 要带她走", "violence"),
    ("我妈有阿尔茨海默症 早上出门到现在都没消息", "missing"),
    ("三岁的孩子在小区里玩 我接个电话的功夫人就没了", "missing"),
    ("我儿子十岁 昨天晚上出去到现在一夜没回家 同学家都问遍了", "missing"),
    ("我爷爷走不见了 他不认得路", "missing"),
    ("有个年轻人坐在天台边上 腿悬在外面 一直在哭", "general"),
    ("我被人锁在仓库里了 出不去 救我", "general"),
    ("着火拉 快救火", "fire"),
    ("我吗晕倒了", "medical"),
    ("有人打架动到了", "violence"),
    ("煤起泄漏了", "gas"),
    ("孩子调河里了", "water"),
    ("我爸跌到了爬不起来", "medical"),
    ("老头子在家发病了 脸色发青喘不上气 快点派人", "medical"),
    ("我一个人在家 摔在地上起不来 手机就在手边", "medical"),
    ("俺爹喝了敌敌畏", "medical"),
    ("隔壁屋里一直有小孩哭 哭了好几个钟头了 大人好像不在 敲门没人开", "general"),
    ("喂你好我这边是幸福小区五栋我家老太太刚刚在厨房倒下了叫她没反应你们赶紧来", "medical"),
    ("我跟你说我们楼底下那个车棚烧起来了火很大啊", "fire"),
    ("俺家老头子从凳子上摔下来 磕着头了 血呼呼往外冒", "medical"),
    ("侬快点来 阿拉爷叔昏过去了", "medical"),
    ("咋办啊 俺孙子找不着了 在菜市场人多 一转身就没影了", "missing"),
    ("我一开门全是烟啥也看不见 孩子还在里屋", "fire"),
    ("楼上漏下来的水带电 我老伴碰了一下就倒了", "medical"),
    ("有个人从五楼窗户掉下去了", "general"),
    ("我家门口有人拿着刀 在砍门", "violence"),
    ("一个老爷爷在公交站晕倒了 没人管", "medical"),
    ("孩子把洗衣液喝了 现在一直吐", "medical"),
    ("有人在小区里抢孩子", "violence"),
    ("我在电梯里 电梯不动了 灯也灭了 好害怕", "lift"),
    ("老婆割腕了 流了好多血", "medical"),
    ("一楼那家人的煤气一直在漏 屋里没人 门锁着", "gas"),
    ("屋里有烧焦的味道 我看不到哪里着火", "fire"),
    ("我爸一下午没接电话 我回家一看他躺在地上", "medical"),
    ("孩子骑车被车撞了 躺在马路上", "medical"),
    ("俺娘突然不会说话了 半边脸歪了", "medical"),
    ("隔壁一直在打孩子 孩子嗓子都哭哑了 一直喊不要打了", "violence"),
    ("快来 有人晕倒在地上抽风", "medical"),
    ("我被车门夹住了 出不来", "general"),
    ("高压线掉下来了 旁边有小孩在玩", "general"),
    ("我妈糊涂了 自己跑出去了 找了两个小时没找到", "missing"),
    ("有人家里着火咯 快点哦", "fire"),
    ("zhaohuole", "fire"),
    ("救命呀 我家老头不行了", "general"),
    ("我我我我爸他倒了 没气了好像", "medical"),
    ("水管爆了 热水喷了我奶奶一身 烫得起泡", "medical"),
    ("有人跌落到地下室的坑里了 在喊救命", "general"),
    ("刚刚楼下一辆电动车撞了个老太太 老太太躺着不动了", "medical"),
    ("我家阿婆一早去公园到现在没回来 她记性不好 手机也不会用", "missing"),
    ("有人在我家门口大喊大叫还用脚踢门 我和孩子躲在屋里", "violence"),
    ("七楼有户人家的窗户在往外冒黑烟 里面好像有人在喊", "fire"),
    ("地下室入口的水越涨越高 有几个老人困在里面出不来", "water"),
    ("楼道里的燃气管子被撞断了 一股味", "gas"),
    ("我婆婆中午吃了饭就说头痛 现在吐了 叫她也不太答应", "medical"),
    ("孩子从滑梯上摔下来 胳膊变形了 一直哭", "medical"),
    ("有个醉汉拿着菜刀在小区门口晃", "violence"),
    ("老人在超市门口突然倒地 抽搐 嘴里吐白沫", "medical"),
    ("我被电梯困住半小时了 喊了半天没人", "lift"),
    ("我儿子骑电动车被货车压到腿了", "medical"),
    ("喂 着火了着火了 我在九栋", "fire"),
    ("我家里进了小偷 现在还在屋里 我躲在厕所", "violence"),
    ("外婆吃饭噎着了 脸都憋红了说不出话", "medical"),
    ("俺媳妇要生了 疼得不行", "medical"),
    ("我爸血压高 突然就看不清东西 站都站不住", "medical"),
    ("有人掉进了工地的坑里 爬不上来", "general"),
    ("我闻到一股很大的煤气味道 头很晕", "gas"),
    ("帮帮我 他拿东西砸我头", "violence"),
    ("我爷爷在楼梯上踩空了 躺在那哼哼 起不来", "medical"),
    ("我家宝宝发烧到四十度 刚才还抽了一下 现在眼睛发直", "medical"),
    ("不好了 厨房着了 油锅里火窜上来了", "fire"),
    ("有股很冲的味道 像是天然气 整层楼都是", "gas"),
    ("电梯里卡着一个送外卖的 在里面拍门", "lift"),
    ("小区池塘边围了好多人 说有个孩子沉下去了", "water"),
    ("有个男的在追着一个女的打 手里还拿着东西", "violence"),
    ("我家老人出去溜达 走了一上午还没回 电话关机了", "missing"),
    ("我在家里 突然一阵天旋地转 现在手脚都没力气了 一个人", "medical"),
    ("有人把我堵在楼道里 不让我走 还推我", "violence"),
    ("楼上冲下来好多水 带着电火花", "fire"),
    ("爸爸在卫生间里倒了 门打不开 他不说话", "medical"),
    ("一个小孩趴在七楼的窗户外面 很危险", "general"),
    ("我奶奶吃错药了 一下子吃了好多 现在昏昏沉沉的", "medical"),
    ("家里进来个陌生人 拿着刀 我现在在卧室锁着门", "violence"),
    ("哎呀不得了 隔壁家的娃从床上掉下来 不哭了也不动", "medical"),
    ("我们这栋楼停电了 我老爸用的制氧机停了 他现在喘得厉害", "medical"),
    ("屋头着火了 快点来嘛", "fire"),
    ("老汉儿在田坎边摔起了 爬不起来", "medical"),
    ("俺们单元门口有个人躺着 浑身是酒气 怎么喊都喊不醒", "medical"),
    ("有人在楼下用砖头砸车 还要冲上楼", "violence"),
    ("我家燃气灶的管子老化裂开了 滋滋冒气", "gas"),
    ("我女儿被困在厕所了 门锁坏了 她有哮喘 现在喘不过来", "medical"),
    ("电梯坠了好几层 里面的人在喊", "lift"),
    ("一个老大爷在湖边散步掉进去了 现在漂着", "water"),
    ("孩子跟我在商场走散了 到处找不到", "missing"),
    ("我的邻居老太太一个人住 今天家里一直有呻吟声 敲门不开", "general"),
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
    # five more rounds
    "我爸快八十了 一个人住 想申请个定期上门探访",
    "我妈这几天有点咳嗽 不知道要不要紧",
    "我担心我爸在家孤单 有没有老年活动中心",
    "奶奶腿脚不方便 能不能安排人定期去看看她",
    "出差一个礼拜 家里老人没人照顾 有啥办法",
    "前年我们楼着过一次火 现在消防设施修好了没有",
    "昨天晚上小区有人打架 今天怎么没人处理",
    "那个走失的老太太后来找到了吗",
    "上个月我爸住院了 现在出院了 能申请护理补贴吗",
    "三号楼上周电梯困人 维修单位查出原因没有",
    "燃气报装怎么办理",
    "天然气涨价了吗",
    "煤气罐到哪里换",
    "家里燃气灶老打不着 找谁修",
    "小区的消防栓被车挡住了",
    "楼道里电动车充电太危险了 能不能管管",
    "社区有没有急救知识培训",
    "孩子溺水了应该怎么急救 想学一下",
    "如果老人在家摔倒了 按哪个铃",
    "遇到家暴可以找谁",
    "要是地下车库被淹了 车的损失谁赔",
    "楼上的空调外机一直滴水 滴到我家窗台",
    "隔壁夫妻俩天天吵架 声音太大了",
    "小区里有人遛狗不牵绳 吓到我孙子了",
    "楼下饭店的油烟太呛了",
    "有人在绿化带里烧树叶 烟飘到我家",
    "我的电动车被偷了",
    "钱包丢了 身份证也在里面 怎么补办",
    "我家狗跑丢了 黄色的 叫旺财",
    "电梯按钮坏了 按了没反应",
    "手机摔了 屏幕碎了",
    "停水了 什么时候来水",
    "楼下井盖松了 踩上去咣当响 怕有人掉下去",
    "路灯不亮 晚上走路怕摔跤",
    "我想找人帮忙把旧沙发搬下楼",
    "请问火车站怎么走",
    "打火机能带上地铁吗",
    "救命稻草是什么意思",
    "这个政策把我急死了 到底怎么申请",
    "累死了 今天排了一上午的队",
    "qwerty123",
    "<div>test</div>",
    "👍👍",
    "null",
    "' OR '1'='1",
    "我想预约明天上午的体检",
    "取消我后天的助餐",
    "我上周投诉的噪音处理了吗",
    "我爸摔过一次以后就不敢出门了 有没有陪护服务",
    "我妈心脏不好 想约个上门体检",
    "去年那场火灾的赔偿什么时候发",
    "孩子走丢了怎么预防 小区能不能多装摄像头",
    "昨晚楼下有人喊救命 后来警察来了 今天有人知道怎么回事吗",
    "我想给独居的老母亲装个烟雾报警器",
    "燃气灶想换个新的 社区有补贴吗",
    "电梯经常困人 物业也不管",
    "我老公上个月打了我 现在分居了 想咨询离婚",
    "我想学心肺复苏",
    "天冷了 担心老人用电热毯着火",
    "这个月的燃气费怎么这么贵",
    "楼道里有人吸烟 烟头乱扔",
    "孩子的自行车丢了",
    "我妈做饭老忘关火 有点担心",
    "之前我爸走丢过 想办个防走失的定位手环",
    "物业电话打不通",
    "隔壁家孩子天天哭闹 吵得人睡不着",
    "小区水池没有围栏 小孩容易掉进去",
    "消防车通道上停满了车",
    "想报名社区的防诈骗讲座",
    "我爷爷九十岁了 身体还挺好的",
    "我想投诉 楼下天天有人在烧烤 烟太大了",
    "刚才停电了 现在来电了",
    "快递员把我的包裹扔在门口 被人拿走了",
    "有人在小区里发传单",
    "我儿子下班了吗 帮我查查",
    "这个机器人好笨",
    "zzzzzzz",
    '{"text": "hello"}',
    "我爸一个人在老家 我不放心 社区能不能帮忙每周去看一次",
    "婆婆年纪大了 白天没人陪 担心她出意外",
    "我家老人总说头晕 去哪个医院看比较好",
    "我儿子晚上加班 回来得晚 小区门几点关",
    "昨天晚上那场火把我家车熏黑了 能找谁赔",
    "上礼拜六楼的老人摔倒了 后来送医院了 现在怎么样了",
    "之前小区有个孩子掉河里 现在河边装护栏了吗",
    "听说前天有人家里煤气泄漏 是哪一户",
    "去年冬天水管冻裂过一次 今年要提前做什么",
    "燃气安全检查是免费的吗",
    "物业说要统一换燃气报警器 要交钱吗",
    "电梯里面的急救电话是多少",
    "我想给我妈买个摔倒报警器 社区有推荐的吗",
    "有没有老人防跌倒的讲座",
    "小孩子玩火怎么教育",
    "晚上楼下有人喝酒划拳 太吵了",
    "我家楼上漏水 把我家天花板泡坏了",
    "垃圾桶着火了 已经被保安扑灭了 就是味道大",
    "我的车被人划了",
    "邻居把电动车推进电梯 很危险 能不能管管",
    "阳台上的花盆放在外面 万一掉下来怎么办",
    "请帮我预约明天的助浴",
    "好的 谢谢你 没什么事了",
    "abc abc abc",
    "<img src=x onerror=alert(1)>",
    "😂😂😂😂",
    "哈哈哈哈",
    "测试",
    "我妈一个人住 最近总说心慌 我不在身边 能不能有人去看一下",
    "我爸晚上起夜多 怕他摔 家里要不要装个夜灯",
    "上回电梯停电 我在里面待了十分钟 后来自己好了 想问问物业是怎么回事",
    "之前我们楼有人煤气中毒 物业现在有没有做检查",
    "今天早上小区门口有人吵架 保安已经劝开了",
    "我家孩子昨天在学校摔了一跤 老师说没事 我还是不放心",
    "燃气表没电了 怎么换电池",
    "楼下烧烤的烟一直往我家飘 能不能管管",
    "厨房下水道有股臭味",
    "电动车能不能推进楼道充电",
    "小区里有条流浪狗 看着挺凶的",
    "我想咨询一下 被狗咬了 狂犬疫苗社区能打吗",
    "家里老人跌倒了怎么扶起来比较安全",
    "我爸住院了 想请个护工",
    "楼上的小孩天天跑跳 吵得我头疼",
    "你们这里能不能帮我找个保姆",
    "地下车库漏水 地上全是积水 很滑",
    "冬天快到了 暖气什么时候通",
    "我的医保卡丢了 怎么补",
    "哪里可以学游泳",
    "buy cheap pills now",
    "%%%%%%",
    "DROP DATABASE",
    "我在哪",
    "我妈在老家 最近老说胸口闷 想带她来这边看病 要办什么手续",
    "老伴有高血压 平时要注意什么",
    "这两天降温 担心独居老人冻着 社区有没有人去走访",
    "我爸八十多了 想给他申请个紧急呼叫器",
    "孩子以前走丢过一次 现在出门都很小心",
    "小区那个湖能不能加个护栏 万一有人掉进去",
    "燃气公司上门检查的人是真的吗 怕是骗子",
    "昨天的火警演习吓到我家孩子了",
    "消防员叔叔啥时候来小区讲课",
    "隔壁老人去世了 家属要办什么手续",
    "我爸去年中风了 现在康复得不错 想找个康复中心",
    "楼上养的狗每天叫 烦死了",
    "有人在小区里乱贴小广告 电话都贴到门上了",
    "电梯里有股尿骚味 能不能打扫一下",
    "我想在阳台上晒被子 会不会掉下去",
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
    assert not assessment.is_emergency or assessment.reason in (MODEL, WEAK_SIGN)


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


def test_the_classifier_alone_is_not_heard_where_the_words_show_no_harm(detector):
    assert not detector.detect("刚才停电了 现在来电了", 0.85).is_emergency
    assert not detector.detect("有人在小区里发传单", 0.85).is_emergency


def test_a_classifier_near_certain_needs_no_harm_word(detector):
    assert detector.detect("奶奶坐在那儿眼神发直 嘴里一个字也说不出来", 0.95) == Assessment(GENERAL, True, MODEL)
    assert not detector.detect("奶奶坐在那儿眼神发直 嘴里一个字也说不出来", 0.85).is_emergency
    assert not detector.detect("笑死了 我家猫把拖鞋叼走了", 0.95).is_emergency


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
