"""Cutting recordings into bars, with how sure the tempo is (client side, never in a graph).

Rules (docs/audio.md, "Bar cutting"):
- A loop file (the usual input) is a whole number of bars at its own tempo, starting on a
  downbeat. With `bars` given, ``bpm = bars * beats_per_bar * 60 / duration``; with `bpm`
  given, ``bars = round(duration / bar_duration)``; with neither, the onsets score each whole
  bar count by whether its implied tempo (1) puts a strong onset on every beat of the grid
  that starts at sample 0, (2) is close to an autocorrelation tempo estimate allowing for
  its usual metrical errors (x2, x1/2, x3/2, x2/3) and (3) is plausible (flat on 70-180 BPM).
  The onsets pick the grid; the metrical level is picked by the length alone: among the best
  reading, its octave relatives (half the bars, or twice as many where onsets fall on every
  beat, at 70-220 BPM) and the readings
  scoring nearly as well, the tempo nearest `PREFERRED_BPM` (112.2 BPM) wins, so sibling
  loops of one length read alike. The others are kept as alternatives (`TempoReading`), for
  the caller to show.
- A loop shorter than its bars at a given tempo is an error, or repeated to fill them
  (``fill="loop"``); never padded with silence.
- A long recording (longer than `LOOP_MAX_SECONDS`, or ``loop=False``) is cut on a global
  tempo and first-beat offset fitted to librosa's beat track.
- Each bar is sliced at its true start with ``audio.grid_samples(bpm)`` samples (the exact bar,
  ``audio.bar_samples(bpm)``, rounded to a multiple of bar_frames: the model's analysis grid);
  only a long recording's last bar may be zero-padded at the end.

Onsets come from `drumaae.audio.onsets` (tf.signal); librosa is imported only for the beat
tracker of long recordings, so reading a loop's tempo costs no librosa/numba import. Input
samples go through `drumaae.audio.io.to_mono` (mono at the model's rate, one error type).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from drumaae import limits
from drumaae.audio.io import to_mono
from drumaae.audio.onsets import onset_strength
from drumaae.config import AudioConfig
from drumaae.errors import AudioError, LimitError, TooShortError

__all__ = ["BarCut", "Reading", "TempoReading", "cut_bars", "estimate_tempo", "read_loop",
           "LOOP_MAX_SECONDS", "FILL_MODES"]

MAX_BPM = limits.MAX_BPM
LOOP_MAX_SECONDS = 30.0
PLAUSIBLE_BPM = (70.0, 180.0)
LOOP_MAX_BPM = 220.0
_HOP = 128  # onset-envelope hop: 5.8 ms at 22.05 kHz
# Octave-equivalent penalties for reading the tracker at another metrical level.
_LEVELS = {1.0: 0.0, 2.0: 0.15, 0.5: 0.15, 1.5: 0.3, 2.0 / 3.0: 0.3}
_GRID_GATE = 0.7
_BETWEEN_WEIGHT = 0.2  # a candidate grid must be this salient relative to the best one
# Readings whose scores are this close (octave units) to the best are left open by the onsets:
# the length decides among them (`PREFERRED_BPM`) and the others are reported as alternatives.
AMBIGUOUS_MARGIN = 0.25
# The middle (geometric mean) of the plausible range, 112.2 BPM: the tempo preferred among
# the readings a loop's length allows when its onsets do not clearly pick one.
PREFERRED_BPM = math.sqrt(PLAUSIBLE_BPM[0] * PLAUSIBLE_BPM[1])
# A loop may miss its last bar by this share of a bar before it needs --fill (a loop cut a
# few milliseconds short is still a whole bar).
_SHORT_TOLERANCE = 0.03
FILL_MODES = ("error", "loop")


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
        tempo: how the tempo and bar count were decided, with the alternatives left open.
    """

    bars: np.ndarray
    starts: np.ndarray
    bpm: float
    bar_length: int
    beats_per_bar: int
    tempo: TempoReading | None = None

    @property
    def n_bars(self) -> int:
        return int(self.bars.shape[0])


def _mono(samples, sr: int, target_rate: int | None = None) -> np.ndarray:
    """`drumaae.audio.io.to_mono`: the one input normaliser (shape, checks, resampling)."""
    return to_mono(samples, sr, target_rate)


def _check_bpm(bpm: float) -> float:
    try:
        return limits.check_bpm(bpm)
    except LimitError as exc:  # a tempo of audio: an AudioError to callers of this module
        raise AudioError(str(exc)) from None


