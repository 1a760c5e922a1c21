"""Processing chains for corpus augmentation: room, EQ, dynamics, lo-fi and level (pedalboard).

Real drum loops are rarely dry kit samples: they are recorded in rooms, equalised,
compressed, saturated, sampled at low bit depths and rates, and played at any level.
`draw_chain` draws such a chain from a numpy Generator as plain data (a list of
``{"stage": ..., parameters}`` dicts, stored in the corpus manifest), and `apply_chain` runs
it with Spotify's `pedalboard` effects. Both are deterministic: the same chain on the same
audio gives the same samples.

Stages, each present with its own probability, in signal order:

* ``eq``: low shelf, peak and high shelf (`LowShelfFilter`, `PeakFilter`, `HighShelfFilter`);
* ``compressor``: `Compressor` (threshold, ratio, attack, release);
* ``saturation``: `Distortion` (drive);
* ``bitcrush``: `Bitcrush` (bit depth);
* ``resample``: `Resample` down to a lower rate and back (sampler aliasing, lost highs);
* ``reverb``: `Reverb` (room size, damping, wet/dry);
* ``gain``: `Gain` (output level, after peak normalisation).

`resample` (soxr, high quality) is the corpus's one resampler: kit samples to the output
rate, and the varispeed tuning of `drumaae.data.voicing`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import soxr

from drumaae.errors import DataError

__all__ = ["STAGES", "draw_chain", "apply_chain", "describe_chain", "resample", "low_shelf",
           "high_shelf", "run_plugins", "rounded"]

#: Stage name -> chance it is part of a drawn chain.
STAGES: dict[str, float] = {
    "eq": 0.6,
    "compressor": 0.45,
    "saturation": 0.3,
    "bitcrush": 0.15,
    "resample": 0.2,
    "reverb": 0.45,
    "gain": 0.5,
}
_PEAK_DBFS = -1.0


def _pedalboard():
    try:
        import pedalboard
    except ImportError as exc:
        raise DataError("processing chains need pedalboard: pip install pedalboard==0.9.26"
                        ) from exc
    return pedalboard


def resample(x: np.ndarray, orig_sr: float, target_sr: float) -> np.ndarray:
    """soxr "HQ" resampling to ``ceil(len * target / orig)`` samples: bit for bit what
    ``librosa.resample(res_type="soxr_hq")`` gives, without librosa's first call (50-90 s of
    setup on the 2-core machine). The rates may be fractional (a varispeed tuning)."""
    n = int(np.ceil(x.shape[-1] * (float(target_sr) / orig_sr)))
    y = soxr.resample(x, orig_sr, target_sr, quality="HQ")
    return y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))


def low_shelf(cutoff_hz: float, gain_db: float):
    """pedalboard's `LowShelfFilter`."""
    return _pedalboard().LowShelfFilter(cutoff_frequency_hz=cutoff_hz, gain_db=gain_db)


def high_shelf(cutoff_hz: float, gain_db: float, sample_rate: int):
    """pedalboard's `HighShelfFilter`, its corner kept below Nyquist (at most 0.45 x the
    rate), so a chain or a voicing drawn for 22.05 kHz also runs on a low-rate corpus."""
    return _pedalboard().HighShelfFilter(cutoff_frequency_hz=min(cutoff_hz, 0.45 * sample_rate),
                                         gain_db=gain_db)


def run_plugins(x: np.ndarray, sample_rate: int, plugins: list) -> np.ndarray:
    """Mono samples `x` through pedalboard `plugins` on a fresh board (no state carried in
    from an earlier call); the same length."""
    return _pedalboard().Pedalboard(plugins)(x[None, :], float(sample_rate), reset=True)[0]


def rounded(x: float, digits: int = 2) -> float:
    """A drawn value as stored in a manifest (chains, voicings): `digits` decimals."""
    return round(float(x), digits)


