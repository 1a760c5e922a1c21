"""The analysis STFT and its inverse with centred frames, in pure `tf.signal`.

TensorFlow-specific on purpose: the same functions run eagerly, inside `tf.function`,
`tf.data` and exported SavedModels. Used by the model features (`drumaae.audio.features`),
Griffin-Lim (`drumaae.audio.griffinlim`) and the onset envelope (`drumaae.audio.onsets`).

Framing convention: frames are *centred*, frame ``k`` is centred on sample ``k * hop``; the
signal is reflect-padded by ``n_fft // 2`` samples on both sides before framing, and a signal
of ``samples`` samples has ``ceil(samples / hop)`` frames. Arrays are ``(..., frames, bins)``
with ``bins = n_fft // 2 + 1``, i.e. `tf.signal` order, the transpose of librosa's. The window
is a periodic Hann of `n_fft` samples, as librosa's default (``scipy.signal.get_window``).
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["centred_stft", "centred_istft", "num_frames", "hann_window", "window_envelope"]


def num_frames(samples, hop):
    """Centred frames of a signal of `samples` samples at `hop`: ``ceil(samples / hop)``."""
    return (samples + hop - 1) // hop


def hann_window(n_fft: int) -> tf.Tensor:
    """Periodic Hann window, float32 `(n_fft,)` (as ``scipy.signal.get_window("hann", n)``)."""
    return tf.signal.hann_window(n_fft, periodic=True, dtype=tf.float32)


def centred_stft(wave: tf.Tensor, n_fft: int, hop) -> tf.Tensor:
    """Complex STFT with centred frames.

    Args:
        wave: float32 `(..., samples)`; `samples` must exceed ``n_fft // 2`` (reflect padding).
        n_fft: frame length = FFT size (Python int, Hann window).
        hop: frame step in samples, a Python int or a scalar int32 tensor.

    Returns:
        complex64 `(..., ceil(samples / hop), n_fft // 2 + 1)`.
    """
    wave = tf.convert_to_tensor(wave)
    if wave.dtype != tf.float32:
        wave = tf.cast(wave, tf.float32)
    static_len = wave.shape[-1]
    if static_len is not None and static_len <= n_fft // 2:
        raise ValueError(
            f"signal of {static_len} samples is too short for n_fft={n_fft} "
            f"(needs more than {n_fft // 2})"
        )
    shape = tf.shape(wave)
    length = shape[-1]
    flat = tf.reshape(wave, [-1, length])
    half = n_fft // 2
    padded = tf.pad(flat, [[0, 0], [half, half]], mode="REFLECT")
    frames = tf.signal.frame(padded, n_fft, hop)  # (b, 1 + length // hop, n_fft)
    count = num_frames(length, hop)
    frames = frames[:, :count]
    spec = tf.signal.rfft(frames * hann_window(n_fft), fft_length=[n_fft])
    out = tf.reshape(spec, tf.concat([shape[:-1], [count, n_fft // 2 + 1]], axis=0))
    static_count = None
    if static_len is not None and isinstance(hop, int):
        static_count = num_frames(static_len, hop)
    out.set_shape(wave.shape[:-1].concatenate([static_count, n_fft // 2 + 1]))
    return out


def window_envelope(n_fft: int, hop, frames) -> tf.Tensor:
    """Sum of the squared windows of `frames` frames overlap-added at `hop`, float32
    ``((frames - 1) * hop + n_fft,)``, with near-zero values (< 1e-6) replaced by 1 so it
    can divide."""
    window = hann_window(n_fft)
    envelope = tf.signal.overlap_and_add(
        tf.tile(tf.square(window)[tf.newaxis], [frames, 1]), hop)
    return tf.where(envelope > 1e-6, envelope, tf.ones_like(envelope))


def centred_istft(spec: tf.Tensor, n_fft: int, hop, length) -> tf.Tensor:
    """Inverse of `centred_stft`: windowed overlap-add, then crop the centring pad.

    Normalises by the exact squared-window envelope (as librosa's istft does) instead of the
    steady-state one of `tf.signal.inverse_stft_window_fn`: the two agree wherever
    ``n_fft / hop`` frames overlap, but only the exact envelope is right on the first and last
    ``n_fft / 2`` samples of a bar, which the centred framing covers with fewer frames.

    Args:
        spec: complex64 `(batch, frames, n_fft // 2 + 1)`.
        n_fft: frame length (Python int).
        hop: frame step, Python int or scalar int32 tensor.
        length: output samples (int or scalar tensor); cropped or zero-padded to it.

    Returns:
        float32 `(batch, length)`.
    """
    ola = tf.signal.inverse_stft(spec, n_fft, hop, fft_length=n_fft,
                                 window_fn=lambda n, dtype: hann_window(n))
    signal = ola / window_envelope(n_fft, hop, tf.shape(spec)[-2])
    half = n_fft // 2
    signal = signal[..., half:]
    have = tf.shape(signal)[-1]
    length = tf.convert_to_tensor(length, dtype=tf.int32)
    signal = tf.pad(signal, [[0, 0], [0, tf.maximum(0, length - have)]])
    return signal[:, :length]
