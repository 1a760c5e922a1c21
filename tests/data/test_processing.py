"""Processing chains (pedalboard): drawn from a seed, deterministic, each stage audible."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drumaae.data.processing import STAGES, apply_chain, describe_chain, draw_chain

pytest.importorskip("pedalboard")

SR = 16000


def _loop(seconds: float = 1.0) -> np.ndarray:
    """Four decaying noise-and-tone hits: a stand-in drum bar."""
    n = int(seconds * SR)
    t = np.arange(n // 4) / SR
    rng = np.random.default_rng(0)
    hit = (np.sin(2 * np.pi * 90 * t) + 0.5 * rng.standard_normal(len(t))) * np.exp(-t * 30)
    x = np.tile(hit, 4)[:n]
    return (0.89 * x / np.max(np.abs(x))).astype(np.float32)


def test_draw_chain_is_seeded_json_data_in_signal_order():
    chains = [draw_chain(np.random.default_rng(s)) for s in range(200)]
    again = [draw_chain(np.random.default_rng(s)) for s in range(200)]
    assert chains == again
    assert json.loads(json.dumps(chains)) == chains
    order = list(STAGES)
    seen = set()
    for chain in chains:
        stages = [step["stage"] for step in chain]
        assert stages and stages == sorted(stages, key=order.index)
        seen.update(stages)
    assert seen == set(STAGES)  # every stage gets drawn
    assert describe_chain(chains[0]) == "+".join(s["stage"] for s in chains[0])
    assert describe_chain(None) == "dry"


@pytest.mark.parametrize("step", [
    {"stage": "eq", "low_hz": 100.0, "low_db": 9.0, "peak_hz": 1000.0, "peak_db": -8.0,
     "peak_q": 1.0, "high_hz": 5000.0, "high_db": -9.0},
    {"stage": "compressor", "threshold_db": -25.0, "ratio": 8.0, "attack_ms": 1.0,
     "release_ms": 100.0},
    {"stage": "saturation", "drive_db": 20.0},
    {"stage": "bitcrush", "bit_depth": 6},
    {"stage": "resample", "rate_hz": 6000},
    {"stage": "reverb", "room_size": 0.8, "damping": 0.3, "wet": 0.4, "dry": 0.8},
    {"stage": "gain", "gain_db": -6.0},
])
def test_each_stage_changes_the_bar_and_keeps_its_length(step):
    x = _loop()
    y = apply_chain(x, SR, [step])
    assert y.dtype == np.float32 and y.shape == x.shape
    assert np.array_equal(y, apply_chain(x, SR, [step]))  # deterministic
    peak = float(np.max(np.abs(y)))
    expected = -1.0 + (step["gain_db"] if step["stage"] == "gain" else 0.0)
    assert 20 * np.log10(peak) == pytest.approx(expected, abs=0.01)
    if step["stage"] not in ("gain", "bitcrush"):
        assert np.max(np.abs(y - x)) > 0.02
    if step["stage"] == "bitcrush":
        assert len(np.unique(y)) <= 2 ** 7 + 1 < len(np.unique(x))
    if step["stage"] == "reverb":
        # processed as a loop: the tail of the last hit rings into the start of the bar
        quiet = slice(int(0.2 * SR), int(0.25 * SR))
        assert np.sqrt(np.mean(y[quiet] ** 2)) > 3 * np.sqrt(np.mean(x[quiet] ** 2))
    if step["stage"] == "resample":
        spec_x = np.abs(np.fft.rfft(x))
        spec_y = np.abs(np.fft.rfft(y))
        high = np.fft.rfftfreq(len(x), 1 / SR) > 3500
        assert spec_y[high].sum() < 0.2 * spec_x[high].sum()


def test_drawn_chains_run_on_a_bar():
    x = _loop(0.5)
    for seed in range(10):
        chain = draw_chain(np.random.default_rng(seed))
        y = apply_chain(x, SR, chain)
        assert y.shape == x.shape and np.all(np.isfinite(y))
        assert 0 < np.max(np.abs(y)) <= 10 ** (-1 / 20) + 1e-6
