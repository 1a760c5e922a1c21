"""`drumaae export`: write a model as a TF-Serving SavedModel (OUTDIR/NAME/VERSION/)."""

from __future__ import annotations

import json
import time

import click

from drumaae_cli import options
from drumaae_cli.common import pass_errors


@click.command("export")
@click.argument("out_dir", metavar="OUTDIR", type=click.Path(file_okay=False))
@options.MODEL
@options.TRACKING_URI
@click.option("--name", default="drumaae", show_default=True,
              help="Served model name: the folder under OUTDIR (TF Serving's model name).")
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Integer version folder  [default: the next free one].")
@options.GL_ITERS
@options.FORCE
@options.JSON
@pass_errors
def command(out_dir, model_ref, tracking_uri, name, version, iters, force, as_json):
    """Export a model for TF Serving as OUTDIR/NAME/VERSION/ (a SavedModel).

    Signatures: interpolate (= serving_default), encode, decode, config; all
    float32, audio at the model's sample rate. Serve OUTDIR/NAME as a model
    base path; see docs/serving.md.

    \b
    Example:
      drumaae export exports/ --model model.keras --name drums
      docker run -p 8501:8501 -v $PWD/exports/drums:/models/drums \\
        -e MODEL_NAME=drums tensorflow/serving:2.16.1
    """
    from drumaae.registry import load_model_ref, model_identity

    start = time.monotonic()
    err = click.get_text_stream("stderr")

    def progress(message: str) -> None:  # stderr, so --json output stays clean
        click.echo(f"[{time.monotonic() - start:5.1f}s] {message}", file=err)

    progress(f"loading model {model_ref or '(bundled default)'}")
    model = load_model_ref(model_ref, tracking_uri=tracking_uri)
    source = model_identity(model_ref, tracking_uri=tracking_uri)
    from drumaae.serving.export import export_model, read_export_settings

    path = export_model(model, out_dir, name=name, version=version, force=force,
                        gl_iters=iters, progress=progress, source=source)
    if as_json:
        settings = read_export_settings(path)
        click.echo(json.dumps({"path": path, **{k: settings[k] for k in (
            "name", "version", "gl_iters", "latent_dim", "audio", "model")}}, indent=2))
    else:
        click.echo(path)
