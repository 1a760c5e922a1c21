"""One vs two training worker processes (MultiWorkerMirroredStrategy over 127.0.0.1), and the
timed child (`python -m drumaae_bench.workers RECIPE BATCH STEPS`, with or without TF_CONFIG).

Slow (each worker imports TensorFlow, builds and traces the model): `drumaae bench --workers`.
Both runs use the same global batch on in-memory features, so the row compares the
distributed step (two half batches and a gradient all-reduce over gRPC) with the plain one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np

from .harness import Row

__all__ = ["bench_workers"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child(tf_config: dict | None, recipe: str, batch: int, steps: int) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen([sys.executable, "-m", f"{__package__}.workers", recipe, str(batch),
                             str(steps)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, timeout: float) -> dict:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"a training worker ran past {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"a training worker failed ({proc.returncode}): {err[-1500:]}")
    return json.loads(out.strip().splitlines()[-1])


def bench_workers(recipe: str, batch: int, steps: int, timeout: float = 900) -> list[Row]:
    one = _result(_child(None, recipe, batch, steps), timeout)
    cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]}
    procs = [_child({"cluster": cluster, "task": {"type": "worker", "index": i}}, recipe,
                    batch, steps) for i in range(2)]
    two = [_result(p, timeout) for p in procs]
    if two[0]["steps"] != two[1]["steps"]:
        raise RuntimeError(f"the two workers took {two[0]['steps']} and {two[1]['steps']} steps")
    cores = os.cpu_count()
    return [Row("training (workers)", f"recipe {recipe}, global batch {batch}: two worker "
                "processes vs one", two[0]["bars_per_s"], one["bars_per_s"], "bars/s",
                two[0]["bars_per_s"] / one["bars_per_s"],
                f"MultiWorkerMirroredStrategy on 127.0.0.1, {steps} timed steps each after the "
                f"first; both workers took {two[0]['steps']} steps; {cores} cores shared by "
                "both processes")]


def main(argv: list[str] | None = None) -> None:
    """Train RECIPE for 1 + STEPS steps on in-memory batches of BATCH bars (global) under the
    strategy TF_CONFIG implies; print ``{"steps", "seconds", "bars_per_s"}`` of the last STEPS
    as JSON."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from drumaae.config import load_recipe
    from drumaae.models import build_model, compile_model

    name, batch, steps = (sys.argv[1:] if argv is None else argv)[:3]
    batch, steps = int(batch), int(steps)
    strategy = (tf.distribute.MultiWorkerMirroredStrategy() if "TF_CONFIG" in os.environ
                else tf.distribute.get_strategy())
    recipe = load_recipe(name)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = compile_model(build_model(recipe), recipe)
    a = recipe.audio
    x = np.random.default_rng(0).random((batch, a.bar_frames, a.n_bins), dtype=np.float32)
    y = np.zeros(batch, np.int32)
    ds = tf.data.Dataset.from_tensors((x, y)).repeat()

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.ends: list[float] = []

        def on_train_batch_end(self, batch, logs=None):
            self.ends.append(time.perf_counter())

    clock = Clock()
    model.fit(ds, steps_per_epoch=steps + 1, epochs=1, verbose=0, callbacks=[clock])
    seconds = clock.ends[-1] - clock.ends[0]
    print(json.dumps({"steps": model.train_iterations, "seconds": seconds,
                      "bars_per_s": batch * steps / seconds}))


if __name__ == "__main__":
    main()
