"""The benchmark's parts at tiny size: equal features, child-process measurement, table."""

from __future__ import annotations

import sys

import numpy as np

from drumaae.evaluation import bench


def test_bucketed_features_equal_bar_features(tiny_recipe):
    from drumaae.audio.features import bar_features

    a = tiny_recipe.audio
    bars = [bench.synthetic_loop(a.sample_rate, bpm, seed=i)[: a.bar_samples(bpm)]
            for i, bpm in enumerate((100.0, 128.0, 100.0))]
    fast = bench.BucketedFeatures(a, batch=2, jit=True)
    out = fast(bars)
    assert len(fast._fns) == 2 and fast.compile_s > 0
    for bar, feat in zip(bars, out):
        ref = bar_features(bar[None], a).numpy()[0]
        assert feat.shape == ref.shape
        np.testing.assert_allclose(feat, ref, atol=1e-5)
    streamed = list(fast.stream([bars[:2], bars[2:]]))
    assert len(streamed) == 3 and all(f.shape == out[0].shape for f in streamed)


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
