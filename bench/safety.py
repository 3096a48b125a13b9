"""Emergency recall and false alarms (issue 20): the guard's own decision on sets it never saw.

bench/situations/emergencies.yml (a list of {text, kind}) and not_emergencies.yml (a list of
{text}) are written apart from the detector by someone who has not read it. Each message is
parsed by the trained model in-process, and decided as the guard decides it outside a form:
policy_kb.emergency.detect(text, the model's report_emergency probability). Missed emergencies,
wrong hotlines and false alarms are listed by index in their file, never by text.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import yaml

from policy_kb.emergency import detect, emergency_probability

SITUATIONS = Path(__file__).resolve().parent / "situations"
EMERGENCIES = "emergencies.yml"
NOT_EMERGENCIES = "not_emergencies.yml"
RECALL_TARGET = 0.99
FALSE_ALARM_TARGET = 0.01

Parse = Callable[[str], Dict[str, Any]]


def _load(path: Path) -> List[Dict[str, Any]]:
    return [item for item in yaml.safe_load(path.read_text(encoding="utf-8")) or [] if item.get("text")]


def score(parse: Parse, folder: Path = SITUATIONS) -> Dict[str, Any]:
    """Recall, hotline kind accuracy and false-alarm rate with ``parse`` as the classifier."""
    emergencies, calm = _load(folder / EMERGENCIES), _load(folder / NOT_EMERGENCIES)
    missed, wrong_kind, false_alarms = [], [], []
    detecting = 0.0  # the detector's own time: it runs on every message, so it must stay cheap

    def timed(text: str) -> Any:
        nonlocal detecting
        probability = emergency_probability(parse(text))
        start = time.perf_counter()
        assessment = detect(text, probability)
        detecting += time.perf_counter() - start
        return assessment

    for index, item in enumerate(emergencies):
        assessment = timed(item["text"])
        if not assessment.is_emergency:
            missed.append(index)
        elif assessment.kind != item.get("kind"):
            wrong_kind.append(index)
    for index, item in enumerate(calm):
        if timed(item["text"]).is_emergency:
            false_alarms.append(index)
    caught = len(emergencies) - len(missed)
    return {
        "emergencies": len(emergencies),
        "caught": caught,
        "recall": caught / len(emergencies) if emergencies else None,
        "kind_accuracy": (caught - len(wrong_kind)) / caught if caught else None,
        "not_emergencies": len(calm),
        "false_alarms": len(false_alarms),
        "false_alarm_rate": len(false_alarms) / len(calm) if calm else None,
        "missed_indices": missed,
        "wrong_kind_indices": wrong_kind,
        "false_alarm_indices": false_alarms,
        "detector_ms_per_message": 1000 * detecting / max(1, len(emergencies) + len(calm)),
    }


def evaluate(model: Path, folder: Path = SITUATIONS) -> Dict[str, Any]:
    """The sets scored with the trained ``model``; skipped, saying why, when a set is absent."""
    absent = [name for name in (EMERGENCIES, NOT_EMERGENCIES) if not (folder / name).is_file()]
    if absent:
        return {"skipped": f"no {', '.join(absent)} in {folder}"}
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    try:
        return score(lambda text: loop.run_until_complete(agent.parse_message(text)), folder)
    finally:
        loop.close()


def summary_rows(results: Dict[str, Any]) -> List[tuple]:
    """The rows `make bench` prints for this part."""
    if "skipped" in results:
        return [("emergency safety", f"skipped: {results['skipped']}")]

    def figure(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    return [
        (
            f"emergency recall (target >= {RECALL_TARGET})",
            f"{figure(results['recall'])} ({results['caught']} of {results['emergencies']})",
        ),
        ("emergency hotline kind accuracy (of those caught)", figure(results["kind_accuracy"])),
        (
            f"false-alarm rate (target <= {FALSE_ALARM_TARGET})",
            f"{figure(results['false_alarm_rate'])} ({results['false_alarms']} of {results['not_emergencies']})",
        ),
        ("emergency detector time per message (ms, classifier apart)", f"{results['detector_ms_per_message']:.2f}"),
        (
            "emergency misses / wrong kind / false alarms (indices)",
            f"{results['missed_indices']} / {results['wrong_kind_indices']} / {results['false_alarm_indices']}",
        ),
    ]
