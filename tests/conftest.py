"""Shared fixtures: the tiny recipe and small generated audio."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Tests never touch a user's MLflow store.
os.environ.pop("MLFLOW_TRACKING_URI", None)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from drumaae.config import load_recipe  # noqa: E402


@pytest.fixture(scope="session")
def tiny_recipe():
    return load_recipe("tiny")


@pytest.fixture(scope="session")
def default_recipe():
    return load_recipe("default")


def drum_loop(sr: int, bpm: float, bars: int = 1, seed: int = 0, pattern: str = "rock"
              ) -> np.ndarray:
    """A synthetic drum loop: kick (low sine thump), snare (noise burst), hats (high noise).

    Returns float32 mono samples, exactly `bars` bars of 4/4 at `bpm`.
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n = int(round(bars * 4 * beat * sr))
    out = np.zeros(n, dtype=np.float64)
    step = beat / 4  # sixteenth notes
    patterns = {
        "rock": ({0, 8}, {4, 12}, set(range(0, 16, 2))),
        "funk": ({0, 3, 10}, {4, 12, 15}, set(range(16))),
        "house": ({0, 4, 8, 12}, {4, 12}, {2, 6, 10, 14}),
        "halftime": ({0, 11}, {8}, set(range(0, 16, 2))),
    }
    kicks, snares, hats = patterns[pattern]

    def hit(t0: float, kind: str) -> None:
        i0 = int(round(t0 * sr))
        length = int(0.12 * sr)
        t = np.arange(length) / sr
        if kind == "kick":
            sig = np.sin(2 * np.pi * (55 + 60 * np.exp(-t * 30)) * t) * np.exp(-t * 25)
        elif kind == "snare":
            sig = rng.standard_normal(length) * np.exp(-t * 30) * 0.6
        else:
            noise = rng.standard_normal(length)
            sig = np.diff(noise, prepend=0.0) * np.exp(-t * 80) * 0.25
        end = min(n, i0 + length)
        out[i0:end] += sig[: end - i0]

    for b in range(bars):
        for s in range(16):
            t0 = (b * 16 + s) * step
            if s in kicks:
                hit(t0, "kick")
            if s in snares:
                hit(t0, "snare")
            if s in hats:
                hit(t0, "hat")
    peak = np.max(np.abs(out)) or 1.0
    return (0.8 * out / peak).astype(np.float32)


@pytest.fixture(scope="session")
def make_loop():
    return drum_loop


def synthetic_features(n: int, frames: int, bins: int, n_patterns: int = 4, seed: int = 0
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Spectrogram-like features in [0, 1] of `n_patterns` rhythms (model tests only).

    Each pattern has onsets at its own sixteenth positions in three bands (low, mid, high)
    with exponential decays; examples vary level, decay and noise. Returns (features, labels).
    """
    rng = np.random.default_rng(seed)
    steps = 16
    grids = rng.random((n_patterns, 3, steps)) < 0.3
    grids[:, 0, 0] = True
    bands = [(0, bins // 8), (bins // 8, bins // 2), (bins // 2, bins)]
    labels = rng.integers(0, n_patterns, size=n)
    feats = np.zeros((n, frames, bins), np.float32)
    t = np.arange(frames)
    for i, p in enumerate(labels):
        level = rng.uniform(0.6, 0.9)
        for b, (lo, hi) in enumerate(bands):
            env = np.zeros(frames)
            for s in np.flatnonzero(grids[p, b]):
                start = int(s * frames / steps)
                env = np.maximum(env, np.where(t >= start, np.exp(-(t - start) / rng.uniform(1.5, 3.0)), 0.0))
            feats[i, :, lo:hi] = (level * env)[:, None]
        feats[i] += 0.05 * rng.random((frames, bins))
    return np.clip(feats, 0.0, 1.0), labels.astype("int32")
