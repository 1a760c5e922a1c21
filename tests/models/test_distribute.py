"""Training under MirroredStrategy over two logical CPU devices (in a fresh process: logical
devices must be configured before TensorFlow initialises)."""

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from drumaae.config import load_recipe
    from drumaae.models import build_model, compile_model
    recipe = load_recipe("tiny")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model = compile_model(build_model(recipe), recipe)
    a = recipe.audio
    x = np.random.default_rng(0).random((32, a.bar_frames, a.n_bins)).astype("float32")
    y = np.random.default_rng(1).integers(0, recipe.model.num_components, 32).astype("int32")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    hist = model.fit(ds, epochs=2, verbose=0)
    z = model.encode(x[:3])
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "history": {k: [float(v) for v in vs] for k, vs in hist.history.items()},
                      "z_shape": list(z.shape), "iterations": model.train_iterations}))
""")


def test_mirrored_strategy_two_cpus(tiny_recipe):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["z_shape"] == [3, tiny_recipe.model.latent_dim]
    assert result["iterations"] == 8
    for name in ("recon/loss", "adv/d_loss", "adv/e_loss", "adv/d_acc"):
        values = result["history"][name]
        assert len(values) == 2 and all(v == v and abs(v) < 1e6 for v in values), (name, values)
