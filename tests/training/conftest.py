"""Training fixtures: a few generated drum loops and a temporary MLflow store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from drumaae.audio.io import save_wav

LOOPS = [(120, "rock"), (100, "funk"), (128, "house"), (90, "halftime"), (110, "rock"),
         (140, "funk")]


@pytest.fixture(scope="session")
def loops_dir(tmp_path_factory, make_loop, tiny_recipe):
    """Six 2-bar loops at the tiny recipe's rate: 10 training + 2 validation bars."""
    folder = tmp_path_factory.mktemp("loops")
    sr = tiny_recipe.audio.sample_rate
    for i, (bpm, pattern) in enumerate(LOOPS):
        save_wav(folder / f"loop{i}_{pattern}_{bpm}.wav",
                 make_loop(sr, bpm, bars=2, seed=i, pattern=pattern), sr)
    return str(folder)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """MLflow downloads go to a temporary cache, never the user's."""
    monkeypatch.setenv("DRUMAAE_CACHE", str(tmp_path / "cache"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MlflowServer:
    """A real `mlflow server` subprocess on 127.0.0.1 with a SQLite backend."""

    def __init__(self, folder):
        self.folder = str(folder)
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout: float = 120.0) -> "MlflowServer":
        mlflow_bin = os.path.join(os.path.dirname(sys.executable), "mlflow")
        cmd = [mlflow_bin, "server", "--backend-store-uri",
               f"sqlite:///{self.folder}/server.db", "--default-artifact-root",
               f"{self.folder}/artifacts", "--host", "127.0.0.1", "--port", str(self.port),
               "--workers", "1"]
        self.log = open(os.path.join(self.folder, "server.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.folder, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {open(self.log.name).read()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("mlflow server did not answer in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            import signal

            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: server + workers
            self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture
def mlflow_server(tmp_path):
    server = MlflowServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()
