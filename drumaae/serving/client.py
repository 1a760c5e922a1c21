"""A REST client for a drumaae model behind TF Serving (an inference `Backend`).

Standard library and NumPy only (no TensorFlow import): a thin machine can drive a served
model. `RestBackend` speaks TF Serving's REST API:

- ``POST {url}/v1/models/{name}[/versions/{N}]:predict`` with
  ``{"signature_name": SIG, "inputs": {...}}`` (the columnar format); the reply is
  ``{"outputs": {...}}``, or ``{"outputs": VALUE}`` when the signature has one output;
- ``GET {url}/v1/models/{name}[/versions/{N}]/metadata`` for the signatures.

Where the audio settings come from: TF Serving's metadata lists signatures only, so the
export carries a ``config`` signature that returns them (sample rate, n_fft, bar_frames,
latent size, Griffin-Lim iterations and seed, and the full settings as JSON). `RestBackend`
calls it once, on first use of `audio`; pass ``audio=`` (an `AudioConfig`) or
``settings=`` (the export's ``assets.extra/drumaae.json``) to skip that request.

Every failure (connection refused, HTTP 4xx/5xx with TF Serving's ``{"error": ...}``, timeout,
a reply that is not the expected JSON, outputs of the wrong shape or holding NaN) raises
`drumaae.errors.ServingError` with one line naming the URL and what to check.

Resources are bounded (`drumaae.limits`): ``timeout`` is a total deadline for a request
(connecting, sending and reading the whole answer: a server that drips its answer a byte at a
time is cut off at the deadline), and an answer is read only up to the size its request can
need (at most `limits.REST_MAX_RESPONSE_BYTES`).

Example:
    >>> backend = RestBackend("http://localhost:8501", "drumaae")
    >>> codes = backend.encode_bars(bars)                  # (n, d)
    >>> audio = backend.decode_codes(codes, backend.audio.bar_samples(120.0),
    ...                              iters=backend.gl_iters, seed=0)
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import socket
import threading
import urllib.parse
from typing import Any, Mapping, Sequence

import numpy as np

from drumaae import limits
from drumaae.config import AudioConfig
from drumaae.errors import LimitError, ServingError
from drumaae.serving.signatures import output_names
from drumaae.uris import redact

__all__ = ["RestBackend"]

_SMALL_ANSWER = 1 << 20
"""Bytes allowed for an answer's JSON besides its numbers (metadata, settings, names)."""
_BYTES_PER_VALUE = 32
"""Bytes of JSON allowed per number of an answer (TF Serving writes a float32 in <= 16)."""


def _first_line(text: str, limit: int = 300) -> str:
    line = redact(" ".join(str(text).split()))
    return line if len(line) <= limit else line[: limit - 3] + "..."


