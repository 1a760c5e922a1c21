"""Latent paths: the codes between two codes, z(a) = (1 - a) z_a + a z_b.

One function for every caller: `DrumAAE.interpolate` (Keras tensors), the exported
``interpolate`` signature (a TensorFlow graph) and `drumaae.inference.interpolate` (NumPy).
It uses only arithmetic and ``[..., None]`` indexing, which NumPy arrays, TensorFlow tensors
and every Keras backend's tensors share, so this module imports neither TensorFlow nor
Keras: give it arrays or tensors of one kind, float32.

Example:
    >>> import numpy as np
    >>> latent_path(np.zeros(2, "float32"), np.ones(2, "float32"),
    ...             np.array([0, 0.5, 1], "float32")).tolist()
    [[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]
"""

from __future__ import annotations

__all__ = ["latent_path"]


def latent_path(z_a, z_b, alphas):
    """Codes on the line from `z_a` (a = 0) to `z_b` (a = 1).

    Args:
        z_a, z_b: `(latent_dim,)` or `(batch, latent_dim)` codes.
        alphas: `(steps,)` mixing weights.

    Returns:
        `(steps, latent_dim)`, or `(batch, steps, latent_dim)` for batched codes.
    """
    a = alphas[:, None]
    if len(z_a.shape) == 2:
        return (1.0 - a)[None] * z_a[:, None, :] + a[None] * z_b[:, None, :]
    return (1.0 - a) * z_a[None, :] + a * z_b[None, :]
