"""DrumAAE: shapes per recipe, the inference API, and that training actually learns."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from drumaae.config import load_recipe
from drumaae.evaluation.latent import mmd
from drumaae.models import (METRIC_NAMES, DrumAAE, Encoder, build_model, compile_model,
                            model_audio, model_recipe)
from tests.conftest import synthetic_features


@pytest.mark.parametrize("name,overrides", [
    ("tiny", {}),
    ("tiny", {"model": {"use_labels": False, "stochastic_encoder": False,
                        "prior_layout": "hypersphere"}}),
    ("default", {}),
])
def test_shapes_for_recipes(name, overrides):
    recipe = load_recipe(name, overrides)
    a, m = recipe.audio, recipe.model
    model = build_model(recipe)
    x = np.random.rand(2, a.bar_frames, a.n_bins).astype("float32")
    z = model.encode(x)
    assert tuple(z.shape) == (2, m.latent_dim)
    assert tuple(model.decode(z).shape) == (2, a.bar_frames, a.n_bins)
    assert tuple(model(x).shape) == (2, a.bar_frames, a.n_bins)
    assert model_audio(model) == a
    assert model_recipe(model) == recipe


def test_api_interpolate_and_sample(tiny_recipe):
    model = build_model(tiny_recipe)
    m = tiny_recipe.model
    za = np.zeros(m.latent_dim, "float32")
    zb = np.ones(m.latent_dim, "float32")
    path = keras.ops.convert_to_numpy(model.interpolate(za, zb, [0, 0.25, 0.5, 0.75, 1]))
    assert path.shape == (5, m.latent_dim)
    np.testing.assert_allclose(path[0], za)
    np.testing.assert_allclose(path[-1], zb)
    np.testing.assert_allclose(path[2], 0.5)
    batch = keras.ops.convert_to_numpy(
        model.interpolate(np.stack([za, zb]), np.stack([zb, za]), [0.0, 1.0]))
    assert batch.shape == (2, 2, m.latent_dim)
    codes = model.sample_codes(64, component=1, seed=0)
    assert (model.prior.assign(codes) == 1).mean() > 0.9
    np.testing.assert_allclose(model.sample_codes(3, seed=5), model.sample_codes(3, seed=5))
    feats = keras.ops.convert_to_numpy(model.decode(model.sample_codes(3, seed=0)))
    assert feats.shape == (3, tiny_recipe.audio.bar_frames, tiny_recipe.audio.n_bins)
    assert feats.min() >= 0.0 and feats.max() <= 1.0


def test_constructor_validates_parts(tiny_recipe):
    model = build_model(tiny_recipe)
    with pytest.raises(TypeError, match="generator must be a Generator"):
        DrumAAE(model.encoder, model.encoder, model.discriminator, model.prior)
    other = Encoder(tiny_recipe.model.latent_dim + 1, filters=(4,))
    with pytest.raises(ValueError, match="latent_dim"):
        DrumAAE(other, model.generator, model.discriminator, model.prior)


def _dataset(recipe, n=256, seed=0):
    feats, labels = synthetic_features(n, recipe.audio.bar_frames, recipe.audio.n_bins,
                                       n_patterns=recipe.model.num_components, seed=seed)
    ds = tf.data.Dataset.from_tensor_slices((feats, labels))
    return feats, labels, ds.shuffle(n, seed=seed).repeat().batch(recipe.training.batch_size)


def _train(recipe, steps=100):
    keras.utils.set_random_seed(0)
    model = compile_model(build_model(recipe), recipe)
    feats, labels, ds = _dataset(recipe)
    before_codes = keras.ops.convert_to_numpy(model.encode(feats))
    before = model.evaluate(ds, steps=8, verbose=0, return_dict=True)
    history = model.fit(ds, steps_per_epoch=steps // 4, epochs=4, verbose=0)
    after = model.evaluate(ds, steps=8, verbose=0, return_dict=True)
    after_codes = keras.ops.convert_to_numpy(model.encode(feats))
    return model, history, before, after, before_codes, after_codes


def test_training_lowers_reconstruction_and_moves_codes_to_prior(tiny_recipe):
    model, history, before, after, before_codes, after_codes = _train(tiny_recipe)
    prior_samples = model.prior.sample(256, seed=0)
    assert model.train_iterations == 100
    assert set(METRIC_NAMES) <= set(history.history)
    assert after["recon/loss"] < 0.6 * before["recon/loss"], (before, after)
    # The discriminator is learning, not stuck at either end.
    acc = history.history["adv/d_acc"]
    assert all(0.05 < a < 0.99 for a in acc), acc

    # Codes end closer to the prior than at start, and than a plain autoencoder's codes
    # after the same steps (adv_weight 0 switches the encoder's adversarial phase off).
    _, _, _, _, _, plain_codes = _train(tiny_recipe.replace(training={"adv_weight": 0.0}))
    mmd_before = mmd(before_codes, prior_samples)
    mmd_after = mmd(after_codes, prior_samples)
    mmd_plain = mmd(plain_codes, prior_samples)
    assert mmd_after < 0.8 * mmd_before, (mmd_before, mmd_after)
    assert mmd_after < 0.8 * mmd_plain, (mmd_plain, mmd_after)
