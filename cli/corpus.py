"""`drumaae corpus`: render a training corpus with Hydrogen's recorded drum kits."""

from __future__ import annotations

import json
from collections import Counter

import click

from drumaae.data import corpus as corpus_lib
from drumaae_cli import options
from drumaae_cli.common import pass_errors

command = click.Group(
    "corpus",
    help="""Build a drum corpus: bar-length patterns rendered with recorded and soundfont kits.

    \b
    Needs the kits: sudo apt-get install --no-install-recommends hydrogen-drumkits
      hydrogen-drumkits-effects hydrogen-data fluid-soundfont-gm fluid-soundfont-gs
      musescore-general-soundfont timgm6mb-soundfont avldrums.lv2-soundfont
    \b
    Example:
      drumaae corpus render --out corpus/ --bars 5000 --seed 1
      drumaae corpus info corpus/
    """,
)


@command.command("render")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to create (with train/, val/ and manifest.json).")
@click.option("--kits-dir", default=corpus_lib.DEFAULT_KITS_DIR, show_default=True,
              type=click.Path(), help="Folder of Hydrogen kits (each with a drumkit.xml).")
@click.option("--songs-dir", default=corpus_lib.DEFAULT_SONGS_DIR, show_default=True,
              type=click.Path(), help="Folder of Hydrogen .h2song files to take patterns from.")
@click.option("--soundfont-dir", "soundfont_dirs", multiple=True, type=click.Path(),
              help="Folder of .sf2/.sf3 soundfonts (repeatable)  [default: "
              + ", ".join(corpus_lib.DEFAULT_SOUNDFONT_DIRS) + "].")
@click.option("--no-soundfonts", is_flag=True, help="Use only the Hydrogen kits.")
@click.option("--bars", "n_bars", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Files to render.")
@click.option("--seed", type=options.SEED_TYPE, default=0, show_default=True,
              help="Seed of everything: same seed, same files.")
@click.option("--bpm-range", type=(options.BPM_TYPE, options.BPM_TYPE), default=(60.0, 200.0),
              show_default=True, metavar="LOW HIGH", help="Tempo range in BPM (uniform).")
@click.option("--val-kits", type=click.IntRange(min=0), default=None,
              help="Kits held out per kit family (at most half of it), picked by seed  "
              "[default: 2].")
@click.option("--val-kit", "val_kit_names", multiple=True, metavar="NAME",
              help="Hold out this kit (repeatable); instead of --val-kits.")
@click.option("--val-families", type=click.IntRange(min=0), default=None,
              help="Drum pattern families held out (plus one hand-percussion family), "
              "picked by seed  [default: 2].")
@click.option("--val-family", "val_family_names", multiple=True, metavar="NAME",
              help="Hold out this pattern family (repeatable); instead of --val-families.")
@click.option("--val-share", type=click.FloatRange(0, 1), default=0.12, show_default=True,
              help="Share of files that are validation files.")
@click.option("--process-share", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="Share of training files passed through a processing chain.")
@click.option("--val-process-share", type=click.FloatRange(0, 1), default=0.25,
              show_default=True,
              help="Share of validation files passed through a processing chain.")
@click.option("--revoice-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of training files whose kit is re-voiced role by role (tuning, "
              "decay, EQ shelves); never validation files.")
@click.option("--synth-share", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="Share of training files played on a procedurally synthesized kit (a new "
              "kit per file).")
@click.option("--partial-share", type=click.FloatRange(0, 1), default=0.22, show_default=True,
              help="Share of files that keep only some roles (hats only, tops, kick and "
              "hats, ...).")
@click.option("--realism-share", type=click.FloatRange(0, 1), default=0.35, show_default=True,
              help="Share of training files 'recorded' (room, tape, noise floor, codec, mic "
              "bleed, tails over the bar line).")
@click.option("--val-realism-share", type=click.FloatRange(0, 1), default=0.3,
              show_default=True,
              help="Share of validation files in the held-out 'realism' family.")
@click.option("--fast-loops/--no-fast-loops", default=True, show_default=True,
              help="Render jungle, dnb, footwork and rave as 2-bar loops at 160-200 BPM.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes rendering in parallel (the same seed and worker count give "
              "the same files).")
@click.option("--loop-bars", type=click.IntRange(min=1), default=1, show_default=True,
              help="Bars per file.")
@click.option("--sample-rate", type=click.IntRange(min=1000), default=22050,
              show_default=True, help="Output sample rate in Hz.")
@click.option("--verbose", "-v", is_flag=True,
              help="List every skipped kit with its reason (default: one summary line).")
@options.FORCE
@pass_errors
def render(out_dir, kits_dir, songs_dir, soundfont_dirs, no_soundfonts, n_bars, seed,
           bpm_range, val_kits, val_kit_names, val_families, val_family_names, val_share,
           process_share, val_process_share, revoice_share, synth_share, partial_share,
           realism_share, val_realism_share, fast_loops, workers, loop_bars, sample_rate,
           verbose, force):
    """Render --bars WAV files (16-bit mono) and manifest.json into --out.

    \b
    Example:
      drumaae corpus render --out corpus/ --bars 2000 --val-kit GMRockKit --seed 3
    """
    if val_kits is not None and val_kit_names:
        raise click.BadParameter("give --val-kits or --val-kit, not both",
                                 param_hint="--val-kits")
    if val_families is not None and val_family_names:
        raise click.BadParameter("give --val-families or --val-family, not both",
                                 param_hint="--val-families")
    held_out = list(val_kit_names) if val_kit_names else (2 if val_kits is None else val_kits)
    held_families = (list(val_family_names) if val_family_names
                     else (2 if val_families is None else val_families))
    if no_soundfonts:
        soundfont_dirs = ()
    elif not soundfont_dirs:
        soundfont_dirs = corpus_lib.DEFAULT_SOUNDFONT_DIRS
    bars: list = []  # the progress bar, opened once rendering starts (not before checks)

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label="Rendering",
                                          file=click.get_text_stream("stderr")))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        manifest = corpus_lib.render_corpus(
            out_dir, kits_dir=kits_dir, songs_dir=songs_dir, soundfont_dirs=soundfont_dirs,
            n_bars=n_bars, seed=seed, bpm_range=bpm_range, val_kits=held_out,
            val_families=held_families, val_share=val_share, process_share=process_share,
            val_process_share=val_process_share, revoice_share=revoice_share,
            synth_share=synth_share, partial_share=partial_share, realism_share=realism_share,
            val_realism_share=val_realism_share, fast_loops=fast_loops, workers=workers,
            loop_bars=loop_bars,
            sample_rate=sample_rate, force=force, progress=progress,
        )
    finally:
        if bars:
            bars[0].__exit__(None, None, None)
    summary = corpus_lib.summarize(manifest)
    click.echo(
        f"Wrote {summary['files']} files ({summary['seconds']} s of audio) to {out_dir}: "
        f"{summary['per_split'].get('train', 0)} train, {summary['per_split'].get('val', 0)} "
        f"val; {summary['kits']} kits; kits held out: "
        f"{', '.join(manifest['val_kits']) or 'none'}; pattern families held out: "
        f"{', '.join(manifest['val_pattern_families']) or 'none'}"
    )
    for line in skipped_kits_lines(manifest["skipped_kits"], verbose):
        click.echo(line)
    for missing in manifest["missing_sources"]:
        click.echo(f"Not installed: {missing}; install every kit source with "
                   f"'{corpus_lib.INSTALL_HINT}'")


