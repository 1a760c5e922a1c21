"""DrumAAE: the adversarial autoencoder with a Gaussian-mixture prior (AAE-GM).

TensorFlow-specific only in `train_step`/`test_step` (GradientTape and the distribution
strategy's replica count); the parts are backend-portable Keras layers.
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from drumaae.models.discriminator import LatentDiscriminator
from drumaae.models.encoder import Encoder
from drumaae.models.generator import Generator
from drumaae.models.prior import GaussianMixturePrior

FORMAT_VERSION = 1
"""Bumped whenever a saved model's structure changes incompatibly."""

METRIC_NAMES = ("recon/loss", "adv/d_loss", "adv/e_loss", "adv/d_acc")


def _wrap_for_precision(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """Under mixed_float16 every optimizer needs loss scaling (Keras 3 adds none by itself
    for a custom compile)."""
    policy = keras.config.dtype_policy()
    if policy.compute_dtype == "float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


@keras.saving.register_keras_serializable(package="drumaae")
class DrumAAE(keras.Model):
    """Encoder E, generator G, latent discriminator D and a Gaussian-mixture prior p(z).

    One `train_step` runs the three phases of the AAE on a batch of bars:

    1. reconstruction: E and G minimise ``recon_weight * |x - G(E(x))|``;
    2. regularisation, discriminator: D learns to tell prior samples z ~ p(z | label)
       ("real") from codes E(x) ("fake");
    3. regularisation, encoder: E learns to make D call its codes real
       (``adv_weight`` times the non-saturating loss).

    Args:
        encoder: an `Encoder`.
        generator: a `Generator`.
        discriminator: a `LatentDiscriminator`.
        prior: a `GaussianMixturePrior` with the encoder's latent size.
        audio: the AudioConfig fields (dict) the features were made with.
        recipe: the resolved recipe (dict), saved with the model.
        format_version: saved-model structure version.

    Inputs (fit): features `(batch, frames, bins)` in [0, 1], or `(features, labels)` with
    int labels `(batch,)` in [0, K] (K = unlabelled).

    Example:
        >>> model = build_model(load_recipe("tiny"))
        >>> model.compile()
        >>> model.fit(dataset, epochs=2)
        >>> z = model.encode(features)             # (batch, latent_dim)
    """

    def __init__(self, encoder: Encoder, generator: Generator,
                 discriminator: LatentDiscriminator, prior: GaussianMixturePrior,
                 audio: dict | None = None, recipe: dict | None = None,
                 format_version: int = FORMAT_VERSION, **kwargs):
        super().__init__(**kwargs)
        for name, part, cls in (("encoder", encoder, Encoder), ("generator", generator, Generator),
                                ("discriminator", discriminator, LatentDiscriminator),
                                ("prior", prior, GaussianMixturePrior)):
            if not isinstance(part, cls):
                raise TypeError(f"{name} must be a {cls.__name__}, got {type(part).__name__}")
        if prior.latent_dim != encoder.latent_dim:
            raise ValueError(f"prior.latent_dim ({prior.latent_dim}) != encoder.latent_dim "
                             f"({encoder.latent_dim})")
        if discriminator.num_labels not in (0, prior.num_components):
            raise ValueError("discriminator.num_labels must be 0 or prior.num_components")
        self.encoder = encoder
        self.generator = generator
        self.discriminator = discriminator
        self.prior = prior
        self.audio_config = dict(audio or {})
        self.recipe = dict(recipe or {})
        self.format_version = int(format_version)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self.ae_optimizer = None
        self.d_optimizer = None
        self.e_optimizer = None

    # --- compile --------------------------------------------------------------------------
    def compile(self, ae_optimizer: Any = None, d_optimizer: Any = None,
                e_optimizer: Any = None, recon_loss: str = "l1", recon_weight: float = 1.0,
                adv_weight: float = 1.0, adv_warmup_steps: int = 0, **kwargs):
        """Set the three players' optimizers and the loss settings.

        Args:
            ae_optimizer: reconstruction phase (E + G); default Adam(1e-3, beta_1=0.5).
            d_optimizer: discriminator phase; default Adam(2e-4, beta_1=0.5).
            e_optimizer: encoder's adversarial phase; default Adam(2e-4, beta_1=0.5).
            recon_loss: ``l1`` or ``l2``.
            recon_weight: weight of the reconstruction loss.
            adv_weight: weight of the encoder's adversarial loss.
            adv_warmup_steps: steps of reconstruction alone before the two regularisation
                phases start (their losses are multiplied by 0 until then).
            **kwargs: passed to `keras.Model.compile` (e.g. ``jit_compile``).
        """
        if recon_loss not in ("l1", "l2"):
            raise ValueError(f"recon_loss must be 'l1' or 'l2', got {recon_loss!r}")

        def make(opt, lr):
            if opt is None:
                opt = keras.optimizers.Adam(lr, beta_1=0.5)
            elif isinstance(opt, (str, dict)):
                opt = keras.optimizers.get(opt)
            return _wrap_for_precision(opt)

        self.ae_optimizer = make(ae_optimizer, 1e-3)
        self.d_optimizer = make(d_optimizer, 2e-4)
        self.e_optimizer = make(e_optimizer, 2e-4)
        self.recon_loss = recon_loss
        self.recon_weight = float(recon_weight)
        self.adv_weight = float(adv_weight)
        self.adv_warmup_steps = int(adv_warmup_steps)
        kwargs.setdefault("jit_compile", False)
        super().compile(**kwargs)
        if self.built:
            # Create the optimizers' variables now, in the caller's distribution scope: built
            # lazily inside a replica context (the first train_step) they fail under
            # MirroredStrategy, and a loaded model needs them to receive its saved state.
            self.build_optimizers()

    def get_compile_config(self):
        if self.ae_optimizer is None:
            return None
        ser = keras.saving.serialize_keras_object
        return {
            "ae_optimizer": ser(self.ae_optimizer),
            "d_optimizer": ser(self.d_optimizer),
            "e_optimizer": ser(self.e_optimizer),
            "recon_loss": self.recon_loss,
            "recon_weight": self.recon_weight,
            "adv_weight": self.adv_weight,
            "adv_warmup_steps": self.adv_warmup_steps,
        }

    def compile_from_config(self, config):
        de = keras.saving.deserialize_keras_object
        self.compile(
            ae_optimizer=de(config["ae_optimizer"]),
            d_optimizer=de(config["d_optimizer"]),
            e_optimizer=de(config["e_optimizer"]),
            recon_loss=config.get("recon_loss", "l1"),
            recon_weight=config.get("recon_weight", 1.0),
            adv_weight=config.get("adv_weight", 1.0),
            adv_warmup_steps=config.get("adv_warmup_steps", 0),
        )

    def build_optimizers(self):
        """Create the optimizers' slots now, so a loaded model gets its saved Adam state
        back (Keras loads optimizer variables only into built optimizers)."""
        self.ae_optimizer.build(self.encoder.trainable_variables
                                + self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.e_optimizer.build(self.encoder.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def train_iterations(self):
        """Steps trained so far (the reconstruction optimizer's counter, not the dummy
        `model.optimizer` of `keras.Model.compile`)."""
        opt = self.ae_optimizer
        return int(ops.convert_to_numpy(opt.iterations)) if opt is not None else 0

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        code_shape = (input_shape[0], self.encoder.latent_dim)
        # Parts restored from a saved model arrive built already.
        for part, shape in ((self.encoder, input_shape), (self.generator, code_shape),
                            (self.discriminator, code_shape)):
            if not part.built:
                part.build(shape)
        self.built = True

    def get_build_config(self):
        return {"input_shape": [None, self.generator.frames, self.generator.bins]}

    def build_from_config(self, config):
        self.build(config["input_shape"])

    # --- training -------------------------------------------------------------------------
    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            features = data[0]
            labels = data[1] if len(data) > 1 and self.discriminator.num_labels else None
        else:
            features, labels = data, None
        features = ops.cast(features, "float32")
        if labels is None:
            labels = ops.full((ops.shape(features)[0],), self.prior.num_components, "int32")
        return features, ops.cast(labels, "int32")

    def _reconstruction(self, x, x_hat):
        diff = ops.cast(x, "float32") - ops.cast(x_hat, "float32")
        if self.recon_loss == "l2":
            return ops.mean(ops.square(diff))
        return ops.mean(ops.abs(diff))

    @staticmethod
    def _bce(target: float, logits):
        labels = ops.full_like(logits, target)
        return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))

    @staticmethod
    def _d_accuracy(real_logits, fake_logits):
        hits = ops.concatenate([ops.cast(real_logits > 0, "float32"),
                                ops.cast(fake_logits < 0, "float32")], axis=0)
        return ops.mean(hits)

    @staticmethod
    def _step(optimizer, tape, scaled_loss, variables):
        """Apply one player's update; `scaled_loss` is `optimizer.scale_loss(loss)` computed
        inside `tape` (a LossScaleOptimizer unscales the gradients in `apply`)."""
        optimizer.apply(tape.gradient(scaled_loss, variables), variables)

    def train_step(self, data):
        x, labels = self._unpack(data)
        # Gradients are summed over replicas: divide so the update uses the global mean.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        # 0 during the warm-up (reconstruction alone), then 1; read before any update.
        adv_on = ops.cast(self.ae_optimizer.iterations >= self.adv_warmup_steps, "float32")

        ae_vars = self.encoder.trainable_variables + self.generator.trainable_variables
        with tf.GradientTape() as tape:
            z, _, _ = self.encoder(x, training=True)
            x_hat = self.generator(z, training=True)
            recon = self._reconstruction(x, x_hat)
            loss = self.ae_optimizer.scale_loss(self.recon_weight * recon / replicas)
        self._step(self.ae_optimizer, tape, loss, ae_vars)

        # The discriminator sees this batch's codes (from before the update above).
        z_fake = ops.stop_gradient(z)
        z_real = self.prior.sample_for_labels(labels)
        d_vars = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(z_real, labels, training=True)
            fake_logits = self.discriminator(z_fake, labels, training=True)
            d_loss = self._bce(1.0, real_logits) + self._bce(0.0, fake_logits)
            loss = self.d_optimizer.scale_loss(adv_on * d_loss / replicas)
        self._step(self.d_optimizer, tape, loss, d_vars)

        e_vars = self.encoder.trainable_variables
        with tf.GradientTape() as tape:
            z, _, _ = self.encoder(x, training=True)
            e_loss = self._bce(1.0, self.discriminator(z, labels, training=False))
            loss = self.e_optimizer.scale_loss(adv_on * self.adv_weight * e_loss / replicas)
        self._step(self.e_optimizer, tape, loss, e_vars)

        return self._update_trackers(recon, d_loss, e_loss,
                                     self._d_accuracy(real_logits, fake_logits))

    def test_step(self, data):
        x, labels = self._unpack(data)
        _, mu, _ = self.encoder(x, training=False)
        recon = self._reconstruction(x, self.generator(mu, training=False))
        real_logits = self.discriminator(self.prior.sample_for_labels(labels), labels)
        fake_logits = self.discriminator(mu, labels)
        d_loss = self._bce(1.0, real_logits) + self._bce(0.0, fake_logits)
        e_loss = self._bce(1.0, fake_logits)
        return self._update_trackers(recon, d_loss, e_loss,
                                     self._d_accuracy(real_logits, fake_logits))

    def _update_trackers(self, recon, d_loss, e_loss, d_acc):
        for name, value in zip(METRIC_NAMES, (recon, d_loss, e_loss, d_acc)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # --- inference API --------------------------------------------------------------------
    def call(self, features, training=False):
        """Reconstruction G(mu(x)): `(batch, frames, bins)` -> `(batch, frames, bins)`."""
        _, mu, _ = self.encoder(features, training=training)
        return self.generator(mu, training=training)

    def encode(self, features, sample: bool = False):
        """Codes `(batch, latent_dim)` of features `(batch, frames, bins)`: mu(x), or a
        sample mu + sigma * eps with ``sample=True``."""
        z, mu, _ = self.encoder(ops.convert_to_tensor(features, "float32"), training=sample)
        return z if sample else mu

    def decode(self, z):
        """Features `(batch, frames, bins)` of codes `(batch, latent_dim)`."""
        return self.generator(ops.convert_to_tensor(z, "float32"), training=False)

    @staticmethod
    def interpolate(z_a, z_b, alphas: Sequence[float]):
        """Codes on the line z(a) = (1 - a) z_a + a z_b.

        Args:
            z_a, z_b: `(latent_dim,)` or `(batch, latent_dim)` codes.
            alphas: `(steps,)` mixing weights (0 = z_a, 1 = z_b).

        Returns:
            `(steps, latent_dim)` or `(batch, steps, latent_dim)`.
        """
        z_a = ops.convert_to_tensor(z_a, "float32")
        z_b = ops.convert_to_tensor(z_b, "float32")
        a = ops.convert_to_tensor(np.asarray(alphas, "float32"))
        a = ops.reshape(a, (-1, 1))
        if len(z_a.shape) == 2:
            return (1.0 - a)[None] * z_a[:, None, :] + a[None] * z_b[:, None, :]
        return (1.0 - a) * z_a[None, :] + a * z_b[None, :]

    def sample_codes(self, n: int, component: int | None = None, seed: int | None = None):
        """`(n, latent_dim)` codes from the prior (one component, or the whole mixture)."""
        return self.prior.sample(n, component=component, seed=seed)

    def sample(self, n: int, component: int | None = None, seed: int | None = None):
        """Features `(n, frames, bins)` of `n` bars decoded from prior samples."""
        return self.decode(self.sample_codes(n, component=component, seed=seed))

    # --- serialisation --------------------------------------------------------------------
    def get_config(self):
        ser = keras.saving.serialize_keras_object
        return {
            "name": self.name,
            "trainable": self.trainable,
            "encoder": ser(self.encoder),
            "generator": ser(self.generator),
            "discriminator": ser(self.discriminator),
            "prior": ser(self.prior),
            "audio": self.audio_config,
            "recipe": self.recipe,
            "format_version": self.format_version,
        }

    @classmethod
    def from_config(cls, config):
        from drumaae.errors import ModelFormatError

        version = int(config.get("format_version", 0))
        if version != FORMAT_VERSION:
            raise ModelFormatError(
                f"model format version {version} is not supported by this drumaae "
                f"(it reads version {FORMAT_VERSION}); upgrade drumaae or re-export the model")
        de = keras.saving.deserialize_keras_object
        config = dict(config)
        parts = {k: de(config.pop(k)) for k in ("encoder", "generator", "discriminator", "prior")}
        return cls(**parts, **config)
