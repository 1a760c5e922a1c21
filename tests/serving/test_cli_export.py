"""`drumaae export` through click (CliRunner) and the real entry point's one-line errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from click.testing import CliRunner

from drumaae_cli.main import cli


def test_export_command_writes_next_version(exported, tmp_path):
    out = tmp_path / "exports"
    os.makedirs(out / "drums" / "1")
    result = CliRunner().invoke(cli, ["export", str(out), "--model", str(exported.keras_path),
                                      "--name", "drums", "--gl-iters", "2", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["path"] == str(out / "drums" / "2")
    assert info["version"] == 2 and info["gl_iters"] == 2
    assert info["audio"]["sample_rate"] == exported.audio.sample_rate
    # The sidecar records the source model: the reference as given, its file and sha256.
    keras_path = str(exported.keras_path)
    with open(keras_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    source = {"ref": keras_path, "path": os.path.abspath(keras_path), "sha256": digest}
    assert info["model"] == source
    with open(out / "drums" / "2" / "assets.extra" / "drumaae.json") as f:
        assert json.load(f)["model"] == source
    assert sorted(os.listdir(out / "drums")) == ["1", "2"]
    assert "writing the SavedModel" in result.stderr  # progress goes to stderr


def test_export_command_refuses_existing_version(exported, tmp_path):
    os.makedirs(tmp_path / "drums" / "1")
    proc = subprocess.run(
        [sys.executable, "-c", "from drumaae_cli.main import main; main()", "export",
         str(tmp_path), "--model", str(exported.keras_path), "--name", "drums",
         "--version", "1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "--force" in lines[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_export_command_unknown_model(tmp_path):
    result = CliRunner().invoke(cli, ["export", str(tmp_path), "--model",
                                      str(tmp_path / "missing.keras")])
    assert result.exit_code == 1
    assert "Error:" in result.output and "missing.keras" in result.output
