"""Griffin-Lim phase reconstruction in pure TensorFlow (batched, graph- and SavedModel-safe).

TensorFlow-specific on purpose: it runs inside `tf.function`, `tf.data` and exported graphs,
using only `tf.signal` and core ops.

Framing convention: that of `drumaae.audio.stft` (centred frames, reflect padding, Hann
window, ``(batch, frames, bins)`` arrays).

Speed: each iteration is one inverse FFT, one overlap-add, the re-analysis framing and one
forward FFT; the window, its squared-sum envelope and the framing indices are computed once
before the loop, so a traced graph holds few ops (fast to trace) and the loop runs few
kernels (`drumaae bench` times it against librosa.griffinlim). The re-analysis frames are
gathered as whole hop-long blocks (``ceil(n_fft / hop)`` contiguous rows per frame), not
sample by sample: a per-sample gather of ``frames x n_fft`` indices cost more than both FFTs
together. The phase update carries the spectrum itself, ``mag * update / |update|``, with
real-valued divisions only (a complex division is several times a complex product).

References:
    Griffin and Lim, "Signal estimation from modified short-time Fourier transform", IEEE
    TASSP 1984. Perraudin, Balazs and Sondergaard, "A fast Griffin-Lim algorithm", WASPAA 2013
    (the momentum term; librosa's default 0.99).
"""

from __future__ import annotations

import tensorflow as tf

from drumaae.audio.stft import centred_istft, hann_window, window_envelope
from drumaae.models.losses import spectral_convergence  # the one home of the measure

__all__ = ["griffin_lim", "spectral_convergence"]

_EPS = 1e-8


def _reanalysis_index(n_fft: int, hop, frames):
    """Indices `(frames, n_fft)` into an overlap-added signal that give the centred frames of
    its cropped, reflect-padded middle: what `centred_stft(centred_istft(...))` reads. Used
    once per call, for the analysis weights of each gathered sample (`_reanalysis_blocks`
    frames the signal itself, the same samples in the same order)."""
    half = n_fft // 2
    inner = frames * hop  # samples of the cropped signal (the istft's `length`)
    j = (tf.range(frames)[:, tf.newaxis] * hop + tf.range(n_fft)[tf.newaxis]) - half
    j = tf.abs(j)  # reflect at the start (edge sample not repeated, as mode="REFLECT")
    j = tf.where(j >= inner, 2 * (inner - 1) - j, j)  # and at the end
    return j + half  # the overlap-added signal still holds the centring pad


def _reanalysis_blocks(wave, n_fft: int, hop, frames, blocks, index):
    """The centred frames `(batch, frames, n_fft)` of the cropped, reflect-padded middle of an
    overlap-added `wave` `(batch, >= n_fft // 2 + frames * hop)`.

    The padded signal is cut into hop-long rows; frame ``k`` is rows ``k .. k + blocks - 1``
    laid end to end (`index` = ``k + range(blocks)``, `blocks` = ``ceil(n_fft / hop)``), of
    which the first `n_fft` samples are kept: a gather of whole rows (contiguous copies)
    instead of one index per sample."""
    half = n_fft // 2
    inner = frames * hop
    padded = tf.pad(wave[:, half:half + inner], [[0, 0], [half, half]], mode="REFLECT")
    padded = tf.pad(padded, [[0, 0], [0, blocks * hop - n_fft]])  # (frames + blocks) rows
    rows = tf.reshape(padded, [tf.shape(wave)[0], frames + blocks, hop])
    framed = tf.gather(rows, index, axis=1)  # (batch, frames, blocks, hop)
    return tf.reshape(framed, [tf.shape(wave)[0], frames, blocks * hop])[:, :, :n_fft]


