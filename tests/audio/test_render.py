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


def test_griffin_lim_from_the_input_phase(tiny_recipe, make_loop):
    """Started from the bar's own phase, Griffin-Lim of its true features converges closer
    than from random phases; NaN rows start from the seeded random phases; deterministic."""
    from drumaae.audio.features import bar_features, stft_magnitude
    from drumaae.audio.griffinlim import spectral_convergence
    from drumaae.audio.render import bar_phase

    audio = tiny_recipe.audio
    length = audio.bar_samples(120.0)
    bar = make_loop(audio.sample_rate, 120.0, 1)[: audio.grid_samples(120.0)]
    feats = np.asarray(bar_features(bar[None], audio))
    phase = bar_phase(bar[None], audio, length)
    assert phase.shape == (1, audio.bar_frames, audio.n_fft // 2 + 1)
    hop = audio.grid_samples(120.0) // audio.bar_frames

    def sc(y):
        ref = stft_magnitude(bar, audio.n_fft, hop)
        est = stft_magnitude(np.asarray(y)[: bar.size], audio.n_fft, hop)
        return float(spectral_convergence(ref, est))

    known = render(feats, audio, length, iters=4, seed=0, init_phase=phase)
    again = render(feats, audio, length, iters=4, seed=0, init_phase=phase)
    np.testing.assert_array_equal(known, again)
    rand = render(feats, audio, length, iters=4, seed=0)
    assert sc(known[0]) < sc(rand[0])
    nan = render(feats, audio, length, iters=4, seed=0, init_phase=np.full_like(phase, np.nan))
    np.testing.assert_allclose(nan, rand, atol=1e-5)
