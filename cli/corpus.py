"""`drumaae corpus`: render a training corpus with Hydrogen's recorded drum kits."""

from __future__ import annotations

import json

import click

from drumaae.data import corpus as corpus_lib
from drumaae_cli.common import force_option, json_option, pass_errors

command = click.Group(
    "corpus",
    help="""Build a drum corpus: bar-length patterns rendered with recorded drum kits.

    \b
    Needs Hydrogen's kits: sudo apt-get install hydrogen-drumkits hydrogen-data
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
@click.option("--bars", "n_bars", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Files to render.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of everything: same seed, same files.")
@click.option("--bpm-range", type=(float, float), default=(70.0, 180.0), show_default=True,
              metavar="LOW HIGH", help="Tempo range in BPM (uniform).")
@click.option("--val-kits", type=click.IntRange(min=0), default=None,
              help="Kits held out for validation, picked by seed  [default: 2].")
@click.option("--val-kit", "val_kit_names", multiple=True, metavar="NAME",
              help="Hold out this kit (repeatable); instead of --val-kits.")
@click.option("--loop-bars", type=click.IntRange(min=1), default=1, show_default=True,
              help="Bars per file.")
@click.option("--sample-rate", type=click.IntRange(min=1000), default=22050,
              show_default=True, help="Output sample rate in Hz.")
@force_option
@pass_errors
def render(out_dir, kits_dir, songs_dir, n_bars, seed, bpm_range, val_kits, val_kit_names,
           loop_bars, sample_rate, force):
    """Render --bars WAV files (16-bit mono) and manifest.json into --out.

    \b
    Example:
      drumaae corpus render --out corpus/ --bars 2000 --val-kit GMRockKit --seed 3
    """
    if val_kits is not None and val_kit_names:
        raise click.BadParameter("give --val-kits or --val-kit, not both",
                                 param_hint="--val-kits")
    held_out = list(val_kit_names) if val_kit_names else (2 if val_kits is None else val_kits)
    bars: list = []  # the progress bar, opened once rendering starts (not before checks)

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label="Rendering",
                                          file=click.get_text_stream("stderr")))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        manifest = corpus_lib.render_corpus(
            out_dir, kits_dir=kits_dir, songs_dir=songs_dir, n_bars=n_bars, seed=seed,
            bpm_range=bpm_range, val_kits=held_out, loop_bars=loop_bars,
            sample_rate=sample_rate, force=force, progress=progress,
        )
    finally:
        if bars:
            bars[0].__exit__(None, None, None)
    summary = corpus_lib.summarize(manifest)
    click.echo(
        f"Wrote {summary['files']} files ({summary['seconds']} s of audio) to {out_dir}: "
        f"{summary['per_split'].get('train', 0)} train, {summary['per_split'].get('val', 0)} "
        f"val; kits held out: {', '.join(manifest['val_kits']) or 'none'}"
    )
    for skipped in manifest["skipped_kits"]:
        click.echo(f"Skipped kit {skipped['kit']}: {skipped['reason']}")


@command.command("info")
@click.argument("corpus_dir", type=click.Path(file_okay=False))
@json_option
@pass_errors
def info(corpus_dir, as_json):
    """Summarise a rendered corpus: files per split, kit and genre, tempo range.

    \b
    Example:
      drumaae corpus info corpus/
    """
    summary = corpus_lib.summarize(corpus_lib.read_manifest(corpus_dir))
    if as_json:
        click.echo(json.dumps(summary, indent=1))
        return
    click.echo(f"{summary['files']} files, {summary['seconds']} s, "
               f"BPM {summary['bpm_min']}-{summary['bpm_max']}")
    for title, key in (("split", "per_split"), ("kit", "per_kit"), ("genre", "per_genre")):
        click.echo(f"per {title}:")
        for name, count in summary[key].items():
            click.echo(f"  {name}: {count}")
    click.echo(f"held-out kits: {', '.join(summary['val_kits']) or 'none'}")
