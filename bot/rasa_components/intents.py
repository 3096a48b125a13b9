"""Rasa's logistic-regression intent classifier, with its class weighting and its view of the
counts as options.

Rasa 3.6's ``LogisticRegressionClassifier`` always weighs classes as balanced: each intent
counts as much as every other, whatever its number of examples. That suits the project's own
data (a few hundred examples of each of 20 intents) and stays the default here. On data
as skewed as a smart speaker's (CAIS: 87 % of the utterances are PlayMusic) it makes the
classifier prefer the rare intents, and a request for a song goes to Chat; there the
unweighted classifier is the better one. The options are sklearn's own:

- ``class_weight``: ``balanced`` (Rasa's choice, the default) or ``null`` (every example counts once);
- ``C``: the inverse of the L2 regularisation strength (sklearn's default, 1.0);
- ``binary``: read each sentence feature as present (1) or absent (0), as sklearn's
  ``CountVectorizer(binary=True)`` does, instead of as a count. With one token a character
  (CAIS) every character carries its jieba word as its lemma, so a word's features are
  counted once per character and long words outweigh short ones; presence undoes that.
  Off by default: with word tokens (config.yml) the counts are real and help.

Rasa's own ``solver`` option stays; ``newton-cg`` reaches lbfgs's optimum in a few dozen
steps instead of hundreds on these unscaled counts.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix
from sklearn.preprocessing import binarize


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LogisticRegressionIntentClassifier(LogisticRegressionClassifier):
    """Rasa's classifier; its class weights, regularisation and count view come from the configuration."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "class_weight": "balanced",
            "C": 1.0,
            "binary": False,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(class_weight=self.config["class_weight"], C=self.config["C"])

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """Rasa's sentence features, as presence only when ``binary`` is set (training and prediction alike)."""
        features = super()._create_X(messages)
        return binarize(features) if self.config["binary"] else features
