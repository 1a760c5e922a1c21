"""Faults through the real `drumaae` command (slow: each run starts TensorFlow): kills at
random points of `interpolate --force`, and two runs to one --out. (Exports are covered by
tests/serving/test_export_claims.py without tracing: a real export took over 6 minutes on
the loaded 2-core test machine.)

After every kill the output is one run's complete output (its manifest's files all there and
whole) or the previous one, never a mix, never missing; what the kill left beside it is gone
after the next run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import soundfile as sf

from tests.cli import SRC_BPM, TGT_BPM

pytestmark = pytest.mark.slow

EXE = os.path.join(os.path.dirname(sys.executable), "drumaae")
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


def _interpolate_args(loops, model, out, steps):
    return [EXE, "interpolate", loops["src"], loops["tgt"], "--steps", str(steps), "--out",
            str(out), "--model", model, "--src-bpm", str(SRC_BPM), "--tgt-bpm", str(TGT_BPM),
            "--gl-iters", "1", "--no-figure"]


def _check_output(out) -> int:
    """The folder is one complete interpolation; returns its step count."""
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert sf.info(out / entry["file"]).frames == entry["samples"]
    return manifest["steps"]


def _kill_at_random(args, rng, deadline_s):
    proc = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.0, deadline_s))
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _timed_run(args) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - t0


def test_interpolate_killed_at_random_points_never_loses_the_output(model, loops, tmp_path):
    rng = random.Random(1)
    out = tmp_path / "morph"
    took = _timed_run(_interpolate_args(loops, model, out, 3))
    for i in range(3):
        steps = 2 + i % 3
        _kill_at_random(_interpolate_args(loops, model, out, steps) + ["--force"], rng, took)
        assert _check_output(out) in (2, 3, 4)
    subprocess.run(_interpolate_args(loops, model, out, 2) + ["--force"], env=ENV,
                   check=True, capture_output=True)
    assert _check_output(out) == 2
    assert sorted(os.listdir(tmp_path)) == ["morph"]  # no .partial-*, .replaced-*, lock


def test_two_runs_to_one_new_out_exactly_one_wins(model, loops, tmp_path):
    out = tmp_path / "morph"
    procs = [subprocess.Popen(_interpolate_args(loops, model, out, 2 + k), env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 1], results
    loser = next(err for rc, err in results if rc == 1)
    assert loser.strip().startswith("Error:") and len(loser.strip().splitlines()) == 1
    _check_output(out)
    assert sorted(os.listdir(tmp_path)) == ["morph"]
