"""The official account message protocol's safety checks: signatures, replays, size, hostile XML.

Pure functions, no Rasa: every request passes :func:`check_signature_and_time` and
:func:`open_envelope` before anything is processed.
"""

from __future__ import annotations

import time
from typing import Mapping

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

MAX_BODY_BYTES = 64 * 1024  # WeChat's messages are a few KB; anything bigger is not from WeChat
REPLAY_WINDOW_SECONDS = 300


class Rejected(Exception):
    """A request refused before processing, with the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_signature_and_time(token: str, args: Mapping[str, str], now: float | None = None) -> None:
    """WeChat signs token+timestamp+nonce; a stale timestamp is a replay even when signed."""
    signature, timestamp, nonce = args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", "")
    if not (signature and timestamp and nonce):
        raise Rejected(403, "signature, timestamp or nonce missing")
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise Rejected(403, "wrong signature") from None
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Rejected(403, "timestamp is not a number") from None
    if abs((now if now is not None else time.time()) - sent_at) > REPLAY_WINDOW_SECONDS:
        raise Rejected(403, "timestamp outside the replay window")


def safe_xml_fields(xml: bytes | str) -> dict:
    """The top-level fields of an XML document parsed with DTDs, entities and external references refused."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise Rejected(400, f"unsafe XML refused ({exc.__class__.__name__})") from None
    except ParseError:
        raise Rejected(400, "malformed XML") from None
    if root.tag != "xml":
        raise Rejected(400, "not a WeChat message")
    return {child.tag: child.text or "" for child in root}


def open_envelope(body: bytes, args: Mapping[str, str], crypto: WeChatCrypto | None) -> str:
    """The plain message XML, checked safe; in safe mode decrypted after checking ``msg_signature``."""
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(413, "body too large")
    fields = safe_xml_fields(body)
    if crypto is None:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(400, "not UTF-8") from None
    if "Encrypt" not in fields or not args.get("msg_signature"):
        raise Rejected(403, "safe mode: encrypted message and msg_signature required")
    try:
        plain = crypto.decrypt_message(
            {"Encrypt": fields["Encrypt"]}, args["msg_signature"], args.get("timestamp", ""), args.get("nonce", "")
        )
    except (InvalidSignatureException, InvalidAppIdException):
        raise Rejected(403, "wrong msg_signature or app id") from None
    except Exception:  # any base64, padding or cipher failure: the sender is not WeChat
        raise Rejected(400, "cannot decrypt") from None
    safe_xml_fields(plain)
    return plain
