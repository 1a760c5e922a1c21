"""The v2 model pieces: warm-up that leaves the adversarial optimizers fresh, the
label-conditioned generator, the level / transient / onset loss terms, the frequency
bottleneck with residual blocks, and code refinement at encode time."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from drumaae.config import load_recipe
from drumaae.models import build_model, compile_model, load_model, save_model
from drumaae.models.losses import onset_flux
from tests.conftest import synthetic_features

V2 = {"model": {"conditional_generator": True, "freq_bottleneck": 8, "residual": True},
      "training": {"sc_weight": 0.5, "transient_weight": 1.0, "level_weight": 2.0,
                   "adv_warmup_steps": 6}}


@pytest.fixture(scope="module")
def v2_recipe():
    return load_recipe("tiny", V2)


def _data(recipe, n=64, seed=0):
    a = recipe.audio
    feats, labels = synthetic_features(n, a.bar_frames, a.n_bins,
                                       n_patterns=recipe.model.num_components, seed=seed)
    ds = tf.data.Dataset.from_tensor_slices((feats, labels)).repeat().batch(
        recipe.training.batch_size)
    return feats, labels, ds


def test_warmup_leaves_adversarial_optimizers_fresh(v2_recipe):
    keras.utils.set_random_seed(0)
    model = compile_model(build_model(v2_recipe), v2_recipe)
    _, _, ds = _data(v2_recipe)
    model.fit(ds, steps_per_epoch=6, epochs=1, verbose=0)
    d_before = [np.array(w) for w in model.discriminator.get_weights()]
    # After exactly the warm-up the next step resets them: 6 warm-up steps + 3 real ones.
    model.fit(ds, steps_per_epoch=3, epochs=1, verbose=0)
    assert int(model.ae_optimizer.iterations) == 9
    # The d/e optimizers were reset at step 6 and then took 3 real steps ...
    assert int(model.d_optimizer.iterations) == 3
    assert int(model.e_optimizer.iterations) == 3
    # ... with their learning rates intact (a Keras 3 optimizer variable too), so D learns.
    t = v2_recipe.training
    assert float(model.d_optimizer.learning_rate) == pytest.approx(t.d_learning_rate)
    assert float(model.e_optimizer.learning_rate) == pytest.approx(t.e_learning_rate)
    d_after = model.discriminator.get_weights()
    assert max(float(np.abs(a - b).max()) for a, b in zip(d_before, d_after)) > 0


def test_without_reset_the_counter_would_run_through_warmup(v2_recipe):
    # The contrast the fix is about: keras' plain fit loop (no callback) counts warm-up steps.
    keras.utils.set_random_seed(0)
    model = compile_model(build_model(v2_recipe), v2_recipe)
    _, _, ds = _data(v2_recipe)
    keras.Model.fit(model, ds, steps_per_epoch=9, epochs=1, verbose=0)
    assert int(model.d_optimizer.iterations) == 9


def test_conditional_generator_uses_labels(v2_recipe):
    model = build_model(v2_recipe)
    k = v2_recipe.model.num_components
    z = model.prior.sample(3, seed=1)
    weights = np.asarray(model.label_weights(z))
    assert weights.shape == (3, k)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    # Prior samples of component c get label c.
    zc = model.prior.sample(16, component=2, seed=3)
    assert (np.argmax(np.asarray(model.label_weights(zc)), axis=1) == 2).mean() > 0.9
    a = np.asarray(model.decode(z, np.eye(k, dtype="float32")[[0, 0, 0]]))
    b = np.asarray(model.decode(z, np.eye(k, dtype="float32")[[1, 1, 1]]))
    assert np.abs(a - b).max() > 1e-4   # the label changes the output
    np.testing.assert_allclose(np.asarray(model.decode(z)),
                               np.asarray(model.decode(z, weights)), atol=1e-6)


def test_v2_trains_and_round_trips(v2_recipe, tmp_path):
    keras.utils.set_random_seed(0)
    model = compile_model(build_model(v2_recipe), v2_recipe)
    feats, _, ds = _data(v2_recipe)
    before = model.evaluate(ds, steps=4, verbose=0, return_dict=True)["recon/loss"]
    model.fit(ds, steps_per_epoch=20, epochs=2, verbose=0)
    after = model.evaluate(ds, steps=4, verbose=0, return_dict=True)["recon/loss"]
    assert after < before
    path = save_model(model, tmp_path / "m.keras")
    loaded = load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(feats[:4])), np.asarray(model(feats[:4])),
                               atol=1e-5)
    assert loaded.sc_weight == 0.5 and loaded.transient_weight == 1.0
    assert loaded.level_weight == 2.0 and loaded.onset_weight == 0.0


def test_level_weight_counts_loud_cells_more():
    recipe = load_recipe("tiny")
    model = compile_model(build_model(recipe), recipe)
    model.sc_weight = model.transient_weight = 0.0   # the feature term alone
    x = np.zeros((2, 4, 8), np.float32)
    x[:, 0] = 0.9                                  # one loud frame, the rest at the floor
    loud, quiet = x.copy(), x.copy()
    loud[:, 0, :2] -= 0.2                           # the same error in loud cells ...
    quiet[:, 2, :2] += 0.2                          # ... and in quiet ones
    assert float(model._reconstruction(x, loud)) == pytest.approx(
        float(model._reconstruction(x, quiet)))     # plain L1: alike
    model.level_weight = 2.0
    w_loud = float(model._reconstruction(x, loud))
    w_quiet = float(model._reconstruction(x, quiet))
    assert w_loud == pytest.approx(w_quiet * 2.8, rel=1e-4)   # 1 + 2 * 0.9 against 1
    # Normalised by the mean weight: a uniform error costs what it costs unweighted.
    assert float(model._reconstruction(x, x + 0.05)) == pytest.approx(0.05, rel=1e-4)


def test_onset_term_sees_a_quiet_broadband_hit():
    recipe = load_recipe("tiny")
    model = compile_model(build_model(recipe), recipe)
    model.sc_weight = model.transient_weight = 0.0
    x = np.full((1, 8, 16), 0.1, np.float32)
    x[:, 4:] = 0.3                                  # a quiet hit in every bin at frame 4
    flux = np.asarray(onset_flux(x))
    assert flux.shape == (1, 7)
    np.testing.assert_allclose(flux[0], [0, 0, 0, 0.2, 0, 0, 0], atol=1e-6)
    assert float(np.asarray(onset_flux(x[:, ::-1])).max()) == 0.0   # falls count nothing
    smeared = x.copy()
    smeared[:, 4] = 0.2                             # the rise spread over two frames
    plain = float(model._reconstruction(x, smeared))
    model.onset_weight = 1.0
    # Flux 0.1 + 0.1 instead of 0.2 + 0: L1 0.2 over 7 frames joins the L1 of 0.1 / 8.
    assert float(model._reconstruction(x, smeared)) == pytest.approx(plain + 0.2 / 7, rel=1e-4)


def test_onset_weight_comes_from_the_recipe_and_is_saved(tmp_path):
    recipe = load_recipe("tiny", {"training": {"onset_weight": 1.5}})
    model = compile_model(build_model(recipe), recipe)
    assert model.onset_weight == 1.5
    assert load_model(save_model(model, tmp_path / "m.keras")).onset_weight == 1.5


def test_refine_fits_codes_better_than_the_encoder(v2_recipe):
    keras.utils.set_random_seed(0)
    model = compile_model(build_model(v2_recipe), v2_recipe)
    feats, _, ds = _data(v2_recipe)
    model.fit(ds, steps_per_epoch=20, epochs=1, verbose=0)
    x = feats[:8]
    z0 = np.asarray(model.encode(x))
    z1 = model.refine(x, steps=30, learning_rate=0.05)
    err0 = np.abs(np.asarray(model.decode(z0)) - x).mean()
    err1 = np.abs(np.asarray(model.decode(z1)) - x).mean()
    assert z1.shape == z0.shape and np.isfinite(z1).all()
    assert err1 < err0
    np.testing.assert_array_equal(model.refine(x, z0, steps=0), z0)
