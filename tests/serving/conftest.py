"""Fixtures of the serving tests: one tiny model, exported once per session, and bars."""

from __future__ import annotations

import types

import numpy as np
import pytest

GL_ITERS = 4
"""Griffin-Lim iterations of the test export (few: the tests check plumbing, not quality)."""


@pytest.fixture(scope="session")
def exported(tmp_path_factory, tiny_recipe):
    """A tiny DrumAAE saved as `.keras` and exported as versions 1 and 2 of ``drums``."""
    from drumaae.models import build_model, model_audio, save_model
    from drumaae.serving.export import export_model

    root = tmp_path_factory.mktemp("serving")
    model = build_model(tiny_recipe, seed=7)
    keras_path = save_model(model, root / "tiny.keras")
    base = root / "models"
    v1 = export_model(model, base, name="drums", gl_iters=GL_ITERS)
    v2 = export_model(model, base, name="drums", gl_iters=GL_ITERS)
    return types.SimpleNamespace(model=model, audio=model_audio(model), keras_path=keras_path,
                                 base=str(base), model_dir=str(base / "drums"), v1=v1, v2=v2,
                                 gl_iters=GL_ITERS)


@pytest.fixture(scope="session")
def bars(exported, make_loop):
    """Two bars `(2, samples)` at 120 BPM (source rock, target funk) at the model's rate."""
    audio = exported.audio
    n = audio.bar_samples(120.0)
    return np.stack([make_loop(audio.sample_rate, 120.0, pattern=p, seed=i)[:n]
                     for i, p in enumerate(("rock", "funk"))]).astype("float32")


@pytest.fixture(scope="session")
def store(exported):
    from tests.serving.fake_serving import ModelStore

    return ModelStore({"drums": exported.model_dir})


@pytest.fixture()
def server(store):
    from tests.serving.fake_serving import serve

    with serve(store=store, max_seconds=120) as srv:
        yield srv
