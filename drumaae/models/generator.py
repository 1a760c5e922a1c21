"""The generator G: a latent code z -> features of one bar."""

from __future__ import annotations

from typing import Sequence

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="drumaae")
class Generator(keras.layers.Layer):
    """Dense projection to a short feature map, then upsample-and-convolve blocks over time.

    ``Dense -> reshape (frames / 2^n, filters[0])``; each block doubles the frames with
    nearest-neighbour upsampling followed by ``Conv1D -> LayerNorm -> LeakyReLU`` (no
    transposed convolutions: they leave checkerboard patterns in spectrograms). A last
    ``Conv1D`` to ``bins`` channels with a sigmoid gives features in [0, 1], in float32.

    Args:
        frames: frames per bar of the output.
        bins: frequency bins of the output.
        filters: channels of the upsampling blocks; ``len(filters)`` doublings.
        kernel_size: temporal kernel width in frames.
        output_kind: ``sigmoid`` (features in [0, 1]) or ``linear`` (trained on the raw output,
            clipped to [0, 1] at inference).
        num_labels: 0, or K: the generator is conditioned on a `(batch, K)` label vector
            (one-hot rhythm label or soft component weights), concatenated to the code.
        bottleneck: 0, or the channels of a per-frame layer before the output, which then
            expands them to `bins` with a 1-frame kernel (cheaper than a wide temporal
            convolution to every bin).
        residual: add each block's upsampled input to its output (same widths only).

    Call arguments:
        z: `(batch, latent_dim)` codes.
        labels: `(batch, K)` label weights when ``num_labels`` > 0.

    Returns:
        `(batch, frames, bins)` float32 features.

    Example:
        >>> gen = Generator(frames=64, bins=256, filters=(16, 16))
        >>> gen(np.zeros((2, 8), "float32")).shape
        (2, 64, 256)
    """

    def __init__(self, frames: int, bins: int, filters: Sequence[int] = (256, 256, 256, 256),
                 kernel_size: int = 5, output_kind: str = "sigmoid", num_labels: int = 0,
                 bottleneck: int = 0, residual: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.frames = int(frames)
        self.bins = int(bins)
        self.filters = tuple(int(f) for f in filters)
        self.kernel_size = int(kernel_size)
        if output_kind not in ("sigmoid", "linear"):
            raise ValueError(f"output_kind must be sigmoid or linear, got {output_kind!r}")
        self.output_kind = output_kind
        self.num_labels = int(num_labels)
        self.bottleneck = int(bottleneck)
        self.residual = bool(residual)
        n = len(self.filters)
        if self.frames % (2**n):
            raise ValueError(f"frames ({frames}) must be divisible by 2**len(filters) ({2**n})")
        self.start_frames = self.frames // (2**n)
        self.project = layers.Dense(self.start_frames * self.filters[0], name="project")
        self.ups = [layers.UpSampling1D(2, name=f"up_{i}") for i in range(n)]
        self.convs = [
            layers.Conv1D(f, self.kernel_size, padding="same", name=f"conv_{i}")
            for i, f in enumerate(self.filters)
        ]
        self.norms = [layers.LayerNormalization(name=f"norm_{i}") for i in range(n)]
        # ``linear``: clipped to [0, 1] only outside training. A sigmoid saturates on the many
        # target bins that are exactly 0 (silence at the dB floor), and after one large
        # update it can stay saturated, the generator a constant.
        self.squeeze = (layers.Conv1D(self.bottleneck, self.kernel_size, padding="same",
                                      name="squeeze") if self.bottleneck else None)
        self.out = layers.Conv1D(self.bins, 1 if self.bottleneck else self.kernel_size,
                                 padding="same",
                                 activation="sigmoid" if output_kind == "sigmoid" else None,
                                 dtype="float32", name="out")

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self.project.build(input_shape[:-1] + (input_shape[-1] + self.num_labels,))
        shape = (input_shape[0], self.start_frames, self.filters[0])
        for up, conv, norm in zip(self.ups, self.convs, self.norms):
            shape = up.compute_output_shape(shape)
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            norm.build(shape)
        if self.squeeze is not None:
            self.squeeze.build(shape)
            shape = self.squeeze.compute_output_shape(shape)
        self.out.build(shape)
        self.built = True

    def call(self, z, labels=None, training=False):
        if self.num_labels:
            if labels is None:
                raise ValueError("this generator is conditioned on labels: pass (batch, K) "
                                 "label weights")
            z = ops.concatenate([z, ops.cast(labels, z.dtype)], axis=-1)
        x = self.project(z)
        x = ops.reshape(x, (-1, self.start_frames, self.filters[0]))
        # No normalisation here: a LayerNorm of a linear map of z is blind to the code's
        # scale, and with Adam the codes then drifted to norms of ~40 sharing one direction,
        # the generator decoding every bar alike (measured on the rendered corpus).
        x = ops.leaky_relu(x, 0.2)
        for up, conv, norm in zip(self.ups, self.convs, self.norms):
            u = up(x)
            y = ops.leaky_relu(norm(conv(u)), 0.2)
            x = y + u if self.residual and u.shape[-1] == y.shape[-1] else y
        if self.squeeze is not None:
            x = ops.leaky_relu(self.squeeze(x), 0.2)
        out = self.out(x)
        if self.output_kind == "linear" and not training:
            out = ops.clip(out, 0.0, 1.0)
        return out

    def compute_output_shape(self, input_shape, labels_shape=None):
        return (input_shape[0], self.frames, self.bins)

    def get_config(self):
        config = super().get_config()
        config.update(frames=self.frames, bins=self.bins, filters=list(self.filters),
                      kernel_size=self.kernel_size, output_kind=self.output_kind,
                      num_labels=self.num_labels, bottleneck=self.bottleneck,
                      residual=self.residual)
        return config
