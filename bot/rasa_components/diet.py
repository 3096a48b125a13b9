"""Rasa's DIET, trained without decoding every training batch.

Rasa's DIET runs the CRF's Viterbi decoding on every training batch only to show an
entity F1 in the progress bar; the loss does not use it. With BILOU tags that decoding
is costly (CAIS: 97 tags, a 97 x 97 max and argmax for every character of every batch):
on CAIS an epoch took 22.5 s instead of 28 s without it, and the graph that TensorFlow
traces at the start of training, and again whenever a trained model is loaded, is
smaller (loading the CAIS model: 33 s instead of 50 s). The loss and its gradients are
Rasa's (three CAIS epochs gave the same losses and the same dev figures to the last digit);
only the training entity F1 is no longer logged. Prediction still decodes, as in Rasa.

The CRF's log-likelihood is the same one computed with matrix products instead of
log-sum-exps over every pair of tags (``bot/rasa_components/crf.py``): 7 ms instead of 58
for the forward and backward pass of a CAIS batch, and the same dev figures after three
CAIS epochs to the last digit.
"""

from __future__ import annotations

from typing import Tuple, Type

import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.models import RasaModel

from bot.rasa_components.augment import NOISY_COPY
from bot.rasa_components.crf import crf_loss


class DIETWithoutTrainingDecode(DIET):
    """DIET's network; its training step computes the CRF loss without Viterbi decoding."""

    def _calculate_entity_loss(
        self,
        inputs: tf.Tensor,
        tag_ids: tf.Tensor,
        mask: tf.Tensor,
        sequence_lengths: tf.Tensor,
        tag_name: str,
        entity_tags: tf.Tensor | None = None,
    ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """Rasa 3.6's ``TransformerRasaModel._calculate_entity_loss`` without its decoding and F1,
        and with the matrix-product likelihood."""
        tag_ids = tf.cast(tag_ids[:, :, 0], tf.int32)
        if entity_tags is not None:
            tags = self._tf_layers[f"embed.{tag_name}.tags"](entity_tags)
            inputs = tf.concat([inputs, tags], axis=-1)
        logits = self._tf_layers[f"embed.{tag_name}.logits"](inputs)
        crf = self._tf_layers[f"crf.{tag_name}"]
        if not crf.built:
            # Rasa builds the transition weights by decoding once; building them directly
            # creates the same weights at the same point of the first trace.
            crf.build(logits.shape)
        loss = crf_loss(crf, logits, tag_ids, sequence_lengths)
        # No F1 without decoding; the metric it would update is not logged (below).
        return loss, tf.constant(0.0), logits

    def _update_metrics_to_log(self) -> None:
        super()._update_metrics_to_log()
        # The F1 of each tag (entity, role, group), named as Rasa names it: only decoding fed it.
        decoded = {f"{spec.tag_name[0]}_f1" for spec in self._entity_tag_specs}
        self.metrics_to_log = [name for name in self.metrics_to_log if name not in decoded]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class LeanDIETClassifier(DIETClassifier):
    """``DIETClassifier`` (same options) whose training skips the per-batch decoding."""

    @staticmethod
    def model_class() -> Type[RasaModel]:
        return DIETWithoutTrainingDecode

    def train(self, training_data: TrainingData) -> Resource:
        """Rasa's training on the examples as written: noisy copies (``augment.py``) move entity
        edges into characters residents did not write and made exact spans worse."""
        written = [message for message in training_data.training_examples if not message.get(NOISY_COPY)]
        return super().train(
            TrainingData(
                training_examples=written,
                entity_synonyms=training_data.entity_synonyms,
                regex_features=training_data.regex_features,
                lookup_tables=training_data.lookup_tables,
                responses=training_data.responses,
            )
        )
