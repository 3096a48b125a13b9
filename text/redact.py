"""Free text without what identifies a resident, for logs and for anything published.

Phone numbers (also spoken or full-width digits), ID card numbers and other long digit runs,
e-mail addresses, a person's name where the text introduces one (我是王小明, 我叫…, 姓王, 王阿姨)
and flat numbers below the building (5栋2单元501 → 5栋 and stars) are masked with ``*``, one
for each character. Ticket numbers (GD20261129-0007) and dates written in digits
(2026-12-07 15:00) stay: they name no one, and libphonenumber reads some dates as phone numbers.

Only text helpers are imported, so the logging filter of every process and the ticket store
can both use it.
"""

from __future__ import annotations

import re
from typing import List, Tuple

from text.phones import mask_phones_in

MASK = "*"
_HAN = "[\u4e00-\u9fff]"
_DIGIT = "0-9０-９零〇一二三四五六七八九幺"
_NUMBER = "(?:[0-9０-９]+|[零〇一二两三四五六七八九十百]+)"
_KEPT = re.compile(
    r"GD\d{8}-\d{4}|(?<![0-9])\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?![0-9])",
    re.IGNORECASE,
)
# Where a phone number or a long digit run could be: seven digits or more, maybe with separators.
# libphonenumber is slow on long text, so it only reads these stretches.
_DIGIT_STRETCH = re.compile(rf"[+(（]?[{_DIGIT}](?:[{_DIGIT} \t()（）+\-－—.]*[{_DIGIT}])?")
# A decimal number (confidence 0.9876543, a timestamp 1733580000.12) is no phone: Rasa's debug lines are full of them.
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")
_DIGIT_CHAR = re.compile(f"[{_DIGIT}]")
_ID_CARD = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# The commonest family names (about nine in ten mainland residents), two-character ones first.
_COMPOUND_SURNAMES = "欧阳|司马|诸葛|上官|东方|皇甫|令狐|慕容|尉迟|长孙|公孙|夏侯|司徒|端木|宇文|澹台|轩辕|呼延"
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲"
    "翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米"
    "柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_SURNAME = f"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
# 我是王小明 / 我叫王小明 / 本人李华: a name where the resident introduces one.
_INTRODUCED_NAME = re.compile(
    rf"(?:我是|我叫|叫我|我名叫|名叫|本人是|本人叫|本人|我的名字是|我的名字叫|名字是|名字叫)"
    rf"[\s:：]*(?P<name>(?:老|小|阿)?{_SURNAME}{_HAN}{{0,2}})"
)
# 姓名：王小明 / 联系人 李华 / 称呼 张师傅: a labelled name, whatever its family name.
_LABELLED_NAME = re.compile(rf"(?:姓名|联系人|称呼)[\s:：是为叫]*(?P<name>{_HAN}{{2,4}})")
# 我姓王 / 免贵姓欧阳 (not 姓名)
_FAMILY_NAME = re.compile(rf"姓(?!名)\s*(?P<name>{_SURNAME})")
# 王阿姨 / 李先生 / 张师傅: a family name with a form of address
_ADDRESSED = re.compile(rf"(?P<name>{_SURNAME})(?=先生|女士|小姐|阿姨|大爷|大妈|大娘|奶奶|爷爷|师傅|老师)")

# 5栋2单元501 → the building stays, unit and flat go; 3号楼 alone stays.
_FLAT_AFTER_BUILDING = re.compile(
    rf"{_NUMBER}\s*(?:栋|幢|号楼|座)"
    rf"(?P<name>(?:\s*[-－—]?\s*(?:{_NUMBER}\s*(?:单元|门|层|号|室|户)|[0-9０-９]{{1,4}}\s*(?:室|号|户|房)?))+)"
)
# 2单元501, 1502室, 3-2-501: a flat without its building.
_FLAT_ALONE = re.compile(
    rf"(?P<name>{_NUMBER}\s*单元\s*[-－]?\s*(?:[0-9０-９]{{1,4}}\s*(?:室|号|户)?)?"
    rf"|(?<![0-9０-９])[0-9０-９]{{3,4}}\s*(?:室|房间|户)"
    rf"|(?<![0-9])[0-9]{{1,3}}[-－][0-9]{{1,2}}[-－][0-9]{{3,4}}(?![0-9]))"
)
_NAMED_PARTS = (_INTRODUCED_NAME, _LABELLED_NAME, _FAMILY_NAME, _ADDRESSED, _FLAT_AFTER_BUILDING, _FLAT_ALONE)


def redact(text: str) -> str:
    """``text`` with every phone, ID number, e-mail, introduced name and flat number masked."""
    pieces: List[str] = []
    last = 0
    for match in _KEPT.finditer(text):
        pieces.extend((_redact_piece(text[last : match.start()]), match.group()))
        last = match.end()
    pieces.append(_redact_piece(text[last:]))
    return "".join(pieces)


def _redact_piece(text: str) -> str:
    if not text:
        return text
    text = _ID_CARD.sub(lambda match: MASK * len(match.group()), text)
    text = _DIGIT_STRETCH.sub(_mask_digit_stretch, text)
    text = _EMAIL.sub("***@***", text)
    for pattern in _NAMED_PARTS:
        text = _mask_group(pattern, text)
    return text


def _mask_digit_stretch(match: re.Match) -> str:
    stretch = match.group()
    if len(_DIGIT_CHAR.findall(stretch)) < 7 or _DECIMAL.fullmatch(stretch):  # too short, or a measurement
        return stretch
    return mask_phones_in(stretch)


def _mask_group(pattern: re.Pattern, text: str) -> str:
    """Masks the ``name`` group of every match, keeping the words around it."""
    spans: List[Tuple[int, int]] = [match.span("name") for match in pattern.finditer(text)]
    if not spans:
        return text
    masked = list(text)
    for start, end in spans:
        for index in range(start, end):
            if not masked[index].isspace():
                masked[index] = MASK
    return "".join(masked)
