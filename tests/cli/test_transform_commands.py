"""encode, decode, interpolate, reconstruct, sample and info through click's CliRunner."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from drumaae.config import load_recipe
from drumaae_cli.main import cli
from tests.cli import GL_ITERS, SR, SRC_BPM, TGT_BPM, out_bar

AUDIO = load_recipe("tiny").audio  # the model renders at 8 kHz; the input files are at SR


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_every_command_has_help_with_an_example():
    for name in ("encode", "decode", "interpolate", "reconstruct", "sample", "info"):
        text = run(name, "--help").output
        assert "Example:" in text and f"drumaae {name}" in text


def test_interpolate_writes_steps_figure_and_manifest(model, loops, tmp_path):
    out = tmp_path / "morph"
    result = run("interpolate", loops["src"], loops["tgt"], "--steps", 5, "--out", out,
                 "--model", model, "--src-bpm", SRC_BPM, "--tgt-bpm", TGT_BPM,
                 "--gl-iters", GL_ITERS, "--json")
    manifest = json.loads(result.stdout)
    names = [f"{i:02d}_alpha{a:.2f}.wav" for i, a in enumerate([0, .25, .5, .75, 1])]
    assert sorted(os.listdir(out)) == sorted(names + ["interpolation.png", "manifest.json",
                                                      "morph.wav"])
    bar = out_bar(SR, SRC_BPM)  # at the source file's rate
    for name in names:
        info = sf.info(out / name)
        assert (info.samplerate, info.frames) == (SR, bar)
    assert manifest["sample_rate"] == SR
    png = (out / "interpolation.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    assert matplotlib.image.imread(out / "interpolation.png").shape[1] > 500
    assert json.loads((out / "manifest.json").read_text())["codes"] == manifest["codes"]
    src_in, tgt_in = manifest["inputs"]
    import hashlib

    assert src_in["sha256"] == hashlib.sha256(open(loops["src"], "rb").read()).hexdigest()
    assert src_in["path"] == os.path.abspath(loops["src"])
    assert (src_in["bpm"], tgt_in["bpm"], src_in["bar"], tgt_in["bar"]) == \
        (SRC_BPM, TGT_BPM, 0, 0)
    assert manifest["model"] == model and manifest["alphas"] == [0, .25, .5, .75, 1]
    assert manifest["tempo"] == "source" and manifest["bpm"] == [SRC_BPM] * 5
    assert [f["file"] for f in manifest["files"]] == names
    assert np.array(manifest["codes"]).shape == (5, 4)
    assert manifest["codes"][0] == pytest.approx(src_in["code"])
    assert manifest["codes"][-1] == pytest.approx(tgt_in["code"])
    # how the steps were rendered (the default: re-timed): each at the tempo its code was
    # made at, so both endpoints at their own tempo, from their inputs' phases
    step = (TGT_BPM - SRC_BPM) / 4
    assert manifest["rendering"] == {
        "input_phase": [0, 4], "retime": True, "blend_labels": False,
        "native_bpm": pytest.approx([SRC_BPM + k * step for k in range(5)])}


def test_interpolate_tempo_bar_and_default_out(model, loops, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("interpolate", loops["src"], loops["tgt"], "--steps", 3, "--model", model,
        "--tempo", "blend", "--src-bar", 1, "--bpm", SRC_BPM, "--tgt-bpm", TGT_BPM,
        "--gl-iters", 1, "--no-figure", "--repeat", 2, "--no-match-loudness")
    out = tmp_path / "src_to_tgt"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["bar"] == 1 and manifest["tempo"] == "blend"
    bpms = [SRC_BPM, (SRC_BPM + TGT_BPM) / 2, TGT_BPM]
    assert manifest["bpm"] == pytest.approx(bpms)
    lengths = [sf.info(out / f["file"]).frames for f in manifest["files"]]
    assert lengths == [out_bar(SR, b) for b in bpms]
    assert manifest["figure"] is None and not (out / "interpolation.png").exists()
    # morph.wav: the steps in order, each twice, without drift; raw level kept.
    assert sf.info(out / "morph.wav").frames == 2 * sum(lengths)
    assert manifest["joined"]["repeat"] == 2 and manifest["joined"]["bars"] == 6
    assert manifest["loudness"]["matched"] is False
    assert all(f["loudness"]["gain_db"] == 0.0 for f in manifest["files"])


def test_interpolate_keeps_existing_output_unless_force(model, loops, tmp_path):
    out = tmp_path / "morph"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    args = ["interpolate", loops["src"], loops["tgt"], "--steps", 2, "--out", out,
            "--model", model, "--src-bpm", SRC_BPM, "--tgt-bpm", TGT_BPM, "--gl-iters", 1,
            "--no-figure"]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 1 and "--force" in result.output
    assert os.listdir(out) == ["mine.txt"]
    run(*args, "--force")
    assert sorted(os.listdir(out)) == ["00_alpha0.00.wav", "01_alpha1.00.wav", "manifest.json",
                                       "mine.txt", "morph.wav"]


def test_no_partial_output_after_a_bad_target(model, loops, tmp_path):
    out = tmp_path / "morph"
    result = CliRunner().invoke(cli, ["interpolate", loops["src"], loops["text"], "--out",
                                      str(out), "--model", model, "--bpm", "100"])
    assert result.exit_code == 1 and "Error:" in result.output
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("ext", ["npz", "json"])
def test_encode_then_decode_round_trip(model, loops, tmp_path, ext):
    codes = tmp_path / f"src.{ext}"
    summary = json.loads(run("encode", loops["src"], "--out", codes, "--model", model,
                             "--bpm", SRC_BPM, "--json").stdout)
    assert summary["n_bars"] == 2 and summary["bars"] == [0, 1] and summary["bpm"] == SRC_BPM
    from drumaae import inference

    direct = inference.encode(loops["src"], model=model, bpm=SRC_BPM)
    np.testing.assert_allclose(inference.load_codes(str(codes)).codes, direct.codes, atol=1e-6)
    wav = tmp_path / "back.wav"
    run("decode", codes, "--out", wav, "--model", model, "--gl-iters", 1)
    # at the rate of the recording the codes came from (the codes file records it)
    assert (sf.info(wav).samplerate, sf.info(wav).frames) == (SR, 2 * out_bar(SR, SRC_BPM))
    run("decode", codes, "--out", wav, "--model", model, "--gl-iters", 1, "--bpm", 140,
        "--force")
    assert sf.info(wav).frames == 2 * out_bar(SR, 140)
    again = CliRunner().invoke(cli, ["decode", str(codes), "--out", str(wav), "--model", model])
    assert again.exit_code == 1 and "--force" in again.output
    one = tmp_path / f"bar1.{ext}"
    run("encode", loops["src"], "--out", one, "--model", model, "--bpm", SRC_BPM, "--bar", 1)
    assert inference.load_codes(str(one)).bars == [1]


def test_reconstruct_sample_and_info(model, loops, tmp_path):
    wav = tmp_path / "rec.wav"
    run("reconstruct", loops["tgt"], "--out", wav, "--model", model, "--bpm", TGT_BPM,
        "--gl-iters", 1)
    assert (sf.info(wav).samplerate, sf.info(wav).frames) == (SR, out_bar(SR, TGT_BPM))
    out = tmp_path / "samples"
    res = json.loads(run("sample", "-n", 3, "--out", out, "--model", model, "--bpm", 100,
                         "--seed", 2, "--component", 1, "--gl-iters", 1, "--json").stdout)
    assert sorted(os.listdir(out)) == ["00.wav", "01.wav", "02.wav", "manifest.json"]
    assert res["component"] == 1 and np.array(res["codes"]).shape == (3, 4)
    # no input to follow: the model's rate
    assert (sf.info(out / "00.wav").samplerate, sf.info(out / "00.wav").frames) == (
        AUDIO.sample_rate, AUDIO.bar_samples(100))
    one = tmp_path / "s.wav"
    run("sample", "-n", 2, "--out", one, "--model", model, "--gl-iters", 1)
    assert sf.info(one).frames == 2 * AUDIO.bar_samples(128)
    info = json.loads(run("info", "--model", model, "--json").stdout)
    assert info["recipe"] == "tiny" and info["latent_dim"] == 4 and info["format_version"] == 1
    assert info["parameters"]["total"] == sum(
        v for k, v in info["parameters"].items() if k != "total") > 0
    text = run("info", "--model", model).output
    assert "8000 Hz" in text and "parameters:" in text


def test_server_option_without_client_is_one_line_error(loops, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "drumaae.serving.client", None)
    result = CliRunner().invoke(cli, ["interpolate", loops["src"], loops["tgt"], "--out",
                                      str(tmp_path / "o"), "--server", "http://localhost:8501",
                                      "--model-name", "drumaae"])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Error:") and "--server" in result.stderr
    both = CliRunner().invoke(cli, ["encode", loops["src"], "-o", str(tmp_path / "c.npz"),
                                    "--server", "http://x", "--model", "m.keras",
                                    "--model-name", "n"])
    assert both.exit_code == 1 and "not both" in both.stderr


def test_retime_flag_renders_at_the_codes_tempo_then_slices(model, loops, tmp_path):
    """--retime (the default) on decode and sample: exact bars at --bpm, and not the direct
    render of --no-retime (each bar rendered at the tempo its code was made at, then
    re-timed by slices)."""
    codes = tmp_path / "src.npz"
    run("encode", loops["src"], "--out", codes, "--model", model, "--bpm", SRC_BPM)
    direct, sliced = tmp_path / "direct.wav", tmp_path / "sliced.wav"
    run("decode", codes, "--out", direct, "--model", model, "--gl-iters", 2, "--bpm", 140,
        "--no-retime")
    run("decode", codes, "--out", sliced, "--model", model, "--gl-iters", 2, "--bpm", 140)
    a, b = sf.read(direct)[0], sf.read(sliced)[0]
    assert a.shape == b.shape == (2 * out_bar(SR, 140),) and not np.allclose(a, b)
    for k, flag in enumerate(["--no-retime", "--retime"]):
        run("sample", "-n", 1, "--out", tmp_path / f"s{k}.wav", "--model", model,
            "--bpm", 100, "--seed", 3, "--gl-iters", 2, flag)
    a, b = sf.read(tmp_path / "s0.wav")[0], sf.read(tmp_path / "s1.wav")[0]
    assert a.shape == b.shape == (AUDIO.bar_samples(100),) and not np.allclose(a, b)
    # interpolate: each step made at the blend of the inputs' tempi, both endpoints at their
    # own tempo (so from their inputs' phases), re-timed onto the source's
    out = tmp_path / "morph"
    manifest = json.loads(run("interpolate", loops["src"], loops["tgt"], "--steps", 3,
                              "--out", out, "--model", model, "--src-bpm", SRC_BPM,
                              "--tgt-bpm", TGT_BPM, "--gl-iters", 2, "--retime",
                              "--blend-labels", "--no-figure", "--json").stdout)
    assert manifest["bpm"] == [SRC_BPM] * 3
    assert manifest["rendering"]["native_bpm"] == pytest.approx(
        [SRC_BPM, (SRC_BPM + TGT_BPM) / 2, TGT_BPM])
    assert manifest["rendering"]["input_phase"] == [0, 2]
    assert manifest["rendering"]["retime"] is True
    # the tiny model's generator is unconditioned: there is no label to blend
    assert manifest["rendering"]["blend_labels"] is False
    assert sf.info(out / "02_alpha1.00.wav").frames == out_bar(SR, SRC_BPM)
