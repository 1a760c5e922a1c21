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

import numpy as np
import tensorflow as tf

from drumaae.audio.stft import centred_stft

__all__ = ["onset_strength"]

N_FFT = 2048
N_MELS = 128
TOP_DB = 80.0


def onset_strength(samples: np.ndarray, sample_rate: int, hop: int) -> np.ndarray:
    """Onset strength of mono samples, one value per centred frame of `hop` samples.

    Args:
        samples: float32 `(samples,)`, more than 1024 samples.
        sample_rate: in Hz.
        hop: frame step in samples.

    Returns:
        float32 `(ceil(samples / hop),)`, >= 0, not normalised.
    """
    x = tf.convert_to_tensor(np.asarray(samples, np.float32)[np.newaxis])
    power = tf.square(tf.abs(centred_stft(x, N_FFT, hop)))[0]  # (frames, bins)
    mel = tf.signal.linear_to_mel_weight_matrix(N_MELS, N_FFT // 2 + 1, sample_rate, 0.0,
                                                sample_rate / 2.0)
    db = 10.0 * np.log10(np.maximum(tf.matmul(power, mel).numpy(), 1e-10))
    db = np.maximum(db, db.max() - TOP_DB)
    flux = np.maximum(0.0, db[1:] - db[:-1]).mean(axis=1)
    shift = 1 + N_FFT // (2 * hop)
    env = np.concatenate([np.zeros(shift, np.float32), flux.astype(np.float32)])
    return env[: db.shape[0]]
