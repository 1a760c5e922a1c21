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
    for r in result["rows"]:
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
