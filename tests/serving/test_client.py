"""RestBackend against a stand-in TF Serving (tests/serving/fake_serving.py) and its errors.

The stand-in hands the client's exact request body to the exported SavedModel the way TF
Serving maps columnar ``inputs`` to a signature's named inputs, so what passes here is what
the real server receives.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from drumaae.errors import ServingError
from drumaae.serving.client import RestBackend
from tests.serving.fake_serving import canned, serve


def _direct(exported, signature, version="1", **inputs):
    sm = tf.saved_model.load(f"{exported.model_dir}/{version}")
    return {k: v.numpy() for k, v in sm.signatures[signature](
        **{k: tf.constant(v) for k, v in inputs.items()}).items()}


def test_settings_come_from_the_config_signature(server, exported):
    backend = RestBackend(server.url, "drums")
    assert backend.audio == dataclasses.replace(exported.audio,
                                                griffin_lim_iters=exported.gl_iters)
    assert backend.latent_dim == exported.model.encoder.latent_dim
    assert (backend.gl_iters, backend.seed) == (exported.gl_iters, 0)
    body = json.loads(server.bodies[-1])
    assert body == {"signature_name": "config", "inputs": {"bpm": 120.0}}
    assert server.requests[-1].startswith("POST /v1/models/drums:predict")


def test_encode_decode_interpolate_match_the_saved_model(server, exported, bars):
    backend = RestBackend(server.url, "drums", version=2)
    codes = backend.encode_bars(bars)
    body = json.loads(server.bodies[-1])
    assert body["signature_name"] == "encode" and set(body["inputs"]) == {"bars"}
    assert server.requests[-1].startswith("POST /v1/models/drums/versions/2:predict")
    np.testing.assert_allclose(codes, _direct(exported, "encode", bars=bars)["codes"],
                               atol=1e-6)
    assert codes.dtype == np.float32 and codes.shape == (2, backend.latent_dim)

    length = bars.shape[1]
    audio = backend.decode_codes(codes, length, iters=exported.gl_iters, seed=0)
    body = json.loads(server.bodies[-1])
    assert body["inputs"]["bar_length"] == length  # a JSON integer, for the int32 input
    ref = _direct(exported, "decode", codes=codes, bar_length=np.int32(length))["audio"]
    np.testing.assert_allclose(audio, ref, atol=1e-5 * np.abs(ref).max())
    assert audio.shape == (2, length)

    out = backend.interpolate(bars[0], bars[1], [0.0, 0.5, 1.0])
    assert out["audio"].shape == (3, length) and out["codes"].shape == (3, backend.latent_dim)
    np.testing.assert_allclose(out["alphas"], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(out["codes"][[0, 2]], codes, atol=1e-5)


def test_metadata_lists_the_signatures(server):
    meta = RestBackend(server.url, "drums").metadata()
    sigs = meta["metadata"]["signature_def"]["signature_def"]
    assert {"serving_default", "interpolate", "encode", "decode", "config"} <= set(sigs)
    assert sigs["encode"]["inputs"]["bars"]["dtype"] == "DT_FLOAT"
    assert meta["model_spec"]["version"] == "2"  # latest


def test_fixed_griffin_lim_settings_are_enforced(server, exported):
    backend = RestBackend(server.url, "drums")
    codes = np.zeros((1, exported.model.encoder.latent_dim), np.float32)
    with pytest.raises(ServingError, match="--gl-iters"):
        backend.decode_codes(codes, exported.audio.bar_samples(), iters=99, seed=0)
    with pytest.raises(ServingError, match="seed"):
        backend.decode_codes(codes, exported.audio.bar_samples(), iters=None, seed=3)


def test_graph_error_is_a_one_line_400(server, bars):
    backend = RestBackend(server.url, "drums")
    with pytest.raises(ServingError) as info:
        backend.encode_bars(bars[:, :-1])
    message = str(info.value)
    assert "HTTP 400" in message and "multiple of bar_frames" in message
    assert "\n" not in message


def test_unknown_model_and_version_are_404(server):
    with pytest.raises(ServingError, match=r"HTTP 404.*--model-name"):
        RestBackend(server.url, "nope").encode_bars(np.zeros((1, 1024), np.float32))
    with pytest.raises(ServingError, match=r"HTTP 404.*version 9"):
        RestBackend(server.url, "drums", version=9).metadata()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused():
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(ServingError, match="connection refused") as info:
        RestBackend(url, "drums", timeout=5).metadata()
    assert url in str(info.value) and "8501" in str(info.value)


def test_http_500_with_error_field():
    body = json.dumps({"error": "Internal: out of memory\nsecond line"}).encode()
    with serve(canned(500, body), max_seconds=30) as srv:
        with pytest.raises(ServingError) as info:
            RestBackend(srv.url, "drums").encode_bars(np.zeros((1, 1024), np.float32))
    message = str(info.value)
    assert "HTTP 500" in message and "out of memory second line" in message
    assert "\n" not in message and srv.url in message


def test_http_400_with_error_field():
    body = json.dumps({"error": "Missing 'inputs' or 'instances' key"}).encode()
    with serve(canned(400, body), max_seconds=30) as srv:
        with pytest.raises(ServingError, match="HTTP 400.*Missing 'inputs'"):
            RestBackend(srv.url, "drums").metadata()


def test_timeout():
    with serve(canned(200, b"{}", delay=3.0), max_seconds=30) as srv:
        with pytest.raises(ServingError, match=r"within 0.5 s"):
            RestBackend(srv.url, "drums", timeout=0.5).metadata()


@pytest.mark.parametrize("body", [b"<html>not json</html>", b'{"result": 1}', b"[1, 2]"])
def test_malformed_replies(body):
    with serve(canned(200, body), max_seconds=30) as srv:
        with pytest.raises(ServingError, match="not JSON|without 'outputs'"):
            RestBackend(srv.url, "drums").encode_bars(np.zeros((1, 1024), np.float32))


@pytest.mark.parametrize("url", ["localhost:8501", "ftp://host/", "http://"])
def test_bad_urls(url):
    with pytest.raises(ServingError, match="http://HOST:8501"):
        RestBackend(url, "drums")


def test_client_does_not_import_tensorflow():
    code = ("import sys; import drumaae.serving.client; "
            "print(any(m.startswith(('tensorflow', 'keras')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
