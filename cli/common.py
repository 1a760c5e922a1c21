"""What every command shares besides its options (those are in `drumaae_cli.options`):
one-line errors, input checks, the model backend and printing results.

Every user error ends as one line ``Error: ...`` on stderr and exit status 1 (click's own usage
errors included); ``drumaae --debug CMD`` keeps the traceback instead.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
import traceback
from typing import Any, Callable

import click

from drumaae.errors import AudioFileNotFoundError, DrumaaeError, NotAudioError


def _one_line(message: str) -> str:
    """One line, with the credentials of any URI in it hidden (`drumaae.uris.redact`)."""
    from drumaae.uris import redact

    return redact(" ".join(str(message).split()))


def _print_traceback() -> None:
    """The current traceback on stderr (--debug, or a bug), passwords hidden."""
    from drumaae.uris import redact

    click.echo(redact(traceback.format_exc()).rstrip("\n"), err=True)


class DrumaaeGroup(click.Group):
    """A click group whose commands turn library errors into one `Error:` line."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D401 - click API
        kwargs.setdefault("standalone_mode", False)
        debug = "--debug" in sys.argv[1:3]
        try:
            rv = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(1)
        except click.exceptions.ClickException as exc:
            # Usage errors (bad option, missing argument, bad value) end like any user error.
            msg = exc.format_message()
            hint = ""
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                hint = f" (see '{ctx.command_path} --help')"
            click.echo(f"Error: {_one_line(msg)}{hint}", err=True)
            sys.exit(1)
        except DrumaaeError as exc:
            if debug:
                _print_traceback()
            click.echo(f"Error: {_one_line(str(exc))}", err=True)
            sys.exit(1)
        except Exception:  # a bug: its traceback, never a password in it
            _print_traceback()
            sys.exit(1)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
        return rv


def pass_errors(fn: Callable) -> Callable:
    """For commands run through CliRunner without the group's main(): same one-line errors."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DrumaaeError as exc:
            ctx = click.get_current_context(silent=True)
            if ctx is not None and (ctx.find_root().params.get("debug")):
                raise
            raise click.ClickException(_one_line(str(exc))) from exc

    return wrapper


def check_inputs(*paths: str) -> None:
    """Fail on a missing input before the model is loaded (which takes seconds)."""
    for path in paths:
        if not os.path.exists(path):
            raise AudioFileNotFoundError(f"{path} does not exist: check the path")
        if os.path.isdir(path):
            raise NotAudioError(f"{path} is a folder, not an audio file: give a file")


def make_backend(model_ref: str | None, server: str | None, model_name: str | None,
                 timeout: float, tracking_uri: str | None = None):
    """The inference backend `options.BACKEND` asks for: a local model (loaded once) or a
    REST client of TF Serving."""
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


def claim_json_out(json_out: str | None, force: bool) -> None:
    """Claim --json-out FILE for the whole command, before any compute: an existing FILE is
    refused unless --force, and a second run to it fails at once (`fileio.claim`)."""
    if json_out is not None:
        from drumaae import fileio

        click.get_current_context().with_resource(fileio.claim(json_out, force=force))


def emit(result: dict[str, Any], as_json: bool, lines: list[str], *,
         json_out: str | None = None, force: bool = False,
         dumps: Callable[[Any], str] | None = None) -> None:
    """Print `result` as JSON on stdout (--json) or as human-readable lines, and write it
    as JSON to `json_out` (--json-out FILE, atomically; claim it first with
    `claim_json_out`). `dumps` turns the result into JSON text (default `json.dumps`)."""
    text = (dumps or (lambda r: json.dumps(r, indent=2)))(result) if (
        as_json or json_out is not None) else ""
    if json_out is not None:
        from drumaae import fileio

        fileio.write_file(json_out, text + "\n", force=force)
    if as_json:
        click.echo(text)
    else:
        for line in lines:
            click.echo(line)
        if json_out is not None:
            click.echo(f"json: {json_out}")


PROGRESS_DELAY_S = 1.0
"""Seconds of work before the first progress line: a command that ends sooner says nothing."""
PROGRESS_INTERVAL_S = 0.5
"""Least seconds between two progress lines (at most two a second)."""


class Progress:
    """The library's progress callback, ``progress(what, done, total)``, as short lines on
    stderr: ``reconstruct: bar 12/40``. Throttled (the first after `PROGRESS_DELAY_S`, then
    at most one per `PROGRESS_INTERVAL_S`, and the last of a stage once any was shown);
    silent with --quiet; never on stdout, so --json output stays clean."""

    def __init__(self, command: str, quiet: bool = False):
        self.command = command
        self.quiet = quiet
        self._start = time.monotonic()
        self._last = None  # time of the last line shown
        self._shown: set[str] = set()

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        final = done >= total and what in self._shown
        if not final:
            if now - self._start < PROGRESS_DELAY_S:
                return
            if self._last is not None and now - self._last < PROGRESS_INTERVAL_S:
                return
        self._last = now
        self._shown.add(what)
        click.echo(f"{self.command}: {what} {done}/{total}", err=True)


def bar_ranges(bars: list[int]) -> str:
    """Bar numbers as runs: ``0-311``, ``0-3, 7, 9-10`` (not 312 numbers on one line)."""
    runs: list[list[int]] = []
    for b in bars:
        if runs and b == runs[-1][1] + 1:
            runs[-1][1] = b
        else:
            runs.append([b, b])
    return ", ".join(str(a) if a == z else f"{a}-{z}" for a, z in runs)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 bar``, ``2 bars``: a count with its noun in the right number."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
