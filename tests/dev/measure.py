"""Scores the development sets of this folder through a trained model, misses listed (they are ours to read).

``python -m tests.dev.measure [models/current.tar.gz]``: the service questions and situations as
bench/consult.py scores them (routed, answered, form or ticket; the hold-back file in aggregate only),
then the intent controls (requests, feedback, a person asked for).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bench.consult import AnswerReader, load_situations, score
from policy_kb.retrieval import BM25KnowledgeBase

HERE = Path(__file__).resolve().parent
logger = logging.getLogger(__name__)


def _controls(parse: Any) -> Dict[str, Any]:
    items: List[Dict[str, str]] = yaml.safe_load((HERE / "intent_controls.yml").read_text(encoding="utf-8"))

    async def parse_all() -> List[Dict[str, Any]]:
        return [await parse(item["text"]) for item in items]

    wrong = []
    for item, parsed in zip(items, asyncio.run(parse_all()), strict=True):
        got = parsed["intent"]["name"]
        if got != item["intent"]:
            wrong.append((item["text"], item["intent"], got, round(parsed["intent"]["confidence"], 2)))
    return {"controls": len(items), "right": 1 - len(wrong) / len(items), "wrong": wrong}


# Scored in aggregate only: it checks that tuning on the other two carries over.
HELD_BACK = "service_heldback"


def main(model: str = "models/current.tar.gz") -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    reader = AnswerReader(BM25KnowledgeBase())
    for name in ("service_questions", "service_situations", HELD_BACK):
        result = score(load_situations(HERE / f"{name}.yml"), agent.parse_message, reader)
        for miss in result.pop("misses"):
            if name != HELD_BACK:
                print("MISS", name, miss)
        print(name, {key: round(value, 3) if isinstance(value, float) else value for key, value in result.items()})
    controls = _controls(agent.parse_message)
    for wrong in controls.pop("wrong"):
        print("WRONG", wrong)
    print(controls)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main(*sys.argv[1:])