def _loop_envelope(x: np.ndarray, sr: int) -> np.ndarray:
    """Onset strength of three copies of a loop, peak-normalised: the middle copy sees the
    loop's wrapped-around tail before its start."""
    env = onset_strength(np.tile(x, 3), sr, _HOP)
    peak = float(env.max())
    return env / peak if peak > 0 else env


def _autocorrelation(env: np.ndarray, circular: bool) -> np.ndarray:
    """Autocorrelation of a mean-removed envelope by FFT: circular for one period of a loop
    (its end wraps to its start), linear (zero-padded) for a recording."""
    e = env - env.mean()
    n = e.size if circular else 2 * e.size
    return np.fft.irfft(np.abs(np.fft.rfft(e, n)) ** 2, n)[: e.size]


def estimate_tempo(samples, sr: int, *, loop: bool = True) -> float:
    """A raw tempo estimate in BPM from the onset envelope's autocorrelation (it may be at
    the wrong metrical level; `read_loop` decides among the levels).

    The autocorrelation is weighted by librosa's tempo prior (log-normal around 120 BPM, one
    octave wide, as `librosa.feature.tempo`) and its peak refined by a parabola. A loop's
    envelope is one period, taken from the middle of three copies, and autocorrelated
    circularly, so no tiling to many seconds is needed.
    """
    x = _mono(samples, sr)
    if loop:
        return _envelope_tempo(_middle_copy(_loop_envelope(x, sr), x.size), sr, circular=True)
    return _envelope_tempo(onset_strength(x, sr, _HOP), sr, circular=False)


def _middle_copy(env3: np.ndarray, samples: int) -> np.ndarray:
    period = samples / _HOP
    return env3[int(round(period)): int(round(2 * period))]


def _envelope_tempo(env: np.ndarray, sr: int, circular: bool) -> float:
    """`estimate_tempo` of an onset envelope (one loop period when `circular`)."""
    loop = circular
    ac = _autocorrelation(env, circular=loop)
    rate = sr / _HOP  # envelope frames per second
    longest = env.size // 2 if loop else env.size - 1  # beyond half a loop, lags mirror
    lags = np.arange(max(1, int(rate * 60.0 / 300.0)), min(longest, int(rate * 60.0 / 30.0)) + 1)
    if lags.size == 0:
        return 60.0 * rate / max(1, longest)
    weight = np.exp(-0.5 * np.log2(60.0 * rate / lags / 120.0) ** 2)
    k = int(np.argmax(ac[lags] * weight))
    lag = float(lags[k])
    if 0 < k < lags.size - 1:  # parabolic peak between frames
        a, b, c = ac[lags[k - 1]], ac[lags[k]], ac[lags[k + 1]]
        if a - 2 * b + c < 0:
            lag += 0.5 * (a - c) / (a - 2 * b + c)
    return 60.0 * rate / lag


def _prior_penalty(bpm: float) -> float:
    lo, hi = PLAUSIBLE_BPM
    if bpm < lo:
        return math.log2(lo / bpm)
    if bpm > hi:
        return math.log2(bpm / hi)
    return 0.0


def _octave_relatives(a: int, b: int) -> bool:
    """True when bar counts `a` and `b` differ by a power of two (one grid, another level)."""
    big, small = max(a, b), min(a, b)
    ratio = big // small
    return big % small == 0 and ratio & (ratio - 1) == 0


def _tempo_preference(bpm: float) -> float:
    """Octaves from `PREFERRED_BPM`: among readings the onsets leave open, the lowest wins."""
    return abs(math.log2(bpm / PREFERRED_BPM))


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


@dataclass(frozen=True)
class Reading:
    """One way to read a recording: `bars` bars at `bpm` (`bars` below 1 for a loop shorter
    than a bar, e.g. 0.5: half a bar, which needs the loop repeated to fill a bar)."""

    bars: float
    bpm: float


@dataclass(frozen=True)
class TempoReading:
    """How a recording's tempo and bar count were decided.

    Attributes:
        bpm: the tempo used.
        bars: whole bars in the recording at that tempo.
        source: ``"detected"``, ``"bpm"`` (given), ``"bars"`` (given), ``"bpm+bars"``, or
            ``"beat grid"`` (a long recording's tracked beats).
        alternatives: other readings that fit the recording nearly as well, best first;
            empty when the reading is clear (or was given).
    """

    bpm: float
    bars: int
    source: str
    alternatives: tuple[Reading, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)