def draw_chain(rng: np.random.Generator) -> list[dict[str, Any]]:
    """A random processing chain (at least one stage), as JSON-ready data.

    Parameter ranges: EQ shelves +-9 dB at 60-250 Hz / 3-10 kHz, a peak of +-8 dB at
    200 Hz-5 kHz (Q 0.5-3); compressor threshold -30..-8 dB, ratio 2-10, attack 0.5-30 ms,
    release 40-300 ms; saturation drive 4-24 dB; bit depth 6-12; resampling to 6-16 kHz;
    reverb room 0.1-0.9, damping 0.1-0.9, wet 0.05-0.45; output gain -12..0 dB.
    """
    stages = [name for name, p in STAGES.items() if rng.random() < p]
    if not stages:
        stages = [list(STAGES)[int(rng.integers(len(STAGES)))]]
    chain: list[dict[str, Any]] = []
    for name in STAGES:  # signal order, whatever the draw order
        if name not in stages:
            continue
        if name == "eq":
            step = {"stage": "eq",
                    "low_hz": rounded(rng.uniform(60, 250), 1), "low_db": rounded(rng.uniform(-9, 9)),
                    "peak_hz": rounded(np.exp(rng.uniform(np.log(200), np.log(5000))), 1),
                    "peak_db": rounded(rng.uniform(-8, 8)), "peak_q": rounded(rng.uniform(0.5, 3)),
                    "high_hz": rounded(rng.uniform(3000, 10000), 1),
                    "high_db": rounded(rng.uniform(-9, 9))}
        elif name == "compressor":
            step = {"stage": "compressor", "threshold_db": rounded(rng.uniform(-30, -8)),
                    "ratio": rounded(rng.uniform(2, 10)), "attack_ms": rounded(rng.uniform(0.5, 30)),
                    "release_ms": rounded(rng.uniform(40, 300), 1)}
        elif name == "saturation":
            step = {"stage": "saturation", "drive_db": rounded(rng.uniform(4, 24))}
        elif name == "bitcrush":
            step = {"stage": "bitcrush", "bit_depth": int(rng.integers(6, 13))}
        elif name == "resample":
            step = {"stage": "resample", "rate_hz": int(rng.integers(6000, 16001))}
        elif name == "reverb":
            step = {"stage": "reverb", "room_size": rounded(rng.uniform(0.1, 0.9)),
                    "damping": rounded(rng.uniform(0.1, 0.9)), "wet": rounded(rng.uniform(0.05, 0.45)),
                    "dry": rounded(rng.uniform(0.6, 1.0))}
        else:
            step = {"stage": "gain", "gain_db": rounded(rng.uniform(-12, 0))}
        chain.append(step)
    return chain


def describe_chain(chain: list[dict[str, Any]] | None) -> str:
    """A short label for a chain: its stage names joined by '+', or 'dry'."""
    return "+".join(step["stage"] for step in chain) if chain else "dry"


def _plugins(chain: list[dict[str, Any]], sample_rate: int) -> tuple[list, float]:
    pb = _pedalboard()
    plugins, gain_db = [], 0.0
    for step in chain:
        stage = step["stage"]
        if stage == "eq":
            plugins += [
                low_shelf(step["low_hz"], step["low_db"]),
                pb.PeakFilter(cutoff_frequency_hz=step["peak_hz"], gain_db=step["peak_db"],
                              q=step["peak_q"]),
                high_shelf(step["high_hz"], step["high_db"], sample_rate),
            ]
        elif stage == "compressor":
            plugins.append(pb.Compressor(threshold_db=step["threshold_db"],
                                         ratio=step["ratio"], attack_ms=step["attack_ms"],
                                         release_ms=step["release_ms"]))
        elif stage == "saturation":
            plugins.append(pb.Distortion(drive_db=step["drive_db"]))
        elif stage == "bitcrush":
            plugins.append(pb.Bitcrush(bit_depth=step["bit_depth"]))
        elif stage == "resample":
            if step["rate_hz"] < sample_rate:
                plugins.append(pb.Resample(target_sample_rate=float(step["rate_hz"])))
        elif stage == "reverb":
            plugins.append(pb.Reverb(room_size=step["room_size"], damping=step["damping"],
                                     wet_level=step["wet"], dry_level=step["dry"]))
        elif stage == "gain":
            gain_db = float(step["gain_db"])
        else:
            raise DataError(f"unknown processing stage {stage!r}")
    return plugins, gain_db


def apply_chain(audio: np.ndarray, sample_rate: int, chain: list[dict[str, Any]]
                ) -> np.ndarray:
    """Run `chain` on a mono bar or loop; returns float32 of the same length.

    The input is treated as a loop: it is processed twice in a row and the second pass is
    kept, so reverb tails and compressor release carry over the bar line as in a looped
    recording. The result is peak-normalised to -1 dBFS, then the chain's ``gain`` stage
    (if any) sets its level.

    Args:
        audio: float32 mono samples, shape ``(samples,)``.
        sample_rate: in Hz.
        chain: as drawn by `draw_chain`.
    """
    x = np.asarray(audio, dtype=np.float32)
    n = len(x)
    plugins, gain_db = _plugins(chain, sample_rate)
    if plugins and n:
        y = run_plugins(np.concatenate([x, x]), sample_rate, plugins)
        x = np.asarray(y[n:2 * n], dtype=np.float32)
    peak = float(np.max(np.abs(x))) if n else 0.0
    if peak > 0:
        x = x * np.float32(10.0 ** ((_PEAK_DBFS + gain_db) / 20.0) / peak)
    return np.ascontiguousarray(x, dtype=np.float32)
