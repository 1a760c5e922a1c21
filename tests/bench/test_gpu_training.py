"""bench/gpu_training.py: the GPU training rows (float32 vs mixed precision, same run). On a
machine without a GPU the rows are labelled CPU; the table, the JSON and the bad-argument
error are checked here."""

from __future__ import annotations

import json

from drumaae_bench import gpu_training


def test_rows_compare_precisions_against_float32_in_the_same_run(tmp_path, capsys):
    out = tmp_path / "gpu.json"
    rc = gpu_training.main(["--recipe", "tiny", "--batches", "2", "--steps", "1", "--repeats",
                            "1", "--precisions", "float32", "mixed_float16",
                            "--json-out", str(out)])
    assert rc == 0
    table = capsys.readouterr().out
    assert "| training (CPU) | float32, batch 2 |" in table  # no GPU here: labelled CPU
    saved = json.loads(out.read_text())
    assert saved["device"]["backend"] == "tensorflow"
    f32, f16 = saved["rows"]
    assert f32["baseline"] is None and f32["ours"] > 0
    # mixed_float16's baseline is the float32 row of the same batch, measured in this run
    assert f16["baseline"] == f32["ours"]
    assert abs(f16["ratio"] - f16["ours"] / f32["ours"]) < 1e-9
    assert "bars/s" in f16["note"]


def test_bad_arguments_are_one_line_errors(capsys):
    assert gpu_training.main(["--steps", "0"]) == 1
    assert capsys.readouterr().err.strip() == (
        "Error: --steps, --repeats and --batches must be >= 1")


def test_jit_compile_rows_compare_against_the_eager_step_of_the_same_precision(tmp_path):
    out = tmp_path / "gpu.json"
    rc = gpu_training.main(["--recipe", "tiny", "--batches", "2", "--steps", "1", "--repeats",
                            "1", "--precisions", "float32", "--jit-compile",
                            "--json-out", str(out)])
    assert rc == 0
    eager, compiled = json.loads(out.read_text())["rows"]
    assert eager["task"] == "float32, batch 2" and eager["baseline"] is None
    # compiled (XLA here): measured, not a failure row, against the eager step of this run
    assert compiled["task"] == "float32, batch 2, jit_compile"
    assert compiled["ours"] > 0 and compiled["baseline"] == eager["ours"]
    assert abs(compiled["ratio"] - compiled["ours"] / eager["ours"]) < 1e-9
