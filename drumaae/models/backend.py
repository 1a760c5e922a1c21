"""What differs between Keras's TensorFlow and torch backends in the AAE's training step.

drumaae runs on Keras's TensorFlow backend. The parts are backend-portable Keras layers and
`DrumAAE.train_step` also runs on the torch backend (its gradients come from `minimize`), so
the training step can be measured on a GPU machine that has PyTorch but no TensorFlow
(`bench/gpu_training.py`). What stays TensorFlow-only: code refinement
(`drumaae.models.refine`) and the distribution strategies of `drumaae.training`.
"""

from __future__ import annotations

import keras

__all__ = ["BACKEND", "minimize", "replicas"]

BACKEND = keras.backend.backend()
"""Keras's backend in this process: ``tensorflow`` or ``torch``."""

if BACKEND == "tensorflow":
    import tensorflow as tf
elif BACKEND == "torch":
    import torch
else:
    raise ImportError(f"drumaae's models run on Keras's tensorflow or torch backend, not "
                      f"{BACKEND!r} (KERAS_BACKEND)")


def replicas() -> int:
    """Replicas whose gradients are summed per step (TensorFlow's distribution strategy;
    1 on another backend)."""
    if BACKEND == "tensorflow":
        return tf.distribute.get_strategy().num_replicas_in_sync
    return 1


def minimize(optimizer, loss_fn, variables):
    """One player's update: the gradients of ``loss_fn()[0]`` with respect to `variables`,
    applied by `optimizer`; returns ``loss_fn()[1]`` (values the caller keeps).

    The loss goes through ``optimizer.scale_loss`` (a LossScaleOptimizer, under
    mixed_float16, unscales the gradients in ``apply``). Gradients come from a GradientTape
    on TensorFlow and from autograd on torch.
    """
    if BACKEND == "torch":
        for v in variables:
            v.value.grad = None
        loss, kept = loss_fn()
        optimizer.scale_loss(loss).backward()
        grads = [v.value.grad for v in variables]
        with torch.no_grad():
            optimizer.apply(grads, variables)
        return kept
    with tf.GradientTape() as tape:
        loss, kept = loss_fn()
        scaled = optimizer.scale_loss(loss)
    optimizer.apply(tape.gradient(scaled, variables), variables)
    return kept
