"""`drumaae interpolate`: morph one drum bar into another through the latent space."""

from __future__ import annotations

import os

import click

from drumaae_cli import options
from drumaae_cli.common import check_inputs, emit, make_backend, pass_errors


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0] or "audio"


@click.command("interpolate")
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("tgt", type=click.Path(dir_okay=False))
@options.STEPS
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder to write  [default: SRC_to_TGT/ in the current folder].")
@options.TEMPO
@options.bar_option(default=0, help="Bar of both inputs to use (from 0).")
@options.bar_option("--src-bar", help="Bar of SRC (overrides --bar).")
@options.bar_option("--tgt-bar", help="Bar of TGT (overrides --bar).")
@options.bpm_option(help="Tempo of both inputs, if known (else detected).")
@options.bpm_option("--src-bpm", help="Tempo of SRC (overrides --bpm).")
@options.bpm_option("--tgt-bpm", help="Tempo of TGT (overrides --bpm).")
@options.bars_option(help="Bars in each input loop, if known (the tempo follows from the "
                          "length).")
@options.bars_option("--src-bars", help="Bars in SRC (overrides --bars).")
@options.bars_option("--tgt-bars", help="Bars in TGT (overrides --bars).")
@click.option("--no-figure", is_flag=True, help="Skip the spectrogram PNG.")
@options.GL_ITERS
@options.seed_option()
@options.BACKEND
@options.FORCE
@options.JSON
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
