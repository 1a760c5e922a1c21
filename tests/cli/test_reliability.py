"""Regression tests of issue #29's probe: nothing garbage is written with exit status 0, no
server's or file's word is trusted, memory is bounded before parsing, every write failure is
one `Error:` line, symlinked outputs are followed, MLflow lookups never touch a store, and
passwords never show. docs/cli.md ("Errors") lists the same cases.

Tiny fakes only: the tiny model, a scripted loopback stand-in for TF Serving, payload files
generated here (zip bombs, lying ``.npz`` headers, deep JSON), a file-size limit standing in
for a full disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import resource
import signal
import sqlite3
import sys
import time
import zipfile
from http.server import BaseHTTPRequestHandler

import numpy as np
import pytest
from click.testing import CliRunner

from drumaae import fileio, inference, limits
from drumaae.config import load_recipe
from drumaae.errors import CorruptModelError, LimitError, OutputNotWritableError, ServingError
from drumaae.serving.client import RestBackend
from drumaae.uris import redact
from drumaae_cli.common import bar_ranges
from drumaae_cli.main import cli
from tests.cli.test_transform_errors import assert_one_line_error
from tests.serving.fake_serving import serve


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.setenv("DRUMAAE_CACHE", str(tmp_path / "cache"))


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def listing(folder) -> list[str]:
    return sorted(os.listdir(folder))


# --- 1. garbage is never written -------------------------------------------------------

def _edited_model(model: str, folder, edit, weights=None) -> str:
    """A copy of `model` whose config.json is `edit(config)` (and, if given, whose weights
    file is `weights`)."""
    out = os.path.join(folder, "edited.keras")
    with zipfile.ZipFile(model) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()  # NaN is written as the literal NaN
            elif item.filename == "model.weights.h5" and weights is not None:
                data = weights
            dst.writestr(item, data)
    return out


def test_a_model_with_nan_weights_is_refused_naming_the_file(tmp_path, loops, tiny_recipe):
    from drumaae.models import build_model, save_model

    net = build_model(tiny_recipe, seed=0)
    net.generator.set_weights([np.full_like(w, np.nan) for w in net.generator.get_weights()])
    path = save_model(net, tmp_path / "nan.keras")
    result = run("interpolate", loops["src"], loops["tgt"], "--out", "m", "--model", path,
                 "--no-figure")
    assert_one_line_error(result.exit_code, result.stderr, "nan.keras", "NaN or infinite "
                          "weights")
    assert not os.path.exists("m")


def test_a_model_rendering_nan_stops_before_anything_is_written(tmp_path, tiny_recipe):
    """A model whose weights turn NaN in memory (no file to refuse): the render check names
    the model and nothing is written, where the WAVs used to be full-scale DC."""
    from drumaae.models import build_model

    net = build_model(tiny_recipe, seed=0)
    net.generator.set_weights([np.full_like(w, np.nan) for w in net.generator.get_weights()])
    with pytest.raises(LimitError, match="NaN or infinite samples"):
        inference.sample(2, model=net, seed=0)
    assert listing(tmp_path) == []


def test_a_prior_with_nan_radius_is_refused(model, tmp_path):
    def nan_radius(config):
        config["config"]["prior"]["config"]["radius"] = float("nan")

    bad = _edited_model(model, tmp_path, nan_radius)
    result = run("sample", "-n", "2", "--out", "s", "--model", bad)
    assert_one_line_error(result.exit_code, result.stderr, "edited.keras", "NaN")
    assert not os.path.exists("s")


def test_audio_settings_disagreeing_with_the_recipe_are_refused(model, loops, tmp_path):
    def other_rate(config):
        config["config"]["audio"]["sample_rate"] = 16000

    bad = _edited_model(model, tmp_path, other_rate)
    result = run("encode", loops["tgt"], "-o", "c.npz", "--model", bad)
    assert_one_line_error(result.exit_code, result.stderr, "audio.sample_rate is 16000",
                          "recipe says 8000")


def _codes_json(path, **fields) -> str:
    data = {"codes": [[0.1] * 4], "bpm": 120.0, "bar_length": 4000, "sample_rate": 8000,
            **fields}
    with open(path, "w") as f:
        json.dump(data, f)
    return str(path)


@pytest.mark.parametrize("fields,needle", [
    ({"codes": [[1e30] * 4]}, "beyond the model's prior"),
    ({"lufs": [-1e308]}, "[-70, 6] LUFS"),
    ({"bars": "x"}, "one bar number per code"),
    ({"bars": [0.5]}, "whole number"),
    ({"sample_rate": "fast"}, "sample rate"),
    ({"source": {"sample_rate": 10**12}}, "source's sample rate"),
])
def test_codes_files_are_checked_before_any_render(model, tmp_path, fields, needle):
    codes = _codes_json(tmp_path / "c.json", **fields)
    result = run("decode", codes, "-o", "x.wav", "--model", model)
    assert_one_line_error(result.exit_code, result.stderr, "c.json", needle)
    assert not os.path.exists("x.wav")


def test_output_audio_is_checked_before_it_is_written(tmp_path):
    over = np.full(400, 0.99, np.float32)  # -0.09 dBTP: over the -1 dBTP promise
    with pytest.raises(LimitError, match="over the -1 dBTP ceiling"):
        inference.save_bars([over], 8000, tmp_path / "x.wav")
    with pytest.raises(LimitError, match="NaN"):
        inference.save_bars([np.full(400, np.nan, np.float32)], 8000, tmp_path / "y.wav")
    assert listing(tmp_path) == []


# --- 2. a server's self-description -------------------------------------------------------

AUDIO = dataclasses.asdict(load_recipe("tiny").audio)
GOOD = {"audio": AUDIO, "latent_dim": 4, "gl_iters": 2, "seed": 0}


def describing(settings_json) -> type[BaseHTTPRequestHandler]:
    """A loopback TF Serving stand-in whose ``config`` signature answers `settings_json`
    (and any other request with codes, which must never be asked for)."""

    class Describing(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002
            pass

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert body["signature_name"] == "config", "asked before the settings were checked"
            outputs = {"sample_rate": 8000, "n_fft": 512, "bar_frames": 64, "latent_dim": 4,
                       "gl_iters": 2, "seed": 0, "bar_length": 1,
                       "settings_json": settings_json}
            data = json.dumps({"outputs": outputs}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Describing


def _with(**changes) -> str:
    settings = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if key in AUDIO:
            settings["audio"][key] = value
        else:
            settings[key] = value
    return json.dumps(settings)


@pytest.mark.parametrize("settings_json,needle", [
    (_with(sample_rate=20_000_000), "audio.sample_rate"),
    (_with(sample_rate=-5), "audio.sample_rate"),
    (_with(bar_frames=10_000_000), "audio.bar_frames"),
    (_with(latent_dim="x"), "latent_dim"),
    (_with(latent_dim=10**9), "latent_dim"),
    (_with(gl_iters="abc"), "gl_iters"),
    (_with(seed=-1), "seed"),
    ([1, 2], "not a JSON object"),
    ("[1]", "not a JSON object"),
    ("{" * 100_000, "nests"),
    ('{"audio": NaN}', "not a JSON object"),
])
def test_a_server_describing_its_model_wrongly_is_refused(settings_json, needle):
    with serve(describing(settings_json), max_seconds=60) as srv:
        backend = RestBackend(srv.url, "m", timeout=10)
        with pytest.raises(ServingError, match=needle) as info:
            backend.audio  # noqa: B018
    assert "\n" not in str(info.value)


def test_a_wrong_sample_rate_fails_the_command_and_leaves_no_lock(loops, tmp_path):
    with serve(describing(_with(sample_rate=-5)), max_seconds=120) as srv:
        result = run("encode", loops["tgt"], "-o", "c.npz", "--server", srv.url,
                     "--model-name", "m")
    assert_one_line_error(result.exit_code, result.stderr, "audio.sample_rate")
    assert [n for n in listing(tmp_path) if n != "mlflow.db"] == []


# --- 3. memory bounded before parsing -----------------------------------------------------

def test_a_keras_file_whose_config_inflates_is_refused_unread(tmp_path):
    from drumaae.models import load_model

    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", "{}")
        z.writestr("config.json", b" " * (limits.MAX_MODEL_CONFIG_BYTES + 1))
    assert path.stat().st_size < 100_000
    with pytest.raises(CorruptModelError, match="config.json decompresses to"):
        load_model(path)


def test_a_keras_config_nested_deeply_is_refused(tmp_path):
    from drumaae.models import load_model

    path = tmp_path / "deep.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(CorruptModelError, match="nests 100000 levels"):
        load_model(path)


def _npy(array: np.ndarray, shape=None) -> bytes:
    buf = io.BytesIO()
    header = np.lib.format.header_data_from_array_1_0(array)
    if shape is not None:
        header["shape"] = shape
    np.lib.format.write_array_header_1_0(buf, header)
    buf.write(array.tobytes())
    return buf.getvalue()


def _npz(path, codes: bytes, compress=zipfile.ZIP_STORED) -> str:
    with zipfile.ZipFile(path, "w", compress) as z:
        z.writestr("codes.npy", codes)
        z.writestr("bpm.npy", _npy(np.asarray(120.0)))
        z.writestr("bar_length.npy", _npy(np.asarray(4000)))
        z.writestr("sample_rate.npy", _npy(np.asarray(8000)))
    return str(path)


def test_an_npz_header_lying_about_its_shape_is_refused_unallocated(model, tmp_path):
    codes = _npz(tmp_path / "c.npz", _npy(np.zeros((1, 4), np.float32),
                                          shape=(100_000_000, 128)))
    result = run("decode", codes, "-o", "x.wav", "--model", model)
    assert_one_line_error(result.exit_code, result.stderr, "c.npz", "header says")


def test_a_compressed_npz_of_millions_of_codes_is_refused_uninflated(tmp_path):
    import tracemalloc

    codes = _npz(tmp_path / "c.npz", _npy(np.zeros((2_500_000, 4), np.float32)),
                 zipfile.ZIP_DEFLATED)
    assert os.path.getsize(codes) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(LimitError, match="decompressing to"):
            inference.load_codes(codes)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, peak  # the 40 MB array was never inflated


def test_deep_json_codes_file_is_one_line(model, tmp_path):
    (tmp_path / "c.json").write_text('{"codes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run("decode", "c.json", "-o", "x.wav", "--model", model)
    assert_one_line_error(result.exit_code, result.stderr, "c.json", "nests")


# --- 4. a disk that fills up during the write ---------------------------------------------

@contextlib.contextmanager
def file_size_limit(nbytes: int):
    """Writes past `nbytes` fail with EFBIG, as on a file system that fills up mid-file
    (libsndfile then says only "System error.")."""
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, old_limit[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)


@pytest.mark.parametrize("out", ["morph", "bars.wav"])
def test_a_write_failing_midway_is_one_line_and_leaves_nothing(tmp_path, out):
    bars = [np.full(40_000, 0.1 * (i + 1), np.float32) * np.sin(np.arange(40_000))
            for i in range(3)]
    with file_size_limit(50_000), pytest.raises(OutputNotWritableError) as info:
        inference.save_bars(bars, 8000, tmp_path / out)
    message = str(info.value)
    assert "\n" not in message and f"cannot write {tmp_path / out}" in message, message
    assert "partial" not in message
    assert listing(tmp_path) == []


# --- 8. symlinked outputs ------------------------------------------------------------------

def _sampled(n: int, level: float) -> inference.Sampled:
    return inference.Sampled(bars=np.full((n, 400), level, np.float32),
                             codes=np.zeros((n, 2), np.float32), bpm=120.0, sample_rate=8000,
                             component=None, model="fake", seed=1)


def test_a_symlinked_output_folder_is_followed_never_replaced(tmp_path):
    inference.save_samples(_sampled(3, 0.1), tmp_path / "real")
    os.symlink(tmp_path / "real", tmp_path / "link")
    inference.save_samples(_sampled(2, 0.2), tmp_path / "link", force=True)
    assert os.path.islink(tmp_path / "link")
    assert listing(tmp_path) == ["link", "real"]  # no .partial-* or .replaced-* left
    assert listing(tmp_path / "real") == ["00.wav", "01.wav", "manifest.json"]
    assert json.loads((tmp_path / "real" / "manifest.json").read_text())["n"] == 2


def test_a_link_to_an_empty_folder_is_written_through(tmp_path):
    (tmp_path / "empty").mkdir()
    os.symlink(tmp_path / "empty", tmp_path / "link")
    inference.save_samples(_sampled(1, 0.1), tmp_path / "link")
    assert os.path.islink(tmp_path / "link")
    assert listing(tmp_path / "empty") == ["00.wav", "manifest.json"]


def test_a_symlinked_output_file_is_followed(tmp_path):
    (tmp_path / "real.json").write_text("{}")
    os.symlink(tmp_path / "real.json", tmp_path / "link.json")
    fileio.write_file(tmp_path / "link.json", "[1]\n", force=True)
    assert os.path.islink(tmp_path / "link.json")
    assert (tmp_path / "real.json").read_text() == "[1]\n"


# --- 5. MLflow lookups never create or modify a store --------------------------------------

def test_an_empty_file_is_not_turned_into_a_store(tmp_path):
    empty = tmp_path / "e.db"
    empty.write_bytes(b"")
    result = run("info", "--model", "models:/x/1", "--tracking-uri", f"sqlite:///{empty}")
    assert_one_line_error(result.exit_code, result.stderr, "is not an MLflow store",
                          "empty file")
    assert empty.stat().st_size == 0


def test_a_folder_or_a_foreign_database_fails_at_once(tmp_path):
    folder = tmp_path / "dir"
    folder.mkdir()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    before = other.read_bytes()
    for uri, needle in ((f"sqlite:///{folder}", "is a folder"),
                        (f"sqlite:///{other}", "not an MLflow store")):
        start = time.monotonic()
        result = run("models", "list", "--tracking-uri", uri)
        assert_one_line_error(result.exit_code, result.stderr, needle)
        assert time.monotonic() - start < 10
    assert other.read_bytes() == before and listing(folder) == []


# --- 6. passwords --------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("http://bob:S3CRET@127.0.0.1:9/v1", "http://***@127.0.0.1:9/v1"),
    ("at http://alice:p@S3CRET@host:8501 now", "at http://***@host:8501 now"),
    ("'https://u:pw@h/x'", "'https://***@h/x'"),
    ("models:/drums@prod and sqlite:///a@b.db", "models:/drums@prod and sqlite:///a@b.db"),
])
def test_redact_uses_the_last_at_of_the_authority(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("debug", [False, True])
def test_a_password_in_server_never_shows(loops, monkeypatch, debug):
    from tests.serving.test_client import _free_port

    url = f"http://alice:p@S3CRET@127.0.0.1:{_free_port()}"
    args = ["encode", loops["tgt"], "-o", "c.npz", "--server", url, "--model-name", "m"]
    monkeypatch.setattr(sys, "argv", ["drumaae", *(["--debug"] if debug else []), *args])
    result = CliRunner().invoke(cli, (["--debug"] if debug else []) + args)
    assert result.exit_code == 1
    assert "S3CRET" not in result.output and "alice" not in result.output, result.output
    assert "***@127.0.0.1" in result.output


# --- 7. options: one numeric type with ranges, ports, --pairs files ------------------------

@pytest.mark.parametrize("args,needle", [
    (["sample", "--seed", "-1", "--out", "s"], "seed must be a whole number, at least 0"),
    (["decode", "c.npz", "-o", "x.wav", "--seed", "99999999999999999999999"],
     f"at most {limits.MAX_SEED}"),
    (["interpolate", "a.wav", "b.wav", "--seed", "nan"], "seed"),
    (["encode", "a.wav", "-o", "c.npz", "--server", "http://127.0.0.1:99999",
      "--model-name", "m"], "Port out of range"),
    (["encode", "a.wav", "-o", "c.npz", "--server", "http://127.0.0.1:0",
      "--model-name", "m"], "at least 1"),
    (["interpolate", "a.wav", "b.wav", "--steps", "8", "--repeat", "100"], "at most 64"),
    (["interpolate", "a.wav", "b.wav", "--bar", "-1"], "bar must be a whole number"),
    (["corpus", "render", "--out", "c", "--seed", "-3"], "seed"),
])
def test_numbers_and_ports_are_option_errors(args, needle, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("a model was loaded before the option was checked")

    monkeypatch.setattr("keras.saving.load_model", no_model)
    result = run(*args)
    assert_one_line_error(result.exit_code, result.stderr, needle)


@pytest.mark.parametrize("content,needle", [
    (b"a.wav 'b.wav\n", "line 1: no closing quotation"),
    (bytes(range(256)) * 4, "not UTF-8 text"),
    (b"a.wav\x00 b.wav\n", "binary data"),
    (b"# only a comment\n", "lists no pairs"),
    (b"a.wav b.wav\nc.wav\n", "line 2: expected 'SRC TGT', got 1 field"),
])
def test_pairs_files_are_read_with_one_line_errors(tmp_path, content, needle):
    (tmp_path / "pairs.txt").write_bytes(content)
    result = run("interpolate", "--pairs", "pairs.txt")
    assert_one_line_error(result.exit_code, result.stderr, "pairs.txt", needle)


# --- 9. smaller ----------------------------------------------------------------------------

def test_bar_lists_print_as_ranges():
    assert bar_ranges(list(range(312))) == "0-311"
    assert bar_ranges([0, 1, 2, 3, 7, 9, 10]) == "0-3, 7, 9-10"
    assert bar_ranges([5]) == "5"