def _shorter_than_a_bar(duration: float, beats_per_bar: int) -> list[Reading]:
    """Readings of a loop as part of a bar (1 .. beats-1 beats) at a plausible tempo."""
    lo, hi = PLAUSIBLE_BPM
    out = []
    for k in range(1, beats_per_bar):
        bpm = k * 60.0 / duration
        if lo <= bpm <= hi:
            out.append(Reading(bars=k / beats_per_bar, bpm=bpm))
    return out


def read_loop(samples, sr: int, beats_per_bar: int = 4,
              tracker_bpm: float | None = None) -> TempoReading:
    """Read a loop's whole number of bars and its tempo, with the readings it leaves open.

    Candidates are the bar counts whose tempo lies in [MIN_BPM, LOOP_MAX_BPM]. A candidate must
    put strong onsets on its beat grid (salience within `_GRID_GATE` of the best candidate);
    among those, each is scored by the distance (octaves) to the tempo estimate read at any
    metrical level, plus that level's penalty, plus the distance outside 70-180 BPM, plus a
    penalty for strong onsets half-way between its beats. The open readings are the
    best-scoring one, its octave relatives (bar counts x2^k with a tempo in 70-220 BPM: the
    same grid at another level; coarser ones whatever their score, finer ones if they pass
    the gate) and any candidate within
    `AMBIGUOUS_MARGIN` of the best; the one whose tempo is nearest `PREFERRED_BPM` is
    chosen (fewer bars on a tie) and the rest are returned as alternatives (in that order),
    with the part-of-a-bar readings of a loop whose whole-bar tempo is implausibly fast.
    The choice thus depends on the loop's length and grid, not on its pattern's density:
    two loops of 2.66 s both read as 1 bar at 90.2 BPM, with 2 bars at 180.4 as the
    alternative.
    """
    x = _mono(samples, sr)
    duration = x.size / sr
    # Onsets of the second of three copies: the grid at sample 0 sees the wrapped-around tail.
    env = _loop_envelope(x, sr)
    offset = int(round(x.size / _HOP))
    if tracker_bpm is None:
        tracker = _envelope_tempo(_middle_copy(env, x.size), sr, circular=True)
    else:
        tracker = float(tracker_bpm)
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
    # The onsets pick the beat grid (3 bars or 4 in a loop); the metrical level on that grid
    # (1 bar at 90 BPM or 2 at 180) is a known weakness of onset tempo and varies with the
    # pattern, so the length decides it: the tempo nearest the middle of the usual range
    # (`PREFERRED_BPM`), among the best reading, its octave relatives (n x 2^k bars at
    # 70-220 BPM) and any reading that scores within `AMBIGUOUS_MARGIN` of it. Loops of one
    # length then read alike whatever their pattern.
    top = min(scores, key=scores.get)
    fitting = {n for n in scores if scores[n] <= scores[top] + AMBIGUOUS_MARGIN}
    # A coarser level's beats are some of the best grid's beats, so it is open whatever its
    # salience; a finer one must still put onsets on its beats (the gate above).
    fitting |= {n for n in candidates if _octave_relatives(n, top) and (n < top or n in scores)
                and PLAUSIBLE_BPM[0] <= n * bar_seconds / duration <= LOOP_MAX_BPM}
    ranked = sorted(fitting, key=lambda n: (_tempo_preference(n * bar_seconds / duration), n))
    n_bars = ranked[0]
    bpm = n_bars * bar_seconds / duration
    others = [Reading(bars=n, bpm=n * bar_seconds / duration) for n in ranked[1:]]
    if bpm > PLAUSIBLE_BPM[1]:
        others += _shorter_than_a_bar(duration, beats_per_bar)
    return TempoReading(bpm=bpm, bars=n_bars, source="detected", alternatives=tuple(others))


