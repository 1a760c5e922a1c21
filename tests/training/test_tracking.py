"""A tracked run: params, per-epoch metrics with our step, artifacts, the logged model,
registration and loading back by every kind of model URI."""

from __future__ import annotations

import json
import os

import pytest
from mlflow.tracking import MlflowClient

from drumaae import registry
from drumaae.errors import UnknownModelError
from drumaae.training import train
from drumaae.training.tracking import Tracker


@pytest.fixture(scope="module")
def tracked(tmp_path_factory, loops_dir, tiny_recipe):
    folder = tmp_path_factory.mktemp("tracked")
    uri = f"sqlite:///{folder}/mlflow.db"
    messages = []
    tracker = Tracker(uri, "tests", register_as="drums", alias="champion",
                      log=messages.append)
    result = train(tiny_recipe, [loops_dir], folder / "run", epochs=2, tracker=tracker,
                   progress=False, log=messages.append)
    return uri, result, messages


def _artifacts(client, run_id, path=""):
    out = []
    for f in client.list_artifacts(run_id, path):
        out.append(f.path)
        if f.is_dir:
            out.extend(_artifacts(client, run_id, f.path))
    return out


def test_run_has_params_metrics_tags_and_artifacts(tracked, tiny_recipe):
    uri, result, messages = tracked
    assert result.run_id and result.not_logged == []
    assert any("sqlite" in m and "mlflow.db" in m for m in messages)  # says where
    client = MlflowClient(uri)
    run = client.get_run(result.run_id)
    params = run.data.params
    assert params["model.latent_dim"] == "4"
    assert params["training.epochs"] == "2"
    assert params["training.precision"] == "float32"
    assert run.data.tags["drumaae.data_hash"] == result.index_hash
    assert run.data.tags["drumaae.version"]
    assert "drumaae.git_commit" in run.data.tags
    history = client.get_metric_history(result.run_id, "recon/loss")
    steps_per_epoch = -(-result.train_bars // tiny_recipe.training.batch_size)
    assert [m.step for m in history] == [steps_per_epoch, 2 * steps_per_epoch]
    assert [m.value for m in history] == pytest.approx(result.history["recon/loss"])
    assert len(client.get_metric_history(result.run_id, "val_recon/loss")) == 2
    files = _artifacts(client, result.run_id)
    assert "recipe.yaml" in files and "history.json" in files
    for epoch in (1, 2):  # log_every_epochs: 1 in the tiny recipe
        assert f"examples/epoch_000{epoch}/spectrograms.png" in files
        assert f"examples/epoch_000{epoch}/bar0_recon.wav" in files
        assert f"examples/epoch_000{epoch}/bar0_source_gl.wav" in files
    assert run.info.status == "FINISHED"


def test_logged_model_has_signature_and_example(tracked):
    import mlflow.models

    uri, result, _ = tracked
    import mlflow

    mlflow.set_tracking_uri(uri)
    info = mlflow.models.get_model_info(f"runs:/{result.run_id}/model")
    assert "keras" in info.flavors
    spec = info.signature.inputs.inputs[0]
    assert spec.shape == (-1, 64, 256) and str(spec.type) == "float32"
    assert info.saved_input_example_info is not None


@pytest.mark.parametrize("ref", ["models:/drums/1", "models:/drums@champion", "runs"])
def test_load_back_by_uri(tracked, ref):
    uri, result, _ = tracked
    if ref == "runs":
        ref = f"runs:/{result.run_id}/model"
    assert result.registered_version == "1"
    registry.clear_cache()
    model = registry.load_model_ref(ref, tracking_uri=uri)
    assert model.encoder.latent_dim == 4
    assert registry.load_model_ref(ref, tracking_uri=uri) is model  # in-process cache
    assert registry.resolve_model_path(ref, tracking_uri=uri).endswith(".keras")


def test_model_identity_names_the_registry_version_and_run(tracked):
    uri, result, _ = tracked
    registry.clear_cache()
    ident = registry.model_identity("models:/drums@champion", tracking_uri=uri)
    path = registry.resolve_model_path("models:/drums@champion", tracking_uri=uri)
    assert ident == {"ref": "models:/drums@champion", "registry_version": "1",
                     "run_id": result.run_id, "sha256": registry.model_sha256(path)}
    assert registry.model_identity("models:/drums/1", tracking_uri=uri) == {
        **ident, "ref": "models:/drums/1"}
    runs = registry.model_identity(f"runs:/{result.run_id}/model", tracking_uri=uri)
    assert runs["run_id"] == result.run_id and "registry_version" not in runs


@pytest.mark.parametrize("ref", ["models:/drums/9", "models:/drums@nobody", "models:/nobody/1",
                                 "runs:/0123456789abcdef/model"])
def test_unknown_references_name_the_store(tracked, ref):
    uri, _, _ = tracked
    with pytest.raises(UnknownModelError) as info:
        registry.resolve_model_path(ref, tracking_uri=uri)
    assert ref in str(info.value) and uri in str(info.value)


def test_history_json_matches(tracked):
    _, result, _ = tracked
    import os

    with open(os.path.join(result.out_dir, "history.json")) as f:
        assert json.load(f)["epoch"] == [1, 2]


def test_models_cli_lists_and_registers(tracked):
    from click.testing import CliRunner

    from drumaae_cli.main import cli

    uri, result, _ = tracked
    runner = CliRunner()
    out = runner.invoke(cli, ["models", "register", f"runs:/{result.run_id}/model", "--name",
                              "drums", "--alias", "second", "--tracking-uri", uri])
    assert out.exit_code == 0, out.output
    assert "models:/drums/2" in out.output
    out = runner.invoke(cli, ["models", "list", "--tracking-uri", uri, "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["version"], r["aliases"]) for r in rows] == [("1", ["champion"]),
                                                              ("2", ["second"])]


def test_a_tracker_makes_no_scratch_folder_until_it_needs_one(tmp_path, monkeypatch):
    """A train that fails before logging anything leaves no empty drumaae-mlflow-* behind."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tracker = Tracker(f"sqlite:///{tmp_path}/mlflow.db", "tests", log=lambda m: None)
    tracker.fail(RuntimeError("the data folder is empty"))
    assert [n for n in os.listdir(tmp_path) if n.startswith("drumaae-mlflow-")] == []
