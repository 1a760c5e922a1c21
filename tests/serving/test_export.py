"""export_model: layout, versions, signatures, dtypes, no tensorflow-io ops, fidelity.

Fidelity is checked in a fresh Python process that loads the SavedModel with
`tf.saved_model.load` and never imports drumaae (nor tensorflow-io), as TF Serving would see
it. Tolerances (float32, CPU): codes within 1e-4 absolute; audio within 1e-4 of the peak
(Griffin-Lim with the same seed; the graph and eager runs sum in different orders).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from drumaae.audio.features import bar_features, render_bars
from drumaae.errors import DrumaaeError, OutputExistsError
from drumaae.models import build_model
from drumaae.serving.export import (SIGNATURES, export_model, next_version,
                                    read_export_settings)

CODE_ATOL = 1e-4
AUDIO_RTOL_OF_PEAK = 1e-4

FRESH = textwrap.dedent(r"""
    import json, sys
    import numpy as np
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2
    from tensorflow.python.framework import op_def_registry

    path, inputs, outputs = sys.argv[1:4]
    sm = tf.saved_model.load(path)
    x = np.load(inputs)
    sig = sm.signatures
    out = {}
    out["codes"] = sig["encode"](bars=tf.constant(x["bars"]))["codes"].numpy()
    out["audio"] = sig["decode"](codes=tf.constant(x["codes"]),
                                 bar_length=tf.constant(int(x["bar_length"])))["audio"].numpy()
    r = sig["serving_default"](source=tf.constant(x["bars"][0]),
                               target=tf.constant(x["bars"][1]),
                               alphas=tf.constant(x["alphas"]))
    for k, v in r.items():
        out["interp_" + k] = v.numpy()
    cfg = sig["config"](bpm=tf.constant(120.0))
    out["bar_length_120"] = cfg["bar_length"].numpy()

    proto = saved_model_pb2.SavedModel()
    with open(path + "/saved_model.pb", "rb") as f:
        proto.ParseFromString(f.read())
    ops = set()
    for mg in proto.meta_graphs:
        ops |= {n.op for n in mg.graph_def.node}
        for fn in mg.graph_def.library.function:
            ops |= {n.op for n in fn.node_def}
    unknown = sorted(op for op in ops if op_def_registry.get(op) is None
                     and op not in {f.signature.name for mg in proto.meta_graphs
                                    for f in mg.graph_def.library.function})
    np.savez(outputs, **out)
    print(json.dumps({
        "drumaae_imported": any(m == "drumaae" or m.startswith("drumaae.")
                                for m in sys.modules),
        "tfio_imported": any(m.startswith("tensorflow_io") for m in sys.modules),
        "io_ops": sorted(op for op in ops if op.startswith("IO>")),
        "unknown_ops": unknown,
        "n_ops": len(ops),
    }))
