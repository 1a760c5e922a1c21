"""Shared fixtures: the tiny recipe and small generated audio."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Tests never touch a user's MLflow store.
os.environ.pop("MLFLOW_TRACKING_URI", None)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from drumaae.config import load_recipe  # noqa: E402
from drumaae.testing import synthetic_loop  # noqa: E402


@pytest.fixture(scope="session")
def tiny_recipe():
    return load_recipe("tiny")


@pytest.fixture(scope="session")
def default_recipe():
    return load_recipe("default")


# The synthetic drum loop (kick thump, snare and hat noise on a 16-step grid) that the
# benchmarks time with; `make_loop(sr, bpm, bars, seed, pattern)` -> float32 mono samples.
drum_loop = synthetic_loop


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


@pytest.fixture
def store_with_run(tmp_path):
    """A new SQLite store holding one run (made by MLflow itself, as training does)."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.create_run(client.create_experiment("tests"))
    return uri, run.info.run_id
