"""drumaae.audio.loudness: BS.1770 loudness, true peak, limiting and loudness matching."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drumaae.audio.loudness import (LIMITER_NOTE_DB, MAX_GAIN_DB, TRUE_PEAK_CEILING_DB,
                                    integrated_loudness, limit_true_peak, limiter_note,
                                    match_loudness, target_loudness, true_peak_db)

SR = 22050


def _sine(db_fs: float, seconds: float = 2.0, freq: float = 997.0, sr: int = SR):
    t = np.arange(int(seconds * sr)) / sr
    return (10 ** (db_fs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_loudness_of_a_full_scale_sine_is_about_minus_3_lufs():
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LUFS.
    assert integrated_loudness(_sine(0.0, sr=48000), 48000) == pytest.approx(-3.01, abs=0.05)
    # 10 dB quieter is 10 LU quieter, at the model's rates too.
    for sr in (8000, SR):
        loud, quiet = (integrated_loudness(_sine(d, sr=sr), sr) for d in (-6.0, -16.0))
        assert loud - quiet == pytest.approx(10.0, abs=0.05)


def test_silence_and_short_bars():
    assert integrated_loudness(np.zeros(SR, np.float32), SR) == -math.inf
    assert true_peak_db(np.zeros(100, np.float32)) == -math.inf
    short = _sine(-20.0, seconds=0.25)  # shorter than a 0.4 s gating block
    assert math.isfinite(integrated_loudness(short, SR))


def test_true_peak_sees_peaks_between_samples():
    # A sine at fs/4 sampled 45 degrees off its peaks: sample peak 0.707, true peak 1.0.
    n = np.arange(4000)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4).astype(np.float32)
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_db(x) == pytest.approx(0.0, abs=0.3)  # BS.1770-4 allows a few tenths


def test_limiter_keeps_peaks_under_the_ceiling_and_leaves_the_rest_alone(make_loop):
    x = make_loop(SR, 120.0, 1, seed=3) * 3.0  # drum hits far over full scale
    assert true_peak_db(x) > 6.0
    y, reduction = limit_true_peak(x, SR)
    assert y.shape == x.shape and y.dtype == np.float32
    assert true_peak_db(y) <= TRUE_PEAK_CEILING_DB + 1e-6
    assert reduction > 6.0
    # The gain dips only around peaks: most samples keep their value.
    same = np.isclose(y, x, rtol=1e-4, atol=1e-7) | (np.abs(x) < 1e-6)
    assert same.mean() > 0.5
    quiet = _sine(-20.0)
    out, reduction = limit_true_peak(quiet, SR)
    assert reduction == 0.0 and np.array_equal(out, quiet)


@pytest.mark.parametrize("change", [-10.0, 6.0, 28.0])
def test_match_loudness_reaches_the_target_without_clipping(make_loop, change):
    x = make_loop(SR, 127.0, 1, seed=1) * 0.05  # peaks at -28 dBFS
    before = integrated_loudness(x, SR)
    target = before + change
    lev = match_loudness(x, SR, target)
    assert lev.lufs_before == pytest.approx(before)
    assert lev.true_peak_db <= TRUE_PEAK_CEILING_DB + 1e-6 and np.abs(lev.wave).max() < 1.0
    if change <= 6.0:  # the peaks stay under the ceiling: exactly the target
        assert lev.limited_db == 0.0 and lev.lufs == pytest.approx(target, abs=0.05)
    else:  # +28 dB would put the hits over full scale: the limiter takes them
        assert lev.limited_db > 0.0 and before + 10.0 < lev.lufs <= target + 0.05
    assert lev.summary()["lufs_target"] == round(target, 2)


def test_match_loudness_without_a_target_only_limits(make_loop):
    x = make_loop(SR, 127.0, 1, seed=2) * 2.0
    lev = match_loudness(x, SR, None)
    assert lev.gain_db == 0.0 and lev.true_peak_db <= TRUE_PEAK_CEILING_DB + 1e-6
    near_silent = _sine(-60.0)  # about -63 LUFS: +49 dB would be needed
    lev = match_loudness(near_silent, SR, -14.0)
    assert lev.gain_db == MAX_GAIN_DB  # not raised into the noise floor


def test_step_targets_interpolate_from_source_to_target():
    assert target_loudness(-20.0, -10.0, 0.0) == -20.0
    assert target_loudness(-20.0, -10.0, 1.0) == -10.0
    assert target_loudness(-20.0, -10.0, 0.25) == pytest.approx(-17.5)
    assert target_loudness(-math.inf, -10.0, 0.5) == -10.0


def test_loudness_is_measured_over_the_channels_as_heard():
    x = _sine(-20.0)
    mono = integrated_loudness(x, SR)
    # the same signal in two channels is 3 dB louder (BS.1770 sums the channels' powers)
    both = integrated_loudness(np.stack([x, x], axis=1), SR)
    assert both - mono == pytest.approx(3.01, abs=0.05)
    # inverted phase: a mono downmix cancels, the listener hears both channels
    assert integrated_loudness(np.stack([x, -x], axis=1), SR) == pytest.approx(both, abs=0.01)
    assert true_peak_db(np.stack([x, 2 * x], axis=1)) == pytest.approx(true_peak_db(2 * x))


def test_limiter_note_names_the_outputs_cut_by_more_than_a_db():
    loud = match_loudness(_sine(-3.0), SR, -3.0)  # a sine at -3 dBFS needs ~2 dB off
    quiet = match_loudness(_sine(-20.0), SR, -23.0)
    assert loud.limited_db > LIMITER_NOTE_DB and quiet.limited_db == 0.0
    summaries = [quiet.summary(), loud.summary()]
    assert summaries[1]["short_of_target_db"] == pytest.approx(-3.0 - loud.lufs, abs=0.01)
    note = limiter_note(summaries, ["a.wav", "b.wav"])
    assert "b.wav" in note and "a.wav" not in note
    assert f"{loud.limited_db:.1f} dB" in note and "under the loudness target" in note
    assert limiter_note([quiet.summary()], ["a.wav"]) is None
