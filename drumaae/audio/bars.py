"""Cutting recordings into bars (librosa beat tracking; runs on the client, never in a graph).

Rules (docs/audio.md, "Bar cutting"):
- A loop file (the usual input) is a whole number of bars at its own tempo, starting on a
  downbeat. With `bars` given, ``bpm = bars * beats_per_bar * 60 / duration``; with `bpm`
  given, ``bars = round(duration / bar_duration)``; with neither, the bar count is chosen
  among whole numbers whose implied tempo (1) puts a strong onset on every beat of the grid
  that starts at sample 0, (2) is closest to the beat tracker's estimate allowing for its usual
  metrical errors (x2, x1/2, x3/2, x2/3) and (3) is plausible (a prior flat on 70-180 BPM).
- A long recording (longer than `LOOP_MAX_SECONDS`, or ``loop=False``) is cut on a global
  tempo and first-beat offset fitted to librosa's beat track.
- Each bar is sliced at its true start with ``audio.grid_samples(bpm)`` samples (the exact bar,
  ``audio.bar_samples(bpm)``, rounded to a multiple of bar_frames: the model's analysis grid),
  zero-padded at the end of the recording if needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import librosa
import numpy as np

from drumaae import limits
from drumaae.config import AudioConfig
from drumaae.errors import AudioError, LimitError, TooShortError

__all__ = ["BarCut", "cut_bars", "estimate_tempo", "loop_bar_count", "LOOP_MAX_SECONDS"]

MAX_BPM = limits.MAX_BPM
LOOP_MAX_SECONDS = 30.0
PLAUSIBLE_BPM = (70.0, 180.0)
LOOP_MAX_BPM = 220.0
_HOP = 128  # onset-envelope hop: 5.8 ms at 22.05 kHz
# Octave-equivalent penalties for reading the tracker at another metrical level.
_LEVELS = {1.0: 0.0, 2.0: 0.15, 0.5: 0.15, 1.5: 0.3, 2.0 / 3.0: 0.3}
_GRID_GATE = 0.7
_BETWEEN_WEIGHT = 0.2  # a candidate grid must be this salient relative to the best one


@dataclass
class BarCut:
    """Bars cut from one recording.

    Attributes:
        bars: float32 `(n_bars, bar_length)` waveforms at the config's sample rate.
        starts: int `(n_bars,)` start sample of each bar in the (resampled) recording.
        bpm: the resolved tempo in beats per minute.
        bar_length: samples per cut bar, ``audio.grid_samples(bpm)`` (the analysis grid; an
            output bar is ``audio.bar_samples(bpm)``).
        beats_per_bar: beats in one bar (4 for 4/4).
    """

    bars: np.ndarray
    starts: np.ndarray
    bpm: float
    bar_length: int
    beats_per_bar: int

    @property
    def n_bars(self) -> int:
        return int(self.bars.shape[0])


def _mono(samples) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:  # (channels, samples) or (samples, channels): mix the short axis
        x = x.mean(axis=0 if x.shape[0] < x.shape[1] else 1)
    if x.ndim != 1:
        raise AudioError(f"expected mono or multichannel samples, got shape {x.shape}")
    if x.size == 0:
        raise TooShortError("the audio is empty: give a recording of at least one beat")
    if not np.all(np.isfinite(x)):
        raise AudioError("the audio holds NaN or Inf samples")
    return x


def _check_bpm(bpm: float) -> float:
    try:
        return limits.check_bpm(bpm)
    except LimitError as exc:  # a tempo of audio: an AudioError to callers of this module
        raise AudioError(str(exc)) from None


def _onset_envelope(x: np.ndarray, sr: int) -> np.ndarray:
    env = librosa.onset.onset_strength(y=x, sr=sr, hop_length=_HOP)
    peak = float(env.max())
    return env / peak if peak > 0 else env


def estimate_tempo(samples, sr: int, *, loop: bool = True) -> float:
    """The beat tracker's raw tempo estimate in BPM (may be at the wrong metrical level).

    A loop is tiled to at least 16 s first so the autocorrelation sees several periods.
    """
    x = _mono(samples)
    if loop:
        x = np.tile(x, max(1, int(math.ceil(16.0 * sr / x.size))))
    env = librosa.onset.onset_strength(y=x, sr=sr, hop_length=_HOP)
    tempo = librosa.feature.tempo(onset_envelope=env, sr=sr, hop_length=_HOP, ac_size=16.0)
    return float(tempo[0])


def _prior_penalty(bpm: float) -> float:
    lo, hi = PLAUSIBLE_BPM
    if bpm < lo:
        return math.log2(lo / bpm)
    if bpm > hi:
        return math.log2(bpm / hi)
    return 0.0


def _grid_salience(env: np.ndarray, sr: int, duration: float, n_bars: int, beats: int,
                   offset_frames: int, phase: float = 0.0) -> float:
    """Mean onset strength (max within +-15 ms) on the beat grid of `n_bars` bars from 0.

    `phase` shifts the grid by that fraction of a beat (0.5: the half-beat points).
    """
    period = duration / (n_bars * beats)
    tol = max(1, int(round(0.015 * sr / _HOP)))
    values = []
    for k in range(n_bars * beats):
        centre = offset_frames + int(round((k + phase) * period * sr / _HOP))
        values.append(env[max(0, centre - tol): centre + tol + 1].max())
    return float(np.mean(values))


def loop_bar_count(samples, sr: int, beats_per_bar: int = 4,
                   tracker_bpm: float | None = None) -> tuple[int, float]:
    """Choose the whole number of bars of a loop: returns ``(n_bars, bpm)``.

    Candidates are the bar counts whose tempo lies in [MIN_BPM, LOOP_MAX_BPM]. A candidate must put
    strong onsets on its beat grid (salience within `_GRID_GATE` of the best candidate);
    among those, the winner minimises the distance (octaves) to the tracker's estimate read
    at any metrical level, plus that level's penalty, plus the distance outside 70-180 BPM,
    plus a penalty for strong onsets half-way between its beats.
    """
    x = _mono(samples)
    duration = x.size / sr
    tracker = estimate_tempo(x, sr) if tracker_bpm is None else float(tracker_bpm)
    # Onsets of the second of three copies: the grid at sample 0 sees the wrapped-around tail.
    env = _onset_envelope(np.tile(x, 3), sr)
    offset = int(round(x.size / _HOP))
    bar_seconds = beats_per_bar * 60.0
    # A loop read above LOOP_MAX_BPM is a metrical-level error (a 2-bar funk loop at ~100
    # BPM read as 5 bars at 250 was seen), not a tempo anyone plays a one-bar groove at.
    candidates = [n for n in range(1, int(duration * LOOP_MAX_BPM / bar_seconds) + 1)
                  if n * bar_seconds / duration >= limits.MIN_BPM]
    if not candidates:
        candidates = [1]
    salience = {n: _grid_salience(env, sr, duration, n, beats_per_bar, offset)
                for n in candidates}
    best = max(salience.values())
    if best <= 0.0:
        raise AudioError("found no onsets in the audio (a constant signal?): give a recording "
                         "with drums in it, or its tempo with --bpm")
    scores = {}
    for n in candidates:
        if salience[n] < _GRID_GATE * best:
            continue
        bpm = n * bar_seconds / duration
        fit = min(abs(math.log2(bpm / (tracker * f))) + pen for f, pen in _LEVELS.items())
        # Strong onsets half-way between the beats suggest the tempo is twice this one.
        between = _grid_salience(env, sr, duration, n, beats_per_bar, offset, 0.5)
        scores[n] = fit + _prior_penalty(bpm) + _BETWEEN_WEIGHT * min(1.0, between / salience[n])
    n_bars = min(scores, key=scores.get)
    return n_bars, n_bars * bar_seconds / duration


def _beat_grid(x: np.ndarray, sr: int) -> tuple[float, float]:
    """Global tempo and first-beat time (s) fitted to librosa's beat track of a recording."""
    env = librosa.onset.onset_strength(y=x, sr=sr, hop_length=_HOP)
    tempo, beats = librosa.beat.beat_track(onset_envelope=env, sr=sr, hop_length=_HOP,
                                           units="time")
    tempo = float(np.atleast_1d(tempo)[0])
    if beats.size >= 4:
        index = np.arange(beats.size)
        slope, intercept = np.polyfit(index, beats, 1)
        tempo, first = 60.0 / slope, float(intercept)
    else:
        first = float(beats[0]) if beats.size else 0.0
    # Fold the tracker's tempo into the plausible range (x2 / x1/2 errors).
    factor = 1.0
    while tempo * factor < PLAUSIBLE_BPM[0] and tempo * factor * 2 <= MAX_BPM:
        factor *= 2.0
    while tempo * factor > PLAUSIBLE_BPM[1]:
        factor /= 2.0
    beat = 60.0 / (tempo * factor)
    first = first % beat if first > beat else first
    return tempo * factor, max(0.0, first)


