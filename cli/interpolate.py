"""`drumaae interpolate`: morph one drum bar into another through the latent space."""

from __future__ import annotations

import os

import click

from drumaae_cli._outputs import (
    TempoType,
    backend_options,
    bpm_type,
    check_inputs,
    emit,
    gl_iters_option,
    make_backend,
)
from drumaae_cli.common import force_option, json_option, pass_errors, seed_option


def _steps(ctx, param, value):
    if value is not None and value < 2:
        raise click.BadParameter(
            f"{value} is too few: give at least 2 (alpha 0 = the source, alpha 1 = the target),"
            " e.g. --steps 5", ctx=ctx, param=param)
    return value


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0] or "audio"


@click.command("interpolate")
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("tgt", type=click.Path(dir_okay=False))
@click.option("--steps", type=int, default=5, show_default=True, callback=_steps,
              help="Outputs from source (alpha 0) to target (alpha 1), at least 2.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder to write  [default: SRC_to_TGT/ in the current folder].")
@click.option("--tempo", type=TempoType(), default="source", show_default=True,
              help="Output tempo: the source's, the target's, 'blend' (interpolated along "
                   "alpha) or a BPM number.")
@click.option("--bar", type=click.IntRange(min=0), default=0, show_default=True,
              help="Bar of both inputs to use (from 0).")
@click.option("--src-bar", type=click.IntRange(min=0), default=None,
              help="Bar of SRC (overrides --bar).")
@click.option("--tgt-bar", type=click.IntRange(min=0), default=None,
              help="Bar of TGT (overrides --bar).")
@click.option("--bpm", type=bpm_type, default=None,
              help="Tempo of both inputs, if known (else detected).")
@click.option("--src-bpm", type=bpm_type, default=None, help="Tempo of SRC (overrides --bpm).")
@click.option("--tgt-bpm", type=bpm_type, default=None, help="Tempo of TGT (overrides --bpm).")
@click.option("--bars", type=click.IntRange(min=1), default=None,
              help="Bars in each input loop, if known (the tempo follows from the length).")
@click.option("--src-bars", type=click.IntRange(min=1), default=None,
              help="Bars in SRC (overrides --bars).")
@click.option("--tgt-bars", type=click.IntRange(min=1), default=None,
              help="Bars in TGT (overrides --bars).")
@click.option("--no-figure", is_flag=True, help="Skip the spectrogram PNG.")
@gl_iters_option
@seed_option
@backend_options
@force_option
@json_option
@pass_errors
def command(src, tgt, steps, out_dir, tempo, bar, src_bar, tgt_bar, bpm, src_bpm, tgt_bpm,
            bars, src_bars, tgt_bars, no_figure, iters, seed, model_ref, tracking_uri, server,
            model_name, timeout, force, as_json):
    """Morph a bar of SRC into a bar of TGT in STEPS steps.

    Writes to --out one WAV per step named by index and alpha (00_alpha0.00.wav ...
    04_alpha1.00.wav; alpha 0 is the model's reconstruction of the source, alpha 1 that of
    the target), interpolation.png (the steps' spectrograms side by side) and manifest.json
    (inputs with sha256, model, bars, tempi, alphas, files, latent codes).

    \b
    Example:
      drumaae interpolate examples/funk_127bpm.wav examples/house_83bpm.wav --steps 5 --out morph/
      drumaae interpolate a.wav b.wav --tempo blend --src-bar 1 --model models:/drumaae@prod
    """
    from drumaae import fileio, inference

    if out_dir is None:
        out_dir = f"{_stem(src)}_to_{_stem(tgt)}"
    check_inputs(src, tgt)  # cheap checks before the model loads
    # Held until the command ends: a second run to this --out fails at once.
    click.get_current_context().with_resource(fileio.claim(out_dir, force=force, folder=True,
                                                       kind=inference.INTERPOLATION_KIND,
                                                       inputs=[src, tgt]))
    backend = make_backend(model_ref, server, model_name, timeout, tracking_uri)
    result = inference.interpolate(
        src, tgt, steps=steps, model=backend, tempo=tempo,
        src_bar=bar if src_bar is None else src_bar,
        tgt_bar=bar if tgt_bar is None else tgt_bar,
        src_bpm=bpm if src_bpm is None else src_bpm,
        tgt_bpm=bpm if tgt_bpm is None else tgt_bpm,
        src_bars=bars if src_bars is None else src_bars,
        tgt_bars=bars if tgt_bars is None else tgt_bars,
        iters=iters, seed=seed)
    manifest = inference.save_interpolation(result, out_dir, force=force,
                                            figure=not no_figure,
                                            model_ref=backend.ref)
    src_in, tgt_in = manifest["inputs"]
    lines = [
        f"source {src_in['name']}: bar {src_in['bar']} of {src_in['n_bars']} at "
        f"{src_in['bpm']:.1f} BPM",
        f"target {tgt_in['name']}: bar {tgt_in['bar']} of {tgt_in['n_bars']} at "
        f"{tgt_in['bpm']:.1f} BPM",
        f"wrote {len(manifest['files'])} steps to {manifest['out_dir']}/:",
    ]
    lines += [f"  {f['file']}  alpha {f['alpha']:.2f}  {f['bpm']:.1f} BPM  {f['seconds']:.2f} s"
              for f in manifest["files"]]
    if manifest["figure"]:
        lines.append(f"  {manifest['figure']}")
    lines.append("  manifest.json")
    emit(manifest, as_json, lines)
