"""LeanDIETClassifier: trains like Rasa's DIET without decoding, and still decodes when it predicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, NamedTuple, Type

import numpy as np
import pytest
import rasa.utils.tensorflow.crf as crf
import tensorflow as tf
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_components.diet import LeanDIETClassifier
from bot.rasa_components.tokenizer import CommunityJiebaTokenizer

PLACES = ["北门", "南门", "东门", "西门", "车库", "花园", "楼道", "电梯"]
PROBLEMS = ["灯坏了", "漏水了", "有垃圾", "很吵"]
SMALL = {
    "epochs": 4,
    "random_seed": 7,
    "batch_size": 8,
    "number_of_transformer_layers": 1,
    "transformer_size": 16,
    "embedding_dimension": 8,
}


def _training_data() -> TrainingData:
    """Complaints naming a place (an entity) and greetings without one."""
    examples = []
    for place in PLACES:
        for problem in PROBLEMS:
            text = f"{place}{problem}"
            entity = {"start": 0, "end": len(place), "value": place, "entity": "location"}
            examples.append(Message(data={"text": text, "intent": "file_complaint", "entities": [entity]}))
    for text in ["你好", "你好呀", "早上好", "在吗", "有人吗", "晚上好"]:
        examples.append(Message(data={"text": text, "intent": "greet", "entities": []}))
    return TrainingData(training_examples=examples)


class Featurized:
    """The project's jieba tokens and word counts (fitted on the training data), then ``cls`` trained in ``folder``."""

    def __init__(self, cls: Type[DIETClassifier], folder: Path, config: Dict[str, Any]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        storage, context = LocalModelStorage(folder), ExecutionContext(GraphSchema({}), "test")
        self.tokenizer = CommunityJiebaTokenizer.create(
            CommunityJiebaTokenizer.get_default_config(), storage, Resource("tokens"), context
        )
        self.counts = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(), storage, Resource("counts"), context
        )
        data = _training_data()
        self.tokenizer.process(data.training_examples)
        self.counts.train(data)
        self.counts.process(data.training_examples)
        self.classifier = cls.create({**cls.get_default_config(), **config}, storage, Resource(cls.__name__), context)
        self.classifier.train(data)

    def parse(self, text: str) -> Message:
        message = Message(data={"text": text})
        self.tokenizer.process([message])
        self.counts.process([message])
        self.classifier.process([message])
        return message


class CountedDecoding:
    """Counts the graphs built with the CRF's Viterbi decoding in them."""

    def __init__(self) -> None:
        self.calls = 0
        self.original = crf.crf_decode

    def __call__(self, *args: Any, **kwargs: Any):
        self.calls += 1
        return self.original(*args, **kwargs)


class LeanRun(NamedTuple):
    trained: Featurized
    decoded_in_training: int
    decoded_in_prediction: int
    parsed: Message


@pytest.fixture(scope="module")
def lean(tmp_path_factory) -> LeanRun:
    """The lean classifier, trained once for the module while decodings are counted."""
    decoding = CountedDecoding()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(crf, "crf_decode", decoding)
        trained = Featurized(LeanDIETClassifier, tmp_path_factory.mktemp("lean"), SMALL)
        decoded_in_training = decoding.calls
        message = trained.parse("花园灯坏了")
    return LeanRun(trained, decoded_in_training, decoding.calls - decoded_in_training, message)


def test_training_builds_no_decoding_and_prediction_decodes(lean):
    assert lean.decoded_in_training == 0, "the training step decoded"
    assert lean.decoded_in_prediction > 0, "prediction must decode"
    assert lean.parsed.get("intent")["name"] == "file_complaint"
    assert [(e["value"], e["entity"]) for e in lean.parsed.get("entities")] == [("花园", "location")]


def test_computes_the_loss_rasas_diet_computes(lean):
    """Decoding fed only a metric: on the same tensors, the loss and the logits are Rasa's."""
    model = lean.trained.classifier.model
    tags = model._tf_layers["crf.entity"].num_tags
    rng = np.random.default_rng(3)
    inputs = tf.constant(rng.normal(size=(4, 6, SMALL["transformer_size"])), tf.float32)
    tag_ids = tf.constant(rng.integers(0, tags, size=(4, 6, 1)), tf.float32)
    lengths = tf.constant([6, 4, 2, 5], tf.int32)
    mask = tf.sequence_mask(lengths, 6, tf.float32)[:, :, tf.newaxis]

    ours = model._calculate_entity_loss(inputs, tag_ids, mask, lengths, "entity")
    rasas = DIET._calculate_entity_loss(model, inputs, tag_ids, mask, lengths, "entity")
    assert float(ours[0]) == pytest.approx(float(rasas[0]), rel=1e-6) and float(ours[0]) > 0
    np.testing.assert_array_equal(ours[2].numpy(), rasas[2].numpy())
    assert "e_f1" not in model.metrics_to_log
