"""Evaluation fixtures: a tiny untrained model saved as .keras, a few generated loops."""

from __future__ import annotations

import json

import pytest
import soundfile as sf

PATTERNS = ("rock", "funk", "house", "halftime")
TEMPI = (100.0, 128.0, 120.0, 90.0)


@pytest.fixture(scope="session")
def tiny_model_path(tiny_recipe, tmp_path_factory):
    from drumaae.models import build_model, save_model

    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    save_model(build_model(tiny_recipe, seed=0), path)
    return str(path)


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path):
    from drumaae.models import load_model

    return load_model(tiny_model_path, compile=False)


@pytest.fixture(scope="session")
def loop_dir(tiny_recipe, make_loop, tmp_path_factory):
    """Four 2-bar loops at known tempi (given in a manifest.json) at the tiny rate."""
    sr = tiny_recipe.audio.sample_rate
    folder = tmp_path_factory.mktemp("loops")
    files = []
    for i, (pattern, bpm) in enumerate(zip(PATTERNS, TEMPI)):
        name = f"{i:02d}_{pattern}.wav"
        sf.write(folder / name, make_loop(sr, bpm, bars=2, seed=i, pattern=pattern), sr)
        files.append({"file": name, "bpm": bpm})
    (folder / "manifest.json").write_text(json.dumps({"files": files}))
    return str(folder)


@pytest.fixture(scope="session")
def eval_results(tiny_model_path, loop_dir, tmp_path_factory):
    """One evaluation with a report, shared by the evaluate and report tests."""
    from drumaae.evaluation.evaluate import evaluate

    report = tmp_path_factory.mktemp("rep") / "report"
    return evaluate(tiny_model_path, [loop_dir], pairs=2, max_bars=6, gl_iters=2, seed=0,
                    report=report, report_pairs=1)
