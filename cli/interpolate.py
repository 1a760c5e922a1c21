"""`drumaae interpolate`: morph one drum bar into another through the latent space."""

from __future__ import annotations

import os

import click

from drumaae_cli import options
from drumaae_cli.common import Progress, check_inputs, emit, make_backend, pass_errors


def _check_repeat(repeat: int, steps: int) -> int:
    """--repeat against --steps (`drumaae.limits.check_repeat`: 512 bars in morph.wav)."""
    from drumaae.limits import check_repeat

    return check_repeat(repeat, steps, "morph.wav")


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(os.path.normpath(path)))[0] or "audio"


def _pairs(src: str | None, tgt: str | None, listing: list[tuple[str, str]] | None
           ) -> list[tuple[str, str]]:
    """The (source, target) pairs to morph: SRC TGT; SRC and a folder TGT (every audio file
    in it, sorted); or the pairs of --pairs FILE."""
    from drumaae.audio.io import AUDIO_EXTENSIONS
    from drumaae.errors import DrumaaeError

    if listing is not None:  # read and checked by its option type (`options.PairsFileType`)
        if src is not None or tgt is not None:
            raise click.UsageError("give SRC TGT or --pairs FILE, not both")
        return list(listing)
    if src is None or tgt is None:
        raise click.UsageError("give SRC and TGT (a file or a folder of targets), or --pairs "
                               "FILE")
    if os.path.isdir(tgt):
        targets = sorted(os.path.join(tgt, n) for n in os.listdir(tgt)
                         if n.lower().endswith(AUDIO_EXTENSIONS))
        if not targets:
            raise DrumaaeError(f"{tgt} holds no audio files "
                               f"({', '.join(AUDIO_EXTENSIONS)})")
        return [(src, t) for t in targets]
    return [(src, tgt)]


def _out_dirs(pairs: list[tuple[str, str]], out_dir: str | None) -> list[str]:
    """One folder per pair: --out itself for a single pair (default SRC_to_TGT), else
    OUT/SRC_to_TGT (numbered when two pairs share names)."""
    names = [f"{_stem(a)}_to_{_stem(b)}" for a, b in pairs]
    if len(pairs) == 1:
        return [out_dir or names[0]]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return [os.path.join(out_dir or ".", n) for n in out]


@click.command("interpolate")
@click.argument("src", type=click.Path(dir_okay=False), required=False)
@click.argument("tgt", type=click.Path(), required=False)
@click.option("--pairs", "listing", type=options.PairsFileType(),
              default=None, metavar="FILE",
              help="Morph many pairs in one process (the model loads once): one 'SRC TGT' per "
                   "line; each pair writes OUT/SRC_to_TGT/.")
@options.STEPS
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder to write  [default: SRC_to_TGT/ in the current folder; with "
                   "several pairs, the folder that holds one SRC_to_TGT/ per pair].")
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
@options.FILL
@click.option("--repeat", type=options.REPEAT_TYPE, default=1, show_default=True,
              help="Times each step plays in morph.wav (all steps in order, one file).")
