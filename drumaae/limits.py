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
    "TEMPO_MODES",
    "DEFAULT_TEMPO",
    "DEFAULT_RETIME",
    "DEFAULT_BLEND_LABELS",
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
    "MAX_SAMPLE_RATE",
    "MAX_BAR_SAMPLES",
    "MAX_INDEX",
    "MAX_SEED",
    "MAX_LATENT_DIM",
    "MAX_CODE_ABS",
    "MIN_LUFS",
    "MAX_LUFS",
    "MAX_JSON_DEPTH",
    "MAX_CODES_FILE_BYTES",
    "MAX_MODEL_CONFIG_BYTES",
    "MAX_MODEL_BYTES",
    "check_whole",
    "check_seed",
    "check_latent_dim",
    "check_codes",
    "check_lufs",
    "check_port",
    "check_server_url",
    "parse_json",
]

TEMPO_MODES = ("source", "target", "blend")
"""The words a morph's tempo may be given as (else a BPM number): the source's, the target's,
or each step's interpolated along alpha like its code."""
DEFAULT_TEMPO = "source"
"""A morph's tempo when none is given, everywhere: `drumaae.inference.interpolate`,
`drumaae.evaluation.evaluate` and the CLI's ``--tempo`` of ``interpolate`` and ``evaluate``
(so evaluate measures the steps users get)."""
DEFAULT_RETIME = True
"""Whether a bar wanted at another tempo than its code was made at is re-timed by slices
(`drumaae.audio.retime`) when the caller does not say, everywhere: `decode`, `interpolate`,
`sample`, `evaluate` and the CLI's ``--retime/--no-retime``. On: closer to the same loop
played at the other tempo than rendering there directly (docs/model.md, 'Tempo changes')."""
DEFAULT_BLEND_LABELS = True
"""Whether a conditional generator's label along a morph is the endpoints' labels blended by
alpha (True) or each step's own p(k | z), which flips from one cluster to the other in one
step, when the caller does not say: `interpolate`, `evaluate` and the CLI's
``--blend-labels/--no-blend-labels``. Measured in docs/model.md, 'Tempo changes'."""

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
DEFAULT_REFINE = 40
"""Code-refinement steps a local model takes when the caller names none (a served model takes
none: it has no gradients). Its measured gain and cost: docs/model.md."""
MIN_FREE_BYTES = 16 * 2**20
"""Free space an output's file system must have before any compute (a full disk is refused
up front; a disk that fills up during the write is still caught, atomically)."""


MAX_SAMPLE_RATE = 192000
"""Highest sample rate of a model, a served model's settings or a codes file, in Hz."""
MAX_BAR_SAMPLES = 192000 * 3 * 64
"""Longest bar a file may state, in samples: 64 beats (a recipe's most) at `MIN_BPM` (3 s a
beat) at `MAX_SAMPLE_RATE`."""
MAX_INDEX = 2**31 - 1
"""Largest bar number or bar count an option may name (a real input has far fewer: the
operations say which bars exist)."""
MAX_SEED = 2**31 - 1
"""Largest random seed (TensorFlow, Keras and NumPy all take 0 .. 2**31 - 1)."""
MAX_LATENT_DIM = 1024
"""Largest code size a model, a server or a codes file may declare (the recipes use 8-128)."""
MAX_CODE_ABS = 100.0
"""Largest magnitude of one code value: the prior's means lie at its radius (4 in every
recipe) with spreads of 0.1-1, so a code 25 radii out is no drum bar the model knows; the
generator turns such codes into full-scale noise or DC."""
MIN_LUFS = -70.0
"""Quietest loudness a codes file may ask a bar to be brought to (BS.1770's absolute gate)."""
MAX_LUFS = 6.0
"""Loudest: a full-scale square wave measures about +3 LUFS."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of a JSON document drumaae parses (codes files, model configs, a server's
settings): ours nest 5 deep; 100,000 deep overflowed Python's stack."""
MAX_CODES_FILE_BYTES = 32 * 2**20
"""Largest codes file, and largest decompressed size of all members of a ``.npz`` one:
`MAX_BARS` codes of `MAX_LATENT_DIM` values take 2 MiB as float32, about 16 MiB as the
indented JSON `save_codes` writes."""
MAX_MODEL_CONFIG_BYTES = 16 * 2**20
"""Largest ``config.json`` inside a ``.keras`` file (a drumaae model's is about 4 KB)."""
MAX_MODEL_BYTES = 4 * 2**30
"""Largest decompressed size of all members of a ``.keras`` file (the bundled model: 12 MB)."""


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
    if isinstance(value, int) and not isinstance(value, bool):
        number = value  # exact, however large (a float would round 2**64 + 1)
    else:
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


