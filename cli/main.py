"""The `drumaae` command: a thin click front end over the drumaae library."""

from __future__ import annotations

import importlib

import click

from drumaae.version import __version__
from drumaae_cli.common import DrumaaeGroup

# Each module defines one click command (or group) named `command`; they are attached here.
# Imported when the group is built, so `drumaae --help` lists them all.
COMMAND_MODULES = [
    "corpus",
    "train",
    "models",
    "export",
    "encode",
    "decode",
    "interpolate",
    "reconstruct",
    "sample",
    "info",
    "evaluate",
    "bench",
]


@click.group(cls=DrumaaeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="drumaae")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Drum synthesis and rhythmic transformation with adversarial autoencoders.

    \b
    Example:
      drumaae interpolate examples/funk_127bpm.wav examples/house_83bpm.wav --steps 5 --out morph/
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


for _name in COMMAND_MODULES:
    cli.add_command(importlib.import_module(f"drumaae_cli.{_name}").command)


def main() -> None:
    cli(prog_name="drumaae")
