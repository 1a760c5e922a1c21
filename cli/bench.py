"""`drumaae bench`: speed of our audio code, training and interpolation, beside baselines."""

from __future__ import annotations

import json

import click

from drumaae_cli import options
from drumaae_cli.common import claim_json_out, emit, pass_errors


@click.command("bench")
@click.option("--quick", is_flag=True,
              help="A small version (tiny recipe, few iterations): checks that every row runs "
                   "(exit status 1 if one fails).")
@options.recipe_option()
@options.MODEL_FILE
@click.option("--repeats", type=click.IntRange(min=1), default=None,
              help="Timed runs per row (the median is reported).")
@click.option("--no-subprocess", is_flag=True,
              help="Skip the rows that start child processes (end-to-end interpolate, import "
                   "time, peak memory).")
@click.option("--no-savedmodel", is_flag=True, help="Skip the SavedModel export and latency.")
@click.option("--workers", is_flag=True,
              help="Also time training in two worker processes (MultiWorkerMirroredStrategy "
                   "on 127.0.0.1) against one; slow (minutes).")
@options.JSON
@options.JSON_OUT
@options.FORCE
@pass_errors
def command(quick, recipe_ref, model_ref, repeats, no_subprocess, no_savedmodel, workers,
            as_json, json_out, force):
    """Time Griffin-Lim and the feature pipeline against librosa, training steps/s, interpolate
    (end to end and model only), SavedModel latency and peak memory, in one run.

    Prints a Markdown table with the machine, its load average and the date; ratios compare
    rows measured in this same run (> 1 favours ours). A row that fails keeps its table cell
    (the error in one line) and the command exits with status 1. See docs/benchmarks.md.

    \b
    Example:
      drumaae bench
      drumaae bench --quick --json-out bench.json
    """
    from drumaae_bench.harness import BenchConfig, format_rows, run_bench

    claim_json_out(json_out, force)
    kw = {}
    if recipe_ref:
        kw["recipe"] = recipe_ref
    if repeats:
        kw["repeats"] = repeats
    if model_ref:
        kw["model"] = model_ref
    if no_subprocess:
        kw["subprocess"] = False
    if no_savedmodel:
        kw["savedmodel"] = False
    if workers:
        kw["workers"] = True
    cfg = BenchConfig.quick(**kw) if quick else BenchConfig(**kw)
    result = run_bench(cfg, progress=lambda text: click.echo(text, err=True))
    emit(result, as_json, [format_rows(result)], json_out=json_out, force=force,
         dumps=lambda r: json.dumps(r, indent=1))
    if result["failed"]:  # the table is out; the exit status says a row has no number
        click.echo(f"Error: {len(result['failed'])} benchmark row"
                   f"{'s' * (len(result['failed']) != 1)} failed ({'; '.join(result['failed'])}):"
                   " see the note column", err=True)
        click.get_current_context().exit(1)
