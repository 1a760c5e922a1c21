"""The benchmark harness (bench/, installed as drumaae_bench): child-process measurement and
the table."""

from __future__ import annotations

import sys

from drumaae_bench import harness as bench


def test_measure_process_reports_wall_and_peak_memory():
    res = bench.measure_process([sys.executable, "-c", "x = bytearray(50 * 2**20)"])
    assert res["rc"] == 0 and res["wall_s"] > 0
    assert res["maxrss_kb"] > 50 * 1024


def test_format_rows_has_machine_load_and_ratios():
    result = {"machine": {"cores": 2, "cpu": "cpu", "os": "Linux", "gpus": [], "python": "3",
                          "tensorflow": "2", "librosa": "0"},
              "date": "d", "load_before": "1, 1, 1", "load_after": "2, 2, 2", "seconds": 1.0,
              "model": "m", "config": {"recipe": "tiny"},
              "rows": [vars(bench.Row("g", "t", 2.0, 4.0, "s", 2.0, "n")),
                       vars(bench.Row("g", "skipped", None, note="no GPU"))]}
    text = bench.format_rows(result)
    assert "no GPU" in text and "load average" in text and "| 2.00x |" in text
