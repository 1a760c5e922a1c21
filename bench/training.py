"""Training speed rows: steps/s and bars/s per batch size, the model's FLOP/s against the CPU's
measured matmul peak, the training input pipeline (uncached, cache fill, cached) against a
librosa loop, and a training child process whose peak memory is measured
(`python -m drumaae_bench.training RECIPE BATCH STEPS`)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import Sequence

import numpy as np

from .audio import librosa_bar_features
from .harness import Row, measure_process, timed

__all__ = ["bench_training", "bench_training_memory", "bench_training_input", "matmul_peak",
           "train_step_flops"]


def matmul_peak(n: int = 2048, repeats: int = 5) -> float:
    """The CPU's float32 matmul rate in GFLOP/s: the best of `repeats` timed ``n x n`` by
    ``n x n`` products (``2 n^3`` FLOP each) in a `tf.function` on all the cores TensorFlow
    uses; the practical peak that dense layers and convolutions can approach."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = tf.constant(rng.random((n, n), dtype=np.float32))
    b = tf.constant(rng.random((n, n), dtype=np.float32))
    f = tf.function(lambda x, y: tf.reduce_sum(tf.linalg.matmul(x, y)))
    f(a, b).numpy()
    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        f(a, b).numpy()
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best / 1e9


def train_step_flops(model, batch: int) -> float:
    """FLOP of one `train_step` at `batch` (forward, gradients and updates of the three
    phases), counted by TensorFlow's graph profiler over the traced step: the ops it has
    FLOP counts for (convolutions and their gradients, matmuls, element-wise ops); FFTs in
    a loss are not counted, so this is a lower bound."""
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder

    a = model.generator
    step = tf.function(lambda x, y: model.train_step((x, y)))
    graph = step.get_concrete_function(tf.TensorSpec([batch, a.frames, a.bins], tf.float32),
                                       tf.TensorSpec([batch], tf.int32)).graph
    opts = option_builder.ProfileOptionBuilder.float_operation()
    opts["output"] = "none"
    return float(model_analyzer.profile(graph, options=opts).total_float_ops)


def _train_rate(recipe, batch: int, steps: int, repeats: int, precision: str | None = None,
                count_flops: bool = True, jit_compile: bool = False
                ) -> tuple[float, float, float | None]:
    """(seconds per step, first-step seconds, FLOP per step or None) for `steps` train steps
    at `batch`, on a batch already in the device's memory (as a prefetching input pipeline
    delivers it). FLOP are counted by TensorFlow's graph profiler (`count_flops`).
    `jit_compile` compiles the step (XLA on TensorFlow, torch.compile on torch); the first,
    untimed step then includes the compilation."""
    import keras

    from drumaae.models import build_model, compile_model

    old = keras.config.dtype_policy().name
    if precision:
        keras.config.set_dtype_policy(precision)
    try:
        model = compile_model(build_model(recipe), recipe, jit_compile=jit_compile)
        a = recipe.audio
        rng = np.random.default_rng(0)
        x = keras.ops.convert_to_tensor(
            rng.random((batch, a.bar_frames, a.n_bins), dtype=np.float32))
        y = keras.ops.convert_to_tensor(
            rng.integers(0, recipe.model.num_components, batch).astype(np.int32))
        t0 = time.perf_counter()
        model.train_on_batch(x, y)
        first = time.perf_counter() - t0

        def run():
            for _ in range(steps):
                model.train_on_batch(x, y)

        total, _ = timed(run, repeats)
        return total / steps, first, train_step_flops(model, batch) if count_flops else None
    finally:
        keras.config.set_dtype_policy(old)


def bench_training(recipe_name: str, batches: Sequence[int], steps: int, repeats: int
                   ) -> list[Row]:
    import tensorflow as tf

    from drumaae.config import load_recipe

    recipe = load_recipe(recipe_name)
    peak = matmul_peak()
    rows = [Row("training (CPU)", "float32 matmul peak (2048 x 2048, best of 5)", peak, None,
                "GFLOP/s", None, "the practical peak of this CPU, measured in this run")]
    base = None
    rates = {}
    for b in batches:
        per_step, first, flop = _train_rate(recipe, b, steps, repeats, "float32")
        base = per_step if base is None else base
        rates[b] = b / per_step
        rows.append(Row("training (CPU)", f"recipe {recipe_name}, batch {b}", 1.0 / per_step,
                        None, "steps/s", None,
                        f"{b / per_step:.1f} bars/s; {per_step / base:.2f}x the time per step "
                        f"of batch {batches[0]}; first step (trace) {first:.1f} s excluded"))
        rows.append(Row("training (CPU)", f"recipe {recipe_name}, batch {b}: model FLOP/s vs "
                        "matmul peak", flop / per_step / 1e9, peak, "GFLOP/s",
                        flop / per_step / 1e9 / peak,
                        f"{flop / 1e9:.2f} GFLOP per step (graph profiler, FFTs uncounted); "
                        "ratio = share of the peak"))
    fastest = max(rates, key=rates.get)
    rows.append(Row("training (CPU)", f"fastest batch size of {sorted(rates)}", rates[fastest],
                    None, "bars/s", None, f"batch {fastest}; the recipe uses "
                    f"{recipe.training.batch_size}"))
    if tf.config.list_physical_devices("GPU"):
        b = max(batches)
        f32, _, _ = _train_rate(recipe, b, steps, repeats, "float32", count_flops=False)
        f16, _, _ = _train_rate(recipe, b, steps, repeats, "mixed_float16",
                                count_flops=False)
        rows.append(Row("training (GPU)", f"mixed_float16 vs float32, batch {b}", 1.0 / f16,
                        1.0 / f32, "steps/s", f32 / f16, f"{b / f16:.1f} vs {b / f32:.1f} bars/s"))
    else:
        rows.append(Row("training (GPU)", "float32 vs mixed_float16", None, None, "", None,
                        "no GPU: tf.config.list_physical_devices('GPU') is empty"))
    return rows


