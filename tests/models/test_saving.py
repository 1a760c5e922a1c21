"""Whole-model .keras save/load: identical outputs, trains on, clear errors."""

import json
import os
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from drumaae.errors import CorruptModelError, ModelFormatError, UnknownModelError
from drumaae.models import FORMAT_VERSION, build_model, compile_model, load_model, save_model


@pytest.fixture(scope="module")
def trained(tiny_recipe, tmp_path_factory):
    model = compile_model(build_model(tiny_recipe), tiny_recipe)
    a = tiny_recipe.audio
    x = np.random.default_rng(0).random((16, a.bar_frames, a.n_bins)).astype("float32")
    model.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)
    path = str(tmp_path_factory.mktemp("models") / "m.keras")
    save_model(model, path)
    return model, path, x


def test_load_gives_identical_outputs(trained):
    model, path, x = trained
    loaded = load_model(path)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded.encode(x)),
                                  keras.ops.convert_to_numpy(model.encode(x)))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)),
                                  keras.ops.convert_to_numpy(model(x)))
    assert loaded.audio_config == model.audio_config
    assert loaded.recipe == model.recipe
    np.testing.assert_array_equal(loaded.prior.means_np, model.prior.means_np)


def test_loaded_model_trains_on_with_its_optimizer_state(trained):
    model, path, x = trained
    loaded = load_model(path)
    assert loaded.train_iterations == model.train_iterations == 2
    for a, b in zip(loaded.ae_optimizer.variables, model.ae_optimizer.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    hist = loaded.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)
    assert np.isfinite(hist.history["recon/loss"][-1])
    assert loaded.train_iterations == 4


def test_missing_model(tmp_path):
    with pytest.raises(UnknownModelError, match="no model at"):
        load_model(tmp_path / "nope.keras")


def test_corrupt_model(tmp_path, trained):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(CorruptModelError, match="not a readable drumaae model"):
        load_model(bad)
    # A truncated archive.
    _, path, _ = trained
    data = open(path, "rb").read()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptModelError):
        load_model(cut)


def test_unknown_format_version(tmp_path, trained):
    _, path, _ = trained
    out = tmp_path / "future.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                config["config"]["format_version"] = FORMAT_VERSION + 1
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelFormatError, match="format version"):
        load_model(out)


def test_save_is_atomic_and_needs_keras_suffix(tmp_path, trained):
    model, _, _ = trained
    with pytest.raises(ValueError, match=".keras"):
        save_model(model, tmp_path / "m.h5")
    old = os.umask(0o022)
    try:
        save_model(model, tmp_path / "ok.keras")
    finally:
        os.umask(old)
    assert sorted(os.listdir(tmp_path)) == ["ok.keras"]
    assert os.stat(tmp_path / "ok.keras").st_mode & 0o777 == 0o644  # the umask's, not 0600


def test_step_count_survives_a_save_without_optimizer_state(trained, tiny_recipe, tmp_path):
    # `drumaae info` printed "trained steps: 0" for every model loaded without its optimizer.
    model, path, _ = trained
    plain = load_model(path, compile=False)
    assert plain.train_iterations == 0 and plain.trained_steps == model.trained_steps == 2
    again = str(tmp_path / "again.keras")
    save_model(plain, again)
    assert load_model(again, compile=False).trained_steps == 2
    assert build_model(tiny_recipe).trained_steps == 0
    config = plain.get_config()
    del config["trained_steps"]  # a model saved before the count was kept
    assert type(plain).from_config(config).trained_steps is None
