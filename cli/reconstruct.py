"""`drumaae reconstruct`: encode and decode a recording (what the model keeps of it)."""

from __future__ import annotations

import click

from drumaae_cli._outputs import (
    backend_options,
    bpm_type,
    check_inputs,
    emit,
    gl_iters_option,
    make_backend,
)
from drumaae_cli.common import force_option, json_option, pass_errors, seed_option


@click.command("reconstruct")
@click.argument("audio", type=click.Path(dir_okay=False))
@click.option("--out", "-o", "out_path", required=True, type=click.Path(dir_okay=False),
              help="WAV file to write.")
@click.option("--bar", "bar_list", type=click.IntRange(min=0), multiple=True,
              help="Reconstruct only this bar (from 0; repeatable)  [default: every bar].")
@click.option("--bpm", type=bpm_type, default=None, help="Tempo of AUDIO, if known.")
@click.option("--bars", type=click.IntRange(min=1), default=None,
              help="Bars in the AUDIO loop, if known.")
@gl_iters_option
@seed_option
@backend_options
@force_option
@json_option
@pass_errors
def command(audio, out_path, bar_list, bpm, bars, iters, seed, model_ref, tracking_uri, server,
            model_name, timeout, force, as_json):
    """Pass AUDIO through the model bar by bar and write the result as one WAV.

    \b
    Example:
      drumaae reconstruct examples/funk_127bpm.wav --out funk_recon.wav
      drumaae reconstruct loop.wav --bar 2 --gl-iters 128 --out bar2.wav
    """
    from drumaae import fileio, inference

    if not out_path.lower().endswith(".wav"):
        raise click.BadParameter("the output must be a .wav file", param_hint="--out")
    check_inputs(audio)
    click.get_current_context().with_resource(fileio.claim(out_path, force=force, inputs=[audio]))
    backend = make_backend(model_ref, server, model_name, timeout, tracking_uri)
    rec = inference.reconstruct(audio, model=backend, bpm=bpm, bars=bars,
                                bar=list(bar_list) or None, iters=iters, seed=seed)
    inference.save_bars([rec.audio], rec.sample_rate, out_path, force=force, inputs=[audio])
    enc = rec.encoded
    summary = {**enc.summary(), "model": backend.ref, "out": out_path,
               "samples": int(rec.audio.size), "griffin_lim_iters": rec.iters,
               "codes": enc.codes.tolist()}
    emit(summary, as_json, [f"{enc.source.name}: {len(enc.bars)} bar(s) at {enc.bpm:.1f} BPM "
                            f"-> {out_path} ({rec.audio.size / rec.sample_rate:.2f} s)"])
