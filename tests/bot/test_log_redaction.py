"""Personal data out of free text (text.redact) and out of every log record (bot.log_redaction),
including the lines Rasa writes itself."""

from __future__ import annotations

import logging

import pytest
import rasa.core.channels.rest
import rasa.utils.log_utils
import structlog

from bot import log_redaction
from text.redact import redact

pytestmark = pytest.mark.security

PHONE = "13812345678"
MESSAGE = f"5栋2单元501漏水了，我是王小明，电话{PHONE}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我是王小明，住5栋2单元501", "我是***，住5栋******"),
        ("我叫李华 电话 138 1234 5678", "我叫** 电话 *** **** ****"),
        ("一三八一二三四五六七八", "***********"),
        ("座机025-84561234", "座机***-********"),
        ("我姓王，家住三号楼二单元502室", "我姓*，家住三号楼*******"),
        ("免贵姓欧阳", "免贵姓**"),
        ("姓名：赵四，联系人: 刘德华", "姓名：**，联系人: ***"),
        ("王阿姨家的水管爆了", "*阿姨家的水管爆了"),
        ("身份证32010219900101123X", "身份证******************"),
        ("1502室和2单元501", "*****和******"),
        ("邮箱 a.b@qq.com", "邮箱 ***@***"),
        ("查一下GD20261129-0007，13912345678", "查一下GD20261129-0007，***********"),
        ("预约2026-12-08 15:00", "预约2026-12-08 15:00"),
        ('"confidence": 0.98765432101234', '"confidence": 0.98765432101234'),
    ],
)
def test_personal_data_is_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["3号楼电梯又坏了", "我家住5楼", "我是3栋的住户", "我是业主", "我叫了物业好几次", "明天下午3点", "幸福路12号"],
)
def test_what_names_no_one_is_left_alone(text):
    assert redact(text) == text


@pytest.fixture
def redacting():
    previous = logging.getLogRecordFactory()
    log_redaction.install()
    log_redaction.install()  # a second call (another entry point in the same process) changes nothing
    yield
    logging.setLogRecordFactory(previous)


def test_every_logger_is_redacted_arguments_and_tracebacks_too(redacting, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("some.library").debug("parsed %s with slots %r", MESSAGE, {"phone": PHONE})
    try:
        raise ValueError(f"not a phone: {PHONE}")
    except ValueError:
        logging.getLogger("another").exception("turn failed for 我叫刘德华")
    logging.getLogger("plain").info("ticket %s opened", "GD20261129-0007")
    text = caplog.text
    for secret in (PHONE, "王小明", "2单元501", "刘德华"):
        assert secret not in text, secret
    assert "not a phone: ***********" in text and "ticket GD20261129-0007 opened" in text


def test_rasas_own_failure_line_carries_no_phone_or_name(redacting, caplog, monkeypatch):
    """Rasa logs a failed REST turn with the message text, as JSON with escaped Chinese."""
    monkeypatch.setattr(rasa.utils.log_utils, "FORCE_JSON_LOGGING", "1")
    rasa.utils.log_utils.configure_structlog(logging.INFO)
    caplog.set_level(logging.INFO)
    try:
        text = MESSAGE  # structlog also renders the failing frame's locals
        try:
            raise RuntimeError(f"could not handle {text}")
        except RuntimeError:
            rasa.core.channels.rest.structlogger.exception("rest.message.received.failure", text=text)
    finally:
        structlog.reset_defaults()
    [line] = [message for message in caplog.messages if "rest.message.received.failure" in message]
    for secret in (PHONE, "王小明", "\\u738b\\u5c0f\\u660e", "2单元501"):
        assert secret not in line, secret
    assert "我是***" in line
