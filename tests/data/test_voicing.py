"""Re-voicing a kit (drumaae.data.voicing): drawn from a seed, and each setting does to a
sample what it says: the tuning moves pitch and length together, the decay shortens, the
shelves tilt the spectrum."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drumaae.data.voicing import DECAY_CHANCE, draw_voicing, voice_sample

pytest.importorskip("pedalboard")

SR = 16000
ROLES = ["kick", "snare", "hat_closed", "clap"]
FLAT = {"pitch_st": 0.0, "decay_s": None, "low_db": 0.0, "high_db": 0.0}


def _tone(freq: float = 200.0, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec)) * SR / len(x)


def test_draw_voicing_is_seeded_json_data_in_range():
    drawn = [draw_voicing(np.random.default_rng(s), ROLES) for s in range(300)]
    assert drawn == [draw_voicing(np.random.default_rng(s), reversed(ROLES))
                     for s in range(300)]  # the roles' order does not matter
    assert json.loads(json.dumps(drawn)) == drawn
    settings = [v for d in drawn for v in d.values()]
    assert all(set(d) == set(ROLES) for d in drawn)
    assert all(-4 <= s["pitch_st"] <= 4 and -6 <= s["low_db"] <= 6 and -6 <= s["high_db"] <= 6
               for s in settings)
    decays = [s["decay_s"] for s in settings if s["decay_s"] is not None]
    assert len(decays) / len(settings) == pytest.approx(DECAY_CHANCE, abs=0.05)
    assert 0.04 <= min(decays) and max(decays) <= 0.4
    assert len({s["pitch_st"] for s in settings}) > 100  # drawn, not a few fixed values


def test_flat_settings_keep_the_sample():
    x = _tone()
    assert np.array_equal(voice_sample(x, SR, FLAT), x)


@pytest.mark.parametrize("semitones", [12.0, -12.0, 3.0])
def test_tuning_moves_pitch_and_length_together(semitones):
    x = _tone(400.0)
    y = voice_sample(x, SR, {**FLAT, "pitch_st": semitones})
    ratio = 2.0 ** (semitones / 12.0)
    assert len(y) == pytest.approx(len(x) / ratio, abs=1)
    assert _peak_hz(y) == pytest.approx(400.0 * ratio, rel=0.03)


def test_decay_shortens_a_ringing_sample():
    x = _tone(300.0, seconds=1.0)
    y = voice_sample(x, SR, {**FLAT, "decay_s": 0.05})
    # cut where it fell below -80 dB: hold + 0.05 s * ln(1e4) = 0.466 s
    assert len(y) == int(np.ceil((0.005 + 0.05 * np.log(1e4)) * SR))
    early = np.sqrt(np.mean(y[:int(0.02 * SR)] ** 2))
    late = np.sqrt(np.mean(y[int(0.2 * SR):int(0.25 * SR)] ** 2))
    assert 20 * np.log10(early / late) > 25  # ~ 0.2 s / 0.05 s * 8.7 dB = 30 dB down


@pytest.mark.parametrize("low_db,high_db", [(6.0, -6.0), (-6.0, 6.0)])
def test_shelves_tilt_the_spectrum(low_db, high_db):
    rng = np.random.default_rng(0)
    x = (0.2 * rng.standard_normal(SR)).astype(np.float32)
    y = voice_sample(x, SR, {**FLAT, "low_db": low_db, "high_db": high_db})
    assert len(y) == len(x)
    fx, fy = np.abs(np.fft.rfft(x)) ** 2, np.abs(np.fft.rfft(y)) ** 2
    hz = np.fft.rfftfreq(len(x), 1.0 / SR)

    def gain(lo, hi):
        band = (hz >= lo) & (hz < hi)
        return 10 * np.log10(fy[band].sum() / fx[band].sum())

    assert gain(20, 80) == pytest.approx(low_db, abs=1.5)
    assert gain(7000, 7900) == pytest.approx(high_db, abs=1.5)
    assert abs(gain(900, 1100)) < 1.0
