"""The traced render: `render_bars` (features -> Griffin-Lim -> waveform bars) as one graph.

TensorFlow-specific on purpose. Called eagerly, Griffin-Lim runs its loop op by op, several
times slower than inside a graph (`drumaae bench`, "render_bars ... in a tf.function vs
eager"); traced per bar length it would be traced again for every tempo. `traced_render`
gives one `tf.function` per (audio settings, iterations, seed) whose batch size and bar
length are inputs, so a process traces it once, whatever the tempi and the number of bars.
AutoGraph is off: `render_bars` uses explicit `tf.while_loop`/`tf.cond` only, and converting
its Python code would cost more than tracing it.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from drumaae.config import AudioConfig

__all__ = ["traced_render", "render"]


@functools.lru_cache(maxsize=8)
def traced_render(audio: AudioConfig, iters: int, seed: int):
    """A `tf.function` ``(features, bar_length) -> bars``.

    Args:
        audio: the model's AudioConfig (hashable, frozen).
        iters: Griffin-Lim iterations.
        seed: seed of the initial phases.

    Returns:
        A function of float32 features `(batch, bar_frames, n_bins)` and a scalar int32
        `bar_length` returning float32 `(batch, bar_length)`.
    """
    from drumaae.audio.features import render_bars

    return tf.function(
        lambda f, n: render_bars(f, audio, n, iters=int(iters), seed=int(seed)),
        input_signature=[tf.TensorSpec([None, audio.bar_frames, audio.n_bins], tf.float32),
                         tf.TensorSpec([], tf.int32)],
        autograph=False)


def render(features, audio: AudioConfig, bar_length: int, *, iters: int, seed: int
           ) -> np.ndarray:
    """Features `(batch, bar_frames, n_bins)` -> float32 `(batch, bar_length)` waveforms
    through the process's one traced render graph for (audio, iters, seed)."""
    fn = traced_render(audio, int(iters), int(seed))
    out = fn(tf.convert_to_tensor(np.asarray(features, np.float32)), np.int32(bar_length))
    return out.numpy()