@options.MATCH_LOUDNESS
@options.SAMPLE_RATE
@click.option("--no-figure", is_flag=True, help="Skip the spectrogram PNG.")
@options.INPUT_PHASE
@options.RETIME
@options.BLEND_LABELS
@options.GL_ITERS
@options.REFINE
@options.seed_option()
@options.BACKEND
@options.FORCE
@options.JSON
@options.QUIET
@pass_errors
def command(src, tgt, listing, steps, out_dir, tempo, bar, src_bar, tgt_bar, bpm, src_bpm,
            tgt_bpm, bars, src_bars, tgt_bars, fill, repeat, match_loudness, output_rate,
            no_figure, input_phase, retime, blend_labels, iters, refine, seed, model_ref,
            tracking_uri, server, model_name, timeout, force, as_json, quiet):
    """Morph a bar of SRC into a bar of TGT in STEPS steps.

    Writes to --out one WAV per step named by index and alpha (00_alpha0.00.wav ...
    04_alpha1.00.wav; alpha 0 is the model's reconstruction of the source, alpha 1 that of
    the target), morph.wav (every step in order, each --repeat times: drop it into a DAW),
    interpolation.png (the steps' spectrograms) and manifest.json (inputs with sha256,
    model, bars, tempi, alphas, files, loudness, latent codes). Each bar is exactly one bar
    at its tempo; step alpha is matched to (1 - alpha) x the source's loudness + alpha x
    the target's (LUFS) and never clips.

    Several pairs in one run pay the start-up (imports, model load, tracing) once: TGT may be
    a folder (SRC against each audio file in it), or --pairs FILE lists one 'SRC TGT' per
    line; each pair writes its own OUT/SRC_to_TGT/ folder.

    WAVs come at the source's sample rate (--sample-rate to choose; the model renders at
    its own). When the limiter cuts a step by more than 1 dB, a note says so.

    When an input's tempo fits several readings (half or double tempo, 1 or 2 bars, part of
    a bar), one line on stderr says which was chosen and which options pick another, before
    any rendering.

    \b
    Example:
      drumaae interpolate examples/funk_127bpm.wav examples/house_83bpm.wav --steps 5 --out morph/
      drumaae interpolate a.wav b.wav --tempo blend --src-bar 1 --model models:/drumaae@prod
      drumaae interpolate funk.wav targets/ --out morphs/
      drumaae interpolate --pairs pairs.txt --out morphs/
    """
    from drumaae import fileio, inference
    from drumaae_cli.tempo_notes import tempo_notes

    pairs = _pairs(src, tgt, listing)
    outs = _out_dirs(pairs, out_dir)
    repeat = _check_repeat(repeat, steps)  # its bound depends on --steps: before work
    for pair in pairs:  # cheap checks before the model loads
        check_inputs(*pair)
    if len(pairs) > 1 and out_dir is not None and not os.path.isdir(out_dir):
        os.makedirs(out_dir)
    context = click.get_current_context()
    for (a, b), out in zip(pairs, outs):
        # Held until the command ends: a second run to this --out fails at once.
        context.with_resource(fileio.claim(out, force=force, folder=True,
                                           kind=inference.INTERPOLATION_KIND, inputs=[a, b]))
    backend = make_backend(model_ref, server, model_name, timeout, tracking_uri)
    manifests, lines = [], []
    progress = Progress("interpolate", quiet)
    for number, ((a, b), out) in enumerate(zip(pairs, outs), 1):
        result = inference.interpolate(
            a, b, steps=steps, model=backend, tempo=tempo,
            src_bar=bar if src_bar is None else src_bar,
            tgt_bar=bar if tgt_bar is None else tgt_bar,
            src_bpm=bpm if src_bpm is None else src_bpm,
            tgt_bpm=bpm if tgt_bpm is None else tgt_bpm,
            src_bars=bars if src_bars is None else src_bars,
            tgt_bars=bars if tgt_bars is None else tgt_bars,
            iters=iters, seed=seed, refine=refine, fill=fill, match_loudness=match_loudness,
            output_rate=output_rate, retime=retime, input_phase=input_phase,
            blend_labels=blend_labels, on_tempo=tempo_notes(),
            progress=progress if len(pairs) == 1 else None)
        manifest = inference.save_interpolation(result, out, force=force,
                                                figure=not no_figure, model_ref=backend.ref,
                                                repeat=repeat)
        manifests.append(manifest)
        lines += _summary(manifest)
        if len(pairs) > 1:
            progress("pair", number, len(pairs))
    emit(manifests[0] if len(manifests) == 1 else {"pairs": manifests}, as_json, lines)


def _summary(manifest: dict) -> list[str]:
    src_in, tgt_in = manifest["inputs"]
    lines = [
        f"source {src_in['name']}: bar {src_in['bar']} of {src_in['n_bars']} at "
        f"{src_in['bpm']:.1f} BPM",
        f"target {tgt_in['name']}: bar {tgt_in['bar']} of {tgt_in['n_bars']} at "
        f"{tgt_in['bpm']:.1f} BPM",
        f"wrote {len(manifest['files'])} steps to {manifest['out_dir']}/ at "
        f"{manifest['sample_rate']} Hz:",
    ]
    lines += [f"  {f['file']}  alpha {f['alpha']:.2f}  {f['bpm']:.1f} BPM  {f['seconds']:.2f} s"
              for f in manifest["files"]]
    joined = manifest.get("joined")
    if joined:
        lines.append(f"  {joined['file']}  {joined['bars']} bars in a row  "
                     f"{joined['seconds']:.2f} s")
    if manifest["figure"]:
        lines.append(f"  {manifest['figure']}")
    lines.append("  manifest.json")
    note = (manifest.get("loudness") or {}).get("note")
    if note:
        lines.append(f"note: {note}")
    return lines
