"""`drumaae train`: train a DrumAAE on drum audio, tracked in MLflow."""

from __future__ import annotations

import click

from drumaae_cli import options
from drumaae_cli.common import pass_errors, plural


@click.command("train")
@options.recipe_option(required=True)
@options.DATA
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Total epochs of the run (default: the recipe's training.epochs).")
@click.option("--out", "out_dir", default="runs/train", show_default=True,
              type=click.Path(file_okay=False),
              help="Run folder: model.keras, recipe.yaml, history.json, checkpoints/.")
@click.option("--resume", is_flag=True,
              help="Continue the run in --out from its last finished epoch.")
@click.option("--register-as", default=None, metavar="NAME",
              help="Register the trained model in the MLflow Model Registry under NAME.")
@click.option("--alias", default=None, metavar="ALIAS",
              help="With --register-as: point this registry alias at the new version "
              "(load it as models:/NAME@ALIAS).")
@options.TRACKING_URI
@click.option("--experiment", default="drumaae", show_default=True,
              help="MLflow experiment name.")
@click.option("--strategy", type=click.Choice(["auto", "default", "mirrored", "multi_worker"]),
              default="auto", show_default=True,
              help="Distribution: auto = all GPUs when there are several; multi_worker reads "
              "TF_CONFIG.")
@click.option("--precision", type=click.Choice(["auto", "float32", "mixed_float16"]),
              default=None, help="Override the recipe's precision (auto = mixed_float16 on a "
              "GPU, float32 on a CPU).")
@click.option("--cache-dir", "cache_dir", default=None, envvar="DRUMAAE_FEATURE_CACHE",
              type=click.Path(file_okay=False), metavar="DIR",
              help="Cache bar features on disk in DIR (float32, 256 KiB a bar at the default "
              "recipe): computed once per corpus and settings, reused by every epoch, "
              "--resume and later run. Default: kept in memory after the first epoch.")
@click.option("--no-mlflow", is_flag=True, help="Do not track the run in MLflow.")
@options.QUIET
@pass_errors
def command(recipe_ref, data, epochs, out_dir, resume, register_as, alias, tracking_uri,
            experiment, strategy, precision, cache_dir, no_mlflow, quiet):
    """Train a model on drum audio; checkpoint every epoch; log the run to MLflow.

    \b
    Example:
      drumaae corpus render --out corpus/ --bars 2000
      drumaae train --recipe default --data corpus/ --out runs/r1 \\
          --register-as drums --alias candidate
      drumaae train --recipe default --data corpus/ --out runs/r1 --resume   # after a stop
      drumaae train --recipe default --data corpus/ --out runs/r2 --cache-dir ~/.cache/drumaae
      drumaae reconstruct bar.wav --model models:/drums@candidate
    """
    from drumaae.config import load_recipe
    from drumaae.training import train

    if alias and not register_as:
        raise click.BadParameter("--alias needs --register-as NAME", param_hint="--alias")
    if no_mlflow and register_as:
        raise click.BadParameter("--register-as needs MLflow; drop --no-mlflow",
                                 param_hint="--register-as")
    recipe = load_recipe(recipe_ref)
    tracker = None
    if not no_mlflow:
        from drumaae.training.tracking import Tracker

        tracker = Tracker(tracking_uri, experiment, register_as=register_as, alias=alias,
                          log=lambda m: click.echo(m, err=True))
    result = train(recipe, list(data), out_dir, epochs=epochs, resume=resume,
                   strategy=strategy, precision=precision, tracker=tracker,
                   progress=not quiet, log=lambda m: click.echo(m, err=True),
                   feature_cache=cache_dir)
    final = ", ".join(f"{k} {v:.4f}" for k, v in result.final_metrics().items())
    click.echo(f"trained {plural(result.epochs_total, 'epoch')} ({result.epochs_run} now, "
               f"{plural(result.train_iterations, 'step')}) in {result.wall_time_s:.1f} s on "
               f"{result.train_bars} training / {result.val_bars} validation bars")
    if final:
        click.echo(f"final: {final}")
    click.echo(f"model: {result.model_path}")
    if result.run_id:
        from drumaae.registry import redact

        click.echo(f"MLflow run: {result.run_id} ({redact(tracker.tracking_uri)})"
                   + (f"; model URI {result.model_uri}" if result.model_uri else
                      "; the model was not logged (see the warning above)"))
    if result.registered_version:
        click.echo(f"registered: models:/{register_as}/{result.registered_version}"
                   + (f" = models:/{register_as}@{alias}" if alias else ""))
    if result.not_logged:
        click.echo("not logged to MLflow: " + "; ".join(result.not_logged))
