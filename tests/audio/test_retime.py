"""drumaae.audio.retime: a bar at another tempo by slices, hits unstretched."""

from __future__ import annotations

import numpy as np
import pytest

from drumaae.audio.retime import retime, slice_points
from drumaae.evaluation.metrics import bar_onsets

SR = 22050
HITS = (0.0, 0.25, 0.5, 0.625, 0.75)


def _bar(n: int, hits=HITS, decay: float = 0.08) -> np.ndarray:
    """Decaying 180 Hz tones at bar positions `hits`; each decays `decay` s (1/e)."""
    x = np.zeros(n)
    for h in hits:
        s = int(h * n)
        t = np.arange(n - s) / SR
        x[s:] += 0.5 * np.exp(-t / decay) * np.sin(2 * np.pi * 180 * t)
    return x.astype(np.float32)


def test_slices_start_at_each_attack():
    n = 2 * SR
    starts = slice_points(_bar(n), SR)
    assert starts[0] == 0 and len(starts) == len(HITS)
    # each slice begins at most a few ms before its hit, never after it
    for s, h in zip(starts[1:], HITS[1:]):
        assert 0 <= h * n - s <= 0.005 * SR
    grid = slice_points(_bar(n), SR, mode="grid")
    assert len(grid) == 16 and grid[4] == n // 4
    with pytest.raises(ValueError, match="mode"):
        slice_points(_bar(n), SR, mode="beats")


@pytest.mark.parametrize("ratio", [0.5, 1.7, 2.8])
def test_hits_keep_their_place_and_their_decay_in_seconds(ratio):
    n = 2 * SR
    x = _bar(n)
    length = int(round(n * ratio))
    y = retime(x, length, SR)
    assert y.shape == (length,) and y.dtype == np.float32
    # the same onsets at the same bar positions (within the onset window)
    got = bar_onsets(y, SR)
    want = bar_onsets(x, SR)
    assert len(got) == len(want)
    assert np.max(np.abs(got - want)) < 0.4 / 16
    # the first hit decays as fast as in the input, in seconds (a stretched bar would
    # take `ratio` times as long); measured over its first 60 ms
    w = 1320  # 60 ms
    env_in = np.abs(x[:w]).reshape(-1, 20).max(1)
    env_out = np.abs(y[:w]).reshape(-1, 20).max(1)
    np.testing.assert_allclose(env_out, env_in, atol=1e-3)


def test_same_length_is_a_copy_and_silence_stays_silent():
    x = _bar(SR)
    y = retime(x, SR, SR)
    np.testing.assert_array_equal(y, x)
    assert y is not x
    assert not np.any(retime(np.zeros(SR, np.float32), 2 * SR, SR))
    with pytest.raises(ValueError, match="length"):
        retime(x, 0, SR)


def test_slower_output_rings_on_from_the_direct_rendering():
    n = SR
    x = _bar(n, hits=(0.0, 0.5), decay=0.3)     # a long decay cut by the next hit
    length = 2 * n
    direct = _bar(length, hits=(0.0, 0.5), decay=0.6)  # the same bar, decays stretched
    y = retime(x, length, SR, tail=direct)
    assert y.shape == (length,)
    # the first slice is the input itself, then the direct rendering's decay at the slice's
    # level: no jump at the seam and never louder than the hit
    cut = slice_points(x, SR)[1]
    np.testing.assert_allclose(y[: cut - 700], x[: cut - 700], atol=1e-6)  # a 30 ms seam
    env = np.abs(y[: length // 2]).reshape(-1, 441).max(1)   # 20 ms frames
    assert np.all(np.diff(env[2:-1]) <= 0.01) and env[1:].max() <= env[:2].max() + 1e-6
    # it rings on to the next hit (not silent, as the grains' fade would go) ...
    assert np.abs(y[length // 2 - 2000: length // 2 - 500]).max() > 0.01
    # ... and still has the same onsets where they were
    np.testing.assert_allclose(bar_onsets(y, SR), bar_onsets(x, SR), atol=0.4 / 16)
    with pytest.raises(ValueError, match="tail"):
        retime(x, length, SR, tail=direct[:-1])
