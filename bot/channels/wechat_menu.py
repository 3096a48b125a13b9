"""`python -m bot.channels.wechat_menu`: create the official account's menu through the API.

The CLICK keys are those bot/channels/wechat_text.py maps to intents; WeChat allows three
top-level buttons of up to five entries each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import Any, Dict, List

from bot.channels.wechat_api import WeChatApi, WeChatApiError
from bot.channels.wechat_text import MENU_KEYS
from bot.delivery import ensure_schema
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def _click(name: str, key: str) -> Dict[str, str]:
    if key not in MENU_KEYS:
        raise ValueError(f"menu key {key!r} is not one the channel answers")
    return {"type": "click", "name": name, "key": key}


def menu() -> Dict[str, List[Dict[str, Any]]]:
    return {
        "button": [
            {
                "name": "办事服务",
                "sub_button": [
                    _click("预约服务", "BOOK"),
                    _click("办事咨询", "CONSULT"),
                    _click("法律帮助", "LEGAL"),
                ],
            },
            {
                "name": "投诉报修",
                "sub_button": [
                    _click("投诉报修", "COMPLAINT"),
                    _click("提建议", "SUGGEST"),
                    _click("查进度", "STATUS"),
                ],
            },
            {
                "name": "邻里与人工",
                "sub_button": [_click("邻里互助", "MUTUAL_HELP"), _click("找工作人员", "HUMAN")],
            },
        ]
    }


async def create_menu() -> None:
    settings = get_settings()
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        raise SystemExit("WECHAT_APP_ID and WECHAT_APP_SECRET must be set")
    ensure_schema(settings.database_url)
    api = WeChatApi(settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret, settings.database_url)
    try:
        await api.create_menu(menu())
    finally:
        await api.close()


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.channels.wechat_menu", description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="only print the menu JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=get_settings().log_level, format="%(levelname)s %(name)s: %(message)s")
    if args.print:
        print(json.dumps(menu(), ensure_ascii=False, indent=2))
        return 0
    try:
        asyncio.run(create_menu())
    except WeChatApiError as exc:
        logger.error("WeChat refused the menu: %s", exc)
        return 1
    print("menu created")
    return 0


if __name__ == "__main__":
    sys.exit(main())
