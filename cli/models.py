"""`drumaae models`: list and register models in the MLflow Model Registry."""

from __future__ import annotations

import json

import click

from drumaae.errors import UnknownModelError
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


def _client(tracking_uri):
    """A client of an existing store (never created by a lookup), failing fast, and the
    store's URI as messages may show it (no password)."""
    from mlflow.tracking import MlflowClient

    from drumaae.registry import check_store, fast_fail, redact, resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    check_store(uri)
    fast_fail()
    return MlflowClient(tracking_uri=uri, registry_uri=uri), redact(uri)


def _problem(exc: Exception) -> str:
    from drumaae.registry import redact

    return redact(" ".join(str(exc).split())[:200])


@command.command("list")
@options.TRACKING_URI
@options.JSON
@pass_errors
def list_models(tracking_uri, as_json):
    """Registered models, their versions, aliases and source runs."""
    client, uri = _client(tracking_uri)
    try:
        models = client.search_registered_models()
        rows = []
        for rm in models:
            aliases = dict(rm.aliases or {})
            for mv in client.search_model_versions(f"name='{rm.name}'"):
                rows.append({"name": rm.name, "version": str(mv.version),
                             "aliases": sorted(a for a, v in aliases.items()
                                               if str(v) == str(mv.version)),
                             "run_id": mv.run_id, "uri": f"models:/{rm.name}/{mv.version}"})
    except Exception as exc:
        raise UnknownModelError(f"cannot read the MLflow registry at {uri}: "
                                f"{_problem(exc)}") from exc
    rows.sort(key=lambda r: (r["name"], int(r["version"])))
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
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
    """Register a run's logged model as a new version of NAME."""
    from mlflow.exceptions import MlflowException

    if not model_uri.startswith(("runs:/", "models:/")):
        raise click.BadParameter("give runs:/RUN_ID/model (a run's logged model)",
                                 param_hint="MODEL_URI")
    client, uri = _client(tracking_uri)
    try:
        try:
            client.create_registered_model(name)
        except MlflowException as exc:
            if "already exists" not in str(exc).lower():
                raise
        run_id = model_uri.split("/")[1] if model_uri.startswith("runs:/") else None
        if run_id:
            client.get_run(run_id)
        mv = client.create_model_version(name, source=model_uri, run_id=run_id)
        if alias:
            client.set_registered_model_alias(name, alias, mv.version)
    except MlflowException as exc:
        raise UnknownModelError(f"cannot register {model_uri} in the MLflow registry at {uri}: "
                                f"{_problem(exc)}") from exc
    click.echo(f"registered models:/{name}/{mv.version}"
               + (f" (alias models:/{name}@{alias})" if alias else ""))
