"""The benchmark harness behind `drumaae bench` (and `python bench/run.py`): rows, the run,
the table.

One run measures every row on the same machine, so its ratios compare like with like:

- Griffin-Lim, ours (`drumaae.audio.griffinlim`, tf) vs `librosa.griffinlim`, equal
  iterations and momentum, with the spectral convergence each reaches (`bench.audio`);
- tempo reading of a loop (`drumaae.audio.bars.cut_bars`) vs librosa's tempo estimator;
- the training input pipeline (`drumaae.data.dataset.make_dataset`: decode, cut, bar
  features) vs a librosa loop, on 4-bar loops (`bench.audio`) and, with the feature cache,
  on one-bar files at many tempi (`bench.training`);
- training steps/s and bars/s of a recipe on the CPU at several batch sizes (float32 vs
  mixed_float16 on a GPU when TensorFlow sees one) (`bench.training`);
- `drumaae interpolate` cold, end to end, against a bare ``import tensorflow`` in a child
  process, with a row per phase (imports, model load, tempo, encode, render, writing,
  figure); many pairs in one process (``--pairs``): the cost per pair; in-process: the warm
  library call and the model alone (`bench.interpolate`);
- SavedModel latency per bar (`bench.serving`);
- peak resident memory (``ru_maxrss`` of a child process) of interpolate and of training.

Timed runs are medians of `repeats` after an untimed warm-up (tracing, XLA compilation),
whose cost is reported separately. The machine's load average is printed with the table:
other jobs on a shared CPU change every absolute number and some ratios.

The package lives outside the library (source folder ``bench/``, installed as
``drumaae_bench``); its modules import each other relatively so both names work.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Sequence

#: The row groups of one run, in order: ``BenchConfig(groups=...)`` picks some.
GROUPS = ("griffin-lim", "tempo", "features", "training", "interpolate", "cold start",
          "serving", "memory")

__all__ = ["GROUPS", "Row", "BenchConfig", "run_bench", "format_rows", "rows_table", "timed",
           "measure_process", "machine", "load_average", "failed_row", "one_line", "FAILED"]


@dataclasses.dataclass
class Row:
    """One measurement: ours beside a baseline where there is one.

    `ratio` is always "how many times better ours is" (baseline time / our time, or our
    throughput / the baseline's), so > 1 favours ours; None where there is no baseline.
    """

    group: str
    task: str
    ours: float | None
    baseline: float | None = None
    unit: str = ""
    ratio: float | None = None
    note: str = ""


@dataclasses.dataclass
class BenchConfig:
    """What to measure. `quick()` is the small version used by the tests."""

    recipe: str = "default"
    gl_iters: int = 64
    gl_bars: int = 5
    files: int = 24
    repeats: int = 3
    train_batches: tuple[int, ...] = (1, 8, 32)
    train_steps: int = 5
    interp_steps: tuple[int, ...] = (3, 5, 9)
    e2e_steps: tuple[int, ...] = (3, 5, 9)
    subprocess: bool = True
    savedmodel: bool = True
    model: str | None = None
    pairs: int = 4
    input_files: int = 200
    workers: bool = False
    #: Row groups to run (see `GROUPS`); empty = all.
    groups: tuple[str, ...] = ()

    def wants(self, group: str) -> bool:
        return not self.groups or group in self.groups

    @classmethod
    def quick(cls, **kw) -> "BenchConfig":
        base = dict(recipe="tiny", gl_iters=8, gl_bars=2, files=4, repeats=1,
                    train_batches=(1, 8), train_steps=2, interp_steps=(3, 5), e2e_steps=(5,),
                    subprocess=True, savedmodel=True, pairs=2, input_files=8)
        base.update(kw)
        return cls(**base)


# --- machine ------------------------------------------------------------------------------

def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"
    except OSError:
        return "unknown"


def machine() -> dict[str, Any]:
    import librosa
    import tensorflow as tf

    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpus = tf.config.list_physical_devices("GPU")
    return {"cores": os.cpu_count(), "cpu": cpu, "os": f"{platform.system()} {platform.machine()}",
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "librosa": librosa.__version__, "gpus": [g.name for g in gpus]}


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median seconds of `repeats` calls of `fn` (at least one) and its last result."""
    times, out = [], None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def measure_process(cmd: Sequence[str], timeout: float = 600) -> dict[str, Any]:
    """Run `cmd` in a child; wall seconds and peak RSS (``ru_maxrss``, KiB) of that child
    (measured by `bench.rss` in a process of its own, so only that child counts)."""
    proc = subprocess.run([sys.executable, "-m", f"{__package__}.rss", *map(str, cmd)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"measuring {cmd[:3]} failed: {proc.stderr[-1000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["rc"] != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({out['rc']}): {out['stderr']}")
    return out


# --- all ------------------------------------------------------------------------------------

def run_bench(cfg: BenchConfig | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every benchmark of `cfg`; returns ``{"machine", "load_before", "load_after",
    "date", "config", "rows": [Row as dict], "failed": ["group: task", ...]}``. A benchmark
    that raises becomes one row without a number (`failed_row`) and the run goes on."""
    from drumaae.config import load_recipe

    from .audio import bench_features, bench_griffin_lim, bench_tempo
    from .interpolate import bench_cold_start, bench_interpolate, model_file
    from .serving import bench_savedmodel
    from .training import bench_training, bench_training_input, bench_training_memory

    cfg = cfg or BenchConfig()
    say = progress or (lambda text: None)
    audio = load_recipe(cfg.recipe).audio
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = load_average()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        def run(group: str, what: str, fn: Callable[[], list[Row]]) -> None:
            # a benchmark that fails becomes one failed row: the others still run
            say(f"{what} ...")
            try:
                rows.extend(fn())
            except Exception as exc:
                rows.append(failed_row(group, what, exc))

        if cfg.wants("griffin-lim"):
            run("griffin-lim", "Griffin-Lim",
                lambda: bench_griffin_lim(audio, cfg.gl_iters, cfg.gl_bars, cfg.repeats))
        if cfg.wants("tempo"):
            run("tempo", "tempo", lambda: bench_tempo(audio, cfg.repeats))
        if cfg.wants("features"):
            run("features", "feature pipeline",
                lambda: bench_features(audio, cfg.files, cfg.repeats))
        if cfg.wants("training"):
            run("training (CPU)", "training",
                lambda: bench_training(cfg.recipe, cfg.train_batches, cfg.train_steps,
                                       cfg.repeats))
            run("training (CPU)", "training input pipeline",
                lambda: bench_training_input(audio, cfg.input_files, cfg.repeats))
        if cfg.workers and cfg.wants("training"):
            from .workers import bench_workers

            run("training (CPU)", "training, one vs two worker processes",
                lambda: bench_workers(cfg.recipe, max(cfg.train_batches), cfg.train_steps))
        model_path, model_label = model_file(cfg, tmp)
        if cfg.wants("interpolate"):
            run("interpolate", "interpolate", lambda: bench_interpolate(cfg, model_path, tmp))
        if cfg.subprocess and cfg.wants("cold start"):
            run("interpolate", "cold interpolate (child processes)",
                lambda: bench_cold_start(cfg, model_path, tmp))
        if cfg.savedmodel and cfg.wants("serving"):
            run("serving", "SavedModel latency per bar",
                lambda: bench_savedmodel(model_path, tmp, cfg.repeats))
        if cfg.subprocess and cfg.wants("memory"):
            run("memory", "training memory",
                lambda: bench_training_memory(cfg.recipe, max(cfg.train_batches),
                                              cfg.train_steps))
    return {
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_average(),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(),
        "model": model_label,
        "config": dataclasses.asdict(cfg),
        "rows": [dataclasses.asdict(r) for r in rows],
        "failed": [f"{r.group}: {r.task}" for r in rows if r.note.startswith(FAILED)],
    }


FAILED = "failed: "
"""How a failed row's note begins (`failed_row`); ``run_bench``'s ``failed`` lists them."""


def one_line(text: str, limit: int = 160) -> str:
    """`text` fit for one Markdown table cell: whitespace runs (newlines) as one space, ``|``
    escaped, cut to `limit` characters."""
    flat = " ".join(str(text).split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def failed_row(group: str, task: str, exc: BaseException) -> Row:
    """The row of a benchmark that raised: no number, and the error's first words."""
    return Row(group, task, None, note=one_line(f"{FAILED}{type(exc).__name__}: {exc}"))


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def format_rows(result: dict[str, Any]) -> str:
    """The result as a Markdown table with its machine, load and date."""
    m = result["machine"]
    gpu = ", ".join(m["gpus"]) if m["gpus"] else "no GPU"
    lines = [
        f"machine: {m['cores']} cores, {m['cpu']}, {m['os']}, {gpu}; Python {m['python']}, "
        f"TF {m['tensorflow']}, librosa {m['librosa']}",
        f"date: {result['date']}; load average (1, 5, 15 min) before {result['load_before']}, "
        f"after {result['load_after']}; recipe {result['config']['recipe']}; model "
        f"{result['model']}; {result['seconds']:.0f} s",
        "",
        rows_table(result["rows"]),
    ]
    return "\n".join(lines)


def rows_table(rows: Sequence[dict[str, Any]]) -> str:
    """Rows (`Row` as dicts) as a Markdown table."""
    lines = ["| group | measurement | ours | baseline | unit | ours vs baseline | note |",
             "|---|---|---:|---:|---|---:|---|"]
    for r in rows:
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
        lines.append(f"| {one_line(r['group'])} | {one_line(r['task'], 200)} | "
                     f"{_num(r['ours'])} | "
                     f"{_num(r['baseline']) if r['baseline'] is not None else ''} | {r['unit']} "
                     f"| {ratio} | {one_line(r['note'], 200)} |")
    return "\n".join(lines)
