"""Metrics: identities, orderings and tempo invariance on small generated loops."""

from __future__ import annotations

import numpy as np
import pytest

from drumaae.evaluation import metrics

SR = 8000


def _mag(wave, n_fft=512, hop=128):
    import librosa

    return np.abs(librosa.stft(wave, n_fft=n_fft, hop_length=hop)).T


def test_lsd_and_sc_zero_for_identical_and_grow_with_noise(make_loop):
    x = make_loop(SR, 120.0)
    rng = np.random.default_rng(0)
    ref = _mag(x)
    assert metrics.log_spectral_distance(ref, ref) == 0.0
    assert metrics.spectral_convergence(ref, ref) == pytest.approx(0.0, abs=1e-6)
    small = _mag(x + 0.01 * rng.standard_normal(x.size).astype(np.float32))
    large = _mag(x + 0.1 * rng.standard_normal(x.size).astype(np.float32))
    assert 0 < metrics.log_spectral_distance(ref, small) < metrics.log_spectral_distance(ref, large)
    assert 0 < metrics.spectral_convergence(ref, small) < metrics.spectral_convergence(ref, large)
    with pytest.raises(ValueError):
        metrics.log_spectral_distance(ref, ref[:-1])


def test_lsd_floor_bounds_silence():
    ref = np.ones((4, 8))
    est = np.zeros((4, 8))
    assert metrics.log_spectral_distance(ref, est, floor_db=-60.0) == pytest.approx(60.0)


def test_smoothed_lsd_keeps_envelope_errors_and_drops_fine_structure():
    rng = np.random.default_rng(0)
    envelope = np.tile(np.linspace(1.0, 0.01, 64), (32, 1))
    noisy = envelope * rng.rayleigh(size=envelope.shape)      # same envelope, random bins
    win = metrics.ENVELOPE_SMOOTHING
    per_bin = metrics.log_spectral_distance(noisy, envelope)
    smoothed = metrics.log_spectral_distance(noisy, envelope, smooth=win)
    assert per_bin > 4.0 and smoothed < 0.5 * per_bin
    # A wrong envelope (6 dB too loud) stays wrong after smoothing.
    loud = metrics.log_spectral_distance(noisy, 2.0 * envelope, smooth=win)
    assert loud > smoothed + 3.0
    assert metrics.log_spectral_distance(envelope, envelope, smooth=win) == 0.0


def test_onset_f_is_bar_relative(make_loop):
    rock_120 = make_loop(SR, 120.0, pattern="rock")
    rock_90 = make_loop(SR, 90.0, pattern="rock")
    funk_120 = make_loop(SR, 120.0, pattern="funk")
    assert metrics.onset_f_measure(rock_120, rock_120, SR) == 1.0
    # Same pattern at another tempo: same positions in the bar.
    assert metrics.onset_f_measure(rock_120, rock_90, SR) > 0.8
    assert metrics.onset_f_measure(rock_120, funk_120, SR) < \
        metrics.onset_f_measure(rock_120, rock_90, SR)
    silence = np.zeros_like(rock_120)
    assert metrics.onset_f_measure(silence, silence, SR) == 1.0
    assert metrics.onset_f_measure(rock_120, silence, SR) == 0.0
    pos = metrics.bar_onsets(rock_90, SR)
    assert pos.size and np.all((pos >= 0) & (pos < 1))


def test_envelope_similarity_and_trend(make_loop):
    a = make_loop(SR, 120.0, pattern="rock")
    b = make_loop(SR, 100.0, pattern="funk")
    ea = metrics.onset_envelope(a, SR)
    eb = metrics.onset_envelope(b, SR)
    assert ea.shape == eb.shape == (metrics.DEFAULT_ENVELOPE_POINTS,)
    assert metrics.envelope_similarity(ea, ea) == pytest.approx(1.0)
    assert metrics.envelope_similarity(ea, eb) < 1.0
    alphas = [0, 0.25, 0.5, 0.75, 1]
    up = metrics.trend(alphas, [1, .8, .6, .4, .2], [.2, .4, .6, .8, 1])
    assert up["rho"] == pytest.approx(1.0) and up["monotonic"]
    down = metrics.trend(alphas, [.2, .4, .6, .8, 1], [1, .8, .6, .4, .2])
    assert down["rho"] == pytest.approx(-1.0) and not down["monotonic"]
    flat = metrics.trend(alphas, [1] * 5, [1] * 5)
    assert flat["rho"] == 0.0 and not flat["monotonic"]  # a decoder ignoring z
    nearly_flat = metrics.trend(alphas, [.8, .8, .8, .8, .805], [.9, .9, .9, .9, .9])
    assert not nearly_flat["monotonic"]


def test_mix_share_tells_a_mix_from_a_new_pattern():
    from drumaae.evaluation.metrics import mix_share

    rng = np.random.default_rng(0)
    a = rng.random((32, 20))
    b = rng.random((32, 20))
    assert mix_share(0.3 * a + 0.7 * b, a, b) > 0.999
    assert mix_share(0.5 * a, a, b) > 0.999
    c = np.zeros((32, 20))
    c[::4] = 1.0   # energy where neither endpoint has a pattern of its own
    assert mix_share(c, a, b) < 0.9


def test_envelope_correlation_of_same_and_shifted_rhythm():
    from drumaae.evaluation.metrics import envelope_correlation

    sr = 8000
    n = 2 * sr
    def clicks(positions):
        x = np.zeros(n, np.float32)
        for p in positions:
            i = int(p * n)
            x[i: i + 200] = np.exp(-np.arange(200) / 30.0)
        return x
    a = clicks([0, 0.25, 0.5, 0.75])
    b = clicks([0.125, 0.375, 0.625, 0.875])
    assert envelope_correlation(a, a, sr) > 0.99
    assert envelope_correlation(a, b, sr) < 0.3


def test_mel_distance_ignores_level_and_tempo_but_not_rhythm(make_loop):
    from drumaae.evaluation.metrics import MEL_FLOOR_DB, log_mel, mel_distance

    sr = 22050
    bar = make_loop(sr, 120.0, 1, seed=0)
    assert mel_distance(bar, bar, sr) == 0.0
    # each bar is referenced to its own peak: 12 dB quieter costs nothing
    assert mel_distance(bar, 0.25 * bar, sr) < 1e-6
    # the same pattern at another tempo compares by bar position
    slower = make_loop(sr, 100.0, 1, seed=0)
    other = make_loop(sr, 120.0, 1, seed=5, pattern="funk")
    assert mel_distance(bar, slower, sr) < mel_distance(bar, other, sr)
    silent = log_mel(np.zeros(sr, np.float32), sr)
    assert silent.shape[1] == 64 and np.all(silent == -MEL_FLOOR_DB)
