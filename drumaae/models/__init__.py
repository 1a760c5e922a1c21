"""The AAE-GM networks: encoder, generator, latent discriminator, prior, and the model."""

from __future__ import annotations

import dataclasses

import keras

from drumaae.config import AudioConfig, Recipe, audio_from_dict, recipe_from_dict
from drumaae.errors import CorruptModelError, RecipeError
from drumaae.models.aae import FORMAT_VERSION, METRIC_NAMES, DrumAAE
from drumaae.models.discriminator import LatentDiscriminator
from drumaae.models.encoder import Encoder
from drumaae.models.generator import Generator
from drumaae.models.prior import GaussianMixturePrior, mixture_layout
from drumaae.models.saving import load_model, read_model_config, save_model

__all__ = [
    "DrumAAE",
    "Encoder",
    "Generator",
    "LatentDiscriminator",
    "GaussianMixturePrior",
    "mixture_layout",
    "build_model",
    "compile_model",
    "load_model",
    "save_model",
    "read_model_config",
    "model_audio",
    "model_recipe",
    "FORMAT_VERSION",
    "METRIC_NAMES",
]


def build_model(recipe: Recipe, seed: int | None = None) -> DrumAAE:
    """A built (weights created), uncompiled DrumAAE for `recipe`."""
    a, m = recipe.audio, recipe.model
    seed = recipe.training.seed if seed is None else int(seed)
    encoder = Encoder(m.latent_dim, m.encoder_filters, m.kernel_size,
                      stochastic=m.stochastic_encoder, dropout=m.dropout, seed=seed,
                      bottleneck=m.freq_bottleneck, residual=m.residual, name="encoder")
    generator = Generator(a.bar_frames, a.n_bins, m.generator_filters, m.kernel_size,
                          output_kind=m.generator_output,
                          num_labels=m.num_components if m.conditional_generator else 0,
                          bottleneck=m.freq_bottleneck, residual=m.residual,
                          name="generator")
    discriminator = LatentDiscriminator(m.discriminator_units,
                                        m.num_components if m.use_labels else 0,
                                        dropout=m.dropout, seed=seed + 1, name="discriminator")
    prior = GaussianMixturePrior(m.num_components, m.latent_dim, m.prior_layout,
                                 m.prior_radius, m.prior_radial_std, m.prior_tangential_std,
                                 other_std=m.prior_other_std, seed=seed + 2, name="prior")
    model = DrumAAE(encoder, generator, discriminator, prior,
                    audio=dataclasses.asdict(a), recipe=recipe.to_dict(), name="drum_aae")
    model.build((None, a.bar_frames, a.n_bins))
    return model


def compile_model(model: DrumAAE, recipe: Recipe | None = None, **kwargs) -> DrumAAE:
    """Compile with the recipe's optimizers and loss weights (Adam, shared beta_1)."""
    t = (recipe or model_recipe(model)).training
    model.compile(
        ae_optimizer=keras.optimizers.Adam(t.ae_learning_rate, beta_1=t.beta_1),
        d_optimizer=keras.optimizers.Adam(t.d_learning_rate, beta_1=t.beta_1),
        e_optimizer=keras.optimizers.Adam(t.e_learning_rate, beta_1=t.beta_1),
        recon_loss=t.recon_loss, recon_weight=t.recon_weight, adv_weight=t.adv_weight,
        adv_warmup_steps=t.adv_warmup_steps, sc_weight=t.sc_weight,
        transient_weight=t.transient_weight, level_weight=t.level_weight,
        onset_weight=t.onset_weight, label_mix=t.label_mix,
        **kwargs,
    )
    return model


def model_audio(model: DrumAAE) -> AudioConfig:
    """The AudioConfig a model's features were made with, checked like a recipe's (a model
    file whose audio settings were edited by hand is refused before any work).

    Raises:
        CorruptModelError: an unknown key, a wrong type or a value beyond `drumaae.limits`.
    """
    try:
        return audio_from_dict(model.audio_config)
    except RecipeError as exc:
        raise CorruptModelError(f"the model's audio settings are invalid ({exc}): use a model "
                                "file saved by drumaae, unedited") from None


def model_recipe(model: DrumAAE) -> Recipe:
    """The resolved recipe saved with a model."""
    return recipe_from_dict(model.recipe)