def skipped_kits_lines(skipped: list[dict], verbose: bool = False) -> list[str]:
    """The kits the render could not use: one summary line (how many, their most common
    reasons), or with --verbose one line per kit."""
    if not skipped:
        return []
    if verbose:
        return [f"Skipped kit {s['kit']}: {s['reason']}" for s in skipped]
    reasons = Counter(" ".join(str(s["reason"]).split())[:60] for s in skipped)
    top = "; ".join(f"{n} x {why}" for why, n in reasons.most_common(2))
    more = f"; {len(reasons) - 2} other reasons" if len(reasons) > 2 else ""
    return [f"Skipped {len(skipped)} kit{'s' * (len(skipped) != 1)} ({top}{more}); "
            "the manifest lists them (skipped_kits), --verbose prints them"]


@command.command("info")
@click.argument("corpus_dir", type=click.Path(file_okay=False))
@options.JSON
@pass_errors
def info(corpus_dir, as_json):
    """Summarise a rendered corpus: files per split, family, pattern family and kit.

    \b
    Example:
      drumaae corpus info corpus/
    """
    summary = corpus_lib.summarize(corpus_lib.read_manifest(corpus_dir))
    if as_json:
        click.echo(json.dumps(summary, indent=1))
        return
    click.echo(f"{summary['files']} files, {summary['seconds']} s, "
               f"BPM {summary['bpm_min']}-{summary['bpm_max']}; "
               f"{summary['processed']} processed, {summary['revoiced']} re-voiced, "
               f"{summary['realism']} recorded (realism), {summary['partial']} partial kits, "
               f"{summary['synth']} on synth kits")
    for title, key in (("split", "per_split"), ("family", "per_family"),
                       ("kit family", "per_kit_family"),
                       ("pattern family", "per_pattern_family"), ("kit", "per_kit")):
        click.echo(f"per {title}:")
        for name, count in summary[key].items():
            click.echo(f"  {name}: {count}")
    for split, counts in summary["per_split_family"].items():
        click.echo(f"{split} per family: "
                   + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none"))
    click.echo(f"held-out kits: {', '.join(summary['val_kits']) or 'none'}")
    click.echo("held-out pattern families: "
               f"{', '.join(summary['val_pattern_families']) or 'none'}")
