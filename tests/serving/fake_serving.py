"""A stand-in for TF Serving's REST API, for tests (the real server is not installable here).

It loads exported SavedModels with `tf.saved_model.load` and answers like
`tensorflow_model_server --rest_api_port`:

- ``GET /v1/models/NAME[/versions/N]/metadata`` -> ``{"model_spec": ..., "metadata":
  {"signature_def": {"signature_def": {...}}}}``;
- ``POST /v1/models/NAME[/versions/N]:predict`` with the columnar format
  ``{"signature_name": S, "inputs": {name: value}}``: each named input becomes a tensor of the
  signature's dtype (a JSON float given for an int input is refused, as TF Serving does), the
  input names must match the signature's exactly, and the reply is ``{"outputs": {...}}``, or
  ``{"outputs": VALUE}`` when the signature has a single output;
- errors as ``{"error": "..."}``: 404 for an unknown model or version, 400 for bad requests
  and InvalidArgument from the graph, 500 otherwise.

`serve()` runs a `ThreadingHTTPServer` on 127.0.0.1 (a free port) in a daemon thread and
stops it when the ``with`` block ends, or after `max_seconds` whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import numpy as np

_PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?"
                   r"(?P<verb>:predict|/metadata)?$")


class _Error(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class ModelStore:
    """Loaded SavedModels: ``{name: {version: loaded}}`` from TF Serving base folders."""

    def __init__(self, base_paths: dict[str, str]):
        import tensorflow as tf

        self.models: dict[str, dict[int, object]] = {}
        for name, base in base_paths.items():
            versions = sorted(int(v) for v in os.listdir(base) if v.isdigit())
            self.models[name] = {v: tf.saved_model.load(os.path.join(base, str(v)))
                                 for v in versions}

    def get(self, name: str, version: str | None):
        versions = self.models.get(name)
        if not versions:
            raise _Error(404, f"Servable not found for request: Latest({name})")
        if version is None:
            v = max(versions)
        else:
            v = int(version)
            if v not in versions:
                raise _Error(404, f"Servable not found for request: Specific({name}, {v})")
        return v, versions[v]


def _tensor_info(spec) -> dict:
    dims = [{"size": str(-1 if d is None else d), "name": ""} for d in spec.shape]
    return {"dtype": "DT_" + spec.dtype.name.upper().replace("FLOAT32", "FLOAT"),
            "tensor_shape": {"dim": dims, "unknown_rank": False},
            "name": f"{spec.name}:0"}


def signature_metadata(loaded) -> dict:
    out = {}
    for key, fn in loaded.signatures.items():
        _, kwargs = fn.structured_input_signature
        outputs = fn.structured_outputs
        out[key] = {
            "inputs": {k: _tensor_info(s) for k, s in kwargs.items()},
            "outputs": {k: _tensor_info(t) for k, t in outputs.items()},
            "method_name": "tensorflow/serving/predict",
        }
    return out


def _to_json(value):
    raw = value.numpy()
    if isinstance(raw, bytes):  # a scalar string
        return raw.decode("utf-8")
    array = np.asarray(raw)
    if array.dtype.kind in "OS":  # strings
        return np.vectorize(lambda b: b.decode("utf-8"), otypes=[object])(array).tolist()
    return array.tolist()


def predict(loaded, body: dict) -> dict:
    """Run a columnar-format request body on a loaded SavedModel, as TF Serving does."""
    import tensorflow as tf

    if not isinstance(body, dict):
        raise _Error(400, "JSON Value: not an object")
    if "instances" in body:
        raise _Error(400, "this stand-in speaks only the columnar 'inputs' format")
    if "inputs" not in body:
        raise _Error(400, "Missing 'inputs' or 'instances' key")
    name = body.get("signature_name", "serving_default")
    if name not in loaded.signatures:
        raise _Error(400, f"Serving signature name: \"{name}\" not found in signature def")
    fn = loaded.signatures[name]
    _, specs = fn.structured_input_signature
    inputs = body["inputs"]
    if not isinstance(inputs, dict):
        if len(specs) != 1:
            raise _Error(400, "inputs is a list but the signature has several named inputs")
        inputs = {next(iter(specs)): inputs}
    missing = sorted(set(specs) - set(inputs))
    extra = sorted(set(inputs) - set(specs))
    if missing or extra:
        raise _Error(400, f"input size does not match signature: missing {missing}, "
                          f"unexpected {extra}")
    tensors = {}
    for key, spec in specs.items():
        value = np.asarray(inputs[key])
        if spec.dtype.is_integer and value.dtype.kind == "f":
            raise _Error(400, f"Failed to process element: {key} of 'inputs' list. "
                              "JSON Value is not an integer")
        if value.dtype == object:
            raise _Error(400, f"ragged or non-numeric value for input {key}")
        try:
            tensors[key] = tf.constant(value, dtype=spec.dtype)
        except (TypeError, ValueError) as exc:
            raise _Error(400, f"cannot convert input {key}: {exc}") from exc
        if not spec.shape.is_compatible_with(tensors[key].shape):
            raise _Error(400, f"input {key} has shape {tensors[key].shape}; the signature "
                              f"wants {spec.shape}")
    try:
        result = fn(**tensors)
    except tf.errors.InvalidArgumentError as exc:
        raise _Error(400, exc.message) from exc
    except tf.errors.OpError as exc:
        raise _Error(500, exc.message) from exc
    outputs = {k: _to_json(v) for k, v in result.items()}
    if len(outputs) == 1:
        return {"outputs": next(iter(outputs.values()))}
    return {"outputs": outputs}


class Handler(BaseHTTPRequestHandler):
    """Routes TF Serving's REST paths; `server.store` is a `ModelStore`."""

    server_version = "FakeTFServing/0"

    def log_message(self, format, *args):  # noqa: A002 - quiet tests
        self.server.requests.append(self.requestline)

    def _send(self, code: int, payload) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self):
        match = _PATH.match(self.path)
        if not match:
            raise _Error(404, f"Malformed request: {self.command} {self.path}")
        version, loaded = self.server.store.get(match["name"], match["version"])
        return match, version, loaded

    def do_GET(self):  # noqa: N802 - http.server API
        try:
            match, version, loaded = self._route()
            if match["verb"] == "/metadata":
                self._send(200, {
                    "model_spec": {"name": match["name"], "signature_name": "",
                                   "version": str(version)},
                    "metadata": {"signature_def": {
                        "signature_def": signature_metadata(loaded)}},
                })
            elif match["verb"] is None:
                self._send(200, {"model_version_status": [
                    {"version": str(version), "state": "AVAILABLE",
                     "status": {"error_code": "OK", "error_message": ""}}]})
            else:
                raise _Error(400, "predict needs POST")
        except _Error as exc:
            self._send(exc.code, {"error": str(exc)})

    def do_POST(self):  # noqa: N802 - http.server API
        try:
            match, version, loaded = self._route()
            if match["verb"] != ":predict":
                raise _Error(404, f"Malformed request: POST {self.path}")
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            self.server.bodies.append(raw)
            try:
                body = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise _Error(400, f"JSON Parse error: {exc}") from exc
            self._send(200, predict(loaded, body))
        except _Error as exc:
            self._send(exc.code, {"error": str(exc)})
        except Exception as exc:  # a stand-in bug: answer like the server's internal error
            self._send(500, {"error": f"{type(exc).__name__}: {exc}"})


@contextlib.contextmanager
def serve(handler: type[BaseHTTPRequestHandler] = Handler, *, store: ModelStore | None = None,
          max_seconds: float = 300.0) -> Iterator[ThreadingHTTPServer]:
    """Run `handler` on 127.0.0.1:<free port>; yields the server (``server.url``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.store = store
    server.requests = []
    server.bodies = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    # A watchdog: a test that hangs never leaves a server behind for long.
    timer = threading.Timer(max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield server
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def canned(code: int, body: bytes, delay: float = 0.0) -> type[BaseHTTPRequestHandler]:
    """A handler answering every request with `code` and `body` after `delay` seconds."""

    class Canned(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002
            pass

        def _answer(self):
            if self.command == "POST":
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if delay:
                time.sleep(delay)
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (timeout tests)
                pass

        do_GET = _answer  # noqa: N815
        do_POST = _answer  # noqa: N815

    return Canned


