"""MLflow lookups and tracking as issue #13 asks: fail fast on an unreachable server, never
create a store or folder, never show a password, and a run that lost its server says what is
missing and replays it from the run folder."""

from __future__ import annotations

import json
import os
import socket
import time
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from drumaae.config import load_recipe
from drumaae.registry import redact
from drumaae_cli.main import cli
from tests.cli.test_transform_errors import assert_one_line_error


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DRUMAAE_CACHE", str(tmp_path / "cache"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redact_hides_credentials_only():
    assert redact("https://alice:s3cret@mlflow.example.com/x") == \
        "https://***@mlflow.example.com/x"
    assert redact("see http://bob@h:5000 and sqlite:///a.db") == "see http://***@h:5000 and " \
        "sqlite:///a.db"
    assert redact("models:/drums@prod") == "models:/drums@prod"


@pytest.mark.parametrize("args", [
    ["info", "--model", "models:/drums/1"],
    ["models", "list"],
    ["models", "register", "runs:/abc/model", "--name", "drums"],
])
def test_lookup_never_creates_a_store(tmp_path, args):
    missing = tmp_path / "nonexistent" / "dir"
    for uri in (None, f"sqlite:///{missing}/x.db", f"file://{missing}"):
        extra = [] if uri is None else ["--tracking-uri", uri]
        result = CliRunner().invoke(cli, args + extra)
        assert_one_line_error(result.exit_code, result.stderr, "no MLflow store")
        assert not (tmp_path / "nonexistent").exists()
        assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlruns").exists()


def test_unreachable_server_fails_fast_without_the_password():
    import mlflow.artifacts  # noqa: F401 - imported first: only the lookup is timed
    import tensorflow  # noqa: F401

    uri = f"http://alice:s3cret@127.0.0.1:{_free_port()}"
    for args in (["info", "--model", "models:/drums/1"], ["models", "list"]):
        start = time.monotonic()
        result = CliRunner().invoke(cli, args + ["--tracking-uri", uri])
        elapsed = time.monotonic() - start
        assert_one_line_error(result.exit_code, result.stderr, "127.0.0.1")
        assert "s3cret" not in result.output and "alice" not in result.output
        assert elapsed < 30, elapsed


def _result(out_dir: str, epochs: int = 2):
    history = {"epoch": list(range(1, epochs + 1)), "step": [4 * e for e in range(1, epochs + 1)],
               "recon/loss": [0.5 / e for e in range(1, epochs + 1)]}
    return SimpleNamespace(out_dir=out_dir, history=history, index_hash="abc")


def test_outage_mid_run_is_reported_and_replayed(tmp_path, monkeypatch):
    from drumaae.training import tracking

    recipe = load_recipe("tiny")
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run_dir = str(tmp_path / "run")
    os.makedirs(run_dir)
    messages: list[str] = []
    tracker = tracking.Tracker(uri, log=messages.append)
    run_id = tracker.start(recipe, index_hash="abc", out_dir=run_dir)
    assert run_id

    def down(*args, **kwargs):
        raise ConnectionError("connection refused")

    # The server dies: metrics, history and the model cannot be logged.
    monkeypatch.setattr(tracker.client, "log_batch", down)
    monkeypatch.setattr(tracker.client, "log_artifact", down)
    monkeypatch.setattr(tracker, "_log_model", down)
    model = SimpleNamespace(train_iterations=4)
    tracker.on_epoch_end(1, {"recon/loss": 0.5}, model)
    out = tracker.finish(model, _result(run_dir))
    assert out["model_uri"] is None  # never a runs:/ URI for a model that is not there
    assert "log epoch 1 metrics" in out["not_logged"]
    assert "log the model (mlflow.keras)" in out["not_logged"]
    pending = json.loads((tmp_path / "run" / tracking.PENDING_FILE).read_text())
    assert pending["run_id"] == run_id and pending["not_logged"] == out["not_logged"]
    assert "drumaae train --resume --out" in pending["replay"]
    assert any("Replay it when the store answers" in m for m in messages)

    # The server is back: `train --resume` on the finished run replays from the run folder.
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    again = tracking.Tracker(uri, log=messages.append)
    monkeypatch.setattr(again, "_log_model", lambda m: f"runs:/{again.run_id}/model")
    assert again.start(recipe, index_hash="abc", resume_run_id=run_id, out_dir=run_dir) == run_id
    out = again.finish(model, _result(run_dir))
    assert out["not_logged"] == [] and out["model_uri"] == f"runs:/{run_id}/model"
    assert not (tmp_path / "run" / tracking.PENDING_FILE).exists()
    losses = again.client.get_metric_history(run_id, "recon/loss")
    assert sorted((m.step, m.value) for m in losses) == [(4, 0.5), (8, 0.25)]