def bench_training_input(audio, n_files: int, repeats: int, batch: int = 32) -> list[Row]:
    """The training input pipeline as `drumaae.training.train` runs it (`make_dataset` over a
    `BarIndex`: shuffled, labelled, batched) against a librosa loop (load each file, STFT and
    dB per bar), on one-bar 16-bit WAV files at tempi spread over 70-180 BPM like a rendered
    corpus: an uncached epoch, filling the feature cache, and a cached epoch."""
    import shutil

    import librosa
    import soundfile as sf

    from drumaae.data.dataset import build_index, cached_bar_features, make_dataset
    from drumaae.testing import PATTERNS, synthetic_loop

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        tempi = {}
        for i in range(n_files):
            bpm = float(np.round(rng.uniform(70.0, 180.0), 1))
            name = f"bar{i:04d}.wav"
            sf.write(os.path.join(tmp, name), synthetic_loop(
                audio.sample_rate, bpm, bars=1, seed=i, pattern=PATTERNS[i % len(PATTERNS)]),
                audio.sample_rate, subtype="PCM_16")
            tempi[name] = bpm
        index = build_index(tmp, audio, bpm_lookup=tempi)
        n = len(index)
        labels = np.zeros(n, np.int32)
        cache_dir = os.path.join(tmp, "cache")

        def epoch(**kw):
            ds = make_dataset(index, audio, batch_size=batch, shuffle=True, seed=1,
                              labels=labels, **kw)
            return sum(len(f) for f, _ in ds)

        # Built once, as training does: its construction (tracing) is paid once per run,
        # not per epoch, so it is timed apart.
        t0 = time.perf_counter()
        uncached = make_dataset(index, audio, batch_size=batch, shuffle=True, seed=1,
                                labels=labels, cache=False)
        build_s = time.perf_counter() - t0

        def fill():
            shutil.rmtree(cache_dir, ignore_errors=True)
            return len(cached_bar_features(index, audio, cache_dir, log=lambda m: None))

        def theirs(files=None):
            count = 0
            for entry in files or index.files:
                y, _ = librosa.load(entry.path, sr=audio.sample_rate)
                for r in index.records:
                    if r.file != entry.path:
                        continue
                    bar = np.pad(y[r.start:r.start + r.length], (0, max(0, r.start + r.length
                                                                         - len(y))))
                    librosa_bar_features(bar, audio)
                    count += 1
            return count

        t0 = time.perf_counter()
        sum(len(f) for f, _ in uncached)
        first_s = time.perf_counter() - t0
        theirs(index.files[:1])  # librosa's first calls (imports, FFT plans) are not timed
        lib_s, n_lib = timed(theirs, repeats)
        unc_s, n_unc = timed(lambda: sum(len(f) for f, _ in uncached), repeats)
        fill_s, n_fill = timed(fill, repeats)
        epoch(feature_cache=cache_dir)
        hit_s, n_hit = timed(lambda: epoch(feature_cache=cache_dir), repeats)
        assert n_lib == n_unc == n_fill == n_hit == n
        lengths = len({r.length for r in index.records})
    per_run = (fill_s + 49 * hit_s) / 50
    what = f"{n} bars / {n_files} files, {lengths} bar lengths, batch {batch}"
    return [
        Row("training input", f"uncached epoch (make_dataset), {what}", n / unc_s, n / lib_s,
            "bars/s", lib_s / unc_s, f"vs librosa loop (load + STFT + dB per bar); building "
            f"the dataset {build_s:.2f} s and its first pass {first_s:.2f} s excluded"),
        Row("training input", "feature cache fill (first use)", n / fill_s, n / lib_s, "bars/s",
            lib_s / fill_s, "vs librosa loop; computed by make_dataset, written to disk"),
        Row("training input", "cached epoch (make_dataset(feature_cache=...))", n / hit_s,
            n / lib_s, "bars/s", lib_s / hit_s, "vs librosa loop; same batches bit for bit"),
        Row("training input", "per epoch over a 50-epoch run with the cache", n / per_run,
            n / lib_s, "bars/s", lib_s / per_run, "(fill + 49 cached epochs) / 50, from the "
            "rows above, vs the librosa loop every epoch"),
    ]


def bench_training_memory(recipe: str, batch: int, steps: int) -> list[Row]:
    res = measure_process([sys.executable, "-m", f"{__package__}.training", recipe, str(batch),
                           str(steps)])
    return [Row("memory", f"peak RSS, training recipe {recipe} batch {batch} ({steps} steps)",
                res["maxrss_kb"] / 1024.0, None, "MiB", None,
                f"child process, in-memory batches; {res['wall_s']:.1f} s wall incl. import")]


def main(argv: list[str] | None = None) -> None:
    """Train RECIPE for STEPS steps of in-memory batches of BATCH bars (the measured child)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from drumaae.config import load_recipe
    from drumaae.models import build_model, compile_model

    name, batch, steps = (sys.argv[1:] if argv is None else argv)[:3]
    recipe = load_recipe(name)
    model = compile_model(build_model(recipe), recipe)
    a = recipe.audio
    x = np.random.default_rng(0).random((int(batch), a.bar_frames, a.n_bins), dtype=np.float32)
    y = np.zeros(int(batch), np.int32)
    for _ in range(int(steps)):
        model.train_on_batch(x, y)


if __name__ == "__main__":
    main()
