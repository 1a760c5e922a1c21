"""CLI tests, and the shared helpers of the transform tests (a tiny saved model and loops).

The helpers build each file once per test session under pytest's base temp folder, so every
module that uses them shares one model (building one costs seconds on a loaded CPU).
"""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf

from tests.conftest import drum_loop

SR = 22050
SRC_BPM, SRC_BARS = 100.0, 2
TGT_BPM, TGT_BARS = 120.0, 1
GL_ITERS = 2


def out_bar(rate: int, bpm: float) -> int:
    """Samples of one output bar at `rate` Hz, ``round(rate * 60 * 4 / bpm)``: outputs come
    at the input's rate (DESIGN.md), not the model's (`AudioConfig.bar_samples`)."""
    return int(round(rate * 60 * 4 / bpm))


def shared_dir(tmp_path_factory) -> str:
    path = os.path.join(str(tmp_path_factory.getbasetemp()), "transform_shared")
    os.makedirs(path, exist_ok=True)
    return path


def tiny_model_file(tmp_path_factory) -> str:
    """A saved, untrained DrumAAE of the tiny recipe."""
    path = os.path.join(shared_dir(tmp_path_factory), "tiny.keras")
    if not os.path.exists(path):
        from drumaae.config import load_recipe
        from drumaae.models import build_model, save_model

        save_model(build_model(load_recipe("tiny"), seed=0), path)
    return path


def loop_files(tmp_path_factory) -> dict[str, str]:
    """`src`: a 2-bar funk loop at 100 BPM; `tgt`: a 1-bar rock loop at 120 BPM (22.05 kHz);
    `text`: not audio; `silent`: zeros; `short`: 50 ms (less than one beat)."""
    folder = shared_dir(tmp_path_factory)
    files = {name: os.path.join(folder, f"{name}.wav")
             for name in ("src", "tgt", "text", "silent", "short")}
    if not os.path.exists(files["src"]):
        sf.write(files["src"], drum_loop(SR, SRC_BPM, SRC_BARS, pattern="funk"), SR)
        sf.write(files["tgt"], drum_loop(SR, TGT_BPM, TGT_BARS, pattern="rock", seed=1), SR)
        with open(files["text"], "w") as f:
            f.write("this is not audio\n" * 50)
        sf.write(files["silent"], np.zeros(SR * 2, np.float32), SR)
        sf.write(files["short"], drum_loop(SR, 120.0, 1)[: SR // 20], SR)
    return files
