"""`drumaae reconstruct`: encode and decode a recording (what the model keeps of it)."""

from __future__ import annotations

import click

from drumaae_cli import options
from drumaae_cli.common import Progress, check_inputs, emit, make_backend, pass_errors, plural


@click.command("reconstruct")
@click.argument("audio", type=click.Path(dir_okay=False))
@click.option("--out", "-o", "out_path", required=True, type=click.Path(dir_okay=False),
              help="WAV file to write.")
@options.BAR_LIST
@options.bpm_option(help="Tempo of AUDIO, if known (else detected).")
@options.BARS
@options.GL_ITERS
@options.REFINE
@options.seed_option()
@options.MATCH_LOUDNESS
@options.SAMPLE_RATE
@options.INPUT_PHASE
@options.BACKEND
@options.FORCE
@options.JSON
@options.QUIET
@pass_errors
def command(audio, out_path, bar_list, bpm, bars, iters, refine, seed, match_loudness,
            output_rate, input_phase, model_ref, tracking_uri, server, model_name, timeout, force,
            as_json, quiet):
    """Pass AUDIO through the model bar by bar and write the result as one WAV; each bar
    is brought to its input bar's loudness as heard (ITU-R BS.1770 over its channels) and
    never clips; the WAV comes at AUDIO's sample rate (--sample-rate to choose).

    \b
    Example:
      drumaae reconstruct examples/funk_127bpm.wav --out funk_recon.wav
      drumaae reconstruct loop.wav --bar 2 --gl-iters 128 --out bar2.wav
    """
    from drumaae import fileio, inference
    from drumaae.audio.loudness import limiter_note
    from drumaae_cli.tempo_notes import tempo_notes

    if not out_path.lower().endswith(".wav"):
        raise click.BadParameter("the output must be a .wav file", param_hint="--out")
    check_inputs(audio)
    click.get_current_context().with_resource(fileio.claim(out_path, force=force, inputs=[audio]))
    backend = make_backend(model_ref, server, model_name, timeout, tracking_uri)
    rec = inference.reconstruct(audio, model=backend, bpm=bpm, bars=bars,
                                bar=list(bar_list) or None, iters=iters, seed=seed,
                                match_loudness=match_loudness, refine=refine,
                                output_rate=output_rate, input_phase=input_phase,
                                on_tempo=tempo_notes(),
                                progress=Progress("reconstruct", quiet))
    inference.save_bars([rec.audio], rec.sample_rate, out_path, force=force, inputs=[audio])
    enc = rec.encoded
    summary = {**enc.summary(), "model": backend.ref, "out": out_path,
               "samples": int(rec.audio.size), "sample_rate": rec.sample_rate,
               "griffin_lim_iters": rec.iters, "loudness": rec.loudness,
               "limiter_note": limiter_note(rec.loudness, [f"bar {b}" for b in enc.bars]),
               "codes": enc.codes.tolist()}
    lines = [f"{enc.source.name}: {plural(len(enc.bars), 'bar')} at {enc.bpm:.1f} BPM -> "
             f"{out_path} ({rec.audio.size / rec.sample_rate:.2f} s at {rec.sample_rate} Hz)"]
    if summary["limiter_note"]:
        lines.append(f"note: {summary['limiter_note']}")
    emit(summary, as_json, lines)
