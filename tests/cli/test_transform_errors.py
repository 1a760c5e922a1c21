"""User errors of the transform commands: exit status 1 and one `Error:` line that says what
to do, no traceback (DESIGN.md, "Contracts"); through CliRunner and the real entry point."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from drumaae_cli.main import cli


@pytest.fixture(scope="module")
def corrupt_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("corrupt") / "broken.keras"
    path.write_bytes(b"PK\x03\x04 this is not a keras archive" * 20)
    return str(path)


@pytest.fixture(autouse=True)
def _private_mlflow(tmp_path, monkeypatch):
    # An MLflow URI must never touch a store outside the test's folder.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")


_MLFLOW_LOG = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO mlflow")


def assert_one_line_error(result_code: int, stderr: str, *needles: str) -> None:
    # MLflow logs its own INFO lines when it creates a new store; they are not our errors.
    lines = [line for line in stderr.splitlines()
             if line.strip() and not _MLFLOW_LOG.match(line)]
    assert result_code == 1, stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


CASES = {
    "missing file": (lambda f, m: ["interpolate", "nope.wav", f["tgt"], "--model", m],
                     ["nope.wav does not exist", "check the path"]),
    "not audio": (lambda f, m: ["interpolate", f["src"], f["text"], "--model", m],
                  ["text.wav is not an audio file"]),
    "silent": (lambda f, m: ["encode", f["silent"], "-o", "c.npz", "--model", m],
               ["silent", "give a recording"]),
    "shorter than a beat": (lambda f, m: ["reconstruct", f["short"], "-o", "r.wav",
                                          "--model", m], ["shorter than", "longer"]),
    "steps below 2": (lambda f, m: ["interpolate", f["src"], f["tgt"], "--steps", "1"],
                      ["--steps", "at least 2"]),
    "bad tempo": (lambda f, m: ["interpolate", f["src"], f["tgt"], "--tempo", "fast"],
                  ["--tempo", "blend"]),
    "bad option": (lambda f, m: ["interpolate", f["src"], f["tgt"], "--stepz", "3"],
                   ["--stepz", "--help"]),
    "bar out of range": (lambda f, m: ["interpolate", f["src"], f["tgt"], "--model", m,
                                       "--src-bar", "5", "--bpm", "100"],
                         ["bar 5 does not exist", "--bar"]),
    "unknown model path": (lambda f, m: ["encode", f["src"], "-o", "c.npz", "--model",
                                         "missing.keras"], ["missing.keras"]),
    "unknown model URI": (lambda f, m: ["encode", f["src"], "-o", "c.npz", "--model",
                                        "models:/no-such-model/3"], ["no-such-model"]),
    "corrupt model": (lambda f, m: ["decode", "codes.npz", "-o", "x.wav", "--model", "BROKEN"],
                      ["broken.keras"]),
    "bad codes file": (lambda f, m: ["decode", f["src"], "-o", "x.wav", "--model", m],
                       ["not a codes file", "encode"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_user_error_is_one_line(case, model, loops, corrupt_model, tmp_path):
    make, needles = CASES[case]
    args = make(loops, model)
    args = [corrupt_model if a == "BROKEN" else a for a in args]
    if case == "corrupt model":
        from drumaae import inference

        enc = inference.encode(loops["tgt"], model=model, bpm=120)
        inference.save_codes(enc, str(tmp_path / "codes.npz"))
    result = CliRunner().invoke(cli, args)
    assert_one_line_error(result.exit_code, result.stderr, *needles)
    assert result.stdout == ""
    leftovers = [p for p in os.listdir(tmp_path) if p not in ("codes.npz", "mlflow.db")]
    assert leftovers == []


def _drumaae() -> list[str]:
    exe = shutil.which("drumaae", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-c", "from drumaae_cli.main import main; main()"]


@pytest.mark.parametrize("case", ["missing file", "not audio", "steps below 2", "corrupt model"])
def test_real_entry_point(case, model, loops, corrupt_model, tmp_path):
    make, needles = CASES[case]
    args = [corrupt_model if a == "BROKEN" else a for a in make(loops, model)]
    if case == "corrupt model":
        args = ["info", "--model", corrupt_model]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(_drumaae() + args, capture_output=True, text=True, timeout=300,
                          env=env, cwd=tmp_path)
    stderr = "\n".join(line for line in proc.stderr.splitlines()
                       if not _native_log_line(line))
    assert_one_line_error(proc.returncode, stderr, *needles[:1])


def _native_log_line(line: str) -> bool:
    """TensorFlow/tensorflow-io print C++ log lines to stderr on import, whatever we do."""
    return any(tag in line for tag in ("tensorflow", "cpu_feature_guard", "oneDNN",
                                       "rebuild TensorFlow", "cuda", "TensorRT"))


def test_debug_shows_the_traceback(loops, tmp_path):
    proc = subprocess.run(_drumaae() + ["--debug", "interpolate", "nope.wav", loops["tgt"]],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "Error: nope.wav does not exist" in proc.stderr
