"""How well codes follow the prior: maximum mean discrepancy and component occupancy."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def mmd(x: np.ndarray, y: np.ndarray, bandwidths: Sequence[float] | None = None) -> float:
    """Squared maximum mean discrepancy between samples `x (n, d)` and `y (m, d)`.

    Unbiased estimate with a sum of Gaussian kernels. By default the bandwidths are
    (0.5, 1, 2, 4) times the median pairwise distance within `y` (the reference, e.g. prior
    samples), so the kernel is fixed by the reference and figures for different `x` against
    the same `y` are comparable. 0 means the same distribution.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    pooled = np.concatenate([x, y])
    sq = np.sum(pooled**2, 1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * pooled @ pooled.T, 0.0)
    n, m = len(x), len(y)
    if bandwidths is None:
        ref = d2[n:, n:]
        med = np.sqrt(np.median(ref[np.triu_indices(m, 1)]))
        bandwidths = [med * f for f in (0.5, 1.0, 2.0, 4.0)]
    k = sum(np.exp(-d2 / (2.0 * max(b, 1e-12) ** 2)) for b in bandwidths)
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    term_x = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    term_y = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(term_x + term_y - 2.0 * kxy.mean())


def occupancy(assignments: np.ndarray, num_components: int) -> np.ndarray:
    """Share of codes assigned to each component, `(K,)` summing to 1."""
    counts = np.bincount(np.asarray(assignments, int), minlength=num_components)
    return counts / max(1, counts.sum())


def assignments(prior, codes: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Most likely component of every code, `(n,)` int, through `prior.assign` in batches."""
    codes = np.asarray(codes, np.float32)
    if len(codes) == 0:
        return np.zeros(0, int)
    return np.concatenate([np.asarray(prior.assign(codes[k:k + batch]), int)
                           for k in range(0, len(codes), batch)])


def effective_components(occ: np.ndarray) -> float:
    """exp(entropy) of an occupancy vector: 1 = all codes in one component, K = uniform."""
    p = np.asarray(occ, np.float64)
    p = p[p > 0]
    if p.size == 0:
        return 0.0
    return float(np.exp(-np.sum(p * np.log(p))))


def label_agreement(assigned: np.ndarray, labels: np.ndarray) -> dict:
    """How well prior components agree with rhythm labels of the same bars.

    Returns:
        ``nmi`` (normalised mutual information) and ``ari`` (adjusted Rand index), both from
        scikit-learn and independent of how labels are numbered (1 = the same partition;
        ARI about 0 = chance), and ``accuracy``: the share of bars whose component *is* their
        label number (meaningful only for the labels the model was trained with, where label
        k selects component k).
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    a = np.asarray(assigned, int)
    b = np.asarray(labels, int)
    return {
        "nmi": float(normalized_mutual_info_score(b, a)),
        "ari": float(adjusted_rand_score(b, a)),
        "accuracy": float(np.mean(a == b)) if a.size else float("nan"),
        "bars": int(a.size),
    }
