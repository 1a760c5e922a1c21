"""The latent discriminator D: prior sample ("real") vs encoder code ("fake")."""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="drumaae")
class LatentDiscriminator(keras.layers.Layer):
    """An MLP on a code, optionally joined with a one-hot rhythm label.

    In the semi-supervised AAE (Makhzani et al. 2016, sec. 5) the discriminator also sees the
    one-hot label of the example; prior samples for a labelled example come from the
    component of its label, so to fool D the encoder must put the code into that component.
    The extra last slot of the one-hot (index ``num_labels``) means "unlabelled".

    Args:
        units: hidden widths.
        num_labels: K, label classes (0 = no label input).
        dropout: dropout rate after each hidden layer.

    Call arguments:
        z: `(batch, latent_dim)` codes.
        labels: `(batch,)` int labels in [0, K] (K = unlabelled) or None.

    Returns:
        `(batch, 1)` float32 logits (> 0: "from the prior").
    """

    def __init__(self, units: Sequence[int] = (512, 512), num_labels: int = 0,
                 dropout: float = 0.1, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.units = tuple(int(u) for u in units)
        self.num_labels = int(num_labels)
        self.dropout = float(dropout)
        self.seed = seed
        self.hidden = [layers.Dense(u, name=f"dense_{i}") for i, u in enumerate(self.units)]
        self.drops = [layers.Dropout(self.dropout, seed=seed) for _ in self.units]
        self.logit = layers.Dense(1, dtype="float32", name="logit")

    def build(self, input_shape):
        width = int(input_shape[-1]) + (self.num_labels + 1 if self.num_labels else 0)
        shape = (input_shape[0], width)
        for dense in self.hidden:
            dense.build(shape)
            shape = dense.compute_output_shape(shape)
        self.logit.build(shape)
        self.built = True

    def call(self, z, labels=None, training=False):
        x = z
        if self.num_labels:
            if labels is None:
                labels = ops.full((ops.shape(z)[0],), self.num_labels, dtype="int32")
            onehot = ops.one_hot(ops.cast(labels, "int32"), self.num_labels + 1, dtype=z.dtype)
            x = ops.concatenate([z, onehot], axis=-1)
        for dense, drop in zip(self.hidden, self.drops):
            x = drop(ops.leaky_relu(dense(x), 0.2), training=training)
        return self.logit(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(units=list(self.units), num_labels=self.num_labels,
                      dropout=self.dropout, seed=self.seed)
        return config
