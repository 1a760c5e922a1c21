"""Rhythmic-pattern labels: three-band onset grids of bars, clustered with k-means.

The paper labels each bar by clustering its rhythmic pattern, drawn in its figures as a
three-band (low / mid / high) onset-activation grid over the bar; a label picks the prior
component the bar's code must fall into. Here:

1. `onset_grid`: for each band, the mean log-magnitude feature over the band's bins per
   frame, its positive time difference (onset activation), max-pooled to `steps` cells per
   bar (16 = sixteenth notes in 4/4; each cell centred on its grid position) and scaled to a peak of 1 per band, so the grid
   describes *where* hits fall, not how loud the bar is.
2. `cluster_rhythms`: scikit-learn k-means on the flattened grids (k = the prior's number
   of components), seeded; `assign_rhythms` labels new bars with the fitted centroids.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from drumaae.config import AudioConfig

BANDS_HZ = ((0.0, 200.0), (200.0, 3000.0), (3000.0, float("inf")))
"""Low (kick), mid (snare, toms, body), high (hats, cymbals)."""


def band_bins(audio: AudioConfig) -> list[tuple[int, int]]:
    """Feature-bin ranges `[lo, hi)` of the three bands for `audio`."""
    hz_per_bin = audio.sample_rate / audio.n_fft
    out = []
    for lo, hi in BANDS_HZ:
        b0 = int(np.ceil(lo / hz_per_bin))
        b1 = audio.n_bins if hi == float("inf") else int(np.ceil(hi / hz_per_bin))
        out.append((max(0, b0), max(b0 + 1, min(audio.n_bins, b1))))
    return out


def onset_grid(features: np.ndarray, audio: AudioConfig, steps: int = 16,
               band_floor: float = 0.0) -> np.ndarray:
    """Three-band onset-activation grids.

    Args:
        features: `(batch, frames, bins)` or `(frames, bins)` model features.
        audio: the settings the features were made with.
        steps: grid cells per bar.
        band_floor: each band is scaled to a peak of 1, but by no more than to
            ``band_floor`` x the bar's strongest band (0: every band to its own peak, as the
            bundled v11 was labelled): a hi-hat-only bar's low band stays near empty
            instead of its noise becoming a kick pattern.

    Returns:
        `(batch, 3, steps)` (or `(3, steps)`) float32 in [0, 1].
    """
    feats = np.asarray(features, np.float32)
    single = feats.ndim == 2
    if single:
        feats = feats[None]
    n, frames, _ = feats.shape
    bands = np.stack([feats[:, :, lo:hi].mean(-1) for lo, hi in band_bins(audio)], 1)
    # Onset activation: rises only; the first frame compares with the bar's last (loops wrap).
    act = np.maximum(bands - np.roll(bands, 1, axis=-1), 0.0)
    # Cells are centred on the grid positions: a centred analysis window sees a hit up to
    # half a window early, so a hit on step s must not spill into cell s - 1.
    act = np.roll(act, frames // (2 * steps), axis=-1)
    edges = np.linspace(0, frames, steps + 1).round().astype(int)
    grid = np.stack([act[:, :, a:max(b, a + 1)].max(-1) for a, b in zip(edges[:-1], edges[1:])],
                    -1)
    peak = grid.max(-1, keepdims=True)
    if band_floor > 0.0:
        peak = np.maximum(peak, band_floor * peak.max(-2, keepdims=True))
    grid = np.where(peak > 1e-6, grid / np.maximum(peak, 1e-6), 0.0).astype(np.float32)
    return grid[0] if single else grid


def cluster_rhythms(grids: np.ndarray, num_clusters: int, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """k-means on flattened grids: `(labels (n,) int32, centroids (k, 3 * steps))`."""
    from sklearn.cluster import KMeans

    x = np.asarray(grids, np.float32).reshape(len(grids), -1)
    k = int(min(num_clusters, len(x)))
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
    return km.labels_.astype(np.int32), km.cluster_centers_.astype(np.float32)


def assign_rhythms(grids: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Nearest-centroid labels `(n,)` int32 for new grids."""
    x = np.asarray(grids, np.float32).reshape(len(grids), -1)
    d2 = ((x[:, None, :] - centroids[None]) ** 2).sum(-1)
    return d2.argmin(1).astype(np.int32)


def rhythm_labels(features: np.ndarray | Iterable[np.ndarray], audio: AudioConfig,
                  num_clusters: int, seed: int = 0, steps: int = 16, band_floor: float = 0.0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Cluster the rhythm of every bar: `(labels (n,) int32, centroids)`.

    `features` is an array `(n, frames, bins)` or an iterable of `(frames, bins)` arrays
    (e.g. from `drumaae.data.dataset.iterate_bars`).
    """
    if isinstance(features, np.ndarray):
        grids = onset_grid(features, audio, steps, band_floor)
    else:
        grids = np.stack([onset_grid(f, audio, steps, band_floor) for f in features])
    return cluster_rhythms(grids, num_clusters, seed)
