"""Regression tests of issue #13's failures: each case a user (or a broken file or server) can
cause ends in exit status 1 and one `Error:` line, before any heavy compute, and writes
nothing. docs/cli.md ("Errors") lists the same cases.

Tiny and fast: the tiny model, a scripted stand-in for TF Serving (no TensorFlow in it), and
limits checked before the work they bound.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import zipfile
from http.server import BaseHTTPRequestHandler

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from drumaae import limits
from drumaae.config import load_recipe
from drumaae.errors import ServingError
from drumaae.serving.client import RestBackend
from drumaae_cli.main import cli
from tests.cli.test_transform_errors import assert_one_line_error
from tests.serving.fake_serving import serve


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    return result


def nothing_written(folder, *allowed: str) -> bool:
    return sorted(p for p in os.listdir(folder) if p not in allowed) == []


# --- limits, checked before any model loads ------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["sample", "-n", "2", "--bpm", "0.05", "--out", "s"], "[20, 400] BPM"),
    (["interpolate", "a.wav", "b.wav", "--bpm", "1000"], "[20, 400] BPM"),
    (["interpolate", "a.wav", "b.wav", "--steps", "1000"], f"at most {limits.MAX_STEPS}"),
    (["interpolate", "a.wav", "b.wav", "--tempo", "0.001"], "[20, 400] BPM"),
    (["decode", "c.npz", "-o", "x.wav", "--gl-iters", "100000000"],
     f"at most {limits.MAX_GL_ITERS}"),
    (["sample", "-n", "100000", "--out", "s"], f"at most {limits.MAX_BARS}"),
    (["encode", "a.wav", "-o", "c.npz", "--server", "http://h:1", "--model-name", "m",
      "--timeout", "0"], "seconds"),
    (["evaluate", "--data", ".", "--bpm", "5"], "[20, 400] BPM"),
    (["export", "e", "--gl-iters", "0"], "at least 1"),
])
def test_limits_are_option_errors(args, needle, tmp_path, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded before the limit was checked")

    # Refused before any model loads: every local model load goes through Keras's loader.
    monkeypatch.setattr("keras.saving.load_model", no_model)
    result = run(*args)
    assert_one_line_error(result.exit_code, result.stderr, needle)
    assert nothing_written(tmp_path, "mlflow.db")


# --- bad files --------------------------------------------------------------------------

def _codes_file(path, bpm: float, dim: int = 8, n: int = 1) -> str:
    meta = {"bpm": bpm, "bar_length": 4096, "sample_rate": 8000}
    np.savez(path, codes=np.zeros((n, dim), np.float32), bpm=np.float64(bpm),
             bar_length=np.int64(4096), sample_rate=np.int64(8000), meta=json.dumps(meta))
    return str(path)


def test_codes_file_with_an_absurd_tempo(model, tmp_path):
    codes = _codes_file(tmp_path / "c.npz", 0.0001)
    start = time.monotonic()
    result = run("decode", codes, "-o", "x.wav", "--model", model)
    assert_one_line_error(result.exit_code, result.stderr, "c.npz", "[20, 400] BPM", "0.0001")
    assert time.monotonic() - start < 60 and not os.path.exists("x.wav")


def test_codes_file_with_too_many_codes(model, tmp_path):
    codes = _codes_file(tmp_path / "c.npz", 120.0, n=limits.MAX_BARS + 1)
    result = run("decode", codes, "-o", "x.wav", "--model", model)
    assert_one_line_error(result.exit_code, result.stderr, f"at most {limits.MAX_BARS}")


@pytest.mark.parametrize("content", [b"PK\x03\x04" + b"\x00" * 64, b"\x93NUMPY garbage",
                                     b""])
def test_corrupt_codes_file(model, tmp_path, content):
    (tmp_path / "c.npz").write_bytes(content)
    result = run("decode", "c.npz", "-o", "x.wav", "--model", model)
    assert_one_line_error(result.exit_code, result.stderr, "c.npz is not a codes file")
    assert not os.path.exists("x.wav")


def _tampered(model: str, folder, **audio) -> str:
    """A copy of `model` whose saved audio settings say `audio`."""
    out = os.path.join(folder, "tampered.keras")
    with zipfile.ZipFile(model) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                config["config"]["audio"].update(audio)
                data = json.dumps(config).encode()
            dst.writestr(item, data)
    return out


@pytest.mark.parametrize("audio,needle", [
    ({"griffin_lim_iters": 100_000_000}, "audio.griffin_lim_iters"),
    ({"griffin_lim_iters": 1e8}, "audio.griffin_lim_iters"),
    ({"sample_rate": "fast"}, "audio.sample_rate"),
    ({"reference_bpm": 0.0001}, "audio.reference_bpm"),
    ({"hop": 3}, "audio.hop"),
])
def test_tampered_model_audio_settings(model, loops, tmp_path, audio, needle):
    bad = _tampered(model, tmp_path, **audio)
    start = time.monotonic()
    result = run("reconstruct", loops["tgt"], "-o", "r.wav", "--model", bad)
    assert_one_line_error(result.exit_code, result.stderr, "audio settings are invalid",
                          needle)
    assert time.monotonic() - start < 60 and not os.path.exists("r.wav")


def test_constant_input_has_no_onsets(model, tmp_path):
    sf.write(tmp_path / "dc.wav", np.full(8000 * 2, 0.5, np.float32), 8000)
    result = run("encode", "dc.wav", "-o", "c.npz", "--model", model)
    assert_one_line_error(result.exit_code, result.stderr, "no onsets", "--bpm")
    assert not os.path.exists("c.npz")


# --- outputs that cannot be written ----------------------------------------------------

def test_full_disk_is_refused_before_compute(model, loops, tmp_path, monkeypatch):
    import shutil

    from drumaae import fileio

    real = shutil.disk_usage

    def full(path):
        usage = real(path)
        return usage._replace(free=1024)

    monkeypatch.setattr(fileio.shutil, "disk_usage", full)
    start = time.monotonic()
    result = run("interpolate", loops["src"], loops["tgt"], "--out", "morph", "--model", model)
    assert_one_line_error(result.exit_code, result.stderr, "free", "space")
    assert time.monotonic() - start < 30
    assert nothing_written(tmp_path, "mlflow.db")


def test_read_only_folder_is_refused_before_compute(model, loops, tmp_path, monkeypatch):
    from drumaae import fileio

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:
        # root writes into a 0555 folder anyway: answer as the kernel does for a user
        real = os.access
        monkeypatch.setattr(fileio.os, "access", lambda p, mode, **kw: False if (
            os.path.abspath(p) == str(ro) and mode & os.W_OK) else real(p, mode, **kw))
    try:
        result = run("interpolate", loops["src"], loops["tgt"], "--out", str(ro / "morph"),
                     "--model", model)
        assert_one_line_error(result.exit_code, result.stderr, "read-only")
        assert not (ro / "morph").exists()
    finally:
        ro.chmod(0o755)


# --- a broken TF Serving ---------------------------------------------------------------

AUDIO = load_recipe("tiny").audio
LATENT = 8
SETTINGS = {"audio": dataclasses.asdict(AUDIO), "latent_dim": LATENT, "gl_iters": 2, "seed": 0}


def scripted(encode_answer=None, *, drip: float = 0.0, declared: int | None = None,
             stream: int = 0):
    """A handler answering ``config`` properly and ``encode`` with `encode_answer`, or
    dripping / declaring / streaming an oversized answer."""

    class Scripted(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002
            pass

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if body["signature_name"] == "config":
                payload = {"outputs": {"sample_rate": AUDIO.sample_rate, "n_fft": AUDIO.n_fft,
                                       "bar_frames": AUDIO.bar_frames, "latent_dim": LATENT,
                                       "gl_iters": 2, "seed": 0, "bar_length": 1,
                                       "settings_json": json.dumps(SETTINGS)}}
                return self._send(json.dumps(payload).encode())
            try:
                if drip:
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    for _ in range(int(30 / drip)):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(drip)
                elif declared is not None:
                    self.send_response(200)
                    self.send_header("Content-Length", str(declared))
                    self.end_headers()
                    self.wfile.write(b"{")
                elif stream:
                    self.send_response(200)
                    self.end_headers()
                    for _ in range(stream // 65536):
                        self.wfile.write(b" " * 65536)
                else:
                    self._send(json.dumps({"outputs": encode_answer}).encode())
            except OSError:  # the client gave up, as it should
                pass

        def _send(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Scripted


BARS = np.zeros((2, AUDIO.bar_samples()), np.float32)


def test_server_dripping_its_answer_hits_the_total_deadline():
    with serve(scripted(drip=0.05), max_seconds=60) as srv:
        backend = RestBackend(srv.url, "m", timeout=1.0)
        backend.settings  # noqa: B018 - asked first, outside the timed request
        start = time.monotonic()
        with pytest.raises(ServingError, match="within 1 s"):
            backend.encode_bars(BARS)
        assert time.monotonic() - start < 3


@pytest.mark.parametrize("kind", ["declared", "streamed"])
def test_oversized_answer_is_refused(kind):
    handler = scripted(declared=10**10) if kind == "declared" else scripted(stream=4 << 20)
    with serve(handler, max_seconds=60) as srv:
        with pytest.raises(ServingError, match="more than .* bytes"):
            RestBackend(srv.url, "m", timeout=20).encode_bars(BARS)


@pytest.mark.parametrize("answer,needle", [
    ([[0.0] * (LATENT - 1)] * 2, "shape"),
    ([[0.0] * LATENT], "shape"),
    ("codes", "not numbers"),
    ([["a"] * LATENT] * 2, "not numbers"),
    ([[float("nan")] * LATENT] * 2, "NaN"),
])
def test_wrong_answers_are_errors(answer, needle):
    with serve(scripted(answer), max_seconds=60) as srv:
        with pytest.raises(ServingError, match=needle):
            RestBackend(srv.url, "m", timeout=20).encode_bars(BARS)


def test_nan_codes_from_a_server_fail_the_command(loops, tmp_path):
    with serve(scripted([[float("nan")] * LATENT]), max_seconds=120) as srv:
        result = run("encode", loops["tgt"], "-o", "c.npz", "--bpm", "120", "--server",
                     srv.url, "--model-name", "m")
    assert_one_line_error(result.exit_code, result.stderr, "NaN")
    assert not os.path.exists("c.npz")
