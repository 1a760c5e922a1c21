"""Griffin-Lim phase reconstruction in pure TensorFlow (batched, graph- and SavedModel-safe).

TensorFlow-specific on purpose: it runs inside `tf.function`, `tf.data` and exported graphs,
using only `tf.signal` and core ops.

Framing convention (shared with `drumaae.audio.features.stft_magnitude`): frames are
*centred*, frame ``k`` is centred on sample ``k * hop``; the signal is reflect-padded by
``n_fft // 2`` samples on both sides before framing and a signal of ``samples`` samples has
``ceil(samples / hop)`` frames. Arrays are ``(batch, frames, bins)`` with
``bins = n_fft // 2 + 1``, i.e. `tf.signal` order, the transpose of librosa's.

References:
    Griffin and Lim, "Signal estimation from modified short-time Fourier transform", IEEE
    TASSP 1984. Perraudin, Balazs and Sondergaard, "A fast Griffin-Lim algorithm", WASPAA 2013
    (the momentum term; librosa's default 0.99).
"""

from __future__ import annotations

import tensorflow as tf

__all__ = [
    "griffin_lim",
    "spectral_convergence",
    "centred_stft",
    "centred_istft",
    "num_frames",
]

_EPS = 1e-8


def num_frames(samples, hop):
    """Centred frames of a signal of `samples` samples at `hop`: ``ceil(samples / hop)``."""
    return (samples + hop - 1) // hop


def _hann(n_fft: int) -> tf.Tensor:
    # Periodic Hann, as scipy.signal.get_window("hann", n_fft) used by librosa.
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
    spec = tf.signal.rfft(frames * _hann(n_fft), fft_length=[n_fft])
    out = tf.reshape(spec, tf.concat([shape[:-1], [count, n_fft // 2 + 1]], axis=0))
    static_count = None
    if static_len is not None and isinstance(hop, int):
        static_count = num_frames(static_len, hop)
    out.set_shape(wave.shape[:-1].concatenate([static_count, n_fft // 2 + 1]))
    return out


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
    window = _hann(n_fft)
    ola = tf.signal.inverse_stft(spec, n_fft, hop, fft_length=n_fft,
                                 window_fn=lambda n, dtype: _hann(n))
    frames = tf.shape(spec)[-2]
    envelope = tf.signal.overlap_and_add(
        tf.tile(tf.square(window)[tf.newaxis], [frames, 1]), hop)
    envelope = tf.where(envelope > 1e-6, envelope, tf.ones_like(envelope))
    signal = ola / envelope
    half = n_fft // 2
    signal = signal[..., half:]
    have = tf.shape(signal)[-1]
    length = tf.convert_to_tensor(length, dtype=tf.int32)
    signal = tf.pad(signal, [[0, 0], [0, tf.maximum(0, length - have)]])
    return signal[:, :length]


def griffin_lim(magnitude: tf.Tensor, n_fft: int, hop, *, iters=64, momentum=0.99,
                length=None, seed: int = 0, centred: bool = True) -> tf.Tensor:
    """Fast Griffin-Lim (with momentum) of a batch of magnitude spectrograms.

    Follows librosa.griffinlim: ``angles <- phase(rebuilt - momentum / (1 + momentum) *
    previous_rebuilt)``, starting from uniformly random phases drawn from a stateless RNG
    seeded with `seed`, so the result is deterministic. Iterations run in a `tf.while_loop`
    (no unrolling); the function works eagerly, inside `tf.function` and in a SavedModel.

    Args:
        magnitude: `(batch, frames, n_fft // 2 + 1)` non-negative magnitudes (unnormalised
            STFT scale, as `stft_magnitude` returns), or `(frames, bins)` for one.
        n_fft: FFT size (Python int).
        hop: hop in samples (Python int or scalar int32 tensor).
        iters: iterations (int or scalar tensor); 0 returns the random-phase inversion.
        momentum: fast Griffin-Lim momentum in [0, 1); 0 is the original algorithm.
        length: output samples; default ``frames * hop``.
        seed: seed of the initial phases.
        centred: must be True (the only framing drumaae uses; kept explicit for readers
            coming from tf.signal, whose STFT does not centre).

    Returns:
        float32 `(batch, length)` waveforms (or `(length,)` for an unbatched input).
    """
    if not centred:
        raise ValueError("griffin_lim supports only centred framing (centred=True)")
    magnitude = tf.convert_to_tensor(magnitude)
    if magnitude.dtype != tf.float32:
        magnitude = tf.cast(magnitude, tf.float32)
    unbatched = magnitude.shape.rank == 2
    if unbatched:
        magnitude = magnitude[tf.newaxis]
    if magnitude.shape[-1] is not None and magnitude.shape[-1] != n_fft // 2 + 1:
        raise ValueError(
            f"magnitude has {magnitude.shape[-1]} bins; n_fft={n_fft} needs {n_fft // 2 + 1}")
    frames = tf.shape(magnitude)[-2]
    hop_t = tf.convert_to_tensor(hop, dtype=tf.int32)
    inner_len = frames * hop_t  # re-analysis of this many samples gives exactly `frames`
    mag_c = tf.complex(magnitude, tf.zeros_like(magnitude))
    uniform = tf.random.stateless_uniform(tf.shape(magnitude), seed=[seed, 0x6C])
    phase = 2.0 * 3.141592653589793 * uniform
    angles = tf.complex(tf.cos(phase), tf.sin(phase))
    m = tf.cast(momentum, tf.float32)
    factor = tf.complex(m / (1.0 + m), 0.0)
    iters_t = tf.convert_to_tensor(iters, dtype=tf.int32)

    def body(i, angles, previous):
        inverse = centred_istft(mag_c * angles, n_fft, hop, inner_len)
        rebuilt = tf.reshape(centred_stft(inverse, n_fft, hop), tf.shape(mag_c))
        rebuilt.set_shape(mag_c.shape)
        update = rebuilt - factor * previous
        norm = tf.cast(tf.abs(update), tf.complex64) + _EPS
        return i + 1, update / norm, rebuilt

    _, angles, _ = tf.while_loop(
        lambda i, *_: i < iters_t, body,
        (tf.constant(0), angles, tf.zeros_like(angles)),
        shape_invariants=(tf.TensorShape([]), angles.shape, angles.shape),
    )
    out_len = inner_len if length is None else length
    out = centred_istft(mag_c * angles, n_fft, hop, out_len)
    if isinstance(out_len, int):
        out.set_shape([magnitude.shape[0], out_len])
    return out[0] if unbatched else out


def spectral_convergence(ref_mag, est_mag) -> tf.Tensor:
    """``|| |X| - |Y| ||_F / || |X| ||_F`` over all axes (0 is perfect; lower is better).

    Args:
        ref_mag: reference magnitudes, any shape.
        est_mag: estimated magnitudes, same shape.

    Returns:
        A float32 scalar.
    """
    ref = tf.cast(ref_mag, tf.float32)
    est = tf.cast(est_mag, tf.float32)
    return tf.norm(tf.reshape(ref - est, [-1])) / (tf.norm(tf.reshape(ref, [-1])) + _EPS)