def check_whole(value: Any, what: str, low: int, high: int) -> int:
    """A whole number in [`low`, `high`], else `LimitError` naming `what` and the range."""
    return _whole(value, what, int(low), int(high))


def check_seed(value: Any, what: str = "seed") -> int:
    """A random seed: a whole number in [0, MAX_SEED]."""
    return _whole(value, what, 0, MAX_SEED)


def check_latent_dim(value: Any, what: str = "latent size") -> int:
    """A code size d: a whole number in [1, MAX_LATENT_DIM]."""
    return _whole(value, what, 1, MAX_LATENT_DIM)


def check_codes(codes: Any, what: str = "the codes", fix: str = "encode the audio again"
                ) -> Any:
    """Codes `(n, d)` as float32, every value finite and within +-`MAX_CODE_ABS`, else
    `LimitError` naming `what` (the file or the model) and `fix`."""
    import numpy as np

    try:
        z = np.asarray(codes, np.float32)
    except (TypeError, ValueError):
        raise LimitError(f"{what} are not numbers: {fix}") from None
    if not np.all(np.isfinite(z)):
        raise LimitError(f"{what} hold NaN or infinite values: {fix}")
    if z.size and float(np.abs(z).max()) > MAX_CODE_ABS:
        raise LimitError(f"{what} reach {float(np.abs(z).max()):.3g}, beyond the model's "
                         f"prior (codes stay within +-{MAX_CODE_ABS:g}): {fix}")
    return z


def check_lufs(value: Any, what: str = "loudness") -> float:
    """A loudness in [MIN_LUFS, MAX_LUFS] LUFS."""
    lufs = _number(value, what, "a loudness in LUFS")
    if not MIN_LUFS <= lufs <= MAX_LUFS:
        raise LimitError(f"{what} must be in [{MIN_LUFS:g}, {MAX_LUFS:g}] LUFS, got {value!r}")
    return lufs


def check_port(value: Any, what: str = "port") -> int:
    """A TCP port: a whole number in [1, 65535]."""
    return _whole(value, what, 1, 65535)


def check_server_url(url: Any, what: str = "--server") -> str:
    """A REST root ``http(s)://HOST[:PORT][/PATH]``: the scheme, a host, a port in range;
    the URL without a trailing slash. Messages hide any password in it."""
    import urllib.parse

    from drumaae.uris import redact

    text = str(url).strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise LimitError(f"{what} {redact(text)!r} is not a URL ({exc}): give "
                         "http://HOST:PORT, e.g. http://localhost:8501") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LimitError(f"{what} {redact(text)!r} must look like http://HOST:8501 (TF "
                         "Serving's REST port)")
    if port is not None:
        check_port(port, f"the port of {what}")
    elif parts.netloc.endswith(":"):
        raise LimitError(f"{what} {redact(text)!r} has an empty port: give http://HOST:PORT")
    return text.rstrip("/")


_JSON_STRING = None


def parse_json(text: str | bytes, what: str, max_bytes: int, *,
               max_depth: int = MAX_JSON_DEPTH, allow_nan: bool = False) -> Any:
    """`text` parsed as JSON after checking its length (`max_bytes`) and nesting
    (`max_depth`) without recursion; NaN and Infinity are refused unless `allow_nan`.
    `LimitError` for a document over a bound, `ValueError` (`json.JSONDecodeError`,
    `UnicodeDecodeError`) for one that is not JSON.
    """
    import json
    import re

    import numpy as np

    global _JSON_STRING
    if len(text) > max_bytes:
        raise LimitError(f"{what} is {len(text):,} bytes, more than the {max_bytes:,} allowed")
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if _JSON_STRING is None:
        _JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
    bare = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    step = np.zeros(256, np.int8)
    step[[ord("["), ord("{")]] = 1
    step[[ord("]"), ord("}")]] = -1
    if bare:
        depth = int(np.cumsum(step[np.frombuffer(bare, np.uint8)], dtype=np.int64).max())
        if depth > max_depth:
            raise LimitError(f"{what} nests {depth} levels deep, more than the {max_depth} "
                             "allowed")

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    return json.loads(text, parse_constant=None if allow_nan else no_constant)
