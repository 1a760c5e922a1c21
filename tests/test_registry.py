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


# --- registration and listing: the one register() of training and `drumaae models` ---------
def test_register_versions_aliases_and_list(store_with_run):
    uri, run_id = store_with_run
    source = f"runs:/{run_id}/model"
    assert registry.register(source, "drums", alias="champion", tracking_uri=uri) == "1"
    assert registry.register(source, "drums", tracking_uri=uri) == "2"   # name exists: v2
    assert registry.register(source, "other", alias="x", tracking_uri=uri) == "1"
    rows = registry.list_models(uri)
    assert [(r["name"], r["version"], r["aliases"]) for r in rows] == [
        ("drums", "1", ["champion"]), ("drums", "2", []), ("other", "1", ["x"])]
    assert rows[0]["run_id"] == run_id and rows[0]["uri"] == "models:/drums/1"
    assert registry.registered_uri("drums", "1", "champion") == \
        "models:/drums/1 (alias models:/drums@champion)"


def test_register_refuses_an_unknown_run_and_names_the_store(store_with_run):
    uri, _ = store_with_run
    with pytest.raises(UnknownModelError) as info:
        registry.register("runs:/0123456789abcdef/model", "drums", tracking_uri=uri)
    assert "runs:/0123456789abcdef/model" in str(info.value) and uri in str(info.value)
    assert registry.list_models(uri) == []


def test_register_waits_until_the_version_is_ready(monkeypatch):
    # A tracking server may answer PENDING_REGISTRATION first: the alias is set only after
    # the store says READY.
    from types import SimpleNamespace

    calls = []

    class Client:
        statuses = iter(["PENDING_REGISTRATION", "PENDING_REGISTRATION", "READY"])

        def create_registered_model(self, name):
            calls.append("create")

        def get_run(self, run_id):
            calls.append(f"run {run_id}")

        def create_model_version(self, name, source, run_id):
            return SimpleNamespace(version=7)

        def get_model_version(self, name, version):
            calls.append("status")
            return SimpleNamespace(status=next(self.statuses))

        def set_registered_model_alias(self, name, alias, version):
            calls.append(f"alias {alias}={version}")

    monkeypatch.setattr(registry, "_READY_POLL_S", 0.0)
    version = registry.register("runs:/abc/model", "drums", alias="prod", client=Client(),
                                tracking_uri="http://host:5000")
    assert version == "7"
    assert calls == ["create", "run abc", "status", "status", "status", "alias prod=7"]


def test_register_refuses_a_source_that_is_no_logged_model():
    with pytest.raises(UnknownModelError, match="runs:/RUN_ID/model"):
        registry.register("/tmp/m.keras", "drums", client=object())
