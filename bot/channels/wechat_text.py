"""What residents read on WeChat: the channel's own texts, buttons as numbered options, menu keys.

WeChat text messages have no buttons, so a bot reply's buttons become lines
"回复 1 预约服务", and a reply of just that number (1, １, 一) picks the option.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple

WELCOME = (
    "您好，欢迎关注！我是社区通小助手，24小时在线。\n"
    "有事直接打字或说话告诉我就行。\n"
    "我能帮您：\n"
    "回复 1 预约服务（助餐、理发、家政）\n"
    "回复 2 投诉报修\n"
    "回复 3 办事咨询\n"
    "回复 4 查进度\n"
    "回复 5 邻里互助\n"
    "回复 6 找工作人员\n"
    "遇到危险，请直接拨打 110、119、120。"
)
WELCOME_PAYLOADS = [
    "/book_service",
    "/file_complaint",
    "/consult_service",
    "/check_ticket_status",
    "/browse_mutual_help",
    "/request_human",
]
VOICE_NOT_UNDERSTOOD = "不好意思，这条语音我没听清。麻烦您打字告诉我，或者换个安静的地方再说一遍。"
UNSUPPORTED = "不好意思，这类消息我暂时看不懂。请您打字告诉我要办什么事。"

# Official account menu keys (see bot/channels/wechat_menu.py) and the intents they start.
MENU_KEYS: Dict[str, str] = {
    "BOOK": "/book_service",
    "COMPLAINT": "/file_complaint",
    "SUGGEST": "/make_suggestion",
    "CONSULT": "/consult_service",
    "LEGAL": "/ask_legal",
    "STATUS": "/check_ticket_status",
    "MUTUAL_HELP": "/browse_mutual_help",
    "HUMAN": "/request_human",
}

_LEADING_NUMBER = re.compile(r"^\s*[0-9０-９]+\s*[.、．:：)]?\s*")
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CHOICE = re.compile(r"^\s*(?:第)?([0-9０-９]{1,2}|[一二两三四五六七八九十])\s*(?:个|项)?\s*[.。、．!！]?\s*$")


def render(message: Dict[str, Any]) -> Tuple[str, List[str]]:
    """One bot message as WeChat text, and the payloads of its numbered options (if any)."""
    parts = [message["text"].strip()] if message.get("text") else []
    if message.get("image"):
        parts.append(f"图片：{message['image']}")
    if message.get("attachment"):
        parts.append(f"附件：{message['attachment']}")
    buttons = message.get("buttons") or message.get("quick_replies") or []
    titles = [_LEADING_NUMBER.sub("", str(button.get("title", ""))).strip() for button in buttons]
    payloads = [str(button.get("payload", "")) for button in buttons]
    if buttons:
        text = "\n".join(parts)
        if not all(title and title in text for title in titles):
            parts += [f"回复 {number} {title}" for number, title in enumerate(titles, start=1)]
        elif "回复" not in text:
            parts.append("回复数字就可以选。")
    return "\n".join(parts), payloads


def typed(text: str) -> str:
    """What a resident typed, never read by Rasa as an intent payload ("/inform{...}" sets slots)."""
    stripped = (text or "").strip()
    return "／" + stripped[1:] if stripped.startswith("/") else stripped


def chosen_option(text: str, payloads: List[str]) -> str | None:
    """The payload picked by a reply of just a number (1, １, 一, 第2个), if that number was offered."""
    match = _CHOICE.match(text or "")
    if not match or not payloads:
        return None
    token = match.group(1)
    number = _CHINESE_DIGITS.get(token) or int(token.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    return payloads[number - 1] if 1 <= number <= len(payloads) else None
