"""Bar spectrogram features in pure `tf.signal` (tf.data, the model and exported SavedModels).

TensorFlow-specific on purpose, and free of librosa and tensorflow-io, so the same code runs
in the input pipeline, in training and inside a TF-Serving graph. See docs/audio.md.

The representation (an `AudioConfig` holds the numbers):
- Hann STFT of `n_fft` samples with centred frames (frame ``k`` centred on sample
  ``k * hop``; reflect padding of ``n_fft // 2``), magnitudes on the unnormalised FFT scale.
- Every bar becomes exactly `bar_frames` frames, whatever its tempo (`bar_method`):
  ``variable_hop`` analyses with ``hop = bar_length // bar_frames``; ``resample_frames``
  analyses at the reference hop and linearly resamples the frames in time.
- The Nyquist bin is dropped (`n_bins = n_fft // 2`), then with the ``fixed`` reference
  ``feature = clip((20 log10(max(mag, amin)) - min_db) / (ref_db - min_db), 0, 1)``, so
  loudness survives; with the ``peak`` reference each bar is referenced to its own loudest
  cell and floored `floor_db` below it, so the features weigh what is audible once outputs
  are loudness-matched (docs/audio.md).

Everything is computed in float32, whatever the Keras dtype policy (inputs are cast).
"""

from __future__ import annotations

import math

import tensorflow as tf

from drumaae.audio.griffinlim import griffin_lim
from drumaae.audio.stft import centred_stft, num_frames
from drumaae.config import AudioConfig, frame_grid

__all__ = [
    "stft_magnitude",
    "magnitude_to_features",
    "features_to_magnitude",
    "bar_features",
    "render_bars",
    "resample_frames",
    "resample_length",
]


def _f32(x) -> tf.Tensor:
    x = tf.convert_to_tensor(x)
    return x if x.dtype == tf.float32 else tf.cast(x, tf.float32)


def stft_magnitude(wave, n_fft: int, hop) -> tf.Tensor:
    """Magnitude STFT with centred frames.

    Args:
        wave: `(..., samples)` waveform (cast to float32); more than ``n_fft // 2`` samples.
        n_fft: FFT size and Hann window length (Python int).
        hop: hop in samples, a Python int or a scalar int32 tensor (so a SavedModel can take
            bars of any length).

    Returns:
        float32 `(..., ceil(samples / hop), n_fft // 2 + 1)`.
    """
    return tf.abs(centred_stft(_f32(wave), n_fft, hop))


def magnitude_to_features(mag, audio: AudioConfig) -> tf.Tensor:
    """`(..., frames, n_fft // 2 + 1)` magnitudes -> `(..., frames, n_bins)` features in [0, 1].

    Drops the Nyquist bin. ``fixed`` reference: maps `audio.min_db` dB to 0 and `audio.ref_db`
    dB to 1 (clipped). ``peak`` reference: each bar (the last two axes) is referenced to its
    own loudest cell, which maps to 1, and `audio.floor_db` below it maps to 0; cells below
    `audio.min_db` count as silence, and a bar whose peak is under ``min_db + floor_db`` is
    referenced to that level instead (silence stays 0, not a floor raised to full scale).
    """
    mag = _f32(mag)[..., : audio.n_bins]
    amin = 10.0 ** (audio.min_db / 20.0)
    db = 20.0 * tf.math.log(tf.maximum(mag, amin)) / math.log(10.0)
    if audio.feature_reference == "peak":
        peak = tf.reduce_max(db, axis=[-2, -1], keepdims=True)
        peak = tf.maximum(peak, audio.min_db + audio.floor_db)
        return tf.clip_by_value((db - peak) / audio.floor_db + 1.0, 0.0, 1.0)
    return tf.clip_by_value((db - audio.min_db) / (audio.ref_db - audio.min_db), 0.0, 1.0)


