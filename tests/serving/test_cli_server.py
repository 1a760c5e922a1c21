"""`drumaae interpolate/encode --server URL --model-name NAME` against the stand-in server:
same outputs as local inference with the same model and Griffin-Lim settings."""

from __future__ import annotations

import json
import os

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from drumaae_cli.main import cli


def _wavs(tmp_path, exported, make_loop):
    sr = exported.audio.sample_rate
    paths = []
    for i, pattern in enumerate(("rock", "funk")):
        path = tmp_path / f"{pattern}.wav"
        sf.write(path, make_loop(sr, 120.0, bars=1, seed=i, pattern=pattern), sr)
        paths.append(str(path))
    return paths


def test_interpolate_through_the_server_matches_local(server, exported, make_loop, tmp_path):
    src, tgt = _wavs(tmp_path, exported, make_loop)
    common = [src, tgt, "--steps", "3", "--bpm", "120", "--bars", "1", "--no-figure"]
    runner = CliRunner()
    remote = runner.invoke(cli, ["interpolate", *common, "--server", server.url,
                                 "--model-name", "drums", "--out", str(tmp_path / "remote")])
    assert remote.exit_code == 0, remote.output
    assert any(r.startswith("POST /v1/models/drums:predict") for r in server.requests)
    # A served model cannot refine codes, so it takes none by default, and starts Griffin-Lim
    # from random phases; the local model is asked for the same, to compare one computation.
    local = runner.invoke(cli, ["interpolate", *common, "--model", str(exported.keras_path),
                                "--gl-iters", str(exported.gl_iters), "--refine", "0",
                                "--random-phase", "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output

    m_remote = json.load(open(tmp_path / "remote" / "manifest.json"))
    m_local = json.load(open(tmp_path / "local" / "manifest.json"))
    assert [i["refine"] for i in m_remote["inputs"] + m_local["inputs"]] == [0] * 4
    assert len(m_remote["files"]) == 3
    assert "/v1/models/drums" in json.dumps(m_remote["model"])
    np.testing.assert_allclose(np.asarray(m_remote["codes"]), np.asarray(m_local["codes"]),
                               atol=1e-4)
    for a, b in zip(m_remote["files"], m_local["files"]):
        assert a["file"] == b["file"]
        x, sr_x = sf.read(tmp_path / "remote" / a["file"], dtype="float32")
        y, sr_y = sf.read(tmp_path / "local" / b["file"], dtype="float32")
        assert sr_x == sr_y == exported.audio.sample_rate and x.shape == y.shape
        np.testing.assert_allclose(x, y, atol=2e-3 * max(1e-3, float(np.abs(y).max())) + 1e-4)


def test_server_errors_are_one_line_exit_1(server, exported, make_loop, tmp_path):
    src, tgt = _wavs(tmp_path, exported, make_loop)
    runner = CliRunner()
    result = runner.invoke(cli, ["interpolate", src, tgt, "--steps", "3", "--bpm", "120",
                                 "--server", server.url, "--model-name", "nope",
                                 "--out", str(tmp_path / "o1")])
    assert result.exit_code == 1
    assert "HTTP 404" in result.output and "--model-name" in result.output
    assert not os.path.exists(tmp_path / "o1")
    result = runner.invoke(cli, ["interpolate", src, tgt, "--steps", "3", "--bpm", "120",
                                 "--server", server.url, "--model-name", "drums",
                                 "--gl-iters", "99", "--out", str(tmp_path / "o2")])
    assert result.exit_code == 1 and "Griffin-Lim" in result.output


def test_encode_then_decode_through_the_server(server, exported, make_loop, tmp_path):
    src, _ = _wavs(tmp_path, exported, make_loop)
    runner = CliRunner()
    remote = ["--server", server.url, "--model-name", "drums"]
    result = runner.invoke(cli, ["encode", src, "--bpm", "120", "--bars", "1",
                                 "--out", str(tmp_path / "codes.npz"), *remote])
    assert result.exit_code == 0, result.output
    local = runner.invoke(cli, ["encode", src, "--bpm", "120", "--bars", "1",
                                "--out", str(tmp_path / "local.npz"), "--refine", "0",
                                "--model", str(exported.keras_path)])
    assert local.exit_code == 0, local.output
    np.testing.assert_allclose(np.load(tmp_path / "codes.npz")["codes"],
                               np.load(tmp_path / "local.npz")["codes"], atol=1e-4)
    result = runner.invoke(cli, ["decode", str(tmp_path / "codes.npz"),
                                 "--out", str(tmp_path / "bar.wav"), *remote])
    assert result.exit_code == 0, result.output
    wave, sr = sf.read(tmp_path / "bar.wav", dtype="float32")
    assert sr == exported.audio.sample_rate
    assert len(wave) == exported.audio.bar_samples(120.0)
