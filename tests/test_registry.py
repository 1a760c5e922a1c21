"""Model references: bundled default, local paths, errors (MLflow URIs: tests/training)."""

from __future__ import annotations

import pytest

from drumaae import registry
from drumaae.errors import CorruptModelError, UnknownModelError
from drumaae.models import build_model, save_model


@pytest.fixture(scope="module")
def tiny_model_file(tmp_path_factory, tiny_recipe):
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    save_model(build_model(tiny_recipe), path)
    return str(path)


def test_is_mlflow_uri():
    assert registry.is_mlflow_uri("models:/drums/1")
    assert registry.is_mlflow_uri("models:/drums@champion")
    assert registry.is_mlflow_uri("runs:/abc/model")
    assert not registry.is_mlflow_uri("model.keras")
    assert not registry.is_mlflow_uri(None)


def test_bundled_missing_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "BUNDLED_MODEL", str(tmp_path / "default.keras"))
    with pytest.raises(UnknownModelError, match="no bundled default model.*--model"):
        registry.resolve_model_path(None)


def test_bundled_present(monkeypatch, tiny_model_file):
    monkeypatch.setattr(registry, "BUNDLED_MODEL", tiny_model_file)
    assert registry.resolve_model_path(None) == tiny_model_file
    model = registry.load_model_ref(None)
    assert model.encoder.latent_dim == 4


def test_local_path_and_cache(tiny_model_file):
    assert registry.resolve_model_path(tiny_model_file) == tiny_model_file
    a = registry.load_model_ref(tiny_model_file)
    assert registry.load_model_ref(tiny_model_file) is a


def test_missing_path_and_unsupported_scheme(tmp_path):
    with pytest.raises(UnknownModelError, match="no model at"):
        registry.resolve_model_path(str(tmp_path / "nope.keras"))
    with pytest.raises(UnknownModelError, match="unsupported model reference"):
        registry.resolve_model_path("s3://bucket/model")
    with pytest.raises(UnknownModelError, match="holds no .keras file"):
        registry.resolve_model_path(str(tmp_path))


def test_corrupt_file_is_clear(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CorruptModelError):
        registry.load_model_ref(str(bad))


def test_unknown_registry_name_names_store(tmp_path, monkeypatch):
    monkeypatch.setenv("DRUMAAE_CACHE", str(tmp_path / "cache"))
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with pytest.raises(UnknownModelError) as info:
        registry.resolve_model_path("models:/nobody/1", tracking_uri=uri)
    assert "models:/nobody/1" in str(info.value) and uri in str(info.value)
