"""Re-timing a bar by slices: a new tempo without stretching any hit.

A bar rendered at one tempo is brought to another the way REX-style slicing in samplers
does it: the bar is cut into slices where its hits start (onsets, or the sixteenth-note grid),
and each slice is placed at the same position of the output bar's grid. Hits keep their
attack and their decay's length in seconds; only the time between hits changes. Where the
output is faster, a slice is cut short and crossfaded into the next one; where it is slower,
its tail rings on at its own decay rate until the next hit (`_extend`).

Used by `drumaae.inference` whenever a bar is wanted at another tempo than the one its code
was made at (`interpolate --tempo source`, `decode --bpm`, `sample --bpm`).

NumPy/SciPy only (its own short-window onset analysis: slicing needs each attack within a
few milliseconds, finer than the tempo reader's 2048-sample onset envelope); never part of
an exported graph.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SLICE_MODES", "slice_points", "retime"]

SLICE_MODES = ("onsets", "grid")

_WINDOW_S = 0.012      # onset analysis window (a power of two near it): short, so that an
#                        onset is placed within a few milliseconds
_PREROLL_S = 0.002     # a slice starts this long before its attack's rise
_MIN_GAP_S = 0.02      # onsets closer than this are one slice (flams, rolls' ghost peaks)
_CROSSFADE_S = 0.004   # fade between slices: no click at a cut
_GRAIN_S = 0.03        # grains of a tail that rings on where a slice ends early (`_extend`)
_THRESHOLD = 0.3       # an onset peak must reach this share of the bar's strong peaks (the
#                        90th percentile). 0.3 and 0.02 s (was 0.5 and 0.03 s): a missed hit
#                        stays at its old bar position, which costs more than an extra cut;
#                        docs/model.md, scripts/retime_truth_check.py
_RISE = 0.2            # an attack starts where the signal's envelope first reaches this
#                        share of the attack's peak


def _flux(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Spectral flux of centred frames: per frame k (centre k * hop) the mean over bins of
    the rise in dB (clipped 80 dB under the bar's peak) from frame k - 1."""
    pad = np.pad(x, n_fft // 2)
    frames = 1 + (pad.size - n_fft) // hop
    idx = np.arange(n_fft)[None] + hop * np.arange(frames)[:, None]
    mag = np.abs(np.fft.rfft(pad[idx] * np.hanning(n_fft)[None], axis=1))
    db = 20.0 * np.log10(np.maximum(mag, 1e-10))
    db = np.maximum(db, db.max() - 80.0)
    return np.concatenate([[0.0], np.maximum(0.0, np.diff(db, axis=0)).mean(axis=1)])


def _envelope(x: np.ndarray, width: int) -> np.ndarray:
    """|x| smoothed by a moving maximum of `width` samples."""
    from scipy.ndimage import maximum_filter1d

    return maximum_filter1d(np.abs(x), size=max(1, width), mode="nearest")


def _slices(x: np.ndarray, sample_rate: int, mode: str, steps: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, anchors)``: where each slice begins and the attack it keeps in place."""
    n = x.size
    if mode not in SLICE_MODES:
        raise ValueError(f"mode must be one of {', '.join(SLICE_MODES)}, got {mode!r}")
    n_fft = int(2 ** round(np.log2(max(16.0, _WINDOW_S * sample_rate))))
    if mode == "onsets" and n > 2 * n_fft and np.any(x):
        hop = n_fft // 4
        flux = _flux(x, n_fft, hop)
        gap = max(1, int(round(_MIN_GAP_S * sample_rate / hop)))
        from scipy.ndimage import maximum_filter1d

        local = maximum_filter1d(flux, size=2 * gap + 1, mode="constant")
        candidates = np.flatnonzero((flux >= local) & (flux > 0))
        # relative to the strong peaks, not to the single largest (a click at the bar's end
        # of a render would hide every hit)
        ref = np.percentile(flux[candidates], 90) if candidates.size else 0.0
        peaks = candidates[flux[candidates] >= _THRESHOLD * ref]
        env = _envelope(x, max(1, int(0.001 * sample_rate)))
        pre = int(round(_PREROLL_S * sample_rate))
        starts, anchors = [0], [0]
        for f in peaks:
            # the attack: the loudest point near the frame, then back to where it rises
            lo, hi = max(0, f * hop - n_fft // 2), min(n, f * hop + n_fft // 2)
            if hi - lo < 2:
                continue
            top = lo + int(np.argmax(env[lo:hi]))
            below = np.flatnonzero(env[lo: top + 1] < _RISE * env[top])
            rise = lo + (int(below[-1]) + 1 if below.size else 0)
            start = max(0, rise - pre)
            # a cut in the bar's last `_MIN_GAP_S` holds no hit, only the bar's own edge
            # (cut mid-decay it reads as a broadband rise): placed at the end of a slower
            # output it would be a click
            if start - starts[-1] >= gap * hop and start < n - gap * hop:
                starts.append(start)
                anchors.append(rise)
        if len(starts) > 1:
            return np.asarray(starts, np.int64), np.asarray(anchors, np.int64)
    grid = np.unique(np.clip(np.round(np.arange(steps) * (n / float(steps))), 0,
                             max(0, n - 1)).astype(np.int64))
    return grid, grid


def _extend(seg: np.ndarray, extra: int, sample_rate: int) -> np.ndarray:
    """`seg` followed by `extra` more samples of its own tail: Hann grains (`_GRAIN_S`, half
    overlapping) drawn from its last two grains, crossfaded in over half a grain, each
    decaying at the rate the tail itself decays at (never rising), so a slice that ends
    before the next one starts rings on instead of falling silent (a silence and the tail's
    return would be heard, and detected, as extra onsets)."""
    if extra <= 0:
        return seg
    n = seg.size
    g = max(8, min(int(round(_GRAIN_S * sample_rate)), n // 2)) // 2 * 2
    if n < 2 * g:
        return np.concatenate([seg, np.zeros(extra)])
    hop = g // 2
    last, prev = seg[-g:], seg[-2 * g: -g]
    r_last = float(np.sqrt(np.mean(last ** 2)))
    r_prev = float(np.sqrt(np.mean(prev ** 2)))
    per_sample = min(1.0, (r_last / r_prev) ** (1.0 / g)) if r_prev > 0 and r_last > 0 else 0.0
    window = np.hanning(g + 1)[:g]  # periodic Hann: half-overlapping grains sum to 1
    out = np.zeros(n + extra + g)
    out[:n] = seg
    # fade the slice out over its last half grain as the first grain fades in
    out[n - hop: n] *= window[hop:]
    pool = seg[-2 * g:]
    t, k = n - hop, 0
    while t < n + extra:
        offset = int((k * 0.618034 * g) % (pool.size - g + 1))  # deterministic, varied
        gain = per_sample ** (t + hop - n)
        out[t: t + g] += pool[offset: offset + g] * window * gain
        t += hop
        k += 1
    return out[: n + extra]


def slice_points(wave, sample_rate: int, mode: str = "onsets", steps: int = 16
                 ) -> np.ndarray:
    """Where the slices of one bar begin, in samples (the first is always 0).

    Args:
        wave: float32 `(samples,)` one bar.
        sample_rate: Hz.
        mode: ``onsets``: peaks of a short-window spectral flux (about `_WINDOW_S`) that
            reach `_THRESHOLD` of the 90th percentile of the peaks and lie at least `_MIN_GAP_S` apart, each moved
            back to where its attack rises (the envelope at `_RISE` of the attack's peak) and
            `_PREROLL_S` before; ``grid``: the `steps` equal divisions of the bar (sixteenth
            notes in 4/4). A bar without onsets is cut on the grid.
        steps: grid divisions per bar.

    Returns:
        int64 `(n_slices,)` increasing starts, ``starts[0] == 0``.
    """
    return _slices(np.asarray(wave, np.float32).ravel(), sample_rate, mode, steps)[0]


def _ring_from(seg: np.ndarray, tail: np.ndarray, sample_rate: int) -> np.ndarray:
    """`seg` continued by `tail` (the same output samples of the bar rendered directly at the
    output tempo, whose decay of the same hit runs on there): `tail` scaled to `seg`'s level
    over their last shared grain, never louder, crossfaded in over that grain."""
    n = seg.size
    g = max(8, min(int(round(_GRAIN_S * sample_rate)), n // 2)) // 2 * 2
    if n < g or tail.size <= n:
        return np.concatenate([seg, np.zeros(max(0, tail.size - n))])
    r_seg = float(np.sqrt(np.mean(seg[-g:] ** 2)))
    r_tail = float(np.sqrt(np.mean(tail[n - g: n] ** 2)))
    gain = min(1.0, r_seg / r_tail) if r_tail > 0 else 0.0
    out = tail.astype(np.float64) * gain
    ramp = np.linspace(0.0, 1.0, g + 2)[1:-1]
    out[: n - g] = seg[: n - g]
    out[n - g: n] = seg[-g:] * ramp[::-1] + out[n - g: n] * ramp
    return out


def retime(wave, length: int, sample_rate: int, *, mode: str = "onsets",
           tail=None) -> np.ndarray:
    """One bar at another tempo: `length` samples, each slice of `wave` at its bar position.

    Slice ``k`` (input samples ``starts[k] .. starts[k + 1]``, `slice_points`) is placed so
    that its attack lands at the same fraction of the output bar as in the input bar. Where the next slice starts before this one has played out (a faster output),
    this one is cut there and crossfaded into it over `_CROSSFADE_S`; where it has played out
    first (a slower output) its own tail rings on until the next slice (`_extend`: grains of
    its last 60 ms at the rate it was decaying). Nothing is
    resampled or stretched, so every hit keeps its pitch, attack and decay time.

    Args:
        wave: float32 `(samples,)` one bar at the tempo it was made at.
        length: output samples (the bar at the new tempo, e.g. ``audio.bar_samples(bpm)``).
        sample_rate: Hz.
        mode: how slices are found (`slice_points`).
        tail: optional float32 `(length,)`: the same bar rendered directly at the output
            tempo (its decays scaled by the tempo ratio). Where a slice plays out before the
            next one (a slower output), it rings on with these samples (`_ring_from`: the
            same hit's longer decay, at the slice's level) instead of `_extend`'s grains.

    Returns:
        float32 `(length,)`; a copy of `wave` when the lengths agree.
    """
    x = np.asarray(wave, np.float32).ravel()
    n, length = x.size, int(length)
    if length < 1:
        raise ValueError(f"length must be >= 1 samples, got {length}")
    if n == length:
        return x.copy()
    if n == 0:
        return np.zeros(length, np.float32)
    ring = None
    if tail is not None:
        ring = np.asarray(tail, np.float64).ravel()
        if ring.size != length:
            raise ValueError(f"tail must hold the output's {length} samples, got {ring.size}")
    starts, anchors = _slices(x, sample_rate, mode, 16)
    ratio = length / float(n)
    fade = max(1, int(round(_CROSSFADE_S * sample_rate)))
    # Output starts: each attack keeps its bar position; the first slice starts the bar.
    places = np.round(anchors * ratio).astype(np.int64) - (anchors - starts)
    places[0] = 0
    places = np.maximum.accumulate(np.clip(places, 0, length - 1))
    out = np.zeros(length, np.float64)
    ramp_in = np.linspace(0.0, 1.0, fade + 2)[1:-1]
    for k, (s, p) in enumerate(zip(starts, places)):
        own = (starts[k + 1] if k + 1 < len(starts) else n) - s   # the slice's own samples
        room = (places[k + 1] if k + 1 < len(places) else length) - p  # until the next slice
        last = k + 1 == len(starts)
        if own < room:  # played out before the next slice: its tail goes on (`_extend`)
            take = min(room + (0 if last else fade), length - p)
            seg = (_extend(x[s: s + own].astype(np.float64), take - own, sample_rate)
                   if ring is None else
                   _ring_from(x[s: s + own].astype(np.float64), ring[p: p + take],
                              sample_rate))
            if not last and take > room:
                f = take - room
                seg[room:] *= ramp_in[::-1][:f] if f == fade else np.linspace(1, 0, f + 2)[1:-1]
        else:  # cut short: run into the next slice and crossfade over `fade` samples
            take = min(own, room + (0 if last else fade), length - p)
            seg = x[s: s + take].astype(np.float64)
            if not last and take > room:
                f = take - room
                seg[room:] *= ramp_in[::-1][:f] if f == fade else np.linspace(1, 0, f + 2)[1:-1]
        if k > 0:  # the slice's start fades in (its first samples hold the previous tail)
            f = min(fade, take)
            seg[:f] *= ramp_in[:f] if f == fade else np.linspace(0, 1, f + 2)[1:-1]
        out[p: p + take] += seg
    return out.astype(np.float32)
