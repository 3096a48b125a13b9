"""Cross-validation of the project's pipeline: 5-fold over the training data (stratified by
intent; the regexes, lookup tables and synonyms stay in every fold's training part).

Each fold's model is trained in its own process with Rasa's command line, as `make train` does,
two at a time: one training keeps about 1.3 of the 2 cores busy, and nothing here is a timing
figure (the seconds a fold took are measured two at a time). A fold is scored while the later
ones train. (Rasa's stock pipeline, the other trained peer, is the bare server's model: bench/bare.py.)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.model_selection import StratifiedKFold

from bench.nlu import evaluate

ROOT = Path(__file__).resolve().parent.parent
NLU_DATA = ROOT / "data" / "nlu"
FOLDS = 5
SEED = 20261129
TRAININGS_AT_ONCE = 2


def train_nlu(config: Path, nlu: Path, out: Path) -> float:
    """Train an NLU-only model into ``out``; returns the wall-clock seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.rasa_cli", "train", "nlu", "--config", str(config), "--nlu", str(nlu)]
        + ["--out", str(out), "--fixed-model-name", "nlu", "--quiet"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def cross_validation(folds: int = FOLDS, at_once: int = TRAININGS_AT_ONCE) -> Dict[str, Any]:
    data = load_data(str(NLU_DATA))
    examples = [example for example in data.training_examples if example.get("intent")]
    intents = [example.get("intent") for example in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    results: List[Dict[str, Any]] = []
    seconds: List[float] = []
    with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(max_workers=at_once) as trainings:
        started = []
        for fold, (train_index, test_index) in enumerate(splitter.split(examples, intents)):
            folder = Path(workdir) / str(fold)
            train = TrainingData(
                training_examples=[examples[i] for i in train_index],
                entity_synonyms=data.entity_synonyms,
                regex_features=data.regex_features,
                lookup_tables=data.lookup_tables,
            )
            (folder / "train").mkdir(parents=True)
            (folder / "train" / "nlu.yml").write_text(train.nlu_as_yaml(), encoding="utf-8")
            test = folder / "test.yml"
            test.write_text(TrainingData(training_examples=[examples[i] for i in test_index]).nlu_as_yaml(), "utf-8")
            training = trainings.submit(train_nlu, ROOT / "config.yml", folder / "train", folder / "model")
            started.append((training, folder / "model" / "nlu.tar.gz", test))
        for training, model, test in started:
            seconds.append(training.result())
            results.append(evaluate(Agent.load(str(model)), test))
    summary: Dict[str, Any] = {"folds": folds, "training_seconds_per_fold": statistics.mean(seconds)}
    for key, pick in (
        ("intent_macro_f1", lambda r: r["intent_macro_f1"]),
        ("intent_accuracy", lambda r: r["intent_accuracy"]),
        ("entity_f1", lambda r: r["entities"]["f1"]),
        ("entity_f1_overlap", lambda r: r["entities"]["overlap"]["f1"]),
    ):
        values = [pick(result) for result in results]
        summary[key] = {"mean": statistics.mean(values), "stdev": statistics.stdev(values), "folds": values}
    labels = sorted({label for result in results for label in result["per_intent_f1"]})
    summary["per_intent_f1"] = {
        label: statistics.mean(result["per_intent_f1"].get(label, 0.0) for result in results) for label in labels
    }
    entity_types = sorted({t for result in results for t in result["entities"]["per_type"]})
    summary["entity_f1_per_type"] = {
        t: statistics.mean(result["entities"]["per_type"].get(t, {"f1": 0.0})["f1"] for result in results)
        for t in entity_types
    }
    return summary
