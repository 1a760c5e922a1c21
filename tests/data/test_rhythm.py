"""Rhythm labels: onset grids find where hits are, clustering separates grooves."""

import numpy as np

from drumaae.audio.features import bar_features
from drumaae.data.rhythm import assign_rhythms, band_bins, onset_grid, rhythm_labels


def test_band_bins_cover_the_spectrum(default_recipe):
    bands = band_bins(default_recipe.audio)
    assert bands[0][0] == 0 and bands[-1][1] == default_recipe.audio.n_bins
    assert bands[0][1] == bands[1][0] and bands[1][1] == bands[2][0]


def test_onset_grid_finds_kick_and_snare_positions(default_recipe, make_loop):
    audio = default_recipe.audio
    bar = make_loop(audio.sample_rate, audio.reference_bpm, pattern="rock")
    bar = np.pad(bar, (0, audio.bar_samples() - len(bar)))[: audio.bar_samples()]
    grid = onset_grid(np.asarray(bar_features(bar[None], audio)), audio)
    assert grid.shape == (1, 3, 16)
    low, mid, high = grid[0]
    # rock: kicks on 1 and 3 (steps 0, 8), snares on 2 and 4 (steps 4, 12), hats on 8ths.
    assert set(np.flatnonzero(low > 0.5)) >= {0, 8}
    assert set(np.flatnonzero(mid > 0.5)) >= {4, 12}
    assert (high[::2] > 0.3).sum() >= 6


def test_clustering_separates_patterns(default_recipe, make_loop):
    audio = default_recipe.audio
    bars, truth = [], []
    for i, pattern in enumerate(["rock", "house", "halftime"]):
        for seed in range(4):
            bar = make_loop(audio.sample_rate, audio.reference_bpm, pattern=pattern, seed=seed)
            bars.append(np.pad(bar, (0, audio.bar_samples() - len(bar)))[: audio.bar_samples()])
            truth.append(i)
    feats = np.asarray(bar_features(np.stack(bars), audio))
    labels, centroids = rhythm_labels(feats, audio, num_clusters=3, seed=0)
    truth = np.array(truth)
    # Each true pattern falls in one cluster, and the three clusters differ.
    for i in range(3):
        assert len(set(labels[truth == i])) == 1
    assert len(set(labels)) == 3
    np.testing.assert_array_equal(assign_rhythms(onset_grid(feats, audio), centroids), labels)
    again, _ = rhythm_labels(list(feats), audio, num_clusters=3, seed=0)
    np.testing.assert_array_equal(again, labels)


def test_band_floor_keeps_a_missing_band_empty(default_recipe):
    audio = default_recipe.audio
    lo, hi = band_bins(audio)[2]
    feats = np.zeros((1, audio.bar_frames, audio.n_bins), np.float32)
    feats[0, :, : band_bins(audio)[0][1]] = 0.01 * np.random.default_rng(0).random(
        (audio.bar_frames, 1))  # a faint wobble where kicks would be
    for frame in range(0, audio.bar_frames, audio.bar_frames // 8):
        feats[0, frame: frame + 2, lo:hi] = 0.8  # eighth-note hats
    plain = onset_grid(feats, audio)[0]
    floored = onset_grid(feats, audio, band_floor=0.25)[0]
    assert plain[0].max() == 1.0  # per-band scaling turns the wobble into "kicks"
    assert floored[0].max() < 0.1
    np.testing.assert_allclose(floored[2], plain[2])  # the hats band is unchanged
