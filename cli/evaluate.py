"""`drumaae evaluate`: quality of a model on held-out bars, beside baselines; JSON and HTML."""

from __future__ import annotations

import click

from drumaae_cli import options
from drumaae_cli.common import Progress, claim_json_out, emit, pass_errors


@click.command("evaluate")
@options.DATA
@options.MODEL
@options.JSON
@options.JSON_OUT
@click.option("--pairs", type=click.IntRange(min=0), default=8, show_default=True,
              help="Interpolation pairs of bars (seeded).")
@click.option("--max-bars", type=click.IntRange(min=0), default=200, show_default=True,
              help="Evaluate a seeded sample of this many bars (0: every bar).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              metavar="DIR", help="Write a static HTML report (tables, spectrograms, audio "
                                  "players) to this folder.")
@click.option("--report-pairs", type=click.IntRange(min=0), default=4, show_default=True,
              help="Interpolation pairs shown in the report.")
@options.GL_ITERS
@options.REFINE
@options.bpm_option(help="Tempo of every file, if known (else manifests, else detected).")
@options.tempo_option(help="Tempo of the interpolation steps: the source's (what 'drumaae "
                      "interpolate' writes by default), the target's, 'blend' (from the source "
                      "bar's to the target bar's, each endpoint at its own tempo) or a BPM "
                      "number.")
@click.option("--centroids", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Rhythm centroids (.npy) the model was trained with [default: "
                   "rhythm_centroids.npy beside the model file, else k-means of the bars].")
@options.INPUT_PHASE
@options.RETIME
@options.BLEND_LABELS
@options.seed_option()
@options.FORCE
@options.QUIET
@pass_errors
def command(data, model_ref, as_json, json_out, pairs, max_bars, report_dir, report_pairs,
            iters, refine, bpm, tempo, centroids, input_phase, retime, blend_labels, seed, force,
            quiet):
    """Measure reconstruction, interpolation and prior fit of a model on bars of DATA.

    Prints tables: reconstruction (LSD, spectral convergence, onset F) beside Griffin-Lim of
    the true magnitude (source_GL, the ceiling); interpolation (endpoint onset F, rhythm
    trend along alpha) beside a plain spectrogram crossfade; prior fit (MMD, occupancy,
    agreement with rhythm labels). Metrics: docs/evaluation.md.

    \b
    Example:
      drumaae evaluate --data corpus/val --json-out eval.json --report eval_report/
      drumaae evaluate --data loops/ --model models:/drumaae@prod --pairs 16 --max-bars 0
      drumaae evaluate --data corpus/val --json > eval.json
    """
    from drumaae.evaluation.evaluate import evaluate
    from drumaae.evaluation.report import check_report_dir, format_table, to_json

    claim_json_out(json_out, force)
    if report_dir is not None:
        check_report_dir(report_dir, force)
    results = evaluate(model_ref, list(data), pairs=pairs, max_bars=max_bars or None,
                       gl_iters=iters, seed=seed, bpm=bpm, centroids=centroids,
                       report=report_dir, report_pairs=report_pairs, force=force,
                       progress=Progress("evaluate", quiet), refine=refine, tempo=tempo,
                       input_phase=input_phase, retime=retime, blend_labels=blend_labels)
    emit(results, as_json, [format_table(results)], json_out=json_out, force=force,
         dumps=to_json)

