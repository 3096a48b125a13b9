"""The benchmark's summary says how long the run took, part by part, against its budget."""

from bench.__main__ import PART_SECONDS, summary


def test_summary_gives_minutes_in_all_and_per_part():
    text = summary({PART_SECONDS: {"nlu": 90.0, "cais": 630.0}})
    line = next(line for line in text.splitlines() if "minutes of this run" in line)
    assert "target <= 20 in all" in line
    assert line.rstrip().endswith("12.0 (nlu 1.5, cais 10.5)")


def test_summary_without_timings_has_no_minutes_line():
    assert "minutes of this run" not in summary({})
