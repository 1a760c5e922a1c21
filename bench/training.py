"""Training speed rows (steps/s and bars/s per batch size) and a training child process whose
peak memory is measured (`python -m drumaae_bench.training RECIPE BATCH STEPS`)."""

from __future__ import annotations

import os
import sys
import time
from typing import Sequence

import numpy as np

from .harness import Row, measure_process, timed

__all__ = ["bench_training", "bench_training_memory"]


def _train_rate(recipe, batch: int, steps: int, repeats: int, precision: str | None = None
                ) -> tuple[float, float]:
    """(seconds per step, first-step seconds) for `steps` train steps at `batch`."""
    import keras

    from drumaae.models import build_model, compile_model

    old = keras.config.dtype_policy().name
    if precision:
        keras.config.set_dtype_policy(precision)
    try:
        model = compile_model(build_model(recipe), recipe)
        a = recipe.audio
        rng = np.random.default_rng(0)
        x = rng.random((batch, a.bar_frames, a.n_bins), dtype=np.float32)
        y = rng.integers(0, recipe.model.num_components, batch).astype(np.int32)
        t0 = time.perf_counter()
        model.train_on_batch(x, y)
        first = time.perf_counter() - t0

        def run():
            for _ in range(steps):
                model.train_on_batch(x, y)

        total, _ = timed(run, repeats)
        return total / steps, first
    finally:
        keras.config.set_dtype_policy(old)


def bench_training(recipe_name: str, batches: Sequence[int], steps: int, repeats: int
                   ) -> list[Row]:
    import tensorflow as tf

    from drumaae.config import load_recipe

    recipe = load_recipe(recipe_name)
    rows = []
    base = None
    for b in batches:
        per_step, first = _train_rate(recipe, b, steps, repeats, "float32")
        base = per_step if base is None else base
        rows.append(Row("training (CPU)", f"recipe {recipe_name}, batch {b}", 1.0 / per_step,
                        None, "steps/s", None,
                        f"{b / per_step:.1f} bars/s; {per_step / base:.2f}x the time per step "
                        f"of batch {batches[0]}; first step (trace) {first:.1f} s excluded"))
    if tf.config.list_physical_devices("GPU"):
        b = max(batches)
        f32, _ = _train_rate(recipe, b, steps, repeats, "float32")
        f16, _ = _train_rate(recipe, b, steps, repeats, "mixed_float16")
        rows.append(Row("training (GPU)", f"mixed_float16 vs float32, batch {b}", 1.0 / f16,
                        1.0 / f32, "steps/s", f32 / f16, f"{b / f16:.1f} vs {b / f32:.1f} bars/s"))
    else:
        rows.append(Row("training (GPU)", "float32 vs mixed_float16", None, None, "", None,
                        "no GPU: tf.config.list_physical_devices('GPU') is empty"))
    return rows


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
