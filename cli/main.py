"""The `drumaae` command: a thin click front end over the drumaae library."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings

import click

from drumaae.version import __version__
from drumaae_cli.common import DrumaaeGroup

# Each module defines one click command (or group) named `command`, named as its module. A
# module is imported when its command runs (or when `drumaae --help` lists them all), so one
# command does not pay the imports of the others (`corpus` alone loads the corpus builder).
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


# Commands that only run a model: Keras is imported without its optional scikit-learn,
# pandas and matplotlib integrations (`drumaae.lean`), about 1.6 s of a cold start here.
# The others (training and MLflow logging, export, evaluation, benchmarks) get all of Keras.
LEAN_COMMANDS = {"encode", "decode", "interpolate", "reconstruct", "sample", "info"}


class LazyGroup(DrumaaeGroup):
    """The root group: its commands are the modules of `COMMAND_MODULES`, imported on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def resolve_command(self, ctx: click.Context, args: list[str]):
        # Only when a command runs (not for --help, which lists every command).
        if args and args[0] in LEAN_COMMANDS and not {"-h", "--help"} & set(args[1:]):
            from drumaae.lean import import_keras_lean

            import_keras_lean()
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMAND_MODULES:
            self.add_command(importlib.import_module(f"drumaae_cli.{name}").command)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def _quiet_libraries(debug: bool) -> None:
    """Keep a user's terminal to our own output: TensorFlow's C++ start-up lines, Python
    warnings from Keras/TF, and MLflow's store-migration INFO lines would otherwise precede
    every result and every one-line `Error:`. `--debug` keeps them all."""
    if debug:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    # MLflow sets its own loggers to INFO when imported (after this runs), unless told by its
    # env var: its "No artifacts found to download ..." on every models:/ load read as a
    # failure.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    warnings.simplefilter("ignore")
    for name in ("mlflow", "alembic", "tensorflow", "absl", "numba", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main() -> None:
    _quiet_libraries("--debug" in sys.argv[1:2])
    cli(prog_name="drumaae")
