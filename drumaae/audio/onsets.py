"""Onset strength envelope (spectral flux of a log-mel spectrogram) in `tf.signal`.

The same definition as librosa's default `librosa.onset.onset_strength` (128 mel bands of a
2048-sample Hann STFT, power in dB clipped 80 dB below the peak, first difference over time,
half-wave rectified, mean over bands, shifted by ``1 + n_fft // (2 * hop)`` frames so a peak
sits on its onset), computed with the STFT drumaae already uses (`drumaae.audio.stft`). Why
not librosa's: importing `librosa.onset` loads scipy.signal and numba-compiles librosa's
ufuncs, about half the cost of importing TensorFlow, which every command pays anyway
(measured in `drumaae bench`, "cold interpolate" rows). Mel bands are HTK-style
(`tf.signal.linear_to_mel_weight_matrix`) where librosa uses Slaney's; bar cutting only needs
where the onsets are (tests/audio/test_onsets.py compares the two envelopes).
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from drumaae.audio.stft import num_frames

__all__ = ["onset_strength"]

N_FFT = 2048
N_MELS = 128
TOP_DB = 80.0
#: Frames analysed at once: memory stays bounded by this, not by the recording's length
#: (a 10-minute file's whole STFT would hold about 0.8 GB of complex values).
CHUNK_FRAMES = 4096


@functools.lru_cache(maxsize=8)
def _mel_matrix(sample_rate: int) -> tf.Tensor:
    """The mel filter bank, built once per rate: building it eagerly was most of an
    envelope's time (indexing a corpus reads one envelope per file; docs/benchmarks.md,
    "Cold start, tempo, Griffin-Lim")."""
    return tf.signal.linear_to_mel_weight_matrix(N_MELS, N_FFT // 2 + 1, sample_rate, 0.0,
                                                 sample_rate / 2.0)


def onset_strength(samples: np.ndarray, sample_rate: int, hop: int) -> np.ndarray:
    """Onset strength of mono samples, one value per centred frame of `hop` samples.

    Args:
        samples: float32 `(samples,)`, more than 1024 samples.
        sample_rate: in Hz.
        hop: frame step in samples.

    Returns:
        float32 `(ceil(samples / hop),)`, >= 0, not normalised.
    """
    x = np.asarray(samples, np.float32)
    frames = num_frames(x.size, hop)
    # Centred frames (as drumaae.audio.stft): reflect-pad once, then frame chunk by chunk.
    padded = np.pad(x, N_FFT // 2, mode="reflect")
    mel = _mel_matrix(int(sample_rate))
    power = np.empty((frames, N_MELS), np.float32)
    for k0 in range(0, frames, CHUNK_FRAMES):
        k1 = min(frames, k0 + CHUNK_FRAMES)
        segment = padded[k0 * hop: (k1 - 1) * hop + N_FFT]
        spec = tf.signal.stft(segment, N_FFT, hop, window_fn=tf.signal.hann_window)
        power[k0:k1] = tf.matmul(tf.square(tf.abs(spec)), mel).numpy()[: k1 - k0]
    db = 10.0 * np.log10(np.maximum(power, 1e-10))
    db = np.maximum(db, db.max() - TOP_DB)
    flux = np.maximum(0.0, db[1:] - db[:-1]).mean(axis=1)
    shift = 1 + N_FFT // (2 * hop)
    env = np.concatenate([np.zeros(shift, np.float32), flux.astype(np.float32)])
    return env[: db.shape[0]]
