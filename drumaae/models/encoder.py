"""The encoder E: features of one bar -> a latent code z (stochastic, reparameterised)."""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="drumaae")
class Encoder(keras.layers.Layer):
    """Strided 1-D convolutions over time (frequency bins as channels), then mu and sigma.

    Each block halves the frames: ``Conv1D(stride 2) -> LayerNorm -> LeakyReLU``. The last
    feature map is flattened and projected to ``mu`` and ``log_sigma`` (float32 even under
    mixed precision). With ``stochastic=True`` the code is ``z = mu + sigma * eps`` during
    training (the variational AAE's encoder); at inference ``z = mu``.

    Args:
        latent_dim: size d of the code.
        filters: channels of the strided convolutions; ``len(filters)`` halvings of the frames.
        kernel_size: temporal kernel width in frames.
        stochastic: sample ``z`` around ``mu`` during training.
        dropout: dropout rate before the projection.
        seed: seed of the reparameterisation noise.
        bottleneck: 0, or channels of a per-frame dense layer that first compresses the
            frequency bins (the convolutions then run on fewer channels).
        residual: add each block's average-pooled input to its output (same widths only).

    Call arguments:
        features: `(batch, frames, bins)` float features in [0, 1].
        training: sample ``z`` (if stochastic) and apply dropout.

    Returns:
        `(z, mu, log_sigma)`, each `(batch, latent_dim)` float32.

    Example:
        >>> enc = Encoder(latent_dim=8, filters=(16, 16))
        >>> z, mu, log_sigma = enc(np.zeros((2, 64, 256), "float32"))
    """

    def __init__(self, latent_dim: int, filters: Sequence[int] = (256, 256, 256, 256),
                 kernel_size: int = 5, stochastic: bool = True, dropout: float = 0.1,
                 seed: int | None = None, bottleneck: int = 0, residual: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.filters = tuple(int(f) for f in filters)
        self.kernel_size = int(kernel_size)
        self.stochastic = bool(stochastic)
        self.dropout = float(dropout)
        self.seed = seed
        self.bottleneck = int(bottleneck)
        self.residual = bool(residual)
        self.squeeze = (layers.Dense(self.bottleneck, name="squeeze") if self.bottleneck
                        else None)
        self.pools = [layers.AveragePooling1D(2, padding="same") for _ in self.filters]
        self.convs = [
            layers.Conv1D(f, self.kernel_size, strides=2, padding="same", name=f"conv_{i}")
            for i, f in enumerate(self.filters)
        ]
        self.norms = [layers.LayerNormalization(name=f"norm_{i}") for i in range(len(filters))]
        self.flatten = layers.Flatten()
        self.drop = layers.Dropout(self.dropout, seed=seed)
        self.mu = layers.Dense(self.latent_dim, dtype="float32", name="mu")
        self.log_sigma = (
            layers.Dense(self.latent_dim, dtype="float32", name="log_sigma",
                         kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(-2.0))
            if self.stochastic else None
        )
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        shape = tuple(input_shape)
        if self.squeeze is not None:
            self.squeeze.build(shape)
            shape = self.squeeze.compute_output_shape(shape)
        for conv, norm in zip(self.convs, self.norms):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            norm.build(shape)
        flat = (shape[0], shape[1] * shape[2])
        self.mu.build(flat)
        if self.log_sigma is not None:
            self.log_sigma.build(flat)
        self.built = True

    def call(self, features, training=False):
        x = features
        if self.squeeze is not None:
            x = ops.leaky_relu(self.squeeze(x), 0.2)
        for conv, norm, pool in zip(self.convs, self.norms, self.pools):
            y = ops.leaky_relu(norm(conv(x)), 0.2)
            x = y + pool(x) if self.residual and x.shape[-1] == y.shape[-1] else y
        x = self.drop(self.flatten(x), training=training)
        mu = self.mu(x)
        if self.log_sigma is None:
            return mu, mu, ops.full_like(mu, -float("inf"))
        # Bounded: sigma in [e^-8, e^2] keeps the KL-free code noise from exploding.
        log_sigma = ops.clip(self.log_sigma(x), -8.0, 2.0)
        if training:
            eps = keras.random.normal(ops.shape(mu), seed=self.seed_generator, dtype=mu.dtype)
            z = mu + ops.exp(log_sigma) * eps
        else:
            z = mu
        return z, mu, log_sigma

    def compute_output_shape(self, input_shape):
        out = (input_shape[0], self.latent_dim)
        return out, out, out

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            filters=list(self.filters),
            kernel_size=self.kernel_size,
            stochastic=self.stochastic,
            dropout=self.dropout,
            seed=self.seed,
            bottleneck=self.bottleneck,
            residual=self.residual,
        )
        return config
