"""Provenance (issue 14): every output records the model as given, its file's sha256 and where
it resolved to; `decode` refuses codes made by another model unless --force."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from drumaae import registry
from drumaae_cli.main import cli
from tests.cli import GL_ITERS, SRC_BPM, TGT_BPM, shared_dir


def _sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def other_model(tmp_path_factory):
    """A second tiny model, with other weights (seed 1) than the shared one (seed 0)."""
    path = os.path.join(shared_dir(tmp_path_factory), "tiny_other.keras")
    if not os.path.exists(path):
        from drumaae.config import load_recipe
        from drumaae.models import build_model, save_model

        save_model(build_model(load_recipe("tiny"), seed=1), path)
    return path


@pytest.fixture(scope="module")
def codes(model, loops, tmp_path_factory):
    """Codes of the source loop's first bar, encoded with the shared tiny model."""
    out = os.path.join(str(tmp_path_factory.mktemp("codes")), "src.npz")
    result = CliRunner().invoke(cli, ["encode", loops["src"], "--bar", "0", "--bpm",
                                      str(SRC_BPM), "--model", model, "--out", out, "--json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_model_identity_is_computed_once_per_file_version(model, tmp_path):
    ident = registry.model_identity(model)
    assert ident == {"ref": model, "path": os.path.abspath(model), "sha256": _sha256(model)}
    copy = tmp_path / "copy.keras"
    copy.write_bytes(open(model, "rb").read())
    first = registry.model_sha256(copy)
    with open(copy, "ab") as f:  # a changed file (new size and mtime) is hashed again
        f.write(b"\0")
    assert registry.model_sha256(copy) != first == _sha256(model)
    # The cached digest is reused while the file's mtime and size stay.
    st = os.stat(copy)
    key = (str(copy), st.st_mtime_ns, st.st_size)
    assert key in registry._HASHES
    registry._HASHES[key] = "cached"
    assert registry.model_sha256(copy) == "cached"


def test_encode_records_the_model_in_the_codes_file(codes, model):
    path, summary = codes
    expected = {"ref": model, "path": os.path.abspath(model), "sha256": _sha256(model)}
    assert summary["model_identity"] == expected
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
    assert meta["model_identity"] == expected


def test_decode_with_the_same_model_is_silent(codes, model, tmp_path):
    result = CliRunner().invoke(cli, ["decode", codes[0], "--model", model, "--gl-iters",
                                      str(GL_ITERS), "--out", str(tmp_path / "a.wav"), "--json"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["model_identity"]["sha256"] == summary["encoded_with_identity"]["sha256"]


def test_decode_refuses_codes_of_another_model(codes, model, other_model, tmp_path):
    out = tmp_path / "b.wav"
    args = ["decode", codes[0], "--model", other_model, "--gl-iters", str(GL_ITERS),
            "--out", str(out)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 1 and not out.exists()
    lines = [l for l in refused.output.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), refused.output
    for word in (model, other_model, "--force", _sha256(model)[:12],
                 _sha256(other_model)[:12]):
        assert word in lines[0]
    forced = CliRunner().invoke(cli, args + ["--force", "--json"])
    assert forced.exit_code == 0, forced.output
    warnings = [l for l in forced.stderr.splitlines() if l.startswith("Warning:")]
    assert len(warnings) == 1 and "--force" in warnings[0] and model in warnings[0]
    assert out.exists() and json.loads(forced.stdout)["model"] == other_model


def test_codes_without_a_model_hash_decode_with_a_warning(codes, model, tmp_path):
    with np.load(codes[0]) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["model_identity"]  # as written before codes files recorded the model
    arrays["meta"] = np.str_(json.dumps(meta))
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    result = CliRunner().invoke(cli, ["decode", str(old), "--model", model, "--gl-iters",
                                      str(GL_ITERS), "--out", str(tmp_path / "old.wav")])
    assert result.exit_code == 0, result.output
    warnings = [l for l in result.stderr.splitlines() if l.startswith("Warning:")]
    assert len(warnings) == 1 and "does not record which model" in warnings[0]


def test_manifests_record_the_model(model, loops, tmp_path):
    expected = {"ref": model, "path": os.path.abspath(model), "sha256": _sha256(model)}
    morph = tmp_path / "morph"
    result = CliRunner().invoke(cli, [
        "interpolate", loops["src"], loops["tgt"], "--steps", "2", "--src-bpm", str(SRC_BPM),
        "--tgt-bpm", str(TGT_BPM),
        "--model", model, "--gl-iters", "1", "--no-figure", "--out", str(morph)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((morph / "manifest.json").read_text())
    assert manifest["model"] == model and manifest["model_identity"] == expected
    samples = tmp_path / "samples"
    result = CliRunner().invoke(cli, ["sample", "-n", "1", "--seed", "0", "--gl-iters", "1",
                                      "--model", model, "--out", str(samples)])
    assert result.exit_code == 0, result.output
    assert json.loads((samples / "manifest.json").read_text())["model_identity"] == expected
    result = CliRunner().invoke(cli, ["reconstruct", loops["tgt"], "--bpm", "120", "--model",
                                      model, "--gl-iters", "1", "--out",
                                      str(tmp_path / "r.wav"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model_identity"] == expected
