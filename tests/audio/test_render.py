"""drumaae.audio.render: one traced graph per (audio, iters, seed), equal to render_bars."""

from __future__ import annotations

import numpy as np

from drumaae.audio.features import render_bars
from drumaae.audio.render import render, traced_render


def test_one_trace_for_every_length_and_batch(tiny_recipe):
    audio = tiny_recipe.audio
    feats = np.random.default_rng(0).random((3, audio.bar_frames, audio.n_bins), np.float32)
    fn = traced_render(audio, 3, 0)
    assert traced_render(audio, 3, 0) is fn and traced_render(audio, 4, 0) is not fn
    outs = [render(feats[:k], audio, audio.bar_samples(bpm), iters=3, seed=0)
            for k, bpm in ((1, 100.0), (3, 128.0), (2, 91.3))]
    assert [o.shape for o in outs] == [(1, audio.bar_samples(100.0)),
                                       (3, audio.bar_samples(128.0)),
                                       (2, audio.bar_samples(91.3))]
    assert len(fn._list_all_concrete_functions()) == 1  # traced once
    eager = render_bars(feats[:2], audio, audio.bar_samples(91.3), iters=3, seed=0).numpy()
    np.testing.assert_allclose(outs[2], eager, atol=1e-4)
