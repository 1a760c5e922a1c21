"""Quiet output: third-party INFO lines stay out of a user's terminal unless --debug."""

from __future__ import annotations

import os
import subprocess
import sys

from drumaae_cli.common import plural


def test_mlflow_info_lines_are_off_without_debug():
    # MLflow resets its loggers to INFO when imported; its env var is what it obeys.
    code = ("import logging; from drumaae_cli.main import _quiet_libraries; "
            "_quiet_libraries(False); import mlflow.store.artifact.artifact_repo as r; "
            "print(logging.getLogger(r.__name__).getEffectiveLevel())")
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_LOGGING_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) >= 40  # ERROR: no "No artifacts found to download"


def test_plurals():
    assert plural(1, "epoch") == "1 epoch" and plural(2, "epoch") == "2 epochs"
    assert plural(0, "bar") == "0 bars" and plural(3, "index", "indices") == "3 indices"
