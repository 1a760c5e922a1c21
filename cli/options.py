"""Every option that two or more commands share, defined once (as in mlflow's ``cli_args``).

Each shared option is a decorator (``@options.MODEL``) carrying its name, env var, range and
help, so ``--bpm`` or ``--gl-iters`` accept the same values in every command. Ranges come from
`drumaae.limits`, the library's own limits: a value the library would refuse is refused here,
as a `click.BadParameter`, before any model loads. Options that differ only in their help or
default (the tempo of an input vs. of an output) are made by small factories over one type.
Options used by a single command stay in that command's module.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import click

from drumaae import limits

__all__ = [
    "LimitedType", "whole_type", "BPM_TYPE", "BAR_TYPE", "BARS_TYPE", "COUNT_TYPE",
    "SEED_TYPE", "REPEAT_TYPE", "TempoType", "ServerType", "PairsFileType",
    "MODEL", "TRACKING_URI", "SERVER", "MODEL_NAME", "TIMEOUT", "BACKEND", "MODEL_FILE",
    "DATA", "FORCE", "JSON", "JSON_OUT", "QUIET", "GL_ITERS", "STEPS", "TEMPO", "REFINE",
    "FILL", "BAR_LIST", "BARS", "bar_option", "bars_option", "bpm_option", "seed_option",
    "recipe_option", "recipe_names", "SAMPLE_RATE",
]

# --- types ------------------------------------------------------------------------------------

class LimitedType(click.ParamType):
    """A number checked by one of `drumaae.limits`' checks: the CLI and the library accept
    the same values and say the same thing about the others."""

    def __init__(self, check: Callable[[Any], Any], name: str):
        self.check = check
        self.name = name

    def convert(self, value: Any, param, ctx) -> Any:
        from drumaae.errors import LimitError

        if isinstance(value, str):
            text = value.strip()
            try:
                value = int(text)  # exact, however many digits
            except ValueError:
                try:
                    number = float(text)
                except ValueError:
                    self.fail(f"{value!r} is not a number", param, ctx)
                value = int(number) if number.is_integer() else number
        try:
            return self.check(value)
        except LimitError as exc:
            self.fail(str(exc), param, ctx)


def whole_type(what: str, low: int, high: int, name: str = "N") -> LimitedType:
    """A whole number in [`low`, `high`] (`limits.check_whole`), called `what` in errors."""
    return LimitedType(lambda value: limits.check_whole(value, what, low, high), name)


BPM_TYPE = LimitedType(limits.check_bpm, "BPM")
"""A tempo in beats per minute, in the library's range (`limits.MIN_BPM`-`limits.MAX_BPM`)."""
BAR_TYPE = whole_type("bar", 0, limits.MAX_INDEX, "N")
"""A bar number, from 0."""
BARS_TYPE = whole_type("bars", 1, limits.MAX_INDEX, "N")
"""A count of bars in a loop."""
COUNT_TYPE = LimitedType(limits.check_bars, "N")
"""A count of output bars (1-`limits.MAX_BARS`)."""
SEED_TYPE = LimitedType(limits.check_seed, "SEED")
"""A random seed (0-`limits.MAX_SEED`)."""
REPEAT_TYPE = whole_type("repeat", 1, limits.MAX_BARS // 2)
"""Times each interpolation step repeats in morph.wav: the command checks it against
``--steps`` too (`limits.check_repeat`) before any work."""


class ServerType(click.ParamType):
    """A TF Serving REST root, ``http(s)://HOST[:PORT]`` with a port in range
    (`limits.check_server_url`); errors never show a password given in it."""

    name = "URL"

    def convert(self, value: Any, param, ctx) -> Any:
        from drumaae.errors import LimitError

        try:
            return limits.check_server_url(value)
        except LimitError as exc:
            self.fail(str(exc), param, ctx)


MAX_PAIRS_FILE_BYTES = 4 * 2**20
"""Largest --pairs file (one line per pair: tens of thousands of pairs)."""


class PairsFileType(click.ParamType):
    """A --pairs FILE read into ``[(SRC, TGT), ...]``: UTF-8 text, one ``SRC TGT`` per line
    (shell quoting for spaces, blank lines and ``#`` comments skipped); any problem (not
    text, an unclosed quote, a line without two fields, no pairs) is one error naming the
    file and line."""

    name = "FILE"

    def convert(self, value: Any, param, ctx) -> Any:
        import shlex

        if isinstance(value, list):
            return value
        path = os.fspath(value)
        try:
            if os.path.getsize(path) > MAX_PAIRS_FILE_BYTES:
                self.fail(f"{path} is larger than {MAX_PAIRS_FILE_BYTES:,} bytes: is it a "
                          "list of 'SRC TGT' lines?", param, ctx)
            with open(path, "rb") as f:
                text = f.read().decode("utf-8")
        except UnicodeDecodeError:
            self.fail(f"{path} is not UTF-8 text: write one 'SRC TGT' per line", param, ctx)
        except OSError as exc:
            self.fail(f"cannot read {path}: {exc.strerror or exc}", param, ctx)
        if "\x00" in text:
            self.fail(f"{path} holds binary data, not text: write one 'SRC TGT' per line",
                      param, ctx)
        pairs = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                fields = shlex.split(line)
            except ValueError as exc:  # "No closing quotation", "No escaped character"
                self.fail(f"{path}, line {number}: {str(exc).lower()}: quote names with "
                          "spaces as 'a b.wav' or \"a b.wav\"", param, ctx)
            if len(fields) != 2:
                self.fail(f"{path}, line {number}: expected 'SRC TGT', got {len(fields)} "
                          f"field{'s' * (len(fields) != 1)}", param, ctx)
            pairs.append((fields[0], fields[1]))
        if not pairs:
            self.fail(f"{path} lists no pairs: write one 'SRC TGT' per line", param, ctx)
        return pairs


class TempoType(click.ParamType):
    """``source``, ``target``, ``blend`` or a BPM number in the library's range."""

    name = "source|target|blend|BPM"

    def convert(self, value: Any, param, ctx) -> Any:
        text = str(value).strip().lower()
        if text in limits.TEMPO_MODES:
            return text
        try:
            bpm = float(text)
        except ValueError:
            self.fail(f"{value!r} is not source, target, blend or a BPM number", param, ctx)
        return BPM_TYPE.convert(bpm, param, ctx)


# --- the model and where it runs -------------------------------------------------------------

MODEL = click.option(
    "--model", "model_ref", envvar="DRUMAAE_MODEL", default=None, metavar="REF",
    help="Model: omitted = the bundled default; a .keras path; or an MLflow URI "
         "(models:/NAME/VERSION, models:/NAME@ALIAS, runs:/ID/model). Env: DRUMAAE_MODEL.")
TRACKING_URI = click.option(
    "--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None, metavar="URI",
    help="MLflow tracking URI (default: sqlite:///mlflow.db in the current folder). "
         "Env: MLFLOW_TRACKING_URI.")
SERVER = click.option(
    "--server", envvar="DRUMAAE_SERVER", default=None, metavar="URL", type=ServerType(),
    help="Use a TF Serving REST endpoint (e.g. http://localhost:8501) instead of a local "
         "model. Env: DRUMAAE_SERVER.")
MODEL_NAME = click.option(
    "--model-name", envvar="DRUMAAE_MODEL_NAME", default=None, metavar="NAME",
    help="Name of the served model (with --server). Env: DRUMAAE_MODEL_NAME.")
TIMEOUT = click.option(
    "--timeout", envvar="DRUMAAE_TIMEOUT", type=LimitedType(limits.check_deadline, "SECONDS"),
    default=limits.REST_DEADLINE_S, show_default=True,
    help="Total seconds one --server request may take (connect, send and the whole "
         "answer). Env: DRUMAAE_TIMEOUT.")


def BACKEND(fn: Callable) -> Callable:  # noqa: N802 - a decorator, named like the others
    """--model and --tracking-uri, or --server, --model-name and --timeout (TF Serving)."""
    for option in (TIMEOUT, MODEL_NAME, SERVER, TRACKING_URI, MODEL):
        fn = option(fn)
    return fn


MODEL_FILE = click.option(
    "--model", "model_ref", default=None, type=click.Path(exists=True, dir_okay=False),
    metavar="PATH",
    help="A .keras model file  [default: the bundled model, else an untrained model of the "
         "recipe].")


def recipe_names() -> list[str]:
    """The bundled recipes' names: the folder `drumaae.config.bundled_recipes` reads, listed
    without importing drumaae.config (numpy, yaml), which --help does not need."""
    from importlib import resources

    return sorted(entry.name[: -len(".yaml")] for entry in
                  resources.files("drumaae.recipes").iterdir() if entry.name.endswith(".yaml"))


def recipe_option(required: bool = False) -> Callable:
    """--recipe: a recipe YAML file or a bundled name."""
    return click.option(
        "--recipe", "recipe_ref", required=required, default=None, metavar="RECIPE",
        help=f"A recipe YAML file or a bundled name ({', '.join(recipe_names())})."
             + ("" if required else "  [default: default, or tiny with --quick]"))


# --- inputs -------------------------------------------------------------------------------

def _data_paths(ctx: click.Context, param: click.Parameter, value: tuple) -> tuple:
    from drumaae.errors import DataError

    if not value and not ctx.resilient_parsing:
        what = "training data" if ctx.command.name == "train" else "data"
        raise DataError(f"no {what}: pass --data with audio files or folders (e.g. a corpus "
                        "made by 'drumaae corpus render')")
    for path in value:
        if not os.path.exists(path):
            raise DataError(f"{path} does not exist: give audio files or folders with --data")
    return value


DATA = click.option(
    "--data", "data", multiple=True, type=click.Path(), metavar="PATH",
    callback=_data_paths,
    help="Audio files or folders (repeatable). A folder made by 'drumaae corpus render' "
         "gives each file's tempo, and its val/ holds the held-out kits.")


def bar_option(*names: str, default: int | None = None,
               help: str = "Bar of the input to use (from 0).") -> Callable:
    """A bar-number option (``--bar`` unless `names` are given), from 0."""
    return click.option(*(names or ("--bar",)), type=BAR_TYPE, default=default,
                        show_default=default is not None, help=help)


def bars_option(*names: str, help: str = "Bars in the input loop, if known (the tempo follows "
                                         "from its length).") -> Callable:
    """A bar-count option (``--bars`` unless `names` are given), at least 1."""
    return click.option(*(names or ("--bars",)), type=BARS_TYPE, default=None, help=help)


BAR_LIST = click.option(
    "--bar", "bar_list", type=BAR_TYPE, multiple=True,
    help="Use only this bar (from 0; repeatable)  [default: every bar].")
BARS = bars_option()


def bpm_option(*names: str, default: float | None = None,
               help: str = "Tempo of the input, if known (else detected).") -> Callable:
    """A tempo option (``--bpm`` unless `names` are given) in the library's range."""
    return click.option(*(names or ("--bpm",)), type=BPM_TYPE, default=default,
                        show_default=default is not None,
                        help=f"{help}  [{limits.MIN_BPM:g}-{limits.MAX_BPM:g} BPM]")


# --- rendering ------------------------------------------------------------------------------

GL_ITERS = click.option(
    "--gl-iters", "iters", type=LimitedType(limits.check_gl_iters, "ITERS"), default=None,
    help=f"Griffin-Lim iterations, 1-{limits.MAX_GL_ITERS}  [default: the model's recipe].")
REFINE = click.option(
    "--refine", type=LimitedType(limits.check_refine, "N"), default=None,
    help=f"Gradient steps fitting each code to its bar after the encoder (0-"
         f"{limits.MAX_REFINE}; 0 = the encoder's codes; closer reconstructions of sounds "
         "unlike the training data; a local model only). Measured gain and cost: "
         f"docs/model.md.  [default: {limits.DEFAULT_REFINE} with a local model, 0 with "
         "--server]")
FILL = click.option(
    "--fill", type=click.Choice(["error", "loop"]), default="error", show_default=True,
    help="A loop shorter than its bars at the given tempo (e.g. two beats with --bpm): "
         "'error' says so, 'loop' repeats it to fill the bar. Never padded with silence.")
MATCH_LOUDNESS = click.option(
    "--no-match-loudness", "match_loudness", is_flag=True, flag_value=False, default=True,
    help="Keep the model's raw output level instead of matching each bar to its input's "
         "loudness (ITU-R BS.1770); true-peak limiting to -1 dBTP stays on.")
def _output_rate(value: Any) -> int:
    from drumaae.audio.io import check_output_rate  # soundfile: loaded when the option is used

    return check_output_rate(value)


SAMPLE_RATE = click.option(
    "--sample-rate", "output_rate", default=None, metavar="HZ",
    type=LimitedType(_output_rate, "HZ"),
    help="Rate of the WAVs written, Hz (the model renders at its own rate, 22.05 kHz for "
         "the bundled one, and each bar is resampled to exactly one bar at this rate)  "
         "[default: the input's rate]")
STEPS = click.option(
    "--steps", type=LimitedType(limits.check_steps, "STEPS"), default=5, show_default=True,
    help=f"Outputs from source (alpha 0) to target (alpha 1), 2-{limits.MAX_STEPS}.")


def tempo_option(default: str = limits.DEFAULT_TEMPO, help: str = "Output tempo: the source's, the "
                 "target's, 'blend' (interpolated along alpha) or a BPM number.") -> Callable:
    """--tempo: the steps' tempo of a morph (`TempoType`)."""
    return click.option("--tempo", type=TempoType(), default=default, show_default=True,
                        help=help)


TEMPO = tempo_option()


def seed_option(default: int | None = 0) -> Callable:
    """--seed: Griffin-Lim's initial phases (and a prior draw); None = a random seed."""
    return click.option(
        "--seed", type=SEED_TYPE, default=default, show_default=default is not None,
        help=f"Random seed, 0-{limits.MAX_SEED} (Griffin-Lim phases, prior draws)"
             + ("" if default is not None else "  [default: random]") + ".")


# --- outputs --------------------------------------------------------------------------------

FORCE = click.option(
    "--force", is_flag=True,
    help="Overwrite existing outputs (in a folder: only the files drumaae's own manifest "
         "there lists).")
INPUT_PHASE = click.option(
    "--input-phase/--random-phase", "input_phase", default=True, show_default=True,
    help="Start Griffin-Lim of a bar rendered at its input's own tempo (a reconstruction, "
         "a morph's alpha 0 and 1) from the input bar's phase, or from the seeded random "
         "phases. A served model (--server) always starts from random phases. Measured in "
         "docs/model.md ('Tempo changes').")
RETIME = click.option(
    "--retime/--no-retime", "retime", default=limits.DEFAULT_RETIME, show_default=True,
    help="Change tempo by slices: render each bar at the tempo its code was made at, then "
         "re-place its hits on the output bar's grid (decays keep their length in seconds; "
         "where the output is slower, a hit rings on with its decay rendered at the output "
         "tempo). --no-retime: render at the output tempo (decays scale with the tempo "
         "ratio). Measured in docs/model.md ('Tempo changes').")
BLEND_LABELS = click.option(
    "--blend-labels/--no-blend-labels", "blend_labels", default=limits.DEFAULT_BLEND_LABELS,
    show_default=True,
    help="Condition the generator on the endpoints' rhythm labels blended along alpha, or "
         "on each step's own (which flips from one cluster to the other in one step). A "
         "local model only. Measured in docs/model.md ('Tempo changes').")

JSON = click.option(
    "--json", "as_json", is_flag=True,
    help="Print the result as JSON on stdout instead of text (progress and notes stay on "
         "stderr).")
QUIET = click.option(
    "--quiet", "-q", "quiet", is_flag=True,
    help="No progress lines on stderr (errors and warnings still go there).")
JSON_OUT = click.option(
    "--json-out", "json_out", type=click.Path(dir_okay=False), default=None, metavar="FILE",
    help="Also write the result as JSON to FILE (atomic; an existing FILE needs --force).")
