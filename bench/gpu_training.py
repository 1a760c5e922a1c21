"""Training speed on a GPU, float32 against mixed_float16 in the same run, on any backend
that runs `DrumAAE.train_step` (TensorFlow, or torch where TensorFlow cannot be installed).

    KERAS_BACKEND=torch python -m bench.gpu_training --batches 32 128 512 --json-out gpu.json
    KERAS_BACKEND=torch python -m bench.gpu_training --jit-compile   # + compiled steps

Each row times `steps` training steps of the recipe's model (three phases: reconstruction,
discriminator, encoder) on a batch already in the device's memory, median of `repeats`,
after an untimed first step (tracing, kernel selection). The baseline of every
mixed_float16 row is float32 at the same batch size, measured in the same run. A row also
gives bars/s, the peak device memory, and how long the recipe's whole training
(``epochs * steps_per_epoch * batch_size`` bars) takes at that rate, compute alone.

Runs from a source checkout (``python -m bench.gpu_training`` in the repository root) as
well as installed (``python -m drumaae_bench.gpu_training``); it imports neither TensorFlow
(unless it is the backend) nor librosa.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from typing import Any, Sequence

from .harness import Row, rows_table
from .training import _train_rate

__all__ = ["main", "bench_gpu_training", "device_info"]


def device_info() -> dict[str, Any]:
    """The backend, its version and the accelerator it trains on."""
    import keras

    backend = keras.backend.backend()
    info: dict[str, Any] = {"backend": backend, "keras": keras.__version__,
                            "python": platform.python_version(), "cores": os.cpu_count()}
    if backend == "torch":
        import torch

        info["framework"] = f"torch {torch.__version__}"
        info["gpu"] = torch.cuda.is_available()
        info["device"] = (torch.cuda.get_device_name(0) if info["gpu"]
                          else "no GPU (torch sees none)")
    else:
        import tensorflow as tf

        info["framework"] = f"tensorflow {tf.__version__}"
        gpus = tf.config.list_physical_devices("GPU")
        info["gpu"] = bool(gpus)
        info["device"] = ", ".join(g.name for g in gpus) if gpus else "no GPU (TF sees none)"
    return info


def _reset_peak() -> None:
    import keras

    if keras.backend.backend() == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()


def _peak_gib() -> float | None:
    """Peak device memory since `_reset_peak` (torch's allocator, or TF's for GPU:0)."""
    import keras

    if keras.backend.backend() == "torch":
        import torch

        return torch.cuda.max_memory_allocated() / 2 ** 30 if torch.cuda.is_available() else None
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        return None
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2 ** 30


def _load_recipe(name: str):
    """A recipe by name or path; in a source checkout (recipes/ not installed as
    ``drumaae.recipes``) a name reads ``recipes/NAME.yaml``."""
    from drumaae.config import load_recipe

    try:
        return load_recipe(name)
    except ModuleNotFoundError:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        return load_recipe(os.path.join(here, "recipes", f"{name}.yaml"))


def bench_gpu_training(recipe_name: str, batches: Sequence[int], steps: int, repeats: int,
                       precisions: Sequence[str] = ("float32", "mixed_float16"),
                       group: str = "training (GPU)", jit_compile: bool = False,
                       log=print) -> list[Row]:
    """Rows of steps/s per batch size and precision; the first precision is the baseline
    of the others. With `jit_compile` each precision also gets a row of the compiled step
    (torch.compile on torch, XLA on TensorFlow) whose baseline is the eager step of the same
    precision and batch. A batch that runs out of device memory gets a row saying so."""
    recipe = _load_recipe(recipe_name)
    t = recipe.training
    # Bars one whole training of the recipe takes (None: its epochs are whole passes over
    # the data, whose size a synthetic batch does not know).
    run_bars = (t.epochs * t.steps_per_epoch * t.batch_size if t.steps_per_epoch else None)
    rows: list[Row] = []
    for b in batches:
        first_eager = None
        for precision in precisions:
            eager = None
            for jit in (False, True) if jit_compile else (False,):
                label = f"{precision}, batch {b}" + (", jit_compile" if jit else "")
                base = eager if jit else first_eager
                _reset_peak()
                try:
                    per_step, first, _ = _train_rate(recipe, b, steps, repeats, precision,
                                                     count_flops=False, jit_compile=jit)
                except Exception as exc:  # out of memory, a compiler's refusal: the row says
                    msg = (str(exc).strip().splitlines()[0][:160] if str(exc).strip()
                           else "")
                    rows.append(Row(group, label, None, None, "", None,
                                    f"failed: {type(exc).__name__}: {msg}"))
                    log(rows[-1].note)
                    continue
                peak = _peak_gib()
                rate = b / per_step
                ratio = None if base is None else base / per_step
                note = (f"{rate:.0f} bars/s; peak memory "
                        f"{'-' if peak is None else f'{peak:.1f} GiB'}; first step "
                        f"{first:.1f} s excluded")
                if run_bars:
                    note += (f"; recipe {recipe_name}'s training ({run_bars} bars) in "
                             f"{run_bars / rate / 60:.1f} min")
                rows.append(Row(group, label, 1.0 / per_step,
                                None if base is None else 1.0 / base, "steps/s", ratio, note))
                log(f"{label}: {1.0 / per_step:.2f} steps/s, {note}")
                if not jit:
                    eager = per_step
                    first_eager = per_step if first_eager is None else first_eager
    return rows


def format_table(info: dict[str, Any], rows: list[Row], header: str) -> str:
    return "\n".join([f"device: {info['device']}; {info['framework']}, Keras {info['keras']} "
                      f"({info['backend']} backend), Python {info['python']}, "
                      f"{info['cores']} CPU cores", header, "",
                      rows_table([vars(r) for r in rows])])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu_training",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="default", help="recipe name or YAML path")
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed_float16"],
                        choices=["float32", "mixed_float16", "mixed_bfloat16"],
                        help="the first is the baseline of the others")
    parser.add_argument("--jit-compile", action="store_true",
                        help="also time each precision's step compiled (torch.compile on "
                             "torch, XLA on TensorFlow) against its eager step")
    parser.add_argument("--json-out", help="also write the rows and the device as JSON")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.repeats < 1 or min(args.batches) < 1:
        print("Error: --steps, --repeats and --batches must be >= 1", file=sys.stderr)
        return 1
    info = device_info()
    t0 = time.perf_counter()
    group = "training (GPU)" if info["gpu"] else "training (CPU)"
    rows = bench_gpu_training(args.recipe, args.batches, args.steps, args.repeats,
                              args.precisions, group=group, jit_compile=args.jit_compile,
                              log=lambda m: print(m, file=sys.stderr, flush=True))
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"date: {date}; recipe {args.recipe}; {args.steps} steps x {args.repeats} "
              f"repeats per row; {time.perf_counter() - t0:.0f} s")
    print(format_table(info, rows, header))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump({"device": info, "date": date, "recipe": args.recipe,
                       "rows": [r.__dict__ for r in rows]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
