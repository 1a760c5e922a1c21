"""drumaae.inference.render helpers that need no model."""

from __future__ import annotations

import numpy as np

from drumaae.inference.render import endpoint_phases


def test_endpoint_phases_only_where_an_endpoint_is_at_its_own_tempo():
    src, tgt = np.zeros(10, np.float32), np.ones(12, np.float32)
    alphas = [0.0, 0.5, 1.0]
    plain = endpoint_phases(alphas, src, tgt)
    assert plain[0] is src and plain[1] is None and plain[2] is tgt
    # every step at the source's tempo: the target's phase would start a bar of another
    # length, so alpha = 1 starts from random phases
    at_source = endpoint_phases(alphas, src, tgt, [120.0, 120.0, 120.0], 120.0, 90.0)
    assert at_source[0] is src and at_source[1] is None and at_source[2] is None
    blended = endpoint_phases(alphas, src, tgt, [120.0, 105.0, 90.0], 120.0, 90.0)
    assert blended[0] is src and blended[2] is tgt
    at_target = endpoint_phases(alphas, src, tgt, [90.0, 90.0, 90.0], 120.0, 90.0)
    assert at_target[0] is None and at_target[2] is tgt


def test_slower_bars_ring_on_with_their_direct_rendering(tiny_recipe):
    """A bar re-timed onto a slower tempo rings on with the same features rendered directly
    at that tempo (`ring_tails`); faster bars and bars at their own tempo never need it."""
    from drumaae.inference.render import (finish, native_features, render_features,
                                          ring_tails, slower_bars)

    audio = tiny_recipe.audio
    assert slower_bars(audio, [90.0, 160.0, 128.0], [128.0, 128.0, 128.0]) == [0]
    calls = []

    def direct(idx, tempi):
        calls.append((idx, tempi))
        return [np.full(audio.bar_samples(t), 0.5, np.float32) for t in tempi]

    tails = ring_tails(direct, 3, audio, [90.0, 160.0, 128.0], [128.0] * 3)
    assert calls == [([0], [90.0])] and tails[1] is None and tails[2] is None
    assert tails[0].shape == (audio.bar_samples(90.0),)
    assert ring_tails(direct, 2, audio, [160.0, 128.0], [128.0, 128.0]) is None

    rng = np.random.default_rng(0)
    f = np.zeros((1, audio.bar_frames, audio.n_bins), np.float32)
    f[0, ::16] = rng.uniform(0.5, 1.0, (audio.bar_frames // 16, f.shape[-1]))  # hits
    for k in range(1, 16):  # each hit decays over the next frames
        f[0, k::16] = np.maximum(f[0, k::16], f[0, ::16][: f[0, k::16].shape[0]] * (1 - k / 16))
    kw = dict(iters=2, seed=0, match_loudness=False)
    slow = {r: render_features(f, audio, bpms=90.0, native_bpms=128.0, ring=r, **kw).bars[0]
            for r in (True, False)}
    assert slow[True].shape == slow[False].shape == (audio.bar_samples(90.0),)
    assert not np.array_equal(slow[True], slow[False])
    native = native_features(f, audio, native_bpms=128.0, iters=2, seed=0)
    by_hand = finish(native, audio, bpms=90.0, native_bpms=128.0, match_loudness=False,
                     tails=[native_features(f, audio, native_bpms=90.0, iters=2, seed=0)[0]])
    np.testing.assert_array_equal(slow[True], by_hand.bars[0])
    fast = [render_features(f, audio, bpms=160.0, native_bpms=128.0, ring=r, **kw).bars[0]
            for r in (True, False)]
    np.testing.assert_array_equal(fast[0], fast[1])
