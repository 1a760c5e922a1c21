"""Re-voicing a kit for one file: each role's sound tuned, shortened and equalised.

Sixty-five kits are few beside the drums users bring: a 909 kick tuned down and shortened,
a snare with more crack, a rack tom tuned like a conga. A *voicing* re-voices the kit for one
file, role by role, the way a producer voices a drum machine or a sampler: a varispeed tuning
(the sample played faster or slower, so pitch and length move together), an optional
exponential decay that shortens ringing sounds (a gate or a tight tuning), and low and high
shelves. `draw_voicing` draws one as JSON-ready data (stored in the corpus manifest, so a
file is reproducible from it) and `voice_sample` applies one role's settings to a sample,
with soxr for the tuning and `pedalboard` for the shelves.

Parameter ranges (uniform unless said): tuning -4..+4 semitones; with chance
`DECAY_CHANCE` a decay time constant of 0.04-0.4 s (log-uniform) after a 5 ms hold; low
shelf at 150 Hz and high shelf at 5 kHz, each -6..+6 dB.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from drumaae.data.processing import high_shelf, low_shelf, resample, rounded, run_plugins

__all__ = ["DECAY_CHANCE", "draw_voicing", "voice_sample"]

PITCH_SEMITONES = 4.0
DECAY_CHANCE = 0.4
DECAY_RANGE_S = (0.04, 0.4)
HOLD_S = 0.005
SHELF_DB = 6.0
LOW_SHELF_HZ = 150.0
HIGH_SHELF_HZ = 5000.0


def draw_voicing(rng: np.random.Generator, roles: Iterable[str]) -> dict[str, dict[str, Any]]:
    """A voicing of `roles` (sorted, so the draw does not depend on their order).

    Returns:
        ``{role: {"pitch_st": semitones, "decay_s": seconds or None, "low_db": dB,
        "high_db": dB}}``.
    """
    voicing = {}
    for role in sorted(set(roles)):
        pitch = rounded(rng.uniform(-PITCH_SEMITONES, PITCH_SEMITONES))
        decay = None
        if rng.random() < DECAY_CHANCE:
            lo, hi = np.log(DECAY_RANGE_S[0]), np.log(DECAY_RANGE_S[1])
            decay = rounded(np.exp(rng.uniform(lo, hi)), 3)
        voicing[role] = {"pitch_st": pitch, "decay_s": decay,
                         "low_db": rounded(rng.uniform(-SHELF_DB, SHELF_DB)),
                         "high_db": rounded(rng.uniform(-SHELF_DB, SHELF_DB))}
    return voicing


def voice_sample(sample: np.ndarray, sample_rate: int, settings: dict[str, Any]) -> np.ndarray:
    """One role's voicing applied to a mono sample; float32.

    The tuning resamples the sample as if it had been recorded at ``sample_rate * 2 **
    (pitch_st / 12)``: `pitch_st` semitones up makes it that much shorter. The decay
    multiplies it by ``exp(-(t - hold) / decay_s)`` after the hold; the shelves run after.
    """
    x = np.asarray(sample, dtype=np.float32)
    ratio = 2.0 ** (float(settings["pitch_st"]) / 12.0)
    if len(x) and abs(ratio - 1.0) > 1e-6:
        x = resample(x, sample_rate * ratio, sample_rate)
    decay = settings.get("decay_s")
    if decay:
        t = np.arange(len(x)) / float(sample_rate)
        x = x * np.exp(-np.maximum(t - HOLD_S, 0.0) / float(decay)).astype(np.float32)
        # Cut what has decayed below -80 dB: shorter samples mix faster.
        keep = int(np.ceil((HOLD_S + float(decay) * np.log(1e4)) * sample_rate))
        x = x[:max(1, keep)]
    low, high = float(settings.get("low_db", 0.0)), float(settings.get("high_db", 0.0))
    if len(x) and (low or high):
        x = run_plugins(x, sample_rate, [low_shelf(LOW_SHELF_HZ, low),
                                         high_shelf(HIGH_SHELF_HZ, high, sample_rate)])
    return np.ascontiguousarray(x, dtype=np.float32)