def features_to_magnitude(feat, audio: AudioConfig) -> tf.Tensor:
    """`(..., frames, n_bins)` features -> `(..., frames, n_fft // 2 + 1)` magnitudes.

    Inverse of `magnitude_to_features`: feature 1 is `audio.ref_db` dB and feature 0 is
    `audio.feature_span_db` below it (``fixed``: min_db; ``peak``: the floor, rendered as if
    the bar peaked at ref_db). The Nyquist bin is restored as zeros.
    """
    feat = tf.clip_by_value(_f32(feat), 0.0, 1.0)
    db = (feat - 1.0) * audio.feature_span_db + audio.ref_db
    mag = tf.exp(db * (math.log(10.0) / 20.0))
    pad = tf.zeros_like(mag[..., :1])
    return tf.concat([mag, pad], axis=-1)


def resample_frames(mag, frames_out, hop_in, hop_out) -> tf.Tensor:
    """Linearly resample `(batch, frames_in, bins)` in time to `frames_out` frames.

    Output frame ``j`` (centred at sample ``j * hop_out``) interpolates the input frames
    around position ``j * hop_out / hop_in``; positions past the last frame repeat it.
    `hop_in` and `hop_out` may be non-integer (float) tensors.
    """
    mag = _f32(mag)
    frames_in = tf.shape(mag)[-2]
    pos = tf.range(frames_out, dtype=tf.float32) * (
        tf.cast(hop_out, tf.float32) / tf.cast(hop_in, tf.float32))
    last = tf.cast(frames_in - 1, tf.float32)
    pos = tf.minimum(pos, last)
    lo = tf.cast(tf.floor(pos), tf.int32)
    hi = tf.minimum(lo + 1, frames_in - 1)
    w = (pos - tf.cast(lo, tf.float32))[:, tf.newaxis]
    return tf.gather(mag, lo, axis=-2) * (1.0 - w) + tf.gather(mag, hi, axis=-2) * w


def _bar_length(bars: tf.Tensor):
    static = bars.shape[-1]
    return static if static is not None else tf.shape(bars)[-1]


def bar_features(bars, audio: AudioConfig) -> tf.Tensor:
    """Waveform bars -> model features.

    Args:
        bars: `(batch, bar_length)` float waveforms at `audio.sample_rate` (or one `(bar_length,)`).
            For ``variable_hop`` bar_length should be a multiple of `audio.bar_frames`
            (`AudioConfig.bar_samples` gives one); otherwise hop = bar_length // bar_frames and
            the tail beyond ``bar_frames * hop`` is ignored.
        audio: the recipe's AudioConfig.

    Returns:
        float32 `(batch, bar_frames, n_bins)` (or `(bar_frames, n_bins)`), values in [0, 1].
    """
    bars = _f32(bars)
    unbatched = bars.shape.rank == 1
    if unbatched:
        bars = bars[tf.newaxis]
    length = _bar_length(bars)
    frames = audio.bar_frames
    if audio.bar_method == "variable_hop":
        hop = length // frames
        mag = stft_magnitude(bars, audio.n_fft, hop)[..., :frames, :]
    elif audio.bar_method == "resample_frames":
        mag = stft_magnitude(bars, audio.n_fft, audio.hop_length)
        mag = resample_frames(mag, frames, audio.hop_length,
                              tf.cast(length, tf.float32) / frames)
    else:  # validated by AudioConfig; kept for hand-made configs
        raise ValueError(f"unknown bar_method {audio.bar_method!r}")
    feat = magnitude_to_features(mag, audio)
    feat = tf.ensure_shape(feat, [bars.shape[0], frames, audio.n_bins])
    return feat[0] if unbatched else feat


