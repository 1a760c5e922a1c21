"""`drumaae encode`: the latent codes of a recording's bars, written to .npz or .json."""

from __future__ import annotations

import click

from drumaae_cli import options
from drumaae_cli.common import (Progress, bar_ranges, check_inputs, emit, make_backend,
                                pass_errors, plural)


@click.command("encode")
@click.argument("audio", type=click.Path(dir_okay=False))
@click.option("--out", "-o", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Codes file to write: .npz (numpy) or .json, by extension.")
@options.BAR_LIST
@options.bpm_option(help="Tempo of AUDIO, if known (else detected).")
@options.BARS
@options.REFINE
@options.BACKEND
@options.FORCE
@options.JSON
@options.QUIET
@pass_errors
def command(audio, out_path, bar_list, bpm, bars, refine, model_ref, tracking_uri, server, model_name,
            timeout, force, as_json, quiet):
    """Encode the bars of AUDIO to latent codes (one per bar).

    The file holds codes (n_bars x latent_dim), bpm, bar_length, sample_rate, the bar
    indices and the model reference; 'drumaae decode' reads it back.

    \b
    Example:
      drumaae encode examples/funk_127bpm.wav --out funk.npz
      drumaae encode loop.wav --bar 0 --bpm 128 --out loop.json --json
    """
    from drumaae import fileio, inference
    from drumaae_cli.tempo_notes import tempo_notes

    if not out_path.lower().endswith((".npz", ".json")):
        raise click.BadParameter("the codes file must end in .npz or .json",
                                 param_hint="--out")
    check_inputs(audio)
    click.get_current_context().with_resource(fileio.claim(out_path, force=force, inputs=[audio]))
    backend = make_backend(model_ref, server, model_name, timeout, tracking_uri)
    enc = inference.encode(audio, model=backend, bpm=bpm, bars=bars,
                           bar=list(bar_list) or None, refine=refine,
                           on_tempo=tempo_notes(), progress=Progress("encode", quiet))
    inference.save_codes(enc, out_path, force=force)
    summary = {**enc.summary(), "out": out_path}
    emit(summary, as_json, [
        f"{enc.source.name}: {plural(enc.n_bars, 'bar')} at {enc.bpm:.1f} BPM; encoded "
        f"{'bar' if len(enc.bars) == 1 else 'bars'} "
        f"{bar_ranges(enc.bars)} -> {out_path} ({enc.codes.shape[0]} x "
        f"{enc.codes.shape[1]} codes)"])
