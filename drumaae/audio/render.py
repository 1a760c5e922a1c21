"""The traced render: `render_bars` (features -> Griffin-Lim -> waveform bars) as one graph.

TensorFlow-specific on purpose. Called eagerly, Griffin-Lim runs its loop op by op, several
times slower than inside a graph (`drumaae bench`, "render_bars ... in a tf.function vs
eager"); traced per bar length it would be traced again for every tempo. `traced_render`
gives one `tf.function` per (audio settings, iterations, seed, phase start) whose batch size
and bar length are inputs, so a process traces it once, whatever the tempi and the number of
bars. AutoGraph is off: `render_bars` uses explicit `tf.while_loop`/`tf.cond` only, and
converting its Python code would cost more than tracing it.

`bar_phase` gives the phases of input bars on the frame grid Griffin-Lim renders, so a
render can start from the input's own phase where one exists (reconstruction, the ends of a
morph) instead of random phases.
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from drumaae.config import AudioConfig, frame_grid

__all__ = ["traced_render", "render", "bar_phase"]


@functools.lru_cache(maxsize=16)
def traced_render(audio: AudioConfig, iters: int, seed: int, with_phase: bool = False):
    """A `tf.function` ``(features, bar_length[, init_phase]) -> bars``.

    Args:
        audio: the model's AudioConfig (hashable, frozen).
        iters: Griffin-Lim iterations.
        seed: seed of the initial phases.
        with_phase: the function takes a third input, float32 phases
            `(batch, frames, n_fft // 2 + 1)` on the render's frame grid (`bar_phase`) to
            start from; NaN rows start from the seeded random phases.

    Returns:
        A function of float32 features `(batch, bar_frames, n_bins)` and a scalar int32
        `bar_length` (and the phases) returning float32 `(batch, bar_length)`.
    """
    from drumaae.audio.features import render_bars

    specs = [tf.TensorSpec([None, audio.bar_frames, audio.n_bins], tf.float32),
             tf.TensorSpec([], tf.int32)]
    if not with_phase:
        return tf.function(
            lambda f, n: render_bars(f, audio, n, iters=int(iters), seed=int(seed)),
            input_signature=specs, autograph=False)
    specs.append(tf.TensorSpec([None, None, audio.n_fft // 2 + 1], tf.float32))
    return tf.function(
        lambda f, n, p: render_bars(f, audio, n, iters=int(iters), seed=int(seed),
                                    init_phase=p),
        input_signature=specs, autograph=False)


def render(features, audio: AudioConfig, bar_length: int, *, iters: int, seed: int,
           init_phase: np.ndarray | None = None) -> np.ndarray:
    """Features `(batch, bar_frames, n_bins)` -> float32 `(batch, bar_length)` waveforms
    through the process's one traced render graph for (audio, iters, seed); `init_phase`
    (`bar_phase` of the inputs at `bar_length`) starts Griffin-Lim from those phases."""
    feats = tf.convert_to_tensor(np.asarray(features, np.float32))
    if init_phase is None:
        fn = traced_render(audio, int(iters), int(seed))
        return fn(feats, np.int32(bar_length)).numpy()
    fn = traced_render(audio, int(iters), int(seed), True)
    return fn(feats, np.int32(bar_length),
              tf.convert_to_tensor(np.asarray(init_phase, np.float32))).numpy()


def bar_phase(waves, audio: AudioConfig, bar_length: int) -> np.ndarray:
    """STFT phases of input bars on the frame grid `render` uses for `bar_length`.

    ``variable_hop``: each bar resampled (Fourier) to ``frame_grid(bar_length)`` samples and
    analysed with hop ``grid / bar_frames``, `bar_frames` frames; ``resample_frames``: each
    bar resampled to `bar_length` and analysed at the reference hop. A bar already on that
    grid (a cut input bar rendered at its own tempo) is analysed as it is.

    Args:
        waves: float32 `(batch, samples)` bars (any length; `samples` > n_fft / 2).
        audio: the model's AudioConfig.
        bar_length: the render's output samples.

    Returns:
        float32 `(batch, frames, n_fft // 2 + 1)` phases in radians.
    """
    from drumaae.audio.features import resample_length
    from drumaae.audio.stft import centred_stft, num_frames

    x = tf.convert_to_tensor(np.atleast_2d(np.asarray(waves, np.float32)))
    if audio.bar_method == "variable_hop":
        grid = frame_grid(int(bar_length), audio.bar_frames)
        x = resample_length(x, grid)
        spec = centred_stft(x, audio.n_fft, grid // audio.bar_frames)[:, : audio.bar_frames]
    else:
        x = resample_length(x, int(bar_length))
        hop = audio.hop_length
        spec = centred_stft(x, audio.n_fft, hop)[:, : num_frames(int(bar_length), hop)]
    return np.asarray(tf.math.angle(spec), np.float32)
