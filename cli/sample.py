"""`drumaae sample`: new drum bars decoded from the model's Gaussian-mixture prior."""

from __future__ import annotations

import click

from drumaae import limits
from drumaae_cli import options
from drumaae_cli.common import Progress, emit, pass_errors, plural


@click.command("sample")
@click.option("-n", "--count", "n", type=options.COUNT_TYPE, default=4, show_default=True,
              help=f"Bars to draw (at most {limits.MAX_BARS}).")
@click.option("--out", "-o", "out_path", required=True, type=click.Path(),
              help="A folder (one WAV per bar and manifest.json) or a .wav file "
                   "(the bars one after another).")
@click.option("--component", type=click.IntRange(min=0), default=None,
              help="Draw from this mixture component (rhythm cluster)  [default: any].")
@options.bpm_option(default=128.0, help="Tempo of the bars.")
@options.RETIME
@options.seed_option(default=None)
@options.GL_ITERS
@options.SAMPLE_RATE
@options.MODEL
@options.TRACKING_URI
@options.FORCE
@options.JSON
@options.QUIET
@pass_errors
def command(n, out_path, component, bpm, retime, seed, iters, output_rate, model_ref, tracking_uri,
            force, as_json, quiet):
    """Draw N codes from the prior and decode each to one bar at --bpm, at the model's
    sample rate (22.05 kHz for the bundled model) unless --sample-rate says otherwise.

    \b
    Example:
      drumaae sample -n 8 --component 3 --bpm 100 --seed 1 --out samples/
      drumaae sample -n 4 --out four_bars.wav
    """
    from drumaae import fileio, inference

    click.get_current_context().with_resource(fileio.claim(
        out_path, force=force, kind=inference.SAMPLE_KIND,
        folder=not out_path.lower().endswith(".wav")))
    backend = inference.load_backend(model_ref, tracking_uri=tracking_uri)
    res = inference.sample(n, component=component, bpm=bpm, seed=seed, model=backend,
                           iters=iters, output_rate=output_rate, retime=retime,
                           progress=Progress("sample", quiet))
    manifest = inference.save_samples(res, out_path, force=force)
    emit({**manifest, "out": out_path}, as_json,
         [f"drew {plural(n, 'bar')} at {bpm:.1f} BPM"
          + (f" from component {component}" if component is not None else "")
          + f" -> {out_path}"])
