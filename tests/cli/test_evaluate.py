"""`drumaae evaluate` through click's CliRunner and the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import soundfile as sf
from click.testing import CliRunner

from drumaae_cli.main import cli
from tests.cli import tiny_model_file
from tests.conftest import drum_loop

SR = 8000


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_model_file(tmp_path_factory)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaldata")
    for i, (pattern, bpm) in enumerate((("rock", 120.0), ("funk", 100.0), ("house", 128.0))):
        sf.write(folder / f"{pattern}.wav", drum_loop(SR, bpm, 1, seed=i, pattern=pattern), SR)
    (folder / "manifest.json").write_text(json.dumps(
        {"rock.wav": 120.0, "funk.wav": 100.0, "house.wav": 128.0}))
    return str(folder)


def test_help_has_an_example():
    result = CliRunner().invoke(cli, ["evaluate", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
    assert "drumaae evaluate --data" in result.output


def test_evaluate_table_json_and_report(model, data, tmp_path):
    out = tmp_path / "eval.json"
    rep = tmp_path / "report"
    args = ["evaluate", "--data", data, "--model", model, "--json-out", str(out), "--pairs", "1",
            "--gl-iters", "1", "--report", str(rep), "--report-pairs", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    for word in ("source_GL", "crossfade", "MMD", "report:"):
        assert word in result.stdout
    r = json.loads(out.read_text())
    assert r["settings"]["bars_evaluated"] == 3 and r["interpolation"]["pairs"] == 1
    assert os.path.isfile(rep / "index.html")
    # Nothing is overwritten without --force.
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and "--force" in again.output


def test_user_errors_are_one_line(model, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    exe = os.path.join(os.path.dirname(sys.executable), "drumaae")
    for args in (["evaluate", "--data", str(empty), "--model", model],
                 ["evaluate", "--data", str(tmp_path / "missing")],
                 ["evaluate"]):
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        lines = [l for l in proc.stderr.splitlines() if l.startswith("Error:")]
        assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_evaluate_json_prints_only_json_on_stdout(model, data, tmp_path, monkeypatch):
    from drumaae_cli import common

    monkeypatch.setattr(common, "PROGRESS_DELAY_S", 0.0)
    monkeypatch.setattr(common, "PROGRESS_INTERVAL_S", 0.0)  # every line, however fast
    args = ["evaluate", "--data", data, "--model", model, "--json", "--pairs", "1",
            "--gl-iters", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    r = json.loads(result.stdout)  # the whole of stdout is the JSON document
    assert r["settings"]["bars_evaluated"] == 3 and "reconstruction" in r
    assert r["settings"]["interpolation_tempo"] == "source"  # the steps interpolate writes
    assert "source_GL" not in result.stdout
    assert "evaluate: reconstruction 6/6" in result.stderr.splitlines()  # model + source_GL
    assert "evaluate: interpolation 1/1" in result.stderr.splitlines()
    # --json is a flag now: a file name after it is not taken as its value.
    stray = CliRunner().invoke(cli, args + [str(tmp_path / "x.json")])
    assert stray.exit_code != 0 and not (tmp_path / "x.json").exists()


def test_evaluate_tempo_option(model, data):
    args = ["evaluate", "--data", data, "--model", model, "--json", "--pairs", "1",
            "--gl-iters", "1", "--max-bars", "2"]
    result = CliRunner().invoke(cli, args + ["--tempo", "blend"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["interpolation_tempo"] == "blend"
    bad = CliRunner().invoke(cli, args + ["--tempo", "fast"])
    assert bad.exit_code != 0 and "fast" in bad.output


def test_one_default_tempo_for_the_library_and_the_cli():
    """evaluate measures the morphs interpolate writes: the same default --tempo in both
    commands and both library functions (`drumaae.limits.DEFAULT_TEMPO`)."""
    import inspect

    import click

    from drumaae import inference, limits
    from drumaae.evaluation.evaluate import evaluate

    defaults = {"inference.interpolate": inspect.signature(
        inference.interpolate).parameters["tempo"].default,
        "evaluation.evaluate": inspect.signature(evaluate).parameters["tempo"].default}
    for name in ("interpolate", "evaluate"):
        command = cli.get_command(click.Context(cli), name)
        (param,) = [p for p in command.params if p.name == "tempo"]
        defaults[f"drumaae {name} --tempo"] = param.default
        text = " ".join(CliRunner().invoke(cli, [name, "--help"]).output.split())
        assert f"[default: {limits.DEFAULT_TEMPO}]" in text, name
    assert set(defaults.values()) == {limits.DEFAULT_TEMPO} == {"source"}, defaults
