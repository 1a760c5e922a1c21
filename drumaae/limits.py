"""Resource limits: what one request may ask for, checked before any compute.

One definition for the library, the CLI's option ranges (`drumaae_cli.options`), model files
and codes files, so that a typo (``--bpm 0.05``, ``"bpm": 0.0001`` in a codes file, a recipe
saying ``griffin_lim_iters: 1e8``, ``--steps 1000``) is a one-line error instead of hours of
compute or gigabytes of memory. docs/cli.md ("Limits") lists them with what each costs.

Every check raises `drumaae.errors.LimitError` (a `DrumaaeError` and a `ValueError`) whose
message names the value, the allowed range and what to do.
"""

from __future__ import annotations

import math
from typing import Any

from drumaae.errors import LimitError

__all__ = [
    "MIN_BPM",
    "MAX_BPM",
    "MAX_STEPS",
    "MAX_GL_ITERS",
    "MAX_BARS",
    "FIGURE_MAX_PANELS",
    "REST_DEADLINE_S",
    "MAX_REST_DEADLINE_S",
    "REST_MAX_RESPONSE_BYTES",
    "MAX_REFINE",
    "DEFAULT_REFINE",
    "MIN_FREE_BYTES",
    "check_bpm",
    "check_steps",
    "check_gl_iters",
    "check_bars",
    "check_refine",
    "resolve_refine",
    "check_repeat",
    "check_deadline",
    "figure_panels",
]

MIN_BPM = 20.0
"""Slowest tempo of an input or output bar: one 4/4 bar at 20 BPM lasts 12 s."""
MAX_BPM = 400.0
"""Fastest tempo: one beat at 400 BPM lasts 0.15 s."""
MAX_STEPS = 64
"""Most interpolation steps (output bars) of one `interpolate`."""
MAX_GL_ITERS = 1000
"""Most Griffin-Lim iterations per render (the recipes use 32-64)."""
MAX_BARS = 512
"""Most bars one `sample` draws or one codes file decodes (16 minutes at 128 BPM)."""
FIGURE_MAX_PANELS = 16
"""An interpolation figure shows at most this many steps (evenly spaced, ends included)."""
REST_DEADLINE_S = 30.0
"""Default total deadline of one TF Serving request (connect, send and the whole answer)."""
MAX_REST_DEADLINE_S = 3600.0
"""Longest deadline a caller may give one TF Serving request."""
REST_MAX_RESPONSE_BYTES = 256 * 2**20
"""Largest TF Serving answer read into memory; requests also bound it by what they expect."""
MAX_REFINE = 500
"""Most code-refinement steps (`DrumAAE.refine`) one call may ask for."""
DEFAULT_REFINE = 20
"""Code-refinement steps a local model takes when the caller names none (a served model takes
none: it has no gradients). Its measured gain and cost: docs/model.md."""
MIN_FREE_BYTES = 16 * 2**20
"""Free space an output's file system must have before any compute (a full disk is refused
up front; a disk that fills up during the write is still caught, atomically)."""


def _number(value: Any, what: str, kind: str) -> float:
    """`value` as a finite float; `kind` says what was expected ("a number of seconds")."""
    try:
        if isinstance(value, (bool, str, bytes)):
            raise TypeError
        out = float(value)
    except (TypeError, ValueError):
        raise LimitError(f"{what} must be {kind}, got {value!r}") from None
    if math.isnan(out) or math.isinf(out):
        raise LimitError(f"{what} must be {kind}, got {value!r}")
    return out


def _whole(value: Any, what: str, low: int, high: int, why: str = "") -> int:
    number = _number(value, what, "a whole number")
    if number != int(number) or not low <= number <= high:
        raise LimitError(f"{what} must be a whole number, at least {low}{why} and at most "
                         f"{high}; got {value!r}")
    return int(number)


def check_bpm(value: Any, what: str = "tempo") -> float:
    """`value` as a float tempo in [MIN_BPM, MAX_BPM] beats per minute, else `LimitError`."""
    bpm = _number(value, what, "a number of beats per minute")
    if not MIN_BPM <= bpm <= MAX_BPM:
        raise LimitError(f"{what} must be in [{MIN_BPM:g}, {MAX_BPM:g}] BPM, got {value!r}")
    return bpm


def check_steps(value: Any) -> int:
    """Interpolation steps: a whole number in [2, MAX_STEPS] (alpha 0 and alpha 1 at least)."""
    return _whole(value, "steps", 2, MAX_STEPS,
                  " (alpha 0 = the source, alpha 1 = the target)")


def check_gl_iters(value: Any, what: str = "Griffin-Lim iterations") -> int:
    """Griffin-Lim iterations: a whole number in [1, MAX_GL_ITERS]."""
    return _whole(value, what, 1, MAX_GL_ITERS)


def check_repeat(value: Any, steps: int, file: str = "morph.wav") -> int:
    """Times each of `steps` bars repeats in one joined file: a whole number from 1 to
    ``MAX_BARS // steps`` (at most `MAX_BARS` bars in `file`)."""
    return _whole(value, "repeat", 1, max(1, MAX_BARS // int(steps)),
                  f" ({MAX_BARS} bars in {file} at most)")


def check_refine(value: Any) -> int:
    """Code-refinement steps: a whole number in [0, MAX_REFINE] (0 = the encoder's codes)."""
    return _whole(value, "refine steps", 0, MAX_REFINE)


def resolve_refine(value: Any, can_refine: bool) -> int:
    """Refinement steps for one call: `value` checked (`check_refine`), or for None the
    default, `DEFAULT_REFINE` where the model can refine and 0 where it cannot (a served
    model, a backend other than TensorFlow)."""
    if value is None:
        return DEFAULT_REFINE if can_refine else 0
    return check_refine(value)


def check_bars(value: Any, what: str = "bars") -> int:
    """A count of output bars: a whole number in [1, MAX_BARS]."""
    return _whole(value, what, 1, MAX_BARS)


def check_deadline(value: Any, what: str = "timeout") -> float:
    """A request deadline in seconds: in (0, MAX_REST_DEADLINE_S]."""
    seconds = _number(value, what, "a number of seconds")
    if not 0.0 < seconds <= MAX_REST_DEADLINE_S:
        raise LimitError(f"{what} must be in (0, {MAX_REST_DEADLINE_S:g}] seconds, "
                         f"got {value!r}")
    return seconds


def figure_panels(steps: int) -> list[int]:
    """The steps a figure of `steps` panels shows: all of them up to `FIGURE_MAX_PANELS`,
    else that many evenly spaced, the first (source) and the last (target) included."""
    steps = int(steps)
    if steps <= FIGURE_MAX_PANELS:
        return list(range(steps))
    return sorted({round(i * (steps - 1) / (FIGURE_MAX_PANELS - 1))
                   for i in range(FIGURE_MAX_PANELS)})
