"""What every command shares: error handling, output safety and the common options.

Every user error ends as one line ``Error: ...`` on stderr and exit status 1 (click's own usage
errors included); ``drumaae --debug CMD`` keeps the traceback instead.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from typing import Any, Callable

import click

from drumaae.errors import DrumaaeError


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


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
                traceback.print_exc()
            click.echo(f"Error: {_one_line(str(exc))}", err=True)
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


def check_output(path: str, force: bool, option: str = "--out") -> None:
    """Refuse to overwrite a user's file or folder unless --force (`option` names the flag
    that chose `path`, for the message)."""
    if os.path.exists(path) and not force:
        raise click.ClickException(
            f"{path} already exists; pass --force to overwrite it or choose another {option}"
        )


# --- shared options, defined once -------------------------------------------------------------

model_option = click.option(
    "--model",
    "model_ref",
    envvar="DRUMAAE_MODEL",
    default=None,
    metavar="REF",
    help="Model: omitted = the bundled default; a .keras path; or an MLflow URI "
    "(models:/NAME/VERSION, models:/NAME@ALIAS, runs:/ID/model). Env: DRUMAAE_MODEL.",
)
tracking_uri_option = click.option(
    "--tracking-uri",
    envvar="MLFLOW_TRACKING_URI",
    default=None,
    metavar="URI",
    help="MLflow tracking URI (default: sqlite:///mlflow.db in the current folder). "
    "Env: MLFLOW_TRACKING_URI.",
)
force_option = click.option("--force", is_flag=True, help="Overwrite existing outputs.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
seed_option = click.option("--seed", type=int, default=0, show_default=True,
                           help="Random seed (Griffin-Lim phase, sampling).")
