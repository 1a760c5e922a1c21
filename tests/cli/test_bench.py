"""`drumaae bench` at tiny size: the structure of its table and JSON, not the timings."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from drumaae_cli.main import cli


def _check(result: dict, text: str, subprocess: bool, savedmodel: bool) -> None:
    groups = {r["group"] for r in result["rows"]}
    assert {"griffin-lim", "features", "training (CPU)", "training (GPU)",
            "interpolate"} <= groups
    assert ("memory" in groups) == subprocess and ("serving" in groups) == savedmodel
    assert result["failed"] == []
    for r in result["rows"]:
        # every row measured a number, unless it says why it was skipped (no GPU here)
        assert r["ours"] is not None or r["note"].startswith(("skipped", "no GPU")), r
        for key in ("ours", "baseline", "ratio"):
            if r[key] is not None:
                assert math.isfinite(r[key]) and r[key] > 0, r
    ratios = [r for r in result["rows"] if r["ratio"] is not None]
    assert {r["group"] for r in ratios} >= {"griffin-lim", "features"}
    assert "load average" in text and "| group |" in text and "machine:" in text


def test_bench_quick_in_process_rows(tmp_path):
    out = tmp_path / "bench.json"
    res = CliRunner().invoke(cli, ["bench", "--quick", "--no-subprocess", "--no-savedmodel",
                                   "--json-out", str(out)])
    assert res.exit_code == 0, res.output
    _check(json.loads(out.read_text()), res.stdout, subprocess=False, savedmodel=False)
    again = CliRunner().invoke(cli, ["bench", "--quick", "--json-out", str(out)])
    assert again.exit_code == 1 and "--force" in again.output


def test_bench_help_has_an_example():
    res = CliRunner().invoke(cli, ["bench", "--help"])
    assert res.exit_code == 0 and "Example:" in res.output and "drumaae bench --quick" in res.output


@pytest.mark.slow
def test_bench_quick_every_row(tmp_path):
    out = tmp_path / "bench.json"
    res = CliRunner().invoke(cli, ["bench", "--quick", "--json-out", str(out)])
    assert res.exit_code == 0, res.output
    _check(json.loads(out.read_text()), res.stdout, subprocess=True, savedmodel=True)


def test_a_failed_row_is_one_cell_and_exit_status_1(monkeypatch):
    from drumaae_bench import harness

    def fake_run(cfg, progress=None):
        rows = [harness.Row("griffin-lim", "ok", 1.0, unit="s"),
                harness.failed_row("serving", "SavedModel latency per bar",
                                   RuntimeError("line one\nline two"))]
        return {"machine": {"cores": 2, "cpu": "c", "os": "o", "gpus": [], "python": "3",
                            "tensorflow": "2", "librosa": "0"},
                "date": "d", "load_before": "0", "load_after": "0", "seconds": 1.0,
                "model": "m", "config": {"recipe": "tiny"},
                "rows": [vars(r) for r in rows],
                "failed": ["serving: SavedModel latency per bar"]}

    monkeypatch.setattr(harness, "run_bench", fake_run)
    res = CliRunner().invoke(cli, ["bench", "--quick"])
    assert res.exit_code == 1
    row = [line for line in res.stdout.splitlines() if "SavedModel" in line]
    assert len(row) == 1 and "line one line two" in row[0]
    assert "Error: 1 benchmark row failed (serving: SavedModel latency per bar)" in res.output


def test_bench_and_train_help_list_every_bundled_recipe():
    from drumaae.config import bundled_recipes

    for command in ("bench", "train"):
        text = " ".join(CliRunner().invoke(cli, [command, "--help"]).output.split())
        assert f"({', '.join(bundled_recipes())})" in text and "quick" in text
