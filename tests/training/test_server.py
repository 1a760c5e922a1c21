"""Against a real `mlflow server` (SQLite backend, 127.0.0.1): train, register with an alias,
load by alias; then the server dies mid-run and training still finishes."""

from __future__ import annotations

import pytest

from drumaae import registry
from drumaae.training import train
from drumaae.training.tracking import Tracker

from tests.training.conftest import free_port


class KillingTracker(Tracker):
    """Kills the server after the first epoch's metrics are logged."""

    def __init__(self, server, **kwargs):
        super().__init__(server.uri, **kwargs)
        self.server = server

    def on_epoch_end(self, epoch, logs, model):
        super().on_epoch_end(epoch, logs, model)
        if epoch == 1:
            self.server.stop()


@pytest.mark.slow  # ~150 s on the shared 2-core machine (server start ~30 s, two runs)
def test_server_register_alias_then_server_goes_away(tmp_path, mlflow_server, loops_dir,
                                                     tiny_recipe):
    uri = mlflow_server.uri
    tracker = Tracker(uri, "server-test", register_as="drums", alias="prod",
                      log=lambda m: None)
    result = train(tiny_recipe, [loops_dir], tmp_path / "run1", epochs=2, tracker=tracker,
                   progress=False, log=lambda m: None)
    assert result.not_logged == [] and result.registered_version == "1"
    registry.clear_cache()
    model = registry.load_model_ref("models:/drums@prod", tracking_uri=uri)
    assert model.encoder.latent_dim == 4

    messages = []
    tracker = KillingTracker(mlflow_server, experiment="server-test", register_as="drums",
                             log=messages.append)
    result = train(tiny_recipe, [loops_dir], tmp_path / "run2", epochs=2, tracker=tracker,
                   progress=False, log=messages.append)
    assert result.history["epoch"] == [1, 2]
    assert (tmp_path / "run2" / "model.keras").is_file()
    assert (tmp_path / "run2" / "checkpoints" / "state.json").is_file()
    assert any("log epoch 2 metrics" in what for what in result.not_logged)
    assert any("log the model" in what for what in result.not_logged)
    assert any("does not answer" in m for m in messages)
    assert any(m.startswith("warning: not logged to MLflow") for m in messages)


def test_unreachable_store_from_the_start(tmp_path, loops_dir, tiny_recipe):
    uri = f"http://127.0.0.1:{free_port()}"
    messages = []
    result = train(tiny_recipe, [loops_dir], tmp_path / "run", epochs=1,
                   tracker=Tracker(uri, log=messages.append), progress=False,
                   log=messages.append)
    assert result.run_id is None and (tmp_path / "run" / "model.keras").is_file()
    assert result.not_logged and uri in result.not_logged[0]
