"""drumaae.latent.latent_path: one z(alpha) for NumPy, Keras and the exported TF graph; the
serving interface is importable without TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from drumaae.latent import latent_path

ALPHAS = np.array([0.0, 0.25, 0.5, 0.75, 1.0], np.float32)


def test_numpy_path_ends_at_the_codes_and_is_linear():
    rng = np.random.default_rng(0)
    za, zb = rng.normal(size=(2, 3)).astype(np.float32)
    path = latent_path(za, zb, ALPHAS)
    assert path.shape == (5, 3) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], za)
    np.testing.assert_allclose(path[-1], zb, rtol=1e-6)
    np.testing.assert_allclose(path[2], (za + zb) / 2, rtol=1e-6)
    batched = latent_path(np.stack([za, zb]), np.stack([zb, za]), ALPHAS)
    assert batched.shape == (2, 5, 3)
    np.testing.assert_allclose(batched[1], latent_path(zb, za, ALPHAS), rtol=1e-6)


def test_keras_and_tf_graph_give_the_numpy_path():
    import keras
    import tensorflow as tf

    from drumaae.models.aae import DrumAAE

    rng = np.random.default_rng(1)
    za, zb = rng.normal(size=(2, 4)).astype(np.float32)
    expected = latent_path(za, zb, ALPHAS)
    via_model = keras.ops.convert_to_numpy(DrumAAE.interpolate(za, zb, ALPHAS))
    np.testing.assert_allclose(via_model, expected, rtol=1e-6)
    graph = tf.function(latent_path, input_signature=[tf.TensorSpec([4], tf.float32)] * 2
                        + [tf.TensorSpec([None], tf.float32)])
    np.testing.assert_allclose(graph(za, zb, ALPHAS).numpy(), expected, rtol=1e-6)


def test_serving_interface_is_defined_once_without_tensorflow():
    code = ("import sys; from drumaae.serving import signatures, client; "
            "assert 'tensorflow' not in sys.modules; "
            "print(signatures.output_names('interpolate'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "('audio', 'codes', 'alphas')"
