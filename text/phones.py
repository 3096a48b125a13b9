"""Mainland phone numbers, validated by libphonenumber rather than by hand."""

from __future__ import annotations

import re

import phonenumbers

# Spoken digits (一三八…, 幺 for 1) and full-width digits, as voice input and IMEs write them.
_CHINESE_DIGITS = str.maketrans("零〇一二三四五六七八九幺０１２３４５６７８９", "001234567891" + "0123456789")
# Seven digits or more is a phone number libphonenumber does not accept, or an ID or card number.
_LONG_DIGIT_RUN = re.compile(r"[0-9]{7,}")


def normalise_phone(text: str) -> str | None:
    """The number in a resident's answer as digits (13812345678, 025-84561234), or None."""
    candidate = text.translate(_CHINESE_DIGITS)
    for match in phonenumbers.PhoneNumberMatcher(candidate, "CN"):
        number = match.number
        if phonenumbers.is_valid_number_for_region(number, "CN"):
            national = str(number.national_number)
            if national.startswith("1"):
                return national
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")
    digits = re.sub(r"\D", "", candidate)
    if digits:
        try:
            number = phonenumbers.parse(digits, "CN")
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number_for_region(number, "CN"):
            return str(number.national_number) if digits.startswith("1") else digits
    return None


def mask_phone(phone: str) -> str:
    """138****5678: enough for a resident to recognise their number, no more."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_phones_in(text: str) -> str:
    """``text`` with the digits of every phone number (and of any run of seven or more digits) as ``*``.

    For text kept beyond a ticket, such as questions staff review: the length stays, the number goes.
    """
    candidate = text.translate(_CHINESE_DIGITS)  # one character for one, so spans fit ``text``
    spans = [(match.start, match.end) for match in phonenumbers.PhoneNumberMatcher(candidate, "CN")]
    spans += [match.span() for match in _LONG_DIGIT_RUN.finditer(candidate)]
    masked = list(text)
    for start, end in spans:
        for index in range(start, end):
            if candidate[index].isdigit():
                masked[index] = "*"
    return "".join(masked)
