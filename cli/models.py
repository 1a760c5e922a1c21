"""`drumaae models`: list and register models in the MLflow Model Registry
(`drumaae.registry.list_models` and `register`, the ones training uses)."""

from __future__ import annotations

import json

import click

from drumaae import registry
from drumaae_cli import options
from drumaae_cli.common import pass_errors

command = click.Group(
    "models",
    help="""List and register models in the MLflow Model Registry.

    \b
    Example:
      drumaae models list --tracking-uri sqlite:///mlflow.db
      drumaae models register runs:/RUN_ID/model --name drums --alias prod
    """,
)


@command.command("list")
@options.TRACKING_URI
@options.JSON
@pass_errors
def list_models(tracking_uri, as_json):
    """Registered models, their versions, aliases and source runs."""
    rows = registry.list_models(tracking_uri)
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    uri = registry.redact(registry.resolve_tracking_uri(tracking_uri))
    if not rows:
        click.echo(f"no registered models in {uri}; register one with 'drumaae train "
                   "--register-as NAME' or 'drumaae models register'")
        return
    click.echo(f"registry: {uri}")
    for r in rows:
        alias = "  @" + ", @".join(r["aliases"]) if r["aliases"] else ""
        click.echo(f"{r['uri']}{alias}  (run {r['run_id']})")


@command.command("register")
@click.argument("model_uri", metavar="runs:/RUN_ID/model")
@click.option("--name", required=True, help="Registered model name.")
@click.option("--alias", default=None, help="Point this alias at the new version.")
@options.TRACKING_URI
@pass_errors
def register(model_uri, name, alias, tracking_uri):
    """Register a run's logged model as a new version of NAME (waits until it is READY)."""
    if not model_uri.startswith(registry.MLFLOW_SCHEMES):
        raise click.BadParameter("give runs:/RUN_ID/model (a run's logged model)",
                                 param_hint="MODEL_URI")
    version = registry.register(model_uri, name, alias=alias, tracking_uri=tracking_uri)
    click.echo(f"registered {registry.registered_uri(name, version, alias)}")
