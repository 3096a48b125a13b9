"""The intent classifier's class weights and regularisation come from its configuration."""

from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_components.intents import LogisticRegressionIntentClassifier

CONTEXT = ExecutionContext(GraphSchema({}), "test")


def _message(text: str, features: List[float], intent: str | None = None) -> Message:
    message = Message(data={"text": text, **({"intent": intent} if intent else {})})
    sentence = scipy.sparse.coo_matrix(np.array([features]))
    message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, "counts"))
    return message


def _skewed() -> TrainingData:
    """Forty songs for three stories; four songs and two stories have both words."""
    songs = [_message(f"播放歌{i}", [1.0, 0.0] if i >= 4 else [1.0, 1.0], "PlayMusic") for i in range(40)]
    stories = [_message(f"讲故事{i}", [0.0, 1.0] if i == 0 else [1.0, 1.0], "PlayFMStory") for i in range(3)]
    return TrainingData(training_examples=songs + stories)


def _long_names_counted_per_character() -> TrainingData:
    """A song word (feature 0) decides; a name (feature 1) is heard with songs and stories alike."""
    songs = [_message(f"播放歌{i}", [1.0, 0.0] if i < 20 else [1.0, 1.0], "PlayMusic") for i in range(30)]
    stories = [_message(f"讲故事{i}", [0.0, 1.0], "PlayFMStory") for i in range(20)]
    return TrainingData(training_examples=songs + stories)


def _classify(folder: Path, data: TrainingData | None = None, **config) -> LogisticRegressionIntentClassifier:
    folder.mkdir(exist_ok=True)
    storage = LocalModelStorage(folder)
    full = {**LogisticRegressionIntentClassifier.get_default_config(), **config}
    classifier = LogisticRegressionIntentClassifier.create(full, storage, Resource("intents"), CONTEXT)
    classifier.train(data or _skewed())
    return classifier


def _intent(classifier: LogisticRegressionClassifier, features: List[float]) -> str:
    return classifier.process([_message("两个都像", features)])[0].get("intent")["name"]


def test_the_default_weighs_classes_as_balanced_like_rasa(tmp_path: Path) -> None:
    ours = _classify(tmp_path / "ours")
    (tmp_path / "rasa").mkdir()
    rasa = LogisticRegressionClassifier.create(
        LogisticRegressionClassifier.get_default_config(), LocalModelStorage(tmp_path / "rasa"), Resource("r"), CONTEXT
    )
    rasa.train(_skewed())
    ambiguous = _message("两个都像", [1.0, 1.0])
    np.testing.assert_allclose(
        ours.clf.predict_proba(ours._create_X([ambiguous])), rasa.clf.predict_proba(rasa._create_X([ambiguous]))
    )


def test_unweighted_classes_follow_how_often_each_intent_was_seen(tmp_path: Path) -> None:
    balanced = _classify(tmp_path / "balanced")
    unweighted = _classify(tmp_path / "unweighted", class_weight=None)
    assert _intent(balanced, [1.0, 1.0]) == "PlayFMStory"
    assert _intent(unweighted, [1.0, 1.0]) == "PlayMusic"


def test_weaker_regularisation_gives_surer_answers(tmp_path: Path) -> None:
    weak = _classify(tmp_path / "weak", C=100.0)
    strong = _classify(tmp_path / "strong", C=0.01)
    sure = weak.process([_message("讲故事", [0.0, 1.0])])[0].get("intent")
    unsure = strong.process([_message("讲故事", [0.0, 1.0])])[0].get("intent")
    assert sure["name"] == "PlayFMStory"
    assert sure["confidence"] > unsure["confidence"]


def test_binary_features_count_a_long_name_once(tmp_path: Path) -> None:
    # "播放周杰伦的歌" in character tokens: the song word once, the name's features once a character.
    heard = [1.0, 4.0]
    counted = _classify(tmp_path / "counted", _long_names_counted_per_character(), class_weight=None)
    present = _classify(tmp_path / "present", _long_names_counted_per_character(), class_weight=None, binary=True)
    assert _intent(counted, heard) == "PlayFMStory"
    assert _intent(present, heard) == "PlayMusic"
    assert present._create_X([_message("播放周杰伦的歌", heard)]).toarray().tolist() == [[1.0, 1.0]]


def test_the_options_survive_persisting_and_loading(tmp_path: Path) -> None:
    trained = _classify(tmp_path, class_weight=None)
    config = {**LogisticRegressionIntentClassifier.get_default_config(), "class_weight": None}
    loaded = LogisticRegressionIntentClassifier.load(config, LocalModelStorage(tmp_path), Resource("intents"), CONTEXT)
    assert _intent(loaded, [1.0, 1.0]) == _intent(trained, [1.0, 1.0]) == "PlayMusic"
