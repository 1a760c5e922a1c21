"""Each part: shapes (symbolic and eager), dtypes, serialization round trip, precision."""

import json

import keras
import numpy as np
import pytest

from drumaae.models import Encoder, GaussianMixturePrior, Generator, LatentDiscriminator

PARTS = {
    "encoder": (lambda: Encoder(6, filters=(8, 12), kernel_size=3, seed=1),
                lambda: [np.random.rand(3, 16, 32).astype("float32")]),
    "generator": (lambda: Generator(frames=16, bins=32, filters=(12, 8), kernel_size=3),
                  lambda: [np.random.randn(3, 6).astype("float32")]),
    "discriminator": (lambda: LatentDiscriminator((10, 10), num_labels=4, seed=2),
                      lambda: [np.random.randn(3, 6).astype("float32"),
                               np.array([0, 3, 4], "int32")]),
}


def _flat_out(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("name", sorted(PARTS))
def test_eager_and_symbolic_shapes(name):
    make, inputs = PARTS[name]
    part = make()
    args = inputs()
    eager = _flat_out(part(*args))
    symbolic = part.compute_output_shape(args[0].shape)
    symbolic = list(symbolic) if isinstance(symbolic[0], tuple) else [symbolic]
    for tensor, shape in zip(eager, symbolic):
        assert tuple(tensor.shape) == tuple(shape)
        assert tensor.dtype == "float32"
    expected = {"encoder": (3, 6), "generator": (3, 16, 32), "discriminator": (3, 1)}[name]
    assert tuple(eager[0].shape) == expected


@pytest.mark.parametrize("name", sorted(PARTS))
def test_serialization_round_trip(name):
    make, inputs = PARTS[name]
    part = make()
    part(*inputs())
    config = part.get_config()
    clone = part.__class__.from_config(config)
    assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(part))
    assert type(revived) is type(part)


@pytest.mark.parametrize("name", sorted(PARTS))
def test_mixed_precision_outputs_float32(name):
    make, inputs = PARTS[name]
    keras.config.set_dtype_policy("mixed_float16")
    try:
        part = make()
        outs = _flat_out(part(*inputs()))
        assert all(o.dtype == "float32" for o in outs)
        assert all(v.dtype == "float32" for v in part.weights)
        assert all(np.isfinite(keras.ops.convert_to_numpy(o)).all() for o in outs)
    finally:
        keras.config.set_dtype_policy("float32")


def test_encoder_is_stochastic_only_in_training():
    enc = Encoder(4, filters=(8,), kernel_size=3, dropout=0.0, seed=3)
    x = np.random.rand(2, 8, 16).astype("float32")
    z1, mu, log_sigma = enc(x, training=True)
    z2, mu2, _ = enc(x, training=False)
    assert not np.allclose(z1, mu)
    np.testing.assert_allclose(z2, mu2)
    np.testing.assert_allclose(mu, mu2, rtol=1e-5, atol=1e-6)
    det = Encoder(4, filters=(8,), kernel_size=3, stochastic=False)
    z, mu, _ = det(x, training=True)
    np.testing.assert_allclose(z, mu)


def test_generator_rejects_frames_not_divisible():
    with pytest.raises(ValueError, match="divisible"):
        Generator(frames=12, bins=8, filters=(4, 4, 4))


def test_discriminator_label_changes_output():
    disc = LatentDiscriminator((16,), num_labels=3, dropout=0.0, seed=0)
    z = np.random.randn(4, 5).astype("float32")
    a = keras.ops.convert_to_numpy(disc(z, np.zeros(4, "int32")))
    b = keras.ops.convert_to_numpy(disc(z, np.full(4, 2, "int32")))
    assert not np.allclose(a, b)


@pytest.mark.parametrize("layout", ["radial", "hypersphere"])
def test_prior_layout_sampling_and_assignment(layout):
    prior = GaussianMixturePrior(8, 6, layout=layout, radius=4.0, radial_std=0.5,
                                 tangential_std=0.1, seed=0)
    # Means at the radius, pairwise well apart.
    np.testing.assert_allclose(np.linalg.norm(prior.means_np, axis=1), 4.0, rtol=1e-5)
    z = prior.sample(4000, seed=1)
    assert z.shape == (4000, 6)
    for k in (0, 5):
        zk = prior.sample(2000, component=k, seed=k)
        np.testing.assert_allclose(zk.mean(0), prior.means_np[k], atol=0.05)
        # Elongated along the arm: variance along the mean direction is radial_std**2.
        u = prior.means_np[k] / np.linalg.norm(prior.means_np[k])
        assert abs(np.var(zk @ u) - 0.25) < 0.03
        assert (prior.assign(zk) == k).mean() > 0.98
    # Labels pick components; label K means "any component".
    labels = np.array([2, 2, 8, 8] * 500, "int32")
    s = keras.ops.convert_to_numpy(prior.sample_for_labels(labels))
    assert (prior.assign(s[labels == 2]) == 2).mean() > 0.98
    assert len(set(prior.assign(s[labels == 8]).tolist())) >= 6
    # log_prob is a density: higher at a mean than far away.
    lp = keras.ops.convert_to_numpy(prior.log_prob(np.stack([prior.means_np[0], 
                                                             np.full(6, 20.0, "float32")])))
    assert lp[0] > lp[1] + 100


def test_radial_prior_other_dimensions_spread():
    prior = GaussianMixturePrior(6, 5, layout="radial", radius=4.0, radial_std=0.5,
                                 tangential_std=0.1, other_std=1.0)
    z = prior.sample(4000, component=2, seed=0)
    np.testing.assert_allclose(z[:, 2:].std(0), 1.0, atol=0.06)
    assert prior.get_config()["other_std"] == 1.0
    # In the plane, still a narrow arm: spread across it is tangential_std.
    u = prior.means_np[2][:2] / 4.0
    across = z[:, :2] @ np.array([-u[1], u[0]])
    assert abs(across.std() - 0.1) < 0.01


def test_prior_rejects_bad_component():
    prior = GaussianMixturePrior(4, 2)
    with pytest.raises(ValueError, match="component"):
        prior.sample(3, component=4)
