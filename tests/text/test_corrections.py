"""Corrections of an earlier answer found in what a resident writes."""

from __future__ import annotations

import pytest

from text.corrections import Correction, find_correction


@pytest.mark.parametrize(
    "text, field, value",
    [
        ("不对，改成后天上午", None, "后天上午"),
        ("地址写错了 是5栋", "address", "5栋"),
        ("电话打错了，应该是13900001111", "phone", "13900001111"),
        ("时间改到周五吧", "time", "周五"),
    ],
)
def test_a_cue_and_a_new_value_make_a_correction(text, field, value):
    correction = find_correction(text)
    assert correction is not None
    assert (correction.field, correction.value) == (field, value)
    assert text[correction.start :].startswith(value)


@pytest.mark.parametrize("text", ["不对", "不对不对", "时间不对", "3栋2单元501", "明天下午三点"])
def test_without_a_new_value_there_is_no_correction(text):
    assert find_correction(text) is None


def test_correction_is_a_plain_value():
    assert Correction("time", "周五", 3).value == "周五"