class RestBackend:
    """Encode, decode and interpolate with a drumaae model served by TF Serving (REST).

    Args:
        url: the server's REST root, e.g. ``http://localhost:8501``.
        model_name: the served model's name (the folder name under TF Serving's base path).
        version: a model version, or None for the latest the server has loaded.
        timeout: total seconds one request may take (connect, send, read the whole answer),
            in (0, `limits.MAX_REST_DEADLINE_S`].
        audio: the model's `AudioConfig`; default: asked from the server (``config``).
        settings: the export's sidecar dict (``assets.extra/drumaae.json``), instead of
            asking the server.

    Attributes:
        ref: the model's REST URL (``{url}/v1/models/{name}[/versions/{N}]``), for manifests.
        audio: the model's `AudioConfig` (its ``griffin_lim_iters`` is the export's).
        latent_dim: the code size d.
        gl_iters, seed: Griffin-Lim iterations and seed fixed in the exported graph.
    """

    def __init__(self, url: str, model_name: str, version: int | None = None,
                 timeout: float = 30.0, *, audio: AudioConfig | None = None,
                 settings: Mapping[str, Any] | None = None):
        try:
            root = limits.check_server_url(url)
        except LimitError as exc:
            raise ServingError(str(exc)) from None
        if not model_name or "/" in model_name or ":" in model_name:
            raise ServingError(f"model name {model_name!r} is not a TF Serving model name")
        if version is not None and int(version) < 1:
            raise ServingError(f"model version must be a positive integer, got {version}")
        try:
            timeout = limits.check_deadline(timeout)
        except LimitError as exc:
            raise ServingError(str(exc)) from None
        self._root = root  # with any credentials: requests only, never in a message
        self.url = redact(root)
        self.model_name = model_name
        self.version = None if version is None else int(version)
        self.timeout = float(timeout)
        self.ref = redact(self.model_url)  # how manifests name the model
        self._settings: dict | None = dict(settings) if settings is not None else None
        self._checked_settings: dict[str, Any] | None = None
        if audio is not None:
            base = dict(self._settings or {})
            base["audio"] = dataclasses.asdict(audio)
            base.setdefault("gl_iters", audio.griffin_lim_iters)
            base.setdefault("seed", 0)
            self._settings = base

    # --- endpoints ------------------------------------------------------------------------
    @property
    def model_url(self) -> str:
        """``{url}/v1/models/{name}[/versions/{N}]``."""
        out = f"{self._root}/v1/models/{urllib.parse.quote(self.model_name)}"
        return out if self.version is None else f"{out}/versions/{self.version}"

    def _what(self) -> str:
        version = "latest" if self.version is None else f"version {self.version}"
        return f"model {self.model_name!r} ({version}) at {self.url}"

    def _request(self, url: str, body: dict | None = None,
                 max_bytes: int = limits.REST_MAX_RESPONSE_BYTES) -> Any:
        """One request within the total deadline `timeout`, its answer read up to
        `max_bytes`; the parsed JSON."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        status, reason, raw = self._exchange(url, data, min(int(max_bytes),
                                                             limits.REST_MAX_RESPONSE_BYTES))
        if status >= 400:
            raise self._http_error(status, reason, raw)
        try:
            return limits.parse_json(raw, f"the answer of {redact(url)}", max(1, len(raw)),
                                     allow_nan=True)  # NaN outputs: refused by `_checked`
        except LimitError as exc:
            raise ServingError(f"{exc}: is --server a drumaae export on TF Serving?") from None
        except ValueError:  # not JSON, not UTF-8, NaN / Infinity literals
            raise ServingError(
                f"{redact(url)} answered something that is not JSON ({_first_line(raw[:80])!r}): "
                "is --server a TF Serving REST port?") from None

    def _exchange(self, url: str, data: bytes | None, max_bytes: int
                  ) -> tuple[int, str, bytes]:
        """Send one request; ``(status, reason, body)``. A timer closes the connection at
        the deadline, whatever phase it is in (a per-read timeout would let a server that
        answers a byte at a time hold the client forever)."""
        parts = urllib.parse.urlsplit(url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else \
            http.client.HTTPConnection
        conn = kind(parts.hostname, parts.port, timeout=self.timeout)
        expired = threading.Event()
        opened: list[socket.socket] = []  # the response reads it after conn.sock is dropped

        def expire() -> None:
            expired.set()
            for sock in opened:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(self.timeout, expire)
        timer.daemon = True
        timer.start()
        response = None
        try:
            conn.connect()
            opened.append(conn.sock)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            if parts.username is not None:  # credentials in --server: HTTP basic auth
                import base64

                pair = f"{urllib.parse.unquote(parts.username)}:" \
                       f"{urllib.parse.unquote(parts.password or '')}"
                headers["Authorization"] = "Basic " + base64.b64encode(
                    pair.encode("utf-8")).decode("ascii")
            conn.request("GET" if data is None else "POST", path, body=data, headers=headers)
            response = conn.getresponse()
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise self._too_large(url, int(declared), max_bytes)
            chunks, size = [], 0
            while True:
                chunk = response.read1(1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise self._too_large(url, size, max_bytes)
                chunks.append(chunk)
            if expired.is_set():
                raise self._timeout(url)
            return response.status, str(response.reason or ""), b"".join(chunks)
        except ServingError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            if expired.is_set() or isinstance(exc, (socket.timeout, TimeoutError)):
                raise self._timeout(url) from None
            if isinstance(exc, ConnectionRefusedError):
                raise ServingError(
                    f"cannot connect to TF Serving at {self.url} (connection refused): is "
                    "the server running, and is the port its REST port (8501 by default)?"
                ) from None
            if isinstance(exc, socket.gaierror):
                raise ServingError(
                    f"cannot reach TF Serving at {self.url} ({_first_line(exc)}): check the "
                    "host name and port in --server") from None
            raise ServingError(
                f"connection to TF Serving at {self.url} failed ({_first_line(exc)}): check "
                "the server is up and --server") from None
        finally:
            timer.cancel()
            if response is not None:
                response.close()
            conn.close()

    def _timeout(self, url: str) -> ServingError:
        return ServingError(
            f"no answer from {redact(url)} within {self.timeout:g} s: the server may be overloaded "
            "or the request too large; retry with a longer --timeout or fewer bars")

    def _too_large(self, url: str, size: int, max_bytes: int) -> ServingError:
        return ServingError(
            f"{redact(url)} answered more than {max_bytes:,} bytes ({size:,} so far), more than this "
            "request can need: is --server a drumaae export on TF Serving?")

    def _http_error(self, status: int, reason: str, raw: bytes) -> ServingError:
        message = None
        try:
            payload = limits.parse_json(raw, "an error answer", max(1, len(raw)))
            if isinstance(payload, dict) and "error" in payload:
                message = str(payload["error"])
        except ValueError:  # LimitError is one too
            pass
        detail = _first_line(message if message is not None else
                             (raw[:200].decode("utf-8", "replace") or reason))
        if status == 404:
            hint = "check --model-name and that this version is loaded"
        elif 400 <= status < 500:
            hint = "check the model name, version and inputs (bar length, code size)"
        else:
            hint = "the server failed; see its log"
        return ServingError(
            f"TF Serving answered HTTP {status} for {self._what()}: {detail} ({hint})")

    def metadata(self) -> dict:
        """``GET .../metadata``: the served model's signature definitions."""
        return self._request(f"{self.model_url}/metadata", max_bytes=_SMALL_ANSWER)

    def predict(self, signature: str, inputs: Mapping[str, Any],
                expect_values: int | None = None) -> dict[str, np.ndarray]:
        """One ``:predict`` call in the columnar format; outputs by name as NumPy arrays.

        `expect_values` (the numbers the outputs hold) bounds the answer's size: at most
        `_BYTES_PER_VALUE` bytes of JSON per number, plus `_SMALL_ANSWER` for the rest.
        """
        body = {"signature_name": signature,
                "inputs": {k: np.asarray(v).tolist() for k, v in inputs.items()}}
        max_bytes = _SMALL_ANSWER + _BYTES_PER_VALUE * int(expect_values or 0)
        reply = self._request(f"{self.ref}:predict", body,
                              max_bytes=max_bytes if expect_values is not None
                              else limits.REST_MAX_RESPONSE_BYTES)
        if not isinstance(reply, dict) or "outputs" not in reply:
            if isinstance(reply, dict) and "error" in reply:
                raise ServingError(f"TF Serving failed for {self._what()}: "
                                   f"{_first_line(reply['error'])}")
            raise ServingError(
                f"{self.ref}:predict answered JSON without 'outputs': is this a TF "
                "Serving server?")
        outputs = reply["outputs"]
        names = output_names(signature)
        if not isinstance(outputs, dict):
            # TF Serving drops the names when a signature has a single output.
            if names is None or len(names) != 1:
                raise ServingError(
                    f"{self.ref}:predict answered one unnamed output for signature "
                    f"{signature!r}, which has several: is this a drumaae export?")
            outputs = {names[0]: outputs}
        missing = [n for n in (names or ()) if n not in outputs]
        if missing:
            raise ServingError(
                f"signature {signature!r} of {self._what()} lacks output(s) "
                f"{', '.join(missing)}: is this a drumaae export of this version?")
        out = {}
        for key, value in outputs.items():
            try:
                out[key] = value if isinstance(value, str) else np.asarray(value)
            except (TypeError, ValueError):  # ragged lists: `_checked` says what is wrong
                out[key] = value
        return out

    # --- settings -------------------------------------------------------------------------
    @property
    def settings(self) -> dict:
        """The export's settings (audio, latent_dim, gl_iters, seed, ...), asked once and
        checked (`_check_settings`) before anything is sized by them."""
        if self._settings is None:
            reply = self.predict("config", {"bpm": 120.0},
                                 expect_values=len(output_names("config")))
            text = reply.get("settings_json")
            if isinstance(text, np.ndarray) and text.size == 1:
                text = text.item()
            if isinstance(text, dict) and isinstance(text.get("b64"), str):
                import base64
                import binascii

                try:
                    text = base64.b64decode(text["b64"], validate=True)
                except (binascii.Error, ValueError):
                    text = None
            settings = None
            if isinstance(text, (str, bytes)):
                try:
                    settings = limits.parse_json(text, f"the settings of {self._what()}",
                                                 _SMALL_ANSWER)
                except LimitError as exc:
                    raise ServingError(f"{exc}: is --server a drumaae export?") from None
                except ValueError:  # not JSON, not UTF-8, NaN
                    settings = None
            if not isinstance(settings, dict):
                raise ServingError(
                    f"the config signature of {self._what()} returned unreadable settings "
                    f"(not a JSON object): re-export the model with this drumaae")
            self._settings = settings
        if self._checked_settings is None:
            self._checked_settings = self._check_settings(self._settings)
        return self._settings

    def _check_settings(self, s: Mapping[str, Any]) -> dict[str, Any]:
        """What the server says about its model, checked like a model file's settings
        (`config.audio_from_dict`) and the user's options (`drumaae.limits`): the sample
        rate, bar size, code size, Griffin-Lim iterations and seed; a one-line
        `ServingError` naming the server for the first bad value."""
        from drumaae.config import audio_from_dict
        from drumaae.errors import RecipeError

        def bad(detail: str) -> ServingError:
            return ServingError(f"{self._what()} describes its model wrongly ({detail}): is "
                                "--server a drumaae export? re-export the model")

        audio = s.get("audio", {})
        if not isinstance(audio, Mapping):
            raise bad(f"audio settings {_first_line(repr(audio), 60)}, not a mapping")
        known = {f.name for f in dataclasses.fields(AudioConfig)}
        fields = {k: v for k, v in audio.items() if k in known}
        try:
            iters = limits.check_gl_iters(s.get("gl_iters", fields.get("griffin_lim_iters",
                                                                        64)), "gl_iters")
            fields["griffin_lim_iters"] = iters
            checked = audio_from_dict(fields)
            return {"audio": checked, "gl_iters": iters,
                    "latent_dim": limits.check_latent_dim(s.get("latent_dim"), "latent_dim"),
                    "seed": limits.check_seed(s.get("seed", 0), "seed")}
        except (LimitError, RecipeError) as exc:
            raise bad(_first_line(exc, 200)) from None

    @property
    def identity(self) -> dict[str, str] | None:
        """Provenance of the served model: its URL as ``ref`` and what the export recorded of
        the model it was made from (``exported_from``: that model's reference, and its
        ``sha256``, registry version / run id or path); None for an export without it."""
        source = self.settings.get("model")
        if not isinstance(source, dict) or "sha256" not in source:
            return None
        extra = {k: redact(v) for k, v in source.items() if k != "ref"}
        return {"ref": self.ref, "exported_from": redact(source.get("ref", "")), **extra}

    @property
    def audio(self) -> AudioConfig:
        self.settings  # noqa: B018 - asks and checks once
        return self._checked_settings["audio"]

    @property
    def latent_dim(self) -> int:
        self.settings  # noqa: B018
        return self._checked_settings["latent_dim"]

    @property
    def num_components(self) -> None:
        """None: the export has no sampling signature, so its prior is not used."""
        return None

    @property
    def can_refine(self) -> bool:
        """False: TF Serving runs the graphs forward only, with no gradients to refine by."""
        return False

    @property
    def gl_iters(self) -> int:
        self.settings  # noqa: B018
        return self._checked_settings["gl_iters"]

    @property
    def seed(self) -> int:
        self.settings  # noqa: B018
        return self._checked_settings["seed"]

    def _check_fixed(self, iters: int | None, seed: int | None) -> None:
        if iters is not None and int(iters) != self.gl_iters:
            raise ServingError(
                f"the served model renders with {self.gl_iters} Griffin-Lim iterations "
                f"(fixed at export), not {iters}: omit --gl-iters or re-export with "
                f"'drumaae export --gl-iters {iters}'")
        if seed is not None and int(seed) != self.seed:
            raise ServingError(
                f"the served model renders with Griffin-Lim seed {self.seed} (fixed at "
                f"export), not {seed}: omit --seed or use --seed {self.seed}")

    # --- the inference Backend protocol ---------------------------------------------------
    def encode_bars(self, bars, refine: int = 0) -> np.ndarray:
        """Codes `(n, d)` float32 of waveform bars `(n, samples)` at the model's rate."""
        if refine:
            raise ServingError("code refinement (--refine) needs the model's gradients: use a "
                               "local model (--model PATH or an MLflow URI), not --server")
        bars = np.asarray(bars, dtype=np.float32)
        if bars.ndim == 1:
            bars = bars[None]
        if bars.ndim != 2:
            raise ServingError(f"bars must be (n, samples), got shape {bars.shape}")
        d = self.latent_dim
        codes = self.predict("encode", {"bars": bars}, expect_values=len(bars) * d)["codes"]
        return self._checked(codes, (len(bars), d), "codes")

    def decode_codes(self, codes, bar_length: int, *, iters: int | None = None,
                     seed: int | None = None, init_phase=None, labels=None) -> np.ndarray:
        """Waveforms `(n, bar_length)` float32 of codes `(n, d)`, via Griffin-Lim on the server.

        `iters` and `seed` must be the export's (None = the export's): they are fixed in the
        served graph, and a different request is refused rather than silently ignored.
        `init_phase` and `labels` are not sent: the served graph starts Griffin-Lim from its
        seeded phases and labels each code with p(k | z) (`Backend.decode_codes`).
        """
        self._check_fixed(iters, seed)
        codes = np.asarray(codes, dtype=np.float32)
        if codes.ndim == 1:
            codes = codes[None]
        shape = (len(codes), int(bar_length))
        audio = self.predict("decode", {"codes": codes, "bar_length": int(bar_length)},
                             expect_values=shape[0] * shape[1])["audio"]
        return self._checked(audio, shape, "audio")

    def label_weights(self, codes) -> None:
        """A served graph labels codes itself: None (`Backend.label_weights`)."""
        return None

    def fit_errors(self, bars) -> None:
        """A served model returns audio, not features: None (`Backend.fit_errors`), so the
        tempo reader's own choice of reading stands."""
        return None

    def sample_codes(self, n: int, component: int | None, seed: int | None) -> np.ndarray:
        """A served model has no sampling signature: always raises `ServingError`."""
        raise ServingError("this model backend cannot draw from the prior (a served model "
                           "has no prior): sample with a local --model")

    def interpolate(self, source, target, alphas: Sequence[float]) -> dict[str, np.ndarray]:
        """The server's ``interpolate``: bars `source (samples,)` and `target (samples_t,)`,
        `alphas (steps,)` -> ``{"audio": (steps, samples), "codes": (steps, d),
        "alphas": (steps,)}`` (all float32)."""
        source = np.asarray(source, np.float32).reshape(-1)
        alphas = np.asarray(alphas, np.float32).reshape(-1)
        steps, d = len(alphas), self.latent_dim
        out = self.predict("interpolate", {
            "source": source,
            "target": np.asarray(target, np.float32).reshape(-1),
            "alphas": alphas,
        }, expect_values=steps * (source.size + d + 1))
        return {"audio": self._checked(out["audio"], (steps, source.size), "audio"),
                "codes": self._checked(out["codes"], (steps, d), "codes"),
                "alphas": self._checked(out["alphas"], (steps,), "alphas")}

    def _checked(self, value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
        """An output as float32 of `shape`, all finite; else a one-line `ServingError`."""
        try:
            array = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise ServingError(f"{self._what()} answered {what} that are not numbers: is "
                               "this a drumaae export of this model?") from None
        if array.size != int(np.prod(shape)):
            raise ServingError(f"{self._what()} answered {what} of shape {array.shape}, "
                               f"expected {shape}: is this a drumaae export of this model?")
        if not np.all(np.isfinite(array)):
            raise ServingError(f"{self._what()} answered {what} holding NaN or Inf: the "
                               "served model is broken; check its export and weights")
        return array.reshape(shape)

    def __repr__(self) -> str:
        return f"RestBackend({self.url!r}, {self.model_name!r}, version={self.version})"
