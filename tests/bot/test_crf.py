"""The matrix-product CRF likelihood equals Rasa's log-space one, values and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from rasa.utils.tensorflow import crf as rasa_crf
from rasa.utils.tensorflow.layers import CRF

from bot.rasa_components import crf


def _batch(batch: int, time: int, tags: int, lengths, seed: int = 0, spread: float = 3.0):
    rng = np.random.default_rng(seed)
    inputs = tf.constant(rng.normal(size=(batch, time, tags)) * spread, tf.float32)
    tag_ids = tf.constant(rng.integers(0, tags, size=(batch, time)), tf.int32)
    transitions = tf.Variable(rng.normal(size=(tags, tags)).astype(np.float32) * 2)
    return inputs, tag_ids, tf.constant(lengths, tf.int32), transitions


def _with_gradients(likelihood, inputs, tag_ids, lengths, transitions):
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        value = likelihood(inputs, tag_ids, lengths, transitions)
        if isinstance(value, tuple):  # Rasa's returns the transitions too
            value = value[0]
        total = tf.reduce_sum(value)
    gradients = tape.gradient(total, [inputs, transitions])
    # A batch of one character never uses the transitions: no gradient is a zero gradient.
    pairs = zip(gradients, [inputs, transitions], strict=True)
    return value.numpy(), [np.zeros(v.shape) if g is None else g.numpy() for g, v in pairs]


@pytest.mark.parametrize(
    "shape, lengths",
    [
        ((6, 9, 97), [9, 4, 1, 7, 2, 9]),  # CAIS-sized tag set, ragged lengths
        ((3, 1, 13), [1, 1, 1]),  # batches of one character skip the recursion
        ((4, 5, 13), [5, 0, 3, 1]),  # an empty sequence counts nothing
    ],
)
def test_log_likelihood_and_gradients_equal_rasas(shape, lengths):
    batch = _batch(*shape, lengths)
    ours, our_gradients = _with_gradients(crf.crf_log_likelihood, *batch)
    rasas, rasa_gradients = _with_gradients(rasa_crf.crf_log_likelihood, *batch)
    np.testing.assert_allclose(ours, rasas, rtol=1e-5, atol=1e-3)
    for mine, theirs in zip(our_gradients, rasa_gradients, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-4)


def test_large_scores_neither_overflow_nor_underflow():
    """Unary scores in the hundreds (an overconfident network) stay finite and equal Rasa's."""
    inputs, tag_ids, lengths, transitions = _batch(4, 12, 20, [12, 12, 6, 3], seed=2, spread=60.0)
    ours = crf.crf_log_likelihood(inputs, tag_ids, lengths, transitions).numpy()
    rasas = rasa_crf.crf_log_likelihood(inputs, tag_ids, lengths, transitions)[0].numpy()
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, rasas, rtol=1e-5)


@pytest.mark.parametrize("scale_loss", [False, True])
def test_loss_equals_rasas_crf_layer_loss(scale_loss):
    inputs, tag_ids, lengths, _ = _batch(5, 7, 9, [7, 3, 5, 1, 6], seed=4, spread=1.0)
    layer = CRF(num_tags=9, reg_lambda=0.001, scale_loss=scale_loss)
    layer.build(inputs.shape)
    # Nearly certain tags make Rasa's loss scaling kick in (some p > 0.5); the loss is then
    # near zero, a difference of two scores near 200, so float32 leaves about 1e-5 of it.
    confident = inputs + 30.0 * tf.one_hot(tag_ids, 9)
    for logits in (inputs, confident):
        expected = float(layer.loss(logits, tag_ids, lengths))
        assert float(crf.crf_loss(layer, logits, tag_ids, lengths)) == pytest.approx(expected, rel=1e-5, abs=1e-4)
