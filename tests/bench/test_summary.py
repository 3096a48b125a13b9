"""The benchmark's summary says how long the run took, part by part, against its budget."""

from bench.__main__ import PART_SECONDS, machine, peers_table, summary


def test_summary_gives_minutes_in_all_and_per_part():
    text = summary({PART_SECONDS: {"nlu": 90.0, "cais": 630.0}})
    line = next(line for line in text.splitlines() if "minutes of this run" in line)
    assert "target <= 20 in all" in line
    assert line.rstrip().endswith("12.0 (nlu 1.5, cais 10.5)")


def test_the_header_names_the_processor_the_run_had():
    recorded = {"arch": "x86_64", "cores": 2, "cpu": "AMD EPYC", "family_model": "25/1", "avx512": False}
    header = summary({"machine": recorded}).splitlines()[0]
    assert header.endswith("x86_64, 2 cores, AMD EPYC (family/model 25/1, AVX-512 no)")


def test_results_without_a_recorded_processor_do_not_name_this_one():
    assert summary({}).splitlines()[0].endswith("cores, processor not recorded")


def test_this_machine_is_described_from_proc_cpuinfo():
    described = machine()
    assert described["cores"] >= 1
    assert described["cpu"] and described["cpu"] != "unknown"
    assert isinstance(described["avx512"], bool)


def test_summary_without_timings_has_no_minutes_line():
    assert "minutes of this run" not in summary({})


def _scores(macro_f1: float) -> dict:
    return {"intent_macro_f1": macro_f1, "intent_accuracy": macro_f1, "parse_p95_ms": 10.0}


def test_the_stock_peer_row_is_the_bare_servers_model():
    nlu = {**_scores(0.96), "independent": _scores(0.94), "tfidf_baseline": {"heldout": _scores(0.89)}}
    nlu["tfidf_baseline"].update(independent=_scores(0.92), training_seconds=5.0)
    stock = {"heldout": _scores(0.885), "independent": _scores(0.884), "training_seconds": 700.0}
    lines = peers_table({"nlu": nlu, "train": {"training_seconds": 107.0}, "bare": {"same_data": stock}})
    rows = {line.split("  ")[2].strip(): line for line in lines[1:]}
    assert rows.keys() == {"project pipeline", "rasa init pipeline", "jieba + TF-IDF + LR"}
    assert "0.885 / 0.885 | 0.884 / 0.884 |   700" in rows["rasa init pipeline"]
    assert "|   107 |" in rows["project pipeline"]
    # Without the bare part the table still has the two peers measured in the nlu part.
    assert len(peers_table({"nlu": nlu})) == 3