def griffin_lim(magnitude: tf.Tensor, n_fft: int, hop, *, iters=64, momentum=0.99,
                length=None, seed: int = 0, centred: bool = True,
                init_phase=None) -> tf.Tensor:
    """Fast Griffin-Lim (with momentum) of a batch of magnitude spectrograms.

    Follows librosa.griffinlim: ``angles <- phase(rebuilt - momentum / (1 + momentum) *
    previous_rebuilt)``, starting from uniformly random phases drawn from a stateless RNG
    seeded with `seed`, or from `init_phase` where given (librosa's ``init=None``), so the
    result is deterministic. Iterations run in a `tf.while_loop` (no unrolling); the function
    works eagerly, inside `tf.function` and in a SavedModel.

    Args:
        magnitude: `(batch, frames, n_fft // 2 + 1)` non-negative magnitudes (unnormalised
            STFT scale, as `stft_magnitude` returns), or `(frames, bins)` for one.
        n_fft: FFT size (Python int).
        hop: hop in samples (Python int or scalar int32 tensor).
        iters: iterations (int or scalar tensor); 0 returns the random-phase inversion.
        momentum: fast Griffin-Lim momentum in [0, 1); 0 is the original algorithm.
        length: output samples; default ``frames * hop``.
        seed: seed of the initial phases.
        init_phase: None, or float32 phases in radians of the same shape as `magnitude`
            (e.g. the angle of an input bar's STFT on the same frame grid) to start from
            instead of random ones; a row of NaN starts that row from the random phases.
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
    if init_phase is not None:
        given = tf.cast(tf.convert_to_tensor(init_phase), tf.float32)
        if unbatched and given.shape.rank == 2:
            given = given[tf.newaxis]
        phase = tf.where(tf.math.is_nan(given), phase, given)
    angles = tf.complex(tf.cos(phase), tf.sin(phase))
    m = tf.cast(momentum, tf.float32)
    factor = tf.complex(m / (1.0 + m), 0.0)
    iters_t = tf.convert_to_tensor(iters, dtype=tf.int32)

    # Loop constants. The overlap-added signal is ((frames - 1) * hop + n_fft) samples; the
    # re-analysis reads up to n_fft // 2 + inner_len of it, so it is zero-padded when the
    # hop exceeds n_fft / 2.
    window = hann_window(n_fft)
    envelope = window_envelope(n_fft, hop_t, frames)
    ola_len = tf.shape(envelope)[0]
    extra = tf.maximum(0, n_fft // 2 + inner_len - ola_len)
    envelope = tf.pad(envelope, [[0, extra]], constant_values=1.0)
    # Analysis window over the synthesis envelope at each re-analysed sample.
    reweight = window[tf.newaxis] / tf.gather(envelope, _reanalysis_index(n_fft, hop_t, frames))
    blocks = (n_fft + hop_t - 1) // hop_t
    rows = tf.range(frames)[:, tf.newaxis] + tf.range(blocks)[tf.newaxis]  # (frames, blocks)

    def body(i, spec, previous):
        wave = tf.signal.overlap_and_add(
            tf.signal.irfft(spec, fft_length=[n_fft]) * window, hop_t)
        wave = tf.pad(wave, [[0, 0], [0, extra]])
        framed = _reanalysis_blocks(wave, n_fft, hop_t, frames, blocks, rows)
        rebuilt = tf.signal.rfft(framed * reweight, fft_length=[n_fft])
        rebuilt.set_shape(mag_c.shape)
        update = rebuilt - factor * previous
        # mag * update / (|update| + eps): the next spectrum, real divisions only
        scale = magnitude / (tf.abs(update) + _EPS)
        return i + 1, update * tf.cast(scale, tf.complex64), rebuilt

    _, spec, _ = tf.while_loop(
        lambda i, *_: i < iters_t, body,
        (tf.constant(0), mag_c * angles, tf.zeros_like(angles)),
        shape_invariants=(tf.TensorShape([]), angles.shape, angles.shape),
    )
    out_len = inner_len if length is None else length
    out = centred_istft(spec, n_fft, hop, out_len)
    if isinstance(out_len, int):
        out.set_shape([magnitude.shape[0], out_len])
    return out[0] if unbatched else out