def cut_bars(samples, sample_rate: int, audio: AudioConfig, *, bpm: float | None = None,
             bars: int | None = None, loop: bool | None = None) -> BarCut:
    """Cut a recording into bars of `audio.grid_samples(bpm)` samples (the analysis grid).

    Args:
        samples: mono `(samples,)` (or multichannel, mixed down) float audio.
        sample_rate: rate of `samples` in Hz; resampled to `audio.sample_rate` if different.
        audio: the recipe's AudioConfig (rate, beats_per_bar, bar_frames).
        bpm: the tempo, if known (overrides the tracker).
        bars: the number of bars in a loop, if known (overrides the tracker; the tempo
            follows from the duration).
        loop: treat the recording as a loop (a whole number of bars from sample 0);
            default: True up to `LOOP_MAX_SECONDS` or when `bars` is given.

    Returns:
        A `BarCut`.

    Raises:
        TooShortError: shorter than one beat at the resolved tempo.
        AudioError: a `bpm` outside `drumaae.limits` (20-400 BPM), a `bars` below 1, bad
            samples, no onsets to count bars by.
    """
    x = _mono(samples)
    sr = int(sample_rate)
    if sr != audio.sample_rate:
        x = librosa.resample(x, orig_sr=sr, target_sr=audio.sample_rate).astype(np.float32)
        sr = audio.sample_rate
    duration = x.size / sr
    beats = audio.beats_per_bar
    if bpm is not None:
        bpm = _check_bpm(bpm)
    if bars is not None:
        if int(bars) != bars or bars < 1:
            raise AudioError(f"bars must be a whole number >= 1, got {bars!r}")
        bars = int(bars)
        if bpm is None:
            bpm = _check_bpm(bars * beats * 60.0 / duration)
    if loop is None:
        loop = bars is not None or duration <= LOOP_MAX_SECONDS
    first = 0.0
    if bpm is not None and duration < 60.0 / bpm:
        raise TooShortError(
            f"the audio lasts {duration:.3f} s, shorter than one beat at {bpm:g} BPM "
            f"({60.0 / bpm:.3f} s): give at least one beat")
    if bpm is None:
        if duration < 60.0 / MAX_BPM:
            raise TooShortError(f"the audio lasts {duration:.3f} s, shorter than one beat")
        if loop:
            bars, bpm = loop_bar_count(x, sr, beats)
        else:
            bpm, first = _beat_grid(x, sr)
        bpm = _check_bpm(bpm)
        if duration < 60.0 / bpm:
            raise TooShortError(
                f"the audio lasts {duration:.3f} s, shorter than one beat at the detected "
                f"{bpm:.1f} BPM: give a longer recording or --bpm")
    bar_seconds = beats * 60.0 / bpm
    if bars is None:
        if loop:
            bars = max(1, int(round(duration / bar_seconds)))
        else:
            bars = max(1, int(math.floor((duration - first) / bar_seconds + 0.1)))
    if loop:
        exact = duration / bars  # a loop's bars tile it exactly, whatever rounding bpm had
        starts = np.round(np.arange(bars) * exact * sr).astype(np.int64)
    else:
        starts = np.round((first + np.arange(bars) * bar_seconds) * sr).astype(np.int64)
    bar_length = audio.grid_samples(bpm)
    padded = np.pad(x, (0, max(0, int(starts[-1]) + bar_length - x.size)))
    out = np.stack([padded[s: s + bar_length] for s in starts]).astype(np.float32)
    return BarCut(bars=out, starts=starts, bpm=float(bpm), bar_length=bar_length,
                  beats_per_bar=beats)
