"""Loudness of bars (ITU-R BS.1770 with pyloudnorm) and true-peak limiting of outputs.

Griffin-Lim of a generated spectrogram comes out at whatever level the generator's magnitudes
imply, measured 5-8 dB below the input on recorded breaks, with the odd peak over full scale.
Outputs are therefore brought to their inputs' loudness and limited so that no true peak
(the peak of the 4x oversampled signal, BS.1770-4 Annex 2) exceeds `TRUE_PEAK_CEILING_DB`.

- `integrated_loudness`: BS.1770 integrated loudness in LUFS over the channels (pyloudnorm's
  K-weighting, channel weights and gating; blocks shortened to the bar for bars under 0.4 s);
  ``-inf`` for silence. Inputs are measured as heard (every channel, at their own rate).
- `true_peak_db`: the true peak in dBTP.
- `limit_true_peak`: a look-ahead peak limiter: the gain needed to keep every oversampled peak
  under the ceiling is held over a short window and ramped in and out (never above 1), so it
  dips only around the peaks; a final static gain guarantees the ceiling.
- `match_loudness`: gain to a target loudness (at most `MAX_GAIN_DB`), then the limiter.
- `limiter_note`: one line naming the outputs the limiter cut by more than `LIMITER_NOTE_DB`.

Numpy/scipy on the client; never part of an exported graph.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = [
    "TRUE_PEAK_CEILING_DB",
    "MAX_GAIN_DB",
    "Leveled",
    "integrated_loudness",
    "true_peak_db",
    "limit_true_peak",
    "match_loudness",
    "target_loudness",
    "limiter_note",
    "MEASURED_CHANNELS",
    "LIMITER_NOTE_DB",
]

TRUE_PEAK_CEILING_DB = -1.0
"""Highest true peak of any output, dBTP (EBU R 128's maximum; leaves room for lossy codecs)."""
MAX_GAIN_DB = 30.0
"""Largest gain `match_loudness` applies: a near-silent output is not raised into noise."""
MEASURED_CHANNELS = 5
"""Channels `integrated_loudness` counts: BS.1770's L, R, C, Ls, Rs (pyloudnorm's)."""
LIMITER_NOTE_DB = 1.0
"""Limiting deeper than this (dB) is reported: in a command's summary and its manifest."""
_OVERSAMPLE = 4
_LOOKAHEAD_S = 0.0015  # attack ramp: a gain change over 1.5 ms is not heard as a click
_HOLD_S = 0.005


@dataclass(frozen=True)
class Leveled:
    """An output bar brought to a loudness.

    Attributes:
        wave: float32 `(samples,)`, true peak at most `ceiling_db`.
        lufs_before: loudness of the bar as rendered, LUFS (``-inf``: silent).
        lufs_target: the loudness asked for (None: limiting only).
        lufs: loudness after gain and limiting.
        gain_db: static gain applied before limiting.
        limited_db: deepest gain reduction of the limiter (0.0: untouched), dB.
        true_peak_db: true peak of `wave`, dBTP.

    `summary()` adds ``short_of_target_db``: how far under its target the bar ended (the
    limiter's cost in loudness; None without a target).
    """

    wave: np.ndarray
    lufs_before: float
    lufs_target: float | None
    lufs: float
    gain_db: float
    limited_db: float
    true_peak_db: float

    def summary(self) -> dict:
        """JSON-ready numbers (rounded to 0.01 dB; ``None`` for -inf)."""
        def r(v):
            return None if v is None or not math.isfinite(v) else round(float(v), 2)

        short = (self.lufs_target - self.lufs if self.lufs_target is not None
                 and math.isfinite(self.lufs_target) and math.isfinite(self.lufs) else None)
        return {"lufs_before": r(self.lufs_before), "lufs_target": r(self.lufs_target),
                "lufs": r(self.lufs), "gain_db": r(self.gain_db),
                "limited_db": r(self.limited_db), "true_peak_dbtp": r(self.true_peak_db),
                "short_of_target_db": r(short)}


def _mono(wave) -> np.ndarray:
    x = np.asarray(wave, np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if x.ndim != 1:
        raise ValueError(f"a bar must be (samples,) or (samples, channels), got {x.shape}")
    return x


def _channels(wave) -> np.ndarray:
    """float64 `(samples, channels)`; at most `MEASURED_CHANNELS` of them (BS.1770's)."""
    x = np.asarray(wave, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"audio must be (samples,) or (samples, channels), got {x.shape}")
    return x[:, :MEASURED_CHANNELS]


def integrated_loudness(wave, sample_rate: int) -> float:
    """ITU-R BS.1770-4 integrated loudness of `wave` in LUFS (``-inf`` for silence), as
    heard: over its channels (their K-weighted powers summed, surrounds weighted 1.41), not
    of a mono downmix, so a stereo file reads as a listener hears it and an out-of-phase
    side is not cancelled.

    Args:
        wave: float `(samples,)` or `(samples, channels)` in [-1, 1]; channels in BS.1770's
            order (L, R, C, Ls, Rs); beyond `MEASURED_CHANNELS` they are not counted.
        sample_rate: Hz.
    """
    import pyloudnorm

    x = _channels(wave)
    if x.size == 0 or not np.any(x):
        return -math.inf
    block = min(0.4, x.size / float(sample_rate))
    meter = pyloudnorm.Meter(int(sample_rate), block_size=block)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        value = float(meter.integrated_loudness(x))
    return value if math.isfinite(value) else -math.inf


def _peaks(x: np.ndarray) -> np.ndarray:
    """Per-sample true-peak estimate: the largest |value| of the 4x oversampled signal in
    the sample's neighbourhood (BS.1770-4 Annex 2)."""
    from scipy.signal import resample_poly

    over = np.abs(resample_poly(x, _OVERSAMPLE, 1))[: x.size * _OVERSAMPLE]
    over = np.pad(over, (0, x.size * _OVERSAMPLE - over.size))
    per = over.reshape(x.size, _OVERSAMPLE).max(axis=1)
    return np.maximum(per, np.abs(x))


def true_peak_db(wave, sample_rate: int | None = None) -> float:
    """True peak of `wave` (its highest channel) in dBTP (``-inf`` for silence);
    `sample_rate` is not needed for 4x oversampling and is accepted for symmetry with
    `integrated_loudness`."""
    x = _channels(wave)
    peak = max((float(_peaks(c).max()) for c in x.T), default=0.0) if x.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def limit_true_peak(wave, sample_rate: int, ceiling_db: float = TRUE_PEAK_CEILING_DB
                    ) -> tuple[np.ndarray, float]:
    """Keep every true peak of `wave` at or under `ceiling_db` dBTP.

    The gain each sample needs (``min(1, ceiling / true_peak)``) is held for a few
    milliseconds (a minimum filter) and smoothed by a moving average as long as the look-ahead,
    so the gain is already down when a peak arrives and rises again after it; a last static
    gain covers what the smoothing leaves over the ceiling.

    Returns:
        ``(wave, deepest gain reduction in dB)``: float32 `(samples,)`, 0.0 if untouched.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    x = _mono(wave)
    ceiling = 10.0 ** (ceiling_db / 20.0)
    peaks = _peaks(x)
    if x.size == 0 or peaks.max() <= ceiling:
        return x.astype(np.float32), 0.0
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    ramp = max(1, int(round(_LOOKAHEAD_S * sample_rate)))
    hold = max(1, int(round(_HOLD_S * sample_rate)))
    gain = minimum_filter1d(need, size=2 * ramp + hold, mode="nearest")
    gain = np.minimum(uniform_filter1d(gain, size=ramp, mode="nearest"), 1.0)
    y = x * gain
    over = float(_peaks(y).max())
    if over > ceiling:  # the smoothed gain dips slightly less than needed next to a peak
        y *= ceiling / over
        gain *= ceiling / over
    return y.astype(np.float32), float(-20.0 * math.log10(max(float(gain.min()), 1e-12)))


def match_loudness(wave, sample_rate: int, target_lufs: float | None, *,
                   ceiling_db: float = TRUE_PEAK_CEILING_DB) -> Leveled:
    """Bring `wave` to `target_lufs` (None: keep its level), then limit its true peaks.

    Args:
        wave: float `(samples,)` output bar.
        sample_rate: Hz.
        target_lufs: the loudness to reach, LUFS; None or -inf: no gain, limiting only.
        ceiling_db: the highest true peak allowed, dBTP.

    Returns:
        A `Leveled` with the new wave and what was done.
    """
    x = _mono(wave)
    before = integrated_loudness(x, sample_rate)
    gain_db = 0.0
    wanted = target_lufs if target_lufs is not None and math.isfinite(target_lufs) else None
    if wanted is not None and math.isfinite(before):
        gain_db = float(min(MAX_GAIN_DB, wanted - before))
    y, limited = limit_true_peak(x * 10.0 ** (gain_db / 20.0), sample_rate, ceiling_db)
    return Leveled(wave=y, lufs_before=before, lufs_target=target_lufs,
                   lufs=integrated_loudness(y, sample_rate), gain_db=gain_db,
                   limited_db=limited, true_peak_db=true_peak_db(y))


def target_loudness(source_lufs: float, target_lufs: float, alpha: float) -> float:
    """The loudness of an interpolation step: the source's at alpha 0, the target's at 1,
    linear in LUFS (dB) between. A silent side (-inf) gives way to the other one."""
    if not math.isfinite(source_lufs):
        return target_lufs
    if not math.isfinite(target_lufs):
        return source_lufs
    a = float(alpha)
    return (1.0 - a) * float(source_lufs) + a * float(target_lufs)


def limiter_note(summaries, names) -> str | None:
    """One line on the outputs whose limiting went deeper than `LIMITER_NOTE_DB`, or None.

    Args:
        summaries: per output, `Leveled.summary()` (``limited_db``, ``short_of_target_db``).
        names: what to call each output (file names, ``bar 3``).

    Example: ``the true-peak limiter cut 01_alpha0.25.wav, 02_alpha0.50.wav by up to 5.2 dB;
    they end up to 1.5 dB under their loudness target``.
    """
    hit = [(name, s) for name, s in zip(names, summaries)
           if (s.get("limited_db") or 0.0) > LIMITER_NOTE_DB]
    if not hit:
        return None
    deepest = max(s["limited_db"] for _, s in hit)
    shorts = [s.get("short_of_target_db") for _, s in hit]
    shorts = [v for v in shorts if v is not None]
    listed = ", ".join(name for name, _ in hit[:6]) + (f" and {len(hit) - 6} more"
                                                        if len(hit) > 6 else "")
    line = f"the true-peak limiter cut {listed} by up to {deepest:.1f} dB"
    if shorts and max(shorts) > 0.05:
        line += f"; {'it ends' if len(hit) == 1 else 'they end'} up to {max(shorts):.1f} dB " \
                "under the loudness target"
    return line
