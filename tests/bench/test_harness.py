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


def _fail(*args, **kwargs):
    raise RuntimeError("assertion failed: [bars: samples per\nbar] | two lines and a pipe")


def test_a_failing_benchmark_is_one_row_and_the_run_goes_on(monkeypatch):
    from drumaae_bench import audio, interpolate

    monkeypatch.setattr(audio, "bench_griffin_lim", _fail)
    monkeypatch.setattr(audio, "bench_tempo", lambda *a: [bench.Row("tempo", "t", 1.0)])
    monkeypatch.setattr(interpolate, "model_file", lambda cfg, tmp: ("m.keras", "m"))
    res = bench.run_bench(bench.BenchConfig.quick(groups=("griffin-lim", "tempo")))
    failed, ok = res["rows"]
    assert failed["ours"] is None and failed["note"].startswith(bench.FAILED)
    assert "RuntimeError" in failed["note"] and "\n" not in failed["note"]
    assert ok["ours"] == 1.0  # the next benchmark still ran
    assert res["failed"] == ["griffin-lim: Griffin-Lim"]
    table = bench.rows_table(res["rows"])
    row = [line for line in table.splitlines() if "Griffin-Lim" in line]
    assert len(row) == 1 and row[0].count(" | ") == 6  # one line, seven cells
    assert "\\| two lines" in row[0]