def render_bars(features, audio: AudioConfig, bar_length, *, iters=None, momentum=None,
                seed: int = 0, init_phase=None) -> tf.Tensor:
    """Model features -> waveform bars of `bar_length` samples, through Griffin-Lim.

    The magnitude is rebuilt at the bar's own tempo: ``variable_hop`` inverts with hop
    ``bar_length // bar_frames``; ``resample_frames`` resamples the frames back to the
    reference hop first.

    Args:
        features: `(batch, bar_frames, n_bins)` (or `(bar_frames, n_bins)`) in [0, 1].
        audio: the recipe's AudioConfig.
        bar_length: output samples per bar (int or scalar int32 tensor), e.g.
            ``audio.bar_samples(bpm)``.
        iters: Griffin-Lim iterations (default `audio.griffin_lim_iters`).
        momentum: fast Griffin-Lim momentum (default `audio.griffin_lim_momentum`).
        seed: seed of the initial phases.
        init_phase: None, or phases in radians to start Griffin-Lim from, on the frame grid
            it renders (`drumaae.audio.render.bar_phase` computes them from input bars);
            NaN rows start from the seeded random phases.

    Returns:
        float32 `(batch, bar_length)` (or `(bar_length,)`).
    """
    features = _f32(features)
    unbatched = features.shape.rank == 2
    if unbatched:
        features = features[tf.newaxis]
    iters = audio.griffin_lim_iters if iters is None else iters
    momentum = audio.griffin_lim_momentum if momentum is None else momentum
    mag = features_to_magnitude(features, audio)
    frames = audio.bar_frames
    if audio.bar_method == "variable_hop":
        # Griffin-Lim needs a whole-sample hop: render the nearest frame grid, then resample
        # the waveform to the exact bar length (a change of at most bar_frames / 2 samples).
        grid = _frame_grid(bar_length, frames)
        out = griffin_lim(mag, audio.n_fft, grid // frames, iters=iters, momentum=momentum,
                          length=grid, seed=seed, init_phase=init_phase)
        out = resample_length(out, bar_length)
    elif audio.bar_method == "resample_frames":
        hop = audio.hop_length
        target = num_frames(bar_length, hop)
        mag = resample_frames(mag, target, tf.cast(bar_length, tf.float32) / frames, hop)
        out = griffin_lim(mag, audio.n_fft, hop, iters=iters, momentum=momentum,
                          length=bar_length, seed=seed, init_phase=init_phase)
    else:
        raise ValueError(f"unknown bar_method {audio.bar_method!r}")
    return out[0] if unbatched else out


def _frame_grid(length, frames: int):
    """`length` rounded to the nearest multiple of `frames` (`drumaae.config.frame_grid`,
    also for a scalar int32 tensor; both round half to even)."""
    if isinstance(length, int):
        return frame_grid(length, frames)
    n = tf.round(tf.cast(length, tf.float64) / frames)
    return tf.cast(tf.maximum(n, 1.0), tf.int32) * frames


def resample_length(wave, length) -> tf.Tensor:
    """Resample `(batch, samples)` waveforms to `length` samples (Fourier method, as
    `scipy.signal.resample`): the signal is time-scaled by ``length / samples``, so every
    event keeps its place relative to the bar. Identity when the lengths already agree.

    Args:
        wave: float32 `(batch, samples)`.
        length: output samples (int or scalar int32 tensor).

    Returns:
        float32 `(batch, length)`.
    """
    wave = _f32(wave)
    have = tf.shape(wave)[-1]
    length_t = tf.convert_to_tensor(length, tf.int32)

    def resample():
        spec = tf.signal.rfft(wave, fft_length=[have])
        keep = tf.minimum(have // 2 + 1, length_t // 2 + 1)
        spec = spec[:, :keep]
        # The Nyquist bin of the shorter length stands for both +/- frequencies (as in
        # scipy.signal.resample): split it when upsampling, join it when downsampling.
        shorter = tf.minimum(have, length_t)
        edge = tf.logical_and(tf.equal(shorter % 2, 0), tf.equal(tf.range(keep), shorter // 2))
        gain = tf.where(tf.less(have, length_t), 0.5, 2.0)
        spec = spec * tf.complex(tf.where(edge, gain, 1.0), 0.0)
        spec = tf.pad(spec, [[0, 0], [0, length_t // 2 + 1 - keep]])
        scale = tf.cast(length_t, tf.float32) / tf.cast(have, tf.float32)
        return tf.signal.irfft(spec, fft_length=[length_t]) * scale

    out = tf.cond(tf.equal(have, length_t), lambda: wave, resample)
    static = length if isinstance(length, int) else None
    out.set_shape([wave.shape[0], static])
    return out
