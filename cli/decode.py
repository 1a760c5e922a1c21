"""`drumaae decode`: audio from latent codes written by `drumaae encode`."""

from __future__ import annotations

import os

import click

from drumaae_cli import options
from drumaae_cli.common import Progress, emit, make_backend, pass_errors, plural


@click.command("decode")
@click.argument("codes", type=click.Path(dir_okay=False))
@click.option("--out", "-o", "out_path", required=True, type=click.Path(dir_okay=False),
              help="WAV file to write (the bars one after another).")
@options.bpm_option(help="Output tempo  [default: the tempo stored with the codes].")
@options.RETIME
@options.GL_ITERS
@options.seed_option()
@options.MATCH_LOUDNESS
@options.SAMPLE_RATE
@options.BACKEND
@options.FORCE
@options.JSON
@options.QUIET
@pass_errors
def command(codes, out_path, bpm, retime, iters, seed, match_loudness, output_rate, model_ref,
            tracking_uri, server, model_name, timeout, force, as_json, quiet):
    """Decode CODES (.npz or .json from 'drumaae encode') to a WAV file.

    Each code becomes one bar (Griffin-Lim phase reconstruction) at --bpm, or at the tempo
    the codes were encoded at, brought to the loudness of the bar it was encoded from, at the
    sample rate of the recording they were encoded from (--sample-rate to choose).

    The codes file records the sha256 of the model that made it: codes of another model are
    refused (--force decodes them anyway, with a warning on stderr).

    \b
    Example:
      drumaae encode examples/funk_127bpm.wav --out funk.npz
      drumaae decode funk.npz --out funk_decoded.wav --bpm 110 --gl-iters 64
    """
    from drumaae import fileio, inference

    if not out_path.lower().endswith(".wav"):
        raise click.BadParameter("the output must be a .wav file", param_hint="--out")
    click.get_current_context().with_resource(fileio.claim(out_path, force=force, inputs=[codes]))
    enc = inference.load_codes(codes)
    backend = make_backend(model_ref, server, model_name, timeout, tracking_uri)
    warning = inference.check_codes_model(enc, backend.identity, force=force,
                                          name=os.path.basename(codes), model_ref=backend.ref)
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    # the recording's own rate (codes files record it), else the model's
    sr = output_rate or (enc.source.sample_rate if enc.source else backend.audio.sample_rate)
    audio = inference.decode(enc, model=backend, bpm=bpm, iters=iters, seed=seed,
                             match_loudness=match_loudness, output_rate=sr, retime=retime,
                             progress=Progress("decode", quiet))
    inference.save_bars([audio], sr, out_path, force=force, inputs=[codes])
    tempo = enc.bpm if bpm is None else bpm
    summary = {"codes": codes, "out": out_path, "model": backend.ref,
               "model_identity": backend.identity, "encoded_with": enc.model,
               "encoded_with_identity": enc.model_identity,
               "n_bars": int(enc.codes.shape[0]), "bpm": tempo, "sample_rate": sr,
               "samples": int(audio.size), "seconds": round(audio.size / sr, 6)}
    n = int(enc.codes.shape[0])
    emit(summary, as_json, [f"decoded {plural(n, 'bar')} at {tempo:.1f} BPM -> "
                            f"{out_path} ({audio.size / sr:.2f} s)"])
