"""Progress lines on stderr (issue 14): throttled, silenced by --quiet, never on stdout."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from drumaae_cli import common
from drumaae_cli.main import cli
from tests.cli import GL_ITERS, SRC_BPM


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_lines_are_throttled_and_the_last_is_shown(monkeypatch, capsys):
    clock = Clock()
    monkeypatch.setattr(common.time, "monotonic", clock)
    progress = common.Progress("reconstruct")
    progress("bar", 8, 40)  # within the first second: nothing
    for done, at in ((16, 101.2), (24, 101.3), (32, 101.8), (36, 101.9), (40, 102.0)):
        clock.now = at
        progress("bar", done, 40)
    out, err = capsys.readouterr()
    assert out == ""
    # 24 comes 0.1 s after 16 and 36 0.1 s after 32: dropped; the last one always shows.
    assert err.splitlines() == ["reconstruct: bar 16/40", "reconstruct: bar 32/40",
                                "reconstruct: bar 40/40"]
    quiet = common.Progress("reconstruct", quiet=True)
    clock.now = 200.0
    quiet("bar", 40, 40)
    assert capsys.readouterr() == ("", "")


def test_a_quick_run_prints_nothing(monkeypatch, capsys):
    clock = Clock()
    monkeypatch.setattr(common.time, "monotonic", clock)
    progress = common.Progress("decode")
    clock.now = 100.3
    progress("bar", 2, 2)  # done before the first line was due
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("quiet", [False, True])
def test_json_stays_clean_on_stdout_while_stderr_has_progress(model, loops, tmp_path,
                                                             monkeypatch, quiet):
    monkeypatch.setattr(common, "PROGRESS_DELAY_S", 0.0)
    # two stages now (encoding refines by default): no throttling between their lines
    monkeypatch.setattr(common, "PROGRESS_INTERVAL_S", 0.0)
    out = tmp_path / "r.wav"
    args = ["reconstruct", loops["src"], "--bpm", str(SRC_BPM), "--model", model,
            "--gl-iters", str(GL_ITERS), "--out", str(out), "--json"]
    result = CliRunner().invoke(cli, args + (["--quiet"] if quiet else []))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["out"] == str(out)  # stdout is the JSON, nothing else
    lines = [l for l in result.stderr.splitlines() if l.startswith("reconstruct:")]
    # encoding refines the codes by default, so it reports its bars too
    assert lines == ([] if quiet else ["reconstruct: encoded bar 2/2", "reconstruct: bar 2/2"])


def test_encode_with_refinement_reports_its_bars(model, loops, tmp_path, monkeypatch):
    monkeypatch.setattr(common, "PROGRESS_DELAY_S", 0.0)
    out = tmp_path / "codes.npz"
    args = ["encode", loops["src"], "--bpm", str(SRC_BPM), "--model", model, "--refine", "2",
            "--out", str(out), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["out"] == str(out)
    assert [l for l in result.stderr.splitlines() if l.startswith("encode:")] == [
        "encode: encoded bar 2/2"]
