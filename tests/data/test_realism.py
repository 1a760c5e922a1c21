"""Recording realism stages (drumaae.data.realism): determinism, levels, decay, bleed."""

import json

import numpy as np
import pytest

from drumaae.data import realism
from drumaae.errors import DataError

SR = 22050
N_FFT, HOP = 1024, 256


def _clicks(n: int = 16384, every: int = 4096) -> np.ndarray:
    """Unit impulses, each at the centre of an STFT frame (frames start at multiples of HOP)."""
    x = np.zeros(n, np.float32)
    x[N_FFT // 2::every] = 1.0
    return x


def _hits(n: int = 11025) -> np.ndarray:
    """Two short decaying noise hits."""
    x = np.zeros(n, np.float32)
    burst = np.random.default_rng(0).standard_normal(400) * np.exp(-np.arange(400) / 80)
    x[500:900] = burst
    x[6000:6400] = 0.5 * burst
    return x


def _stft_db(x: np.ndarray) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    mag = np.abs(np.fft.rfft(frames * np.hanning(N_FFT), axis=1))
    return 20 * np.log10(np.maximum(mag, 1e-12))


def _noise(level_db: float, color: str = "white", seed: int = 5) -> dict:
    return {"stage": "noise_floor", "seed": seed, "hiss": {"color": color, "level_db": level_db}}


def _room(rt60: float, wet: float = 0.5) -> dict:
    return {"stage": "room", "rt60_s": rt60, "room_m": [6.0, 5.0, 3.0],
            "source_m": [2.0, 2.0, 1.2], "mic_m": [3.5, 2.5, 1.4], "wet": wet, "seed": 3}


def test_drawn_stages_run_deterministically_and_keep_length_dtype_peak():
    rng = np.random.default_rng(11)
    x = _hits()
    seen = set()
    for _ in range(12):
        stages = realism.draw_realism(rng)
        assert stages and [s["stage"] for s in stages] == [
            n for n in realism.REALISM_STAGES if n in {s["stage"] for s in stages}]
        seen |= {s["stage"] for s in stages}
        y1 = realism.apply_realism(x, SR, stages)
        y2 = realism.apply_realism(x, SR, stages)
        assert y1.dtype == np.float32 and y1.shape == x.shape
        np.testing.assert_array_equal(y1, y2)
        assert 20 * np.log10(np.max(np.abs(y1))) == pytest.approx(-1.0, abs=1e-3)
    assert seen == set(realism.REALISM_STAGES)


def test_json_round_trip_gives_the_same_audio():
    rng = np.random.default_rng(3)
    stages = [realism._draw_room(rng), realism._draw_tape(rng), realism._draw_noise_floor(rng)]
    loaded = json.loads(json.dumps(stages))
    assert loaded == stages
    x = _hits()
    np.testing.assert_array_equal(realism.apply_realism(x, SR, stages),
                                  realism.apply_realism(x, SR, loaded))
    spec = realism.draw_bleed(rng)
    assert json.loads(json.dumps(spec)) == spec


def test_unknown_stage_is_a_data_error():
    with pytest.raises(DataError, match="unknown realism stage"):
        realism.apply_realism(_hits(), SR, [{"stage": "vinyl"}])
    with pytest.raises(DataError, match="color"):
        realism.apply_realism(_hits(), SR, [_noise(-60, color="purple")])


@pytest.mark.parametrize("level_db", [-50.0, -75.0])
def test_noise_floor_lifts_the_quietest_cells_to_the_drawn_level(level_db):
    x = _clicks()
    dry = _stft_db(x)
    assert np.percentile(dry - dry.max(), 10) < -150  # a dry render is silent between hits
    y = realism.apply_realism(x, SR, [_noise(level_db)])
    wet = _stft_db(y)
    # White hiss: every cell's power is exponentially distributed about the drawn level, so
    # the median sits 10 log10(ln 2) = -1.59 dB and the 10th percentile
    # 10 log10(-ln 0.9) = -9.77 dB from it (the clicks fill few cells).
    rel = wet - wet.max()
    starts = np.arange(len(rel)) * HOP
    clicks = np.flatnonzero(x)
    quiet = ~np.any((clicks[None, :] >= starts[:, None])
                    & (clicks[None, :] < starts[:, None] + N_FFT), axis=1)
    assert np.median(rel[quiet]) == pytest.approx(level_db - 1.59, abs=1.0)
    assert np.percentile(rel, 10) == pytest.approx(level_db - 9.77, abs=1.5)
    # in the time domain: a centred unit click's cells have magnitude 1 x its peak, white
    # noise of RMS s has mean cell power s^2 sum(w^2)
    gap = y[N_FFT:N_FFT + 2048].astype(np.float64)
    rms_db = 20 * np.log10(np.sqrt(np.mean(gap ** 2)) / np.max(np.abs(y)))
    assert rms_db == pytest.approx(level_db - 10 * np.log10(np.sum(np.hanning(N_FFT) ** 2)),
                                   abs=1.0)


def test_hum_and_rumble_sit_at_their_frequencies_and_levels():
    x = _clicks(n=SR)
    step = {"stage": "noise_floor", "seed": 1,
            "hum": {"hz": 60, "level_db": -55.0, "harmonics_db": [-6.0, -12.0, -18.0, -24.0]},
            "rumble": {"cutoff_hz": 50.0, "level_db": -60.0}}
    y = realism.apply_realism(x, SR, [step]).astype(np.float64)
    noise = y - x * (np.max(np.abs(y)) / np.max(x))
    spec = np.abs(np.fft.rfft(noise)) ** 2  # 1 Hz bins (one second)
    assert spec[60] > 30 * np.median(spec[400:2000]) and spec[120] > spec[121] * 30
    assert np.sum(spec[:310]) > 0.99 * np.sum(spec)  # hum (60-300 Hz) and rumble only
    # the hum's bin (60 Hz is bin 2.8 of a 1024-point STFT: bin 3) sits at its level
    cells = _stft_db(y)
    hum_db = np.median(cells[:, 3]) - cells.max()  # a steady tone: every frame alike
    assert hum_db == pytest.approx(-55.0, abs=1.5)


def test_room_lengthens_the_decay_and_more_for_a_longer_rt60():
    x = np.zeros(SR, np.float32)
    x[100:300] = np.random.default_rng(0).standard_normal(200) * np.hanning(200)
    late = slice(300 + int(0.05 * SR), 300 + int(0.25 * SR))  # 50-250 ms after the hit
    tails = {}
    for rt60 in (0.3, 1.2):
        y = realism.apply_realism(x, SR, [_room(rt60)]).astype(np.float64)
        tails[rt60] = 10 * np.log10(np.sum(y[late] ** 2) / np.sum(y ** 2))
    assert tails[0.3] > -40 and tails[1.2] > tails[0.3] + 3


@pytest.mark.parametrize("rt60", [0.2, 0.8, 1.5])
def test_room_impulse_response_decays_near_its_rt60(rt60):
    h = realism.room_impulse_response(_room(rt60), SR).astype(np.float64)
    assert h[0] == pytest.approx(1.0) and np.argmax(np.abs(h)) == 0
    energy = np.cumsum(h[::-1] ** 2)[::-1]  # Schroeder backward integration
    db = 10 * np.log10(energy / energy[0])
    i5, i35 = np.argmax(db < -5), np.argmax(db < -35)
    slope = np.polyfit(np.arange(i5, i35) / SR, db[i5:i35], 1)[0]
    assert -60 / slope == pytest.approx(rt60, rel=0.35)


def test_room_tail_wraps_over_the_loop_end():
    x = np.zeros(4096, np.float32)
    x[-200:] = np.hanning(200)  # a hit at the very end of the loop
    y = realism.apply_realism(x, SR, [_room(0.8)])
    assert np.sqrt(np.mean(y[:1000] ** 2)) > 1e-3  # its reverberation sounds at the start


def test_tape_saturates_and_wobbles():
    t = np.arange(SR) / SR
    x = (0.9 * np.sin(2 * np.pi * 441 * t)).astype(np.float32)
    step = {"stage": "tape", "drive_db": 12.0, "bias": 0.1, "lowpass_hz": 9000.0,
            "wow_percent": 0.0, "wow_hz": 1.0, "wow_phase": 0.0}
    spec = np.abs(np.fft.rfft(realism.apply_realism(x, SR, [step]))) ** 2
    assert spec[882] > 1e-3 * spec[441] and spec[1323] > 1e-2 * spec[441]  # 2nd, 3rd harmonics
    wobbly = dict(step, drive_db=2.0, wow_percent=0.5, wow_hz=4.0)
    y = realism.apply_realism(x, SR, [wobbly]).astype(np.float64)
    # instantaneous frequency from zero crossings: 441 Hz +- 0.5 %
    i = np.flatnonzero((y[:-1] < 0) & (y[1:] >= 0))
    crossings = i + y[i] / (y[i] - y[i + 1])  # interpolated, in samples
    freq = 10 * SR / (crossings[10:] - crossings[:-10])  # over 10 periods (23 ms)
    assert 0.35 < (freq.max() - freq.min()) / 2 / 441 * 100 < 0.55


def test_codec_keeps_time_alignment_and_refuses_rates_mp3_lacks():
    x = _hits()
    y = realism.apply_realism(x, SR, [{"stage": "codec", "vbr_quality": 5.0}])
    corr = np.correlate(y.astype(np.float64), x.astype(np.float64), mode="full")
    assert np.argmax(corr) - (len(x) - 1) == 0
    with pytest.raises(DataError, match="MP3"):
        realism.apply_realism(x, 20000, [{"stage": "codec", "vbr_quality": 5.0}])


def test_bleed_adds_delayed_quieter_copies_of_the_other_roles():
    rng = np.random.default_rng(2)
    n = 8192
    kick = np.zeros(n, np.float32)
    kick[1000] = 1.0
    stems = {"kick": kick, "snare": np.zeros(n, np.float32)}
    spec = realism.draw_bleed(rng)
    (pair,) = [p for p in realism.bleed_pairs(spec, stems) if p["source"] == "kick"]
    assert 12 <= -pair["level_db"] <= 30 and 0.5 < pair["delay_ms"] < 6.5
    mix = realism.apply_bleed(stems, SR, spec).astype(np.float64)
    extra = mix - kick
    lag = np.argmax(np.correlate(extra, kick.astype(np.float64), mode="full")) - (n - 1)
    assert lag == round(pair["delay_ms"] / 1000 * SR)
    # well below the corner the copy has the pair's gain
    gain = np.abs(np.fft.rfft(extra))[: int(n * 200 / SR)]
    assert 20 * np.log10(np.median(gain)) == pytest.approx(pair["level_db"], abs=0.5)
    # no bleed from a silent role; every role gets a slot, so any role set works
    assert realism.apply_bleed({"kick": kick}, SR, spec).tolist() == kick.tolist()
    many = {f"role{i}": kick for i in range(14)}
    assert realism.apply_bleed(many, SR, spec).shape == (n,)


def test_bleed_rejects_unequal_stems_and_bad_specs():
    with pytest.raises(DataError, match="length"):
        realism.apply_bleed({"a": np.zeros(10), "b": np.zeros(11)}, SR,
                            realism.draw_bleed(np.random.default_rng(0)))
    with pytest.raises(DataError, match="bleed spec"):
        realism.apply_bleed({"a": np.zeros(10), "b": np.zeros(10)}, SR, {"stage": "room"})
