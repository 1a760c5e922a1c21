"""drumaae.data.bucketed: the same features as bar_features, bucketed by bar length."""

from __future__ import annotations

import numpy as np

from drumaae.data.bucketed import BucketedFeatures
from drumaae.testing import synthetic_loop


def test_bucketed_features_equal_bar_features(tiny_recipe):
    from drumaae.audio.features import bar_features

    a = tiny_recipe.audio
    bars = [synthetic_loop(a.sample_rate, bpm, seed=i)[: a.bar_samples(bpm)]
            for i, bpm in enumerate((100.0, 128.0, 100.0))]
    fast = BucketedFeatures(a, batch=2, jit=True)
    out = fast(bars)
    assert len(fast._fns) == 2 and fast.compile_s > 0
    for bar, feat in zip(bars, out):
        ref = bar_features(bar[None], a).numpy()[0]
        assert feat.shape == ref.shape
        np.testing.assert_allclose(feat, ref, atol=1e-5)
    streamed = list(fast.stream([bars[:2], bars[2:]]))
    assert len(streamed) == 3 and all(f.shape == out[0].shape for f in streamed)
