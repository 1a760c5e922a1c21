"""The Gaussian-mixture prior of the latent space."""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops


def mixture_layout(num_components: int, latent_dim: int, layout: str, radius: float,
                   radial_std: float, tangential_std: float, other_std: float | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Means `(K, d)` and scale matrices `(K, d, d)` of the mixture (x = mean + scale @ eps).

    ``radial``: Makhzani et al.'s "star": component k's arm points at angle 2*pi*k/K in the
    plane of the first two dimensions; each component is elongated along its arm
    (`radial_std`), narrow across it (`tangential_std`), and spread `other_std` in the
    remaining d - 2 dimensions (they carry what is not rhythm: timbre, level).
    ``hypersphere``: means at `radius` along K fixed pseudo-random directions of R^d (seed 0),
    each component elongated along its own direction (`radial_std`) and `tangential_std`
    across it.
    """
    k, d = int(num_components), int(latent_dim)
    diag = np.full(d, float(tangential_std))
    diag[0] = float(radial_std)
    if layout == "radial" and other_std is not None:
        diag[2:] = float(other_std)
    means = np.zeros((k, d))
    scales = np.zeros((k, d, d))
    if layout == "radial":
        for i in range(k):
            theta = 2.0 * math.pi * i / k
            rot = np.eye(d)
            rot[:2, :2] = [[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]]
            means[i, :2] = radius * np.array([math.cos(theta), math.sin(theta)])
            scales[i] = rot @ np.diag(diag)
    elif layout == "hypersphere":
        dirs = np.random.default_rng(0).standard_normal((k, d))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        e0 = np.eye(d)[0]
        for i in range(k):
            v = e0 - dirs[i]
            if np.linalg.norm(v) < 1e-9:
                house = np.eye(d)
            else:
                house = np.eye(d) - 2.0 * np.outer(v, v) / (v @ v)  # maps e0 onto dirs[i]
            means[i] = radius * dirs[i]
            scales[i] = house @ np.diag(diag)
    else:
        raise ValueError(f"unknown prior layout {layout!r}")
    return means.astype("float32"), scales.astype("float32")


@keras.saving.register_keras_serializable(package="drumaae")
class GaussianMixturePrior(keras.layers.Layer):
    """p(z) = (1/K) sum_k N(z; m_k, S_k S_k^T), with a fixed, configurable layout.

    The layout has no trainable weights: it is rebuilt from the config, so a saved model
    carries it exactly. Labels select components (the semi-supervised AAE): label ``k`` in
    [0, K) samples component k, label ``K`` ("unlabelled") a component drawn uniformly.

    Args:
        num_components: K.
        latent_dim: d.
        layout: ``radial`` or ``hypersphere`` (see `mixture_layout`).
        radius: distance of the means from the origin.
        radial_std: spread along a component's arm.
        tangential_std: spread across it.
        other_std: ``radial`` only: spread in dimensions 3..d (None: `tangential_std`).
        seed: seed of sampling.

    Call arguments:
        labels: `(batch,)` int labels in [0, K].

    Returns:
        `(batch, latent_dim)` float32 samples.

    Example:
        >>> prior = GaussianMixturePrior(10, 2)
        >>> z = prior.sample(100, seed=0)          # (100, 2) NumPy array
        >>> prior.assign(z)                        # nearest component by log-density
    """

    def __init__(self, num_components: int, latent_dim: int, layout: str = "radial",
                 radius: float = 4.0, radial_std: float = 0.5, tangential_std: float = 0.1,
                 other_std: float | None = None, seed: int | None = None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.num_components = int(num_components)
        self.latent_dim = int(latent_dim)
        self.layout = str(layout)
        self.radius = float(radius)
        self.radial_std = float(radial_std)
        self.tangential_std = float(tangential_std)
        self.other_std = None if other_std is None else float(other_std)
        self.seed = seed
        self.means_np, self.scales_np = mixture_layout(
            self.num_components, self.latent_dim, self.layout, self.radius,
            self.radial_std, self.tangential_std, self.other_std)
        inv = np.linalg.inv(self.scales_np.astype("float64"))
        self.inv_scales_np = inv.astype("float32")
        self.log_dets_np = np.log(np.abs(np.linalg.det(self.scales_np.astype("float64")))
                                  ).astype("float32")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, labels):
        return self.sample_for_labels(labels)

    def sample_for_labels(self, labels, seed=None):
        """Samples `(batch, d)` for int labels `(batch,)` (label K = any component)."""
        seed = self.seed_generator if seed is None else seed
        labels = ops.cast(labels, "int32")
        n = ops.shape(labels)[0]
        random_k = keras.random.randint((n,), 0, self.num_components, seed=seed, dtype="int32")
        comp = ops.where(labels >= self.num_components, random_k, labels)
        eps = keras.random.normal((n, self.latent_dim), seed=seed, dtype="float32")
        means = ops.take(ops.convert_to_tensor(self.means_np), comp, axis=0)
        scales = ops.take(ops.convert_to_tensor(self.scales_np), comp, axis=0)
        return means + ops.einsum("bij,bj->bi", scales, eps)

    def sample(self, n: int, component: int | None = None, seed: int | None = None
               ) -> np.ndarray:
        """`n` codes as a NumPy array, from one component or from the whole mixture."""
        rng = np.random.default_rng(seed)
        if component is None:
            comps = rng.integers(0, self.num_components, size=n)
        else:
            if not 0 <= int(component) < self.num_components:
                raise ValueError(
                    f"component must be in [0, {self.num_components - 1}], got {component}")
            comps = np.full(n, int(component))
        eps = rng.standard_normal((n, self.latent_dim)).astype("float32")
        return self.means_np[comps] + np.einsum("bij,bj->bi", self.scales_np[comps], eps)

    def component_log_prob(self, z):
        """`(batch, K)` log N(z; m_k, S_k S_k^T) for every component."""
        z = ops.cast(z, "float32")
        diff = ops.expand_dims(z, 1) - ops.convert_to_tensor(self.means_np)[None]
        white = ops.einsum("kij,bkj->bki", ops.convert_to_tensor(self.inv_scales_np), diff)
        sq = ops.sum(white * white, axis=-1)
        const = 0.5 * self.latent_dim * math.log(2.0 * math.pi)
        return -0.5 * sq - ops.convert_to_tensor(self.log_dets_np)[None] - const

    def log_prob(self, z):
        """`(batch,)` log p(z) under the mixture."""
        return ops.logsumexp(self.component_log_prob(z), axis=-1) - math.log(self.num_components)

    def assign(self, z) -> np.ndarray:
        """Most likely component of each code, `(batch,)` int."""
        return np.asarray(ops.convert_to_numpy(ops.argmax(self.component_log_prob(z), axis=-1)))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.latent_dim)

    def get_config(self):
        config = super().get_config()
        config.update(num_components=self.num_components, latent_dim=self.latent_dim,
                      layout=self.layout, radius=self.radius, radial_std=self.radial_std,
                      tangential_std=self.tangential_std, other_std=self.other_std,
                      seed=self.seed)
        return config