""")


def _fresh_env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def test_layout_versions_and_sidecar(exported):
    assert sorted(os.listdir(exported.model_dir)) == ["1", "2"]  # no temp folder left
    for v in ("1", "2"):
        folder = os.path.join(exported.model_dir, v)
        assert os.path.isfile(os.path.join(folder, "saved_model.pb"))
        assert os.path.isdir(os.path.join(folder, "variables"))
    settings = read_export_settings(exported.v2)
    assert settings["version"] == 2 and settings["name"] == "drums"
    assert settings["audio"]["sample_rate"] == exported.audio.sample_rate
    assert settings["audio"]["bar_frames"] == exported.audio.bar_frames
    assert settings["audio"]["n_fft"] == exported.audio.n_fft
    assert settings["gl_iters"] == exported.gl_iters
    assert settings["latent_dim"] == exported.model.encoder.latent_dim


def test_existing_version_refused_unless_force(exported, tmp_path):
    with pytest.raises(OutputExistsError, match="--force"):
        export_model(exported.model, exported.base, name="drums", version=1)
    os.makedirs(tmp_path / "m" / "3")  # e.g. a half-copied folder someone left
    path = export_model(exported.model, tmp_path, name="m", version=3, gl_iters=2, force=True)
    assert path == str(tmp_path / "m" / "3") and read_export_settings(path)["gl_iters"] == 2
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert sorted(os.listdir(tmp_path / "m")) == ["3"]  # nothing else left beside it
    assert next_version(tmp_path / "m") == 4 and next_version(tmp_path / "none") == 1
    with pytest.raises(DrumaaeError, match="model name"):
        export_model(exported.model, tmp_path, name="../evil")
    with pytest.raises(DrumaaeError, match="version"):
        export_model(exported.model, tmp_path, name="m", version=0)


def test_signatures_are_float32_named_and_interpolate_is_default(exported):
    sm = tf.saved_model.load(exported.v1)
    assert set(sm.signatures) == set(SIGNATURES) | {"serving_default"}
    for name, io in SIGNATURES.items():
        fn = sm.signatures[name]
        _, specs = fn.structured_input_signature
        assert tuple(sorted(specs)) == tuple(sorted(io["inputs"]))
        assert tuple(sorted(fn.structured_outputs)) == tuple(sorted(io["outputs"]))
    default = sm.signatures["serving_default"]
    assert sorted(default.structured_input_signature[1]) == ["alphas", "source", "target"]
    enc_in = sm.signatures["encode"].structured_input_signature[1]["bars"]
    assert enc_in.dtype == tf.float32 and enc_in.shape.as_list() == [None, None]
    dec = sm.signatures["decode"].structured_input_signature[1]
    assert dec["codes"].shape.as_list() == [None, exported.model.encoder.latent_dim]
    assert dec["bar_length"].dtype == tf.int32 and dec["bar_length"].shape.rank == 0
    # No discriminator variable went into the export.
    names = [v.name for v in sm.variables] if hasattr(sm, "variables") else []
    assert names and not any("discriminator" in n for n in names)


def test_bad_bar_length_is_invalid_argument(exported, bars):
    sm = tf.saved_model.load(exported.v1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiple of bar_frames"):
        sm.signatures["encode"](bars=tf.constant(bars[:, :-1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="bar_length"):
        sm.signatures["decode"](codes=tf.zeros([1, exported.model.encoder.latent_dim]),
                                bar_length=tf.constant(100))


def test_fidelity_in_a_fresh_process_without_drumaae(exported, bars, tmp_path):
    model, audio = exported.model, exported.audio
    alphas = np.array([0.0, 0.25, 1.0], "float32")
    length = bars.shape[1]
    # The Keras path: the training features -> encoder mean; generator -> render_bars.
    codes = model.encode(bar_features(bars, audio)).numpy()
    audio_ref = render_bars(model.decode(codes), audio, length, iters=exported.gl_iters,
                            seed=0).numpy()
    z = model.interpolate(codes[0], codes[1], alphas).numpy()
    interp_ref = render_bars(model.decode(z), audio, length, iters=exported.gl_iters,
                             seed=0).numpy()

    inputs, outputs = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(inputs, bars=bars, codes=codes, bar_length=length, alphas=alphas)
    proc = subprocess.run([sys.executable, "-c", FRESH, exported.v1, str(inputs), str(outputs)],
                          capture_output=True, text=True, cwd=tmp_path, env=_fresh_env(),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {**report, "drumaae_imported": False, "tfio_imported": False,
                      "io_ops": [], "unknown_ops": []}
    got = np.load(outputs)

    np.testing.assert_allclose(got["codes"], codes, atol=CODE_ATOL, rtol=0)
    peak = float(np.abs(audio_ref).max())
    np.testing.assert_allclose(got["audio"], audio_ref, atol=AUDIO_RTOL_OF_PEAK * peak, rtol=0)
    np.testing.assert_allclose(got["interp_codes"], z, atol=CODE_ATOL, rtol=0)
    np.testing.assert_allclose(got["interp_alphas"], alphas)
    assert got["interp_audio"].shape == (3, length)
    peak = float(np.abs(interp_ref).max())
    np.testing.assert_allclose(got["interp_audio"], interp_ref,
                               atol=AUDIO_RTOL_OF_PEAK * peak, rtol=0)
    assert int(got["bar_length_120"]) == audio.bar_samples(120.0)


def test_mixed_float16_model_exports_float32_signatures(tiny_recipe, tmp_path, bars):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build_model(tiny_recipe)
        assert model.encoder.convs[0].compute_dtype == "float16"
        path = export_model(model, tmp_path, name="mp", gl_iters=1)
    finally:
        keras.config.set_dtype_policy("float32")
    sm = tf.saved_model.load(path)
    for name in SIGNATURES:
        fn = sm.signatures[name]
        for spec in fn.structured_input_signature[1].values():
            assert spec.dtype in (tf.float32, tf.int32), (name, spec)
        for key, spec in fn.structured_outputs.items():
            assert spec.dtype in (tf.float32, tf.int32, tf.string), (name, key, spec)
    codes = sm.signatures["encode"](bars=tf.constant(bars))["codes"]
    assert codes.dtype == tf.float32 and np.all(np.isfinite(codes.numpy()))
