"""SavedModel latency rows: the exported `interpolate` and `encode` signatures."""

from __future__ import annotations

import os
import time

import numpy as np

from .harness import Row, timed

__all__ = ["bench_savedmodel"]


def bench_savedmodel(model_path: str, tmp: str, repeats: int, steps: int = 5) -> list[Row]:
    try:
        from drumaae.serving.export import export_model
    except ImportError as exc:
        return [Row("serving", "SavedModel latency per bar", None, note=f"skipped: {exc}")]
    import tensorflow as tf

    from drumaae.models import model_audio
    from drumaae.registry import load_model_ref

    model = load_model_ref(model_path)
    audio = model_audio(model)
    t0 = time.perf_counter()
    path = export_model(model, os.path.join(tmp, "export"), force=True)
    export_s = time.perf_counter() - t0
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["interpolate"]
    sr = audio.sample_rate
    from drumaae.testing import synthetic_loop

    # The export takes bars on the model's frame grid: a multiple of bar_frames samples
    # (`audio.grid_samples`), as `drumaae.audio.bars.cut_bars` cuts them.
    n = audio.grid_samples()
    src = tf.constant(synthetic_loop(sr, audio.reference_bpm, 2, seed=0)[:n])
    tgt = tf.constant(synthetic_loop(sr, audio.reference_bpm, 2, seed=1, pattern="funk")[:n])
    alphas = tf.constant(np.linspace(0, 1, steps), tf.float32)
    t0 = time.perf_counter()
    fn(source=src, target=tgt, alphas=alphas)
    first = time.perf_counter() - t0
    s, _ = timed(lambda: fn(source=src, target=tgt, alphas=alphas), repeats)
    enc = loaded.signatures["encode"]
    bars = tf.stack([src, tgt])
    enc(bars=bars)
    e_s, _ = timed(lambda: enc(bars=bars), repeats)
    return [
        Row("serving", f"SavedModel `interpolate` signature, {steps} steps: per output bar",
            s / steps * 1e3, None, "ms", None,
            f"{s * 1e3:.0f} ms per call incl. Griffin-Lim; first call {first:.2f} s; "
            f"export {export_s:.1f} s"),
        Row("serving", "SavedModel `encode` signature: per bar", e_s / 2 * 1e3, None, "ms"),
    ]
