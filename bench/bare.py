"""Bare Rasa 3.6 servers, the yardsticks of the speed ratios: no custom component, no action
server, no database, Rasa's in-memory tracker store.

- ``moodbot``: the `rasa init` project, trained and served as shipped (English).
- ``same_data``: what a team gets from Rasa out of the box on the project's data: Rasa's default
  pipeline and policies, unchanged (what `rasa init`'s config.yml falls back to), trained on
  ``data/nlu``, each intent answered by a plain response through a rule and a one-step story.
  The same trained model is the stock NLU peer (its intents scored on the project's test sets)
  and the bare server of the speed ratios, so the run trains Rasa's pipeline once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

import rasa
import rasa.cli.initial_project as initial_project
import yaml

ROOT = Path(__file__).resolve().parent.parent
INITIAL_PROJECT = Path(next(iter(initial_project.__path__)))  # a namespace package: no __file__
DEFAULT_CONFIG = Path(rasa.__file__).parent / "engine" / "recipes" / "config_files" / "default_config.yml"


def moodbot(project: Path) -> None:
    """The `rasa init` project in ``project``, without its (unused) action module."""
    shutil.copytree(INITIAL_PROJECT, project, ignore=shutil.ignore_patterns("__init__.py", "__pycache__", "actions"))


def same_data(project: Path) -> None:
    """Rasa's defaults, the project's NLU data and intents, one plain response per intent, in ``project``."""
    ours = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = [intent if isinstance(intent, str) else next(iter(intent)) for intent in ours["intents"]]
    entities = [entity if isinstance(entity, str) else next(iter(entity)) for entity in ours["entities"]]
    domain = {
        "version": "3.1",
        "intents": intents,
        "entities": entities,
        "responses": {f"utter_{intent}": [{"text": f"收到（{intent}）。"}] for intent in intents},
    }
    dialogue = {
        "version": "3.1",
        "rules": [{"rule": intent, "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]} for intent in intents],
        "stories": [
            {"story": intent, "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]} for intent in intents
        ],
    }
    (project / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "nlu", project / "data" / "nlu")
    shutil.copyfile(DEFAULT_CONFIG, project / "config.yml")
    for name, content in (
        ("domain.yml", domain),
        ("data/dialogue.yml", dialogue),
        ("endpoints.yml", {}),
        ("credentials.yml", {"rest": None}),
    ):
        (project / name).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def train(project: Path) -> Dict[str, Any]:
    """``rasa train`` in ``project``; the seconds it took and the model's size."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.rasa_cli", "train", "--quiet", "--out", "models"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in (project / "models").glob("*.tar.gz"))
    return {"training_seconds": seconds, "model_mb": size / 2**20}
