"""DrumAAE: the adversarial autoencoder with a Gaussian-mixture prior (AAE-GM).

The model of parts and its three-player `train_step`. Its neighbours hold the rest: the
loss terms (`drumaae.models.losses`), the backend-specific update (`drumaae.models.backend`:
the step also runs on Keras's torch backend), code refinement (`drumaae.models.refine`,
TensorFlow only), the private Keras hooks it needs (`drumaae.models.keras_hooks`), and the
warm-up callback `fit` adds (`drumaae.models.warmup`).
"""

from __future__ import annotations

from typing import Any, Sequence

import keras
import numpy as np
from keras import ops

from drumaae.config import TrainingConfig
from drumaae.errors import ModelFormatError
from drumaae.latent import latent_path
from drumaae.limits import DEFAULT_REFINE
from drumaae.models import keras_hooks, losses
from drumaae.models.backend import BACKEND, minimize, replicas
from drumaae.models.discriminator import LatentDiscriminator
from drumaae.models.encoder import Encoder
from drumaae.models.generator import Generator
from drumaae.models.prior import GaussianMixturePrior
from drumaae.models.refine import refine_codes
from drumaae.models.warmup import AdversarialWarmupEnd

FORMAT_VERSION = 1
"""Bumped whenever a saved model's structure changes incompatibly."""

METRIC_NAMES = ("recon/loss", "adv/d_loss", "adv/e_loss", "adv/d_acc")

_TRAINING = TrainingConfig()
"""The defaults of `DrumAAE.compile`: TrainingConfig is their one source."""
_LOSS_SETTINGS = ("recon_loss", "recon_weight", "adv_weight", "adv_warmup_steps", "sc_weight",
                  "transient_weight", "level_weight", "onset_weight", "label_mix")
