"""Mixed precision on the CPU: loss scaling, float32 variables and outputs, finite losses."""

import keras
import numpy as np
import tensorflow as tf

from drumaae.models import build_model


def test_mixed_float16_training(tiny_recipe):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build_model(tiny_recipe)
        # Short growth interval so a working dynamic loss scale visibly moves in a few steps.
        def lso(lr):
            return keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(lr),
                                                       dynamic_growth_steps=4)
        model.compile(ae_optimizer=lso(1e-3), d_optimizer=lso(1e-3), e_optimizer=lso(1e-4))
        default = build_model(tiny_recipe)
        default.compile()
        assert all(isinstance(o, keras.optimizers.LossScaleOptimizer)
                   for o in (default.ae_optimizer, default.d_optimizer, default.e_optimizer))

        a = tiny_recipe.audio
        x = np.random.default_rng(0).random((32, a.bar_frames, a.n_bins)).astype("float32")
        start_scale = float(model.ae_optimizer.dynamic_scale.numpy())
        hist = model.fit(tf.data.Dataset.from_tensor_slices(x).batch(8).repeat(3), epochs=1,
                         verbose=0)
        for values in hist.history.values():
            assert np.all(np.isfinite(values))
        assert float(model.ae_optimizer.dynamic_scale.numpy()) != start_scale
        assert all(v.dtype == "float32" for v in model.weights)
        assert model.encoder.convs[0].compute_dtype == "float16"
        assert model(x[:2]).dtype == "float32"
        assert model.encode(x[:2]).dtype == "float32"
    finally:
        keras.config.set_dtype_policy("float32")
