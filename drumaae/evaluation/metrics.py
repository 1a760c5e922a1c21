"""Quality metrics of rendered drum bars: spectral distances and rhythm (onset) agreement.

Spectral: log-spectral distance (dB) and spectral convergence between magnitude
spectrograms on the bar grid (`bar_magnitude`), and the mel distance (dB) between 64-band
log-mel spectrograms, each referenced to its own peak (`mel_distance`: what is heard, not
the noise fine structure no code can carry). Rhythmic: onsets from `librosa.onset.onset_detect`, compared with
`mir_eval.onset.f_measure` on a *bar-relative* grid (onset time / bar duration), so bars at
different tempi compare; and onset-strength envelopes (`librosa.onset.onset_strength`)
resampled to a fixed number of points per bar, compared by cosine similarity (the
interpolation trend). docs/evaluation.md defines each one and how to read it.

NumPy in, Python floats out; librosa and mir_eval are imported lazily (they are slow to
import and the library's model code does not need them).
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

__all__ = [
    "DEFAULT_ONSET_WINDOW",
    "DEFAULT_ENVELOPE_POINTS",
    "ENVELOPE_SMOOTHING",
    "MEL_BANDS",
    "MEL_FLOOR_DB",
    "smooth_db",
    "bar_magnitude",
    "log_spectral_distance",
    "log_mel",
    "mel_distance",
    "spectral_convergence",
    "onset_hop",
    "onset_times",
    "bar_onsets",
    "onset_f_measure",
    "onset_envelope",
    "envelope_similarity",
    "envelope_correlation",
    "mix_share",
    "trend",
]

DEFAULT_ONSET_WINDOW = 0.4
"""Onset-matching window in sixteenth notes: under half a sixteenth, so an onset is never
credited to the neighbouring grid step."""

DEFAULT_ENVELOPE_POINTS = 64
"""Onset-envelope points per bar (4 per sixteenth note in 4/4)."""


ENVELOPE_SMOOTHING = (9, 3)
"""Bins x frames over which the *envelope* LSD averages both spectrograms in dB first (194 Hz x
3 frames at the default 22.05 kHz, n_fft 1024): what remains is the error of the spectral
envelope, without the random fine structure of noise bins that no model with a compact code
can reproduce (docs/model.md, "What LSD <= 5 dB asks for")."""


MEL_BANDS = 64
"""Mel bands of `mel_distance` (n_fft 1024, hop 256)."""
MEL_N_FFT = 1024
MEL_HOP = 256
MEL_FLOOR_DB = 60.0
"""`mel_distance` floors each log-mel this many dB under its own peak."""


def bar_magnitude(wave, n_fft: int, bar_frames: int) -> np.ndarray:
    """Magnitude STFT of one bar on the bar grid: hop ``len(wave) // bar_frames``, the first
    `bar_frames` centred frames, float32 `(bar_frames, n_fft // 2 + 1)`. Bars of one tempo a
    few samples apart (a cut input bar on the model's frame grid, an output of exactly
    ``bar_samples``) give frames at the same places in the bar, so they compare frame by
    frame."""
    from drumaae.audio.features import stft_magnitude

    y = np.asarray(wave, np.float32)
    hop = max(1, y.shape[-1] // int(bar_frames))
    return np.asarray(stft_magnitude(y, int(n_fft), hop))[..., : int(bar_frames), :]


def smooth_db(db, bins: int, frames: int) -> np.ndarray:
    """A `(..., frames, bins)` dB map averaged over `frames` x `bins` (edges repeated)."""
    from scipy.ndimage import uniform_filter

    db = np.asarray(db, np.float64)
    size = (1,) * (db.ndim - 2) + (int(frames), int(bins))
    return uniform_filter(db, size=size, mode="nearest")


def log_spectral_distance(ref_mag, est_mag, *, floor_db: float = -80.0,
                          smooth: tuple[int, int] | None = None) -> float:
    """Log-spectral distance in dB between two magnitude spectrograms.

    ``mean over frames of sqrt(mean over bins of (dB(ref) - dB(est))^2)``, where both are
    converted with `librosa.amplitude_to_db` relative to the *reference's* peak and floored
    at `floor_db` below it (so near-silent bins, where a dB difference means nothing, count
    as equal instead of dominating the distance).

    Args:
        ref_mag: `(..., frames, bins)` reference magnitudes (e.g. the source bar's STFT).
        est_mag: magnitudes of the same shape.
        floor_db: floor below the reference's peak, negative dB.
        smooth: ``(bins, frames)``: average both dB maps over that window first
            (`smooth_db`), the envelope LSD (`ENVELOPE_SMOOTHING`); None compares every bin.

    Returns:
        Distance in dB (0 = identical, lower is better).
    """
    import librosa

    ref = np.asarray(ref_mag, np.float64)
    est = np.asarray(est_mag, np.float64)
    if ref.shape != est.shape:
        raise ValueError(f"shapes differ: {ref.shape} vs {est.shape}")
    peak = float(np.max(ref)) if ref.size else 0.0
    if peak <= 0.0:
        peak = 1.0
    amin = peak * 10.0 ** (floor_db / 20.0)
    a = librosa.amplitude_to_db(ref, ref=peak, amin=amin, top_db=None)
    b = librosa.amplitude_to_db(est, ref=peak, amin=amin, top_db=None)
    if smooth is not None:
        a, b = smooth_db(a, *smooth), smooth_db(b, *smooth)
    per_frame = np.sqrt(np.mean((a - b) ** 2, axis=-1))
    return float(np.mean(per_frame))


def log_mel(wave, sample_rate: int, *, n_mels: int = MEL_BANDS, n_fft: int = MEL_N_FFT,
            hop: int = MEL_HOP, floor_db: float = MEL_FLOOR_DB) -> np.ndarray:
    """Log-mel power spectrogram of one bar in dB relative to its own peak, floored
    `floor_db` below it: float64 `(frames, n_mels)` in ``[-floor_db, 0]``, centred frames
    (librosa's `melspectrogram`, Slaney mel bands). Silence is all ``-floor_db``."""
    import librosa

    y = np.asarray(wave, np.float32)
    power = librosa.feature.melspectrogram(y=y, sr=sample_rate, n_fft=n_fft, hop_length=hop,
                                           n_mels=n_mels, power=2.0).T.astype(np.float64)
    peak = float(power.max()) if power.size else 0.0
    if peak <= 0.0:
        return np.full(power.shape, -float(floor_db))
    db = 10.0 * np.log10(np.maximum(power, peak * 10.0 ** (-floor_db / 10.0)) / peak)
    return db


def mel_distance(ref_wave, est_wave, sample_rate: int, *, n_mels: int = MEL_BANDS,
                 n_fft: int = MEL_N_FFT, hop: int = MEL_HOP,
                 floor_db: float = MEL_FLOOR_DB) -> float:
    """Mean absolute difference in dB of two bars' log-mel spectrograms (`log_mel`) on the
    bar grid.

    Each bar is referenced to its own peak and floored `floor_db` below it, so a level
    difference costs nothing and inaudible cells count as equal. The estimate's frames are
    interpolated (in dB) to the reference's positions in the bar (frame time / bar
    duration), so bars at different tempi compare by position in the bar.

    Returns:
        Distance in dB (0 = identical; two unrelated bars score well above it).
    """
    a = log_mel(ref_wave, sample_rate, n_mels=n_mels, n_fft=n_fft, hop=hop, floor_db=floor_db)
    b = log_mel(est_wave, sample_rate, n_mels=n_mels, n_fft=n_fft, hop=hop, floor_db=floor_db)
    n_ref = max(1, np.asarray(ref_wave).shape[-1])
    n_est = max(1, np.asarray(est_wave).shape[-1])
    if n_ref != n_est or a.shape != b.shape:
        pos_a = np.arange(a.shape[0]) * hop / n_ref
        pos_b = np.arange(b.shape[0]) * hop / n_est
        b = np.stack([np.interp(pos_a, pos_b, b[:, m]) for m in range(b.shape[1])], axis=1)
    return float(np.mean(np.abs(a - b)))


def spectral_convergence(ref_mag, est_mag) -> float:
    """``|| |X| - |Y| ||_F / || |X| ||_F`` (0 is perfect); `drumaae.models.losses`'s."""
    from drumaae.models.losses import spectral_convergence as _sc

    return float(_sc(np.asarray(ref_mag, np.float32), np.asarray(est_mag, np.float32)))


def onset_hop(sample_rate: int) -> int:
    """Onset-analysis hop: the power of two nearest 1/43 s (librosa's 512 at 22.05 kHz)."""
    return int(2 ** round(np.log2(sample_rate / 43.0)))


def onset_times(wave, sample_rate: int) -> np.ndarray:
    """Onset times in seconds: `librosa.onset.onset_detect(units="time")`, librosa's
    defaults but a hop of about 23 ms whatever the rate (`onset_hop`)."""
    import librosa

    y = np.asarray(wave, np.float32)
    if y.size == 0 or not np.any(y):
        return np.zeros(0)
    return np.asarray(librosa.onset.onset_detect(
        y=y, sr=sample_rate, hop_length=onset_hop(sample_rate), units="time"), float)


def bar_onsets(wave, sample_rate: int, bar_seconds: float | None = None) -> np.ndarray:
    """Onsets of one bar as positions in the bar, in [0, 1): onset time / bar duration.

    `bar_seconds` defaults to the wave's own length (a bar cut at its tempo).
    """
    y = np.asarray(wave, np.float32)
    duration = float(bar_seconds) if bar_seconds else y.shape[-1] / float(sample_rate)
    # A hit on the downbeat has no rise before it inside the bar: lead in with silence.
    lead = 2 * onset_hop(sample_rate)
    times = onset_times(np.pad(y, (lead, 0)), sample_rate) - lead / float(sample_rate)
    return np.clip(times, 0.0, None) / duration


def onset_f_measure(ref_wave, est_wave, sample_rate: int, *,
                    window_sixteenths: float = DEFAULT_ONSET_WINDOW,
                    steps_per_bar: int = 16) -> float:
    """Onset F-measure of `est_wave` against `ref_wave`, both one bar, on a bar-relative grid.

    Onsets are detected in seconds (after a short lead-in of silence, so a hit on the
    downbeat is found) and divided by each bar's own duration, so a bar rendered
    at another tempo compares by its position in the bar. `mir_eval.onset.f_measure` matches
    them within `window_sixteenths` of a sixteenth note (``window / steps_per_bar`` of the
    bar).

    Returns:
        F in [0, 1]. Both bars without onsets score 1 (they agree); one without scores 0.
    """
    import mir_eval

    ref = bar_onsets(ref_wave, sample_rate)
    est = bar_onsets(est_wave, sample_rate)
    if ref.size == 0 and est.size == 0:
        return 1.0
    if ref.size == 0 or est.size == 0:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f, _, _ = mir_eval.onset.f_measure(ref, est, window=window_sixteenths / steps_per_bar)
    return float(f)


def onset_envelope(wave, sample_rate: int, points: int = DEFAULT_ENVELOPE_POINTS
                   ) -> np.ndarray:
    """`librosa.onset.onset_strength` of one bar, resampled to `points` points across the bar.

    Point ``j`` is the envelope at bar position ``j / points`` (linear interpolation of the
    envelope's frame times), so bars of different tempi give comparable vectors.
    """
    import librosa

    y = np.asarray(wave, np.float32)
    duration = y.shape[-1] / float(sample_rate)
    hop = onset_hop(sample_rate)
    lead = 2 * hop  # silence before the bar, so a downbeat hit shows in the envelope
    env = librosa.onset.onset_strength(y=np.pad(y, (lead, 0)), sr=sample_rate, hop_length=hop)
    times = librosa.times_like(env, sr=sample_rate, hop_length=hop) - lead / float(sample_rate)
    grid = np.arange(points) / points * duration
    return np.interp(grid, times, env).astype(np.float64)


def envelope_similarity(a, b) -> float:
    """Cosine similarity of two non-negative onset envelopes, in [0, 1] (1 = same shape)."""
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 or nb == 0.0:
        return 1.0 if na == nb else 0.0
    return float(np.dot(a, b) / (na * nb))


def envelope_correlation(ref_wave, est_wave, sample_rate: int) -> float:
    """Pearson correlation of two bars' onset envelopes (`onset_envelope`), in [-1, 1]:
    1 = the same accents at the same places; about 0 for unrelated rhythms."""
    a = onset_envelope(ref_wave, sample_rate)
    b = onset_envelope(est_wave, sample_rate)
    if np.std(a) == 0.0 or np.std(b) == 0.0:
        return 1.0 if np.allclose(a, b) else 0.0
    return float(np.corrcoef(a, b)[0, 1])


def mix_share(mid_mag, mag_a, mag_b) -> float:
    """Share of a bar's magnitude spectrogram explained by a non-negative mix of two others.

    Fits ``mid ~ a * mag_a + b * mag_b`` with a, b >= 0 (`scipy.optimize.nnls`) and returns
    ``1 - |mid - fit|^2 / |mid|^2``. A crossfade of the two bars is explained almost
    entirely (~0.98 after Griffin-Lim); a bar with a rhythm of its own is not. All three
    spectrograms must have the same shape `(frames, bins)`.
    """
    from scipy.optimize import nnls

    y = np.asarray(mid_mag, np.float64).ravel()
    basis = np.stack([np.asarray(mag_a, np.float64).ravel(),
                      np.asarray(mag_b, np.float64).ravel()], axis=1)
    energy = float(np.dot(y, y))
    if energy == 0.0:
        return 1.0
    coef, _ = nnls(basis, y)
    resid = y - basis @ coef
    return float(1.0 - np.dot(resid, resid) / energy)


def trend(alphas: Sequence[float], to_source: Sequence[float], to_target: Sequence[float],
          *, tolerance: float = 0.01) -> dict:
    """How monotonically a sequence of bars moves from the source's rhythm to the target's.

    Args:
        alphas: the steps' alphas (0 = source ... 1 = target).
        to_source: each step's onset-envelope similarity to the source bar.
        to_target: each step's similarity to the target bar.
        tolerance: a step may go the wrong way by this much and still count as monotonic.

    Returns:
        ``rho_target`` (Spearman rho of similarity-to-target with alpha; +1 = rises
        monotonically), ``rho_source`` (same for the source; -1 = falls monotonically),
        ``rho`` = (rho_target - rho_source) / 2 in [-1, 1], and ``monotonic`` (bool: to_target
        never falls and to_source never rises by more than `tolerance` from one step to the
        next, and overall to_target rises and to_source falls by more than `tolerance`).
    """
    from scipy.stats import spearmanr

    a = np.asarray(alphas, float)
    s = np.asarray(to_source, float)
    t = np.asarray(to_target, float)

    def rho(x):
        if np.ptp(x) == 0.0:  # constant: no trend (spearmanr would return nan)
            return 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(spearmanr(a, x).statistic)

    rt, rs = rho(t), rho(s)
    # Flat curves (a decoder that ignores z) must not count as monotonic: both curves must
    # also move the right way by more than the tolerance overall.
    monotonic = bool(np.all(np.diff(t) >= -tolerance) and np.all(np.diff(s) <= tolerance)
                     and t[-1] - t[0] > tolerance and s[0] - s[-1] > tolerance)
    return {"rho_target": rt, "rho_source": rs, "rho": (rt - rs) / 2.0, "monotonic": monotonic}