"""compile()'s loss settings, saved in the compile config."""


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
        trained_steps: training steps of the saved model (0 for a new one; None: saved
            before drumaae kept the count); see `trained_steps`.

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
                 format_version: int = FORMAT_VERSION, trained_steps: int | None = 0,
                 **kwargs):
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
        self.saved_steps = None if trained_steps is None else int(trained_steps)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}
        self.label_seed = keras.random.SeedGenerator(
            (self.recipe.get("training") or {}).get("seed", 0))
        self.ae_optimizer = None
        self.d_optimizer = None
        self.e_optimizer = None

    # --- compile --------------------------------------------------------------------------
    def compile(self, ae_optimizer: Any = None, d_optimizer: Any = None,
                e_optimizer: Any = None, recon_loss: str = _TRAINING.recon_loss,
                recon_weight: float = _TRAINING.recon_weight,
                adv_weight: float = _TRAINING.adv_weight,
                adv_warmup_steps: int = _TRAINING.adv_warmup_steps,
                sc_weight: float = _TRAINING.sc_weight,
                transient_weight: float = _TRAINING.transient_weight,
                level_weight: float = _TRAINING.level_weight,
                onset_weight: float = _TRAINING.onset_weight,
                label_mix: float = _TRAINING.label_mix, **kwargs):
        """Set the three players' optimizers and the loss settings.

        Every default is `TrainingConfig`'s (the one source of training defaults).

        Args:
            ae_optimizer: reconstruction phase (E + G); default Adam at
                ``ae_learning_rate`` (``beta_1`` as TrainingConfig's).
            d_optimizer: discriminator phase; default Adam at ``d_learning_rate``.
            e_optimizer: encoder's adversarial phase; default Adam at ``e_learning_rate``.
            recon_loss: ``l1`` or ``l2``.
            recon_weight: weight of the reconstruction loss.
            adv_weight: weight of the encoder's adversarial loss.
            adv_warmup_steps: steps of reconstruction alone before the two regularisation
                phases start (their losses are multiplied by 0 until then, and their
                optimizers' state is reset when the warm-up ends, see `fit`).
            sc_weight: weight of spectral convergence on the linear magnitude.
            transient_weight: weight of the L1 of frame-to-frame differences.
            level_weight: the L1/L2 term weighs each cell by ``1 + level_weight * x`` (x the
                true feature), normalised by the batch's mean weight; 0 weighs all alike.
            onset_weight: weight of the L1 between the onset flux (`onset_flux`) of the
                features and of the reconstruction.
            label_mix: conditional generator: share of bars given the prior's
                responsibilities of their code instead of their rhythm label.
            **kwargs: passed to `keras.Model.compile` (e.g. ``jit_compile``).
        """
        if recon_loss not in losses.RECON_KINDS:
            raise ValueError(f"recon_loss must be 'l1' or 'l2', got {recon_loss!r}")

        def make(opt, lr):
            if opt is None:
                opt = keras.optimizers.Adam(lr, beta_1=_TRAINING.beta_1)
            elif isinstance(opt, (str, dict)):
                opt = keras.optimizers.get(opt)
            return _wrap_for_precision(opt)

        self.ae_optimizer = make(ae_optimizer, _TRAINING.ae_learning_rate)
        self.d_optimizer = make(d_optimizer, _TRAINING.d_learning_rate)
        self.e_optimizer = make(e_optimizer, _TRAINING.e_learning_rate)
        self.recon_loss = recon_loss
        self.recon_weight = float(recon_weight)
        self.adv_weight = float(adv_weight)
        self.adv_warmup_steps = int(adv_warmup_steps)
        self.sc_weight = float(sc_weight)
        self.transient_weight = float(transient_weight)
        self.level_weight = float(level_weight)
        self.onset_weight = float(onset_weight)
        self.label_mix = float(label_mix)
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
            **{key: getattr(self, key) for key in _LOSS_SETTINGS},
        }

    def compile_from_config(self, config):
        de = keras.saving.deserialize_keras_object
        # Settings a model saved before they existed take compile()'s defaults.
        self.compile(**{k: de(config[k]) for k in ("ae_optimizer", "d_optimizer", "e_optimizer")},
                     **{k: config[k] for k in _LOSS_SETTINGS if k in config})

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

    @property
    def trained_steps(self) -> int | None:
        """Steps this model has been trained, across saves: the step count saved with it
        (a model loaded without its optimizer state restarts the optimizer's counter) plus
        the steps taken since; None for a model saved before the count was kept and not
        trained since."""
        now = self.train_iterations
        if self.saved_steps is None:
            return now or None
        # A resumed optimizer counts the saved steps again; a fresh one starts at 0.
        return now if now >= self.saved_steps else self.saved_steps + now

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
        """The reconstruction loss with this model's compile settings
        (`losses.reconstruction_loss`)."""
        return losses.reconstruction_loss(
            x, x_hat, kind=self.recon_loss, level_weight=self.level_weight,
            sc_weight=self.sc_weight, transient_weight=self.transient_weight,
            onset_weight=self.onset_weight, audio=self.audio_config)

    # --- labels of the conditional generator ----------------------------------------------
    def label_weights(self, z):
        """`(batch, K)` rhythm-label weights of codes: the prior's component
        responsibilities p(k | z), the label the generator gets at inference (an
        interpolated code's label is where the path sits on the prior)."""
        return ops.softmax(self.prior.component_log_prob(z), axis=-1)

    def _train_label_weights(self, z, labels):
        """Training labels of the conditional generator: one-hot rhythm labels (the paper),
        or, for a `label_mix` share of bars and for unlabelled bars, p(k | z) as at
        inference, so the generator also learns the labels it will get."""
        k = self.prior.num_components
        resp = ops.stop_gradient(self.label_weights(z))
        onehot = ops.one_hot(ops.minimum(labels, k - 1), k, dtype="float32")
        use_resp = labels >= k
        if self.label_mix > 0:
            draw = keras.random.uniform(ops.shape(labels), seed=self.label_seed)
            use_resp = ops.logical_or(use_resp, draw < self.label_mix)
        return ops.where(use_resp[:, None], resp, onehot)

    def _generate(self, z, label_weights=None, training=False):
        if not self.generator.num_labels:
            return self.generator(z, training=training)
        if label_weights is None:
            label_weights = self.label_weights(z)
        return self.generator(z, label_weights, training=training)

    def train_step(self, data):
        x, labels = self._unpack(data)
        # Gradients are summed over replicas: divide so the update uses the global mean.
        n_replicas = replicas()
        # 0 during the warm-up (reconstruction alone), then 1; read before any update.
        adv_on = ops.cast(self.ae_optimizer.iterations >= self.adv_warmup_steps, "float32")

        def ae_loss():
            z, _, _ = self.encoder(x, training=True)
            gen_labels = (self._train_label_weights(z, labels) if self.generator.num_labels
                          else None)
            x_hat = self._generate(z, gen_labels, training=True)
            recon = self._reconstruction(x, x_hat)
            return self.recon_weight * recon / n_replicas, (z, recon)

        z, recon = minimize(self.ae_optimizer, ae_loss,
                             self.encoder.trainable_variables
                             + self.generator.trainable_variables)

        # The discriminator sees this batch's codes (from before the update above).
        z_fake = ops.stop_gradient(z)
        z_real = self.prior.sample_for_labels(labels)

        def d_loss_fn():
            real_logits = self.discriminator(z_real, labels, training=True)
            fake_logits = self.discriminator(z_fake, labels, training=True)
            d_loss = losses.adversarial_loss(1.0, real_logits) + losses.adversarial_loss(0.0, fake_logits)
            return adv_on * d_loss / n_replicas, (d_loss, real_logits, fake_logits)

        d_loss, real_logits, fake_logits = minimize(
            self.d_optimizer, d_loss_fn, self.discriminator.trainable_variables)

        def e_loss_fn():
            z, _, _ = self.encoder(x, training=True)
            e_loss = losses.adversarial_loss(1.0, self.discriminator(z, labels, training=False))
            return adv_on * self.adv_weight * e_loss / n_replicas, e_loss

        e_loss = minimize(self.e_optimizer, e_loss_fn, self.encoder.trainable_variables)
        return self._update_trackers(recon, d_loss, e_loss,
                                     losses.discriminator_accuracy(real_logits, fake_logits))

    def test_step(self, data):
        x, labels = self._unpack(data)
        _, mu, _ = self.encoder(x, training=False)
        recon = self._reconstruction(x, self._generate(mu, training=False))
        real_logits = self.discriminator(self.prior.sample_for_labels(labels), labels)
        fake_logits = self.discriminator(mu, labels)
        d_loss = losses.adversarial_loss(1.0, real_logits) + losses.adversarial_loss(0.0, fake_logits)
        e_loss = losses.adversarial_loss(1.0, fake_logits)
        return self._update_trackers(recon, d_loss, e_loss,
                                     losses.discriminator_accuracy(real_logits, fake_logits))

    def _update_trackers(self, recon, d_loss, e_loss, d_acc):
        for name, value in zip(METRIC_NAMES, (recon, d_loss, e_loss, d_acc)):
            self.trackers[name].update_state(value)
        return keras_hooks.results_for_workers(
            {name: tracker.result() for name, tracker in self.trackers.items()})

    # --- inference API --------------------------------------------------------------------
    def call(self, features, training=False):
        """Reconstruction G(mu(x)): `(batch, frames, bins)` -> `(batch, frames, bins)`."""
        _, mu, _ = self.encoder(features, training=training)
        return self._generate(mu, training=training)

    def encode(self, features, sample: bool = False):
        """Codes `(batch, latent_dim)` of features `(batch, frames, bins)`: mu(x), or a
        sample mu + sigma * eps with ``sample=True``."""
        z, mu, _ = self.encoder(ops.convert_to_tensor(features, "float32"), training=sample)
        return z if sample else mu

    def decode(self, z, label_weights=None):
        """Features `(batch, frames, bins)` of codes `(batch, latent_dim)`; a conditional
        generator gets `label_weights` `(batch, K)`, by default `label_weights(z)`."""
        return self._generate(ops.convert_to_tensor(z, "float32"), label_weights,
                              training=False)

    @property
    def can_refine(self) -> bool:
        """Whether `refine` runs here: on Keras's TensorFlow backend only."""
        return BACKEND == "tensorflow"

    def refine(self, features, z=None, steps: int = DEFAULT_REFINE, learning_rate: float = 0.05,
               prior_weight: float = 1e-3):
        """Fit codes to features by gradient steps on the code (the weights stay fixed).

        Minimises ``|features - G(z)|_1 - prior_weight * log p(z) / latent_dim`` with Adam,
        starting from `z` (default: the encoder's mu). Recovers detail the amortised
        encoder misses on bars unlike its training data, while the prior term keeps codes
        where the generator and the latent paths are meaningful.

        Args:
            features: `(batch, frames, bins)` features in [0, 1].
            z: `(batch, latent_dim)` starting codes, or None.
            steps: gradient steps (0 returns the start codes).
            learning_rate: Adam step size in code units.
            prior_weight: weight of the negative log prior density per dimension.

        Returns:
            `(batch, latent_dim)` float32 NumPy codes.

        Raises:
            NotImplementedError: on a backend other than TensorFlow (its step is a traced
                `tf.function` with a GradientTape).
        """
        if not self.can_refine:
            raise NotImplementedError(f"refine runs on Keras's tensorflow backend, not "
                                      f"{BACKEND!r}")
        x = ops.convert_to_tensor(features, "float32")
        if z is None:
            z = self.encode(x)
        if int(steps) <= 0:
            return np.asarray(z, np.float32)
        return refine_codes(self, x, z, int(steps), learning_rate, prior_weight)

    def fit(self, *args, callbacks=None, **kwargs):
        """`keras.Model.fit`, plus a callback that gives the discriminator and the encoder's
        adversarial optimizer a fresh state when the warm-up ends: stepped with zero
        gradients during it, Adam's moment estimates would stay empty while its bias
        correction advanced, and the first real steps would be ~10x the learning rate."""
        callbacks = list(callbacks or [])
        if self.adv_warmup_steps > 0 and not any(
                isinstance(c, AdversarialWarmupEnd) for c in callbacks):
            callbacks.append(AdversarialWarmupEnd())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras's private hook, overridden (no public one exists in Keras 3.15): the
        symbolic build reads this worker's part of the first batch instead of averaging it
        over workers, which fails on our batches (`keras_hooks`, hook 1)."""
        strategy = keras_hooks.model_strategy(self)
        if iterator is not None and data_batch is None and strategy is not None:
            data_batch = keras_hooks.local_first_batch(strategy, iterator)
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def reset_adversarial_optimizers(self):
        """Zero the discriminator's and the encoder's adversarial optimizer state (step
        counter and moments), as if they were new. The learning rate (a variable of a Keras 3
        optimizer too) and a loss-scale optimizer's scale are kept."""
        for opt in (self.d_optimizer, self.e_optimizer):
            inner = getattr(opt, "inner_optimizer", opt)
            keep = {id(inner.learning_rate)}
            for var in inner.variables:
                if id(var) not in keep:
                    var.assign(ops.zeros(var.shape, var.dtype))

    @staticmethod
    def interpolate(z_a, z_b, alphas: Sequence[float]):
        """Codes on the line z(a) = (1 - a) z_a + a z_b.

        Args:
            z_a, z_b: `(latent_dim,)` or `(batch, latent_dim)` codes.
            alphas: `(steps,)` mixing weights (0 = z_a, 1 = z_b).

        Returns:
            `(steps, latent_dim)` or `(batch, steps, latent_dim)`.
        """
        return latent_path(ops.convert_to_tensor(z_a, "float32"),
                           ops.convert_to_tensor(z_b, "float32"),
                           ops.convert_to_tensor(np.asarray(alphas, "float32").reshape(-1)))

    def sample_codes(self, n: int, component: int | None = None, seed: int | None = None):
        """`(n, latent_dim)` codes from the prior (one component, or the whole mixture)."""
        return self.prior.sample(n, component=component, seed=seed)

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
            "trained_steps": self.trained_steps,
        }

    @classmethod
    def from_config(cls, config):
        version = int(config.get("format_version", 0))
        if version != FORMAT_VERSION:
            raise ModelFormatError(
                f"model format version {version} is not supported by this drumaae "
                f"(it reads version {FORMAT_VERSION}); upgrade drumaae or re-export the model")
        de = keras.saving.deserialize_keras_object
        config = dict(config)
        parts = {k: de(config.pop(k)) for k in ("encoder", "generator", "discriminator", "prior")}
        config.setdefault("trained_steps", None)  # saved before the count was kept
        return cls(**parts, **config)

