"""What the audio commands (encode, decode, interpolate, reconstruct, sample) share:
the model/server options, the tempo and Griffin-Lim options, and printing results.

Outputs themselves are written atomically by `drumaae.inference` (a temporary file or folder
beside the destination, moved into place), so a failed command leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import click

from drumaae.errors import AudioFileNotFoundError, DrumaaeError, NotAudioError
from drumaae_cli.common import model_option, tracking_uri_option

DEFAULT_TIMEOUT = 30.0


def check_inputs(*paths: str) -> None:
    """Fail on a missing input before the model is loaded (which takes seconds)."""
    for path in paths:
        if not os.path.exists(path):
            raise AudioFileNotFoundError(f"{path} does not exist: check the path")
        if os.path.isdir(path):
            raise NotAudioError(f"{path} is a folder, not an audio file: give a file")


def backend_options(fn: Callable) -> Callable:
    """--model and --tracking-uri, plus --server / --model-name / --timeout for a TF
    Serving model."""
    fn = click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
                      default=DEFAULT_TIMEOUT, show_default=True,
                      help="Seconds to wait for each --server request.")(fn)
    fn = click.option("--model-name", default=None, metavar="NAME",
                      help="Name of the served model (with --server).")(fn)
    fn = click.option("--server", default=None, metavar="URL",
                      help="Use a TF Serving REST endpoint (e.g. http://localhost:8501) "
                           "instead of a local model.")(fn)
    return model_option(tracking_uri_option(fn))


def make_backend(model_ref: str | None, server: str | None, model_name: str | None,
                 timeout: float, tracking_uri: str | None = None):
    """The inference backend the options ask for: a local model (loaded once) or a REST
    client of TF Serving."""
    from drumaae import inference

    if server is None:
        if model_name is not None:
            raise click.BadParameter("--model-name needs --server", param_hint="--model-name")
        return inference.load_backend(model_ref, tracking_uri=tracking_uri)
    if model_ref is not None:
        raise click.BadParameter("give --model or --server, not both", param_hint="--server")
    if not model_name:
        raise click.BadParameter("--server needs --model-name (the served model's name)",
                                 param_hint="--model-name")
    try:
        from drumaae.serving.client import RestBackend
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("drumaae.serving"):
            raise
        raise DrumaaeError("the TF Serving REST client is not available in this drumaae "
                           "install: omit --server to run the model locally") from exc
    return RestBackend(server, model_name, version=None, timeout=timeout)


class TempoType(click.ParamType):
    """``source``, ``target``, ``blend`` or a BPM number."""

    name = "source|target|blend|BPM"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).strip().lower()
        if text in ("source", "target", "blend"):
            return text
        try:
            bpm = float(text)
        except ValueError:
            self.fail(f"{value!r} is not source, target, blend or a BPM number", param, ctx)
        if not 0 < bpm <= 400:
            self.fail(f"{value!r} BPM is outside (0, 400]", param, ctx)
        return bpm


bpm_type = click.FloatRange(min=0, max=400, min_open=True)

gl_iters_option = click.option(
    "--gl-iters", "iters", type=click.IntRange(min=1), default=None,
    help="Griffin-Lim iterations  [default: the model's recipe].")


def emit(result: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    """Print `result` as JSON (--json) or as human-readable lines."""
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        for line in lines:
            click.echo(line)