def _beat_grid(x: np.ndarray, sr: int) -> tuple[float, float]:
    """Global tempo and first-beat time (s) fitted to librosa's beat track of a recording.

    The tracker is given our autocorrelation tempo (`_envelope_tempo`) as its `bpm`: left to
    estimate it, librosa builds a tempogram of the whole recording (7.6 GB peak for a
    10-minute file, measured), while the autocorrelation needs two FFTs of the envelope.
    """
    import librosa  # the beat tracker (numba): only long recordings need it

    env = onset_strength(x, sr, _HOP)
    guess = _envelope_tempo(env, sr, circular=False)
    tempo, beats = librosa.beat.beat_track(onset_envelope=env, sr=sr, hop_length=_HOP,
                                           bpm=guess, units="time")
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
             bars: int | None = None, loop: bool | None = None, fill: str = "error"
             ) -> BarCut:
    """Cut a recording into bars of `audio.grid_samples(bpm)` samples (the analysis grid).

    Args:
        samples: mono `(samples,)` or `(samples, channels)` float audio (mixed down and
            resampled to `audio.sample_rate` by `drumaae.audio.io.to_mono`).
        sample_rate: rate of `samples` in Hz.
        audio: the recipe's AudioConfig (rate, beats_per_bar, bar_frames).
        bpm: the tempo, if known (overrides the tracker).
        bars: the number of bars in a loop, if known (overrides the tracker; the tempo
            follows from the duration).
        loop: treat the recording as a loop (a whole number of bars from sample 0);
            default: True up to `LOOP_MAX_SECONDS` or when `bars` is given.
        fill: what to do with a loop shorter than its bars at the given `bpm` (e.g. a
            two-beat loop at a stated tempo): ``"error"`` (default) raises `TooShortError`
            saying so; ``"loop"`` repeats the loop until it fills whole bars. Never padded
            with silence.

    Returns:
        A `BarCut`; its `tempo` says how the tempo was decided and which readings were left
        open.

    Raises:
        TooShortError: shorter than one beat at the resolved tempo, or (``fill="error"``) a
            loop shorter than its bars.
        AudioError: a `bpm` outside `drumaae.limits` (20-400 BPM), a `bars` below 1, bad
            samples (`to_mono`'s errors: empty, NaN/Inf, silent, a transposed array), no
            onsets to count bars by.
    """
    if fill not in FILL_MODES:
        raise AudioError(f"fill must be one of {', '.join(FILL_MODES)}, got {fill!r}")
    x = _mono(samples, sample_rate, audio.sample_rate)
    sr = audio.sample_rate
    duration = x.size / sr
    beats = audio.beats_per_bar
    given = [name for name, v in (("bpm", bpm), ("bars", bars)) if v is not None]
    reading = TempoReading(bpm=0.0, bars=0, source="+".join(given)) if given else None
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
            reading = read_loop(x, sr, beats)
            bars, bpm = reading.bars, reading.bpm
        else:
            bpm, first = _beat_grid(x, sr)
            reading = TempoReading(bpm=0.0, bars=0, source="beat grid")
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
    if loop and duration < (1.0 - _SHORT_TOLERANCE) * bar_seconds * bars:
        x, duration = _fill_loop(x, sr, duration, bpm, beats, bars, fill)
    if loop:
        exact = duration / bars  # a loop's bars tile it exactly, whatever rounding bpm had
        starts = np.round(np.arange(bars) * exact * sr).astype(np.int64)
    else:
        starts = np.round((first + np.arange(bars) * bar_seconds) * sr).astype(np.int64)
    bar_length = audio.grid_samples(bpm)
    padded = np.pad(x, (0, max(0, int(starts[-1]) + bar_length - x.size)))
    out = np.stack([padded[s: s + bar_length] for s in starts]).astype(np.float32)
    reading = dataclasses.replace(reading, bpm=float(bpm), bars=int(bars))
    return BarCut(bars=out, starts=starts, bpm=float(bpm), bar_length=bar_length,
                  beats_per_bar=beats, tempo=reading)


def _fill_loop(x: np.ndarray, sr: int, duration: float, bpm: float, beats: int,
               want: int, fill: str) -> tuple[np.ndarray, float]:
    """A loop shorter than its `want` bars at `bpm`: an error, or (``fill="loop"``) the loop
    repeated to fill them. Returns ``(x, duration)``."""
    bar_seconds = beats * 60.0 / bpm
    share = duration / bar_seconds
    if fill != "loop":
        raise TooShortError(
            f"the loop lasts {duration:.3f} s = {share:.2f} bar{'s' * (share != 1)} at "
            f"{bpm:g} BPM, shorter than {want} whole bar{'s' * (want != 1)} "
            f"({want * bar_seconds:.3f} s): repeat it to fill with --fill loop, or give "
            f"the loop's own tempo or bar count")
    length = int(round(want * bar_seconds * sr))
    x = np.tile(x, math.ceil(length / x.size))[:length]
    return x, length / sr
