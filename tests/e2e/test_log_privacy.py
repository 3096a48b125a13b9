"""No phone number, name or flat number in any log line of the running assistant, even at DEBUG,
after conversations full of them; and none in what Open311 publishes.

The assistant runs as `make run` starts it (tests/live.py), at LOG_LEVEL=DEBUG, each service
writing ``<workdir>/<name>.log``; the test reads those files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator

import httpx
import pytest

from bot.settings import Settings
from tests.e2e.conftest import Resident
from tests.e2e.test_conversations import next_open_day, tickets_of
from tests.live import running_assistant, settings_for

pytestmark = [pytest.mark.e2e, pytest.mark.security]

ADMIN = ("admin", "log-test-密码")
PHONES = ("13812345678", "13912345678", "13712345678", "13612345678")
NAMES = ("王小明", "李建国", "赵秀兰")
FLATS = ("2单元501", "1单元302")
LOGS = ("rasa", "actions", "staff")


def escaped(text: str) -> str:
    """How Rasa's JSON log lines would write ``text`` (\\u738b…)."""
    return "".join(f"\\u{ord(char):04x}" if ord(char) > 127 else char for char in text)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Iterator[tuple[Settings, Path]]:
    workdir = tmp_path_factory.mktemp("log-privacy")
    settings = settings_for(workdir, log_level="DEBUG", staff_admin_user=ADMIN[0], staff_admin_password=ADMIN[1])
    with running_assistant(settings, workdir) as running:
        yield running, workdir


@pytest.fixture(scope="module")
def logs_after_conversations(assistant) -> Dict[str, str]:
    """Residents and staff write phones, names and flats through every way in; then the logs."""
    settings, workdir = assistant
    complainer = Resident(settings)
    opening = complainer.says("楼上一直往我家漏水，我是王小明")
    assert "哪里" in opening or "地址" in opening, opening
    complainer.say("5栋2单元501")
    complainer.say(PHONES[0])
    booker = Resident(settings)
    when = next_open_day("助老理发", 10)
    booker.say(f"我想预约{when.month}月{when.day}号上午十点上门理发，我叫赵秀兰")
    booker.say("8栋1单元302")
    booker.say(f"电话 {PHONES[1][:3]} {PHONES[1][3:7]} {PHONES[1][7:]}")
    booker.say("确认")
    web = httpx.post(
        f"{settings.staff_url}/chat/send",
        json={"sender": "webprivacy01", "message": f"我叫李建国，电话{PHONES[2]}，高龄津贴怎么申请"},
        timeout=60,
    )
    assert web.status_code == 200
    token = httpx.post(
        f"{settings.staff_url}/api/login", json={"username": ADMIN[0], "password": ADMIN[1]}, timeout=10
    ).json()["token"]
    [ticket] = tickets_of(settings.database_url, complainer.sender)
    reply = httpx.post(
        f"{settings.staff_url}/api/tickets/{ticket.number}/reply",
        json={"text": f"王小明您好，维修师傅电话{PHONES[3]}，下午到5栋2单元501"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code == 200
    return {name: (workdir / f"{name}.log").read_text(encoding="utf-8", errors="replace") for name in LOGS}


def test_no_phone_name_or_flat_in_any_log_line(logs_after_conversations):
    for name, text in logs_after_conversations.items():
        for secret in (*PHONES, *NAMES, *FLATS):
            for form in {secret, escaped(secret)}:
                leaks = [line for line in text.splitlines() if form in line]
                assert not leaks, f"{name}.log: {leaks[:3]}"
        assert "小明" not in text and "建国" not in text and "秀兰" not in text, name
    # The scan read real DEBUG logs that contained the conversations, masked.
    rasa_log = logs_after_conversations["rasa"]
    assert "DEBUG" in rasa_log and "file_complaint" in rasa_log
    assert "我是***" in rasa_log and "5栋******" in rasa_log


def test_no_phone_name_or_flat_in_any_public_open311_field(assistant, logs_after_conversations):
    settings, _ = assistant
    published = "\n".join(
        httpx.get(f"{settings.staff_url}/open311/v2/requests.{fmt}", timeout=10).text for fmt in ("json", "xml")
    )
    assert "漏水" in published  # the complaint is public, its personal data is not
    for secret in (*PHONES, *NAMES, *FLATS, "小明"):
        assert secret not in published, secret
