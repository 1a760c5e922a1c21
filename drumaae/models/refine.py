"""Code refinement: fit codes to features by gradient steps on the code, the weights fixed.

`DrumAAE.refine` is the public entry; this module holds its Adam on the codes. TensorFlow
only: the step is a traced `tf.function` with a GradientTape (`DrumAAE.can_refine` says
whether it runs here).
"""

from __future__ import annotations

import weakref

import numpy as np

from drumaae.models.backend import BACKEND

if BACKEND == "tensorflow":
    import tensorflow as tf

__all__ = ["refine_codes"]

_BETA_1, _BETA_2, _EPS = 0.9, 0.999, 1e-8
"""Adam's constants of the refinement step (Keras's defaults)."""


def refine_codes(model, features, z, steps: int, learning_rate: float,
                 prior_weight: float) -> np.ndarray:
    """Minimise ``|features - G(z)|_1 - prior_weight * log p(z) / latent_dim`` over the
    codes with Adam, starting from `z`.

    Args:
        model: a `DrumAAE`.
        features: `(batch, frames, bins)` features in [0, 1].
        z: `(batch, latent_dim)` starting codes.
        steps: gradient steps (> 0).
        learning_rate: Adam step size in code units.
        prior_weight: weight of the negative log prior density per dimension.

    Returns:
        `(batch, latent_dim)` float32 NumPy codes.
    """
    x = tf.convert_to_tensor(features, tf.float32)
    z = tf.convert_to_tensor(z, tf.float32)
    lr = tf.constant(float(learning_rate))
    weight = tf.constant(float(prior_weight))
    step = _traced_step(model)
    m = v = tf.zeros_like(z)
    for i in range(int(steps)):
        z, m, v = step(x, z, m, v, tf.constant(i + 1, tf.float32), lr, weight)
    return z.numpy()


_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Each model's traced refinement step (`_traced_step`), dropped with the model."""


def _traced_step(model):
    """The model's refinement step as one `tf.function`, traced once per process whatever
    the number of bars (the batch size is an input). AutoGraph is off (the step has no
    tensor-dependent Python control flow), and one step is traced rather than a
    `tf.while_loop` over all steps: both choices cut the first call, whose trace is most of
    what refinement adds to a one-bar command (measured in docs/model.md, "Code
    refinement", "What it costs a user")."""
    step = _STEPS.get(model)
    if step is None:
        frames, bins = model.generator.frames, model.generator.bins
        latent = tf.TensorSpec([None, model.encoder.latent_dim], tf.float32)
        scalar = tf.TensorSpec([], tf.float32)
        step = tf.function(
            lambda x, z, m, v, t, lr, w: _step(model, x, z, m, v, t, lr, w),
            input_signature=[tf.TensorSpec([None, frames, bins], tf.float32), latent, latent,
                             latent, scalar, scalar, scalar],
            autograph=False)
        _STEPS[model] = step
    return step


def _step(model, x, z, m, v, t, learning_rate, prior_weight):
    """One Adam step of `refine_codes` at step number t."""
    dim = tf.cast(tf.shape(z)[-1], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(z)
        x_hat = tf.cast(model.decode(z), tf.float32)
        fit = tf.reduce_mean(tf.abs(x - x_hat), axis=[1, 2])
        prior = -model.prior.log_prob(z) / dim
        loss = tf.reduce_sum(fit + prior_weight * prior)
    g = tape.gradient(loss, z)
    m = _BETA_1 * m + (1 - _BETA_1) * g
    v = _BETA_2 * v + (1 - _BETA_2) * g * g
    m_hat = m / (1 - _BETA_1 ** t)
    v_hat = v / (1 - _BETA_2 ** t)
    return z - learning_rate * m_hat / (tf.sqrt(v_hat) + _EPS), m, v
