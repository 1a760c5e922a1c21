"""The `drumaae` command: a thin click front end over the drumaae library."""

from __future__ import annotations

import click

from drumaae.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="drumaae")
def cli() -> None:
    """Drum synthesis and rhythmic transformation with adversarial autoencoders.

    \b
    Example:
      drumaae interpolate examples/funk.wav examples/rock.wav --steps 5 --out morph/
    """


def main() -> None:
    cli(prog_name="drumaae")
