"""A synthetic drum loop: kick thump, snare and hat noise on a 16-step grid."""

from __future__ import annotations

import numpy as np

__all__ = ["PATTERNS", "synthetic_loop"]

#: The patterns `synthetic_loop` knows.
PATTERNS = ("rock", "funk", "house", "halftime")


def synthetic_loop(sr: int, bpm: float, bars: int = 1, seed: int = 0, pattern: str = "rock"
                   ) -> np.ndarray:
    """A synthetic drum loop (kick thump, snare and hat noise on a 16-step grid), float32.

    Exactly `bars` bars of 4/4 at `bpm`; patterns ``rock``, ``funk``, ``house``,
    ``halftime``. Used by the benchmarks and, as ``make_loop``, by the tests.
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n = int(round(bars * 4 * beat * sr))
    out = np.zeros(n)
    grids = {"rock": ({0, 8}, {4, 12}, set(range(0, 16, 2))),
             "funk": ({0, 3, 10}, {4, 12, 15}, set(range(16))),
             "house": ({0, 4, 8, 12}, {4, 12}, {2, 6, 10, 14}),
             "halftime": ({0, 11}, {8}, set(range(0, 16, 2)))}
    kicks, snares, hats = grids[pattern]
    length = int(0.12 * sr)
    t = np.arange(length) / sr
    for s in range(16 * bars):
        i0 = int(round(s * beat / 4 * sr))
        end = min(n, i0 + length)
        step = s % 16
        sig = np.zeros(length)
        if step in kicks:
            sig += np.sin(2 * np.pi * (55 + 60 * np.exp(-t * 30)) * t) * np.exp(-t * 25)
        if step in snares:
            sig += rng.standard_normal(length) * np.exp(-t * 30) * 0.6
        if step in hats:
            sig += np.diff(rng.standard_normal(length), prepend=0.0) * np.exp(-t * 80) * 0.25
        out[i0:end] += sig[: end - i0]
    return (0.8 * out / (np.max(np.abs(out)) or 1.0)).astype(np.float32)
