"""`drumaae sample`: new drum bars decoded from the model's Gaussian-mixture prior."""

from __future__ import annotations

import os

import click

from drumaae_cli._outputs import backend_ref, bpm_type, emit, gl_iters_option
from drumaae_cli.common import (
    force_option,
    json_option,
    model_option,
    pass_errors,
    tracking_uri_option,
)


@click.command("sample")
@click.option("-n", "--count", "n", type=click.IntRange(min=1), default=4, show_default=True,
              help="Bars to draw.")
@click.option("--out", "-o", "out_path", required=True, type=click.Path(),
              help="A folder (one WAV per bar and manifest.json) or a .wav file "
                   "(the bars one after another).")
@click.option("--component", type=click.IntRange(min=0), default=None,
              help="Draw from this mixture component (rhythm cluster)  [default: any].")
@click.option("--bpm", type=bpm_type, default=128.0, show_default=True,
              help="Tempo of the bars.")
@click.option("--seed", type=int, default=None,
              help="Seed of the draw and of Griffin-Lim  [default: random].")
@gl_iters_option
@model_option
@tracking_uri_option
@force_option
@json_option
@pass_errors
def command(n, out_path, component, bpm, seed, iters, model_ref, tracking_uri, force,
            as_json):
    """Draw N codes from the prior and decode each to one bar at --bpm.

    \b
    Example:
      drumaae sample -n 8 --component 3 --bpm 100 --seed 1 --out samples/
      drumaae sample -n 4 --out four_bars.wav
    """
    from drumaae import fileio, inference

    to_file = out_path.lower().endswith(".wav")
    if to_file:
        fileio.check_new_file(out_path, force)
    else:
        fileio.check_out_dir(os.path.abspath(out_path), force)
    backend = inference.load_backend(model_ref, tracking_uri=tracking_uri)
    res = inference.sample(n, component=component, bpm=bpm, seed=seed, model=backend,
                           iters=iters)
    names = [f"{i:02d}.wav" for i in range(n)]
    ref = backend_ref(backend, model_ref)
    manifest = {"kind": "drumaae.sample", "model": ref, "n": n, "component": component,
                "bpm": bpm, "seed": seed, "sample_rate": res.sample_rate,
                "bar_length": int(res.bars.shape[1]),
                "files": [] if to_file else names, "codes": res.codes.tolist()}
    if to_file:
        inference.save_bars(list(res.bars), res.sample_rate, out_path, force=force)
    else:
        inference.save_bars(list(res.bars), res.sample_rate, out_path, force=force,
                            names=names, manifest=manifest)
    emit({**manifest, "out": out_path}, as_json,
         [f"drew {n} bar(s) at {bpm:.1f} BPM"
          + (f" from component {component}" if component is not None else "")
          + f" -> {out_path}"])
