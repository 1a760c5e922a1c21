"""`drumaae interpolate` with many pairs in one process, and its one-line tempo notes."""

from __future__ import annotations

import json
import os

import soundfile as sf
from click.testing import CliRunner

from drumaae_cli.main import cli
from tests.cli import GL_ITERS, SR
from tests.conftest import drum_loop


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_pairs_file_writes_one_folder_per_pair(model, loops, tmp_path):
    listing = tmp_path / "pairs.txt"
    listing.write_text(f"# source target\n{loops['src']} {loops['tgt']}\n\n"
                       f"'{loops['tgt']}' {loops['src']}\n")
    out = tmp_path / "morphs"
    res = invoke("interpolate", "--pairs", listing, "--steps", 2, "--out", out, "--model",
                 model, "--gl-iters", GL_ITERS, "--no-figure", "--json")
    assert res.exit_code == 0, res.output
    manifests = json.loads(res.stdout)["pairs"]
    assert sorted(os.listdir(out)) == ["src_to_tgt", "tgt_to_src"]
    assert [m["inputs"][0]["name"] for m in manifests] == ["src.wav", "tgt.wav"]
    for m in manifests:
        assert os.path.isfile(os.path.join(m["out_dir"], "manifest.json"))


def test_source_against_a_folder_of_targets(model, loops, tmp_path):
    targets = tmp_path / "targets"
    targets.mkdir()
    for name in ("b.wav", "a.flac"):
        sf.write(targets / name, drum_loop(SR, 120.0, 1, seed=len(name)), SR)
    (targets / "notes.txt").write_text("not a target\n")
    out = tmp_path / "morphs"
    res = invoke("interpolate", loops["src"], targets, "--steps", 2, "--out", out, "--model",
                 model, "--gl-iters", GL_ITERS, "--no-figure")
    assert res.exit_code == 0, res.output
    assert sorted(os.listdir(out)) == ["src_to_a", "src_to_b"]


def test_bad_pairs_are_one_line_errors_before_any_output(model, loops, tmp_path):
    listing = tmp_path / "pairs.txt"
    listing.write_text(f"{loops['src']} {loops['tgt']}\n{loops['src']}\n")
    res = invoke("interpolate", "--pairs", listing, "--out", tmp_path / "o", "--model", model)
    assert res.exit_code == 1 and "line 2" in res.output and "Traceback" not in res.output
    listing.write_text(f"{loops['src']} {tmp_path / 'missing.wav'}\n")
    res = invoke("interpolate", "--pairs", listing, "--out", tmp_path / "o", "--model", model)
    assert res.exit_code == 1 and "missing.wav" in res.output
    assert not os.path.exists(tmp_path / "o" / "src_to_missing")
    res = invoke("interpolate", loops["src"], "--model", model)
    assert res.exit_code in (1, 2) and "--pairs" in res.output


def test_ambiguous_tempo_and_short_loop_are_said_on_stderr(model, tmp_path):
    # 2 bars of house at 172 BPM, or 1 bar at 86 (as the tiny model's 8 kHz hears it)
    ambiguous = tmp_path / "two_bars_or_one.wav"
    sf.write(ambiguous, drum_loop(SR, 172.0, 2, pattern="house"), SR)
    half = tmp_path / "half.wav"  # two beats at 135.8 BPM
    bar = drum_loop(SR, 135.8, 1)
    sf.write(half, bar[: bar.size // 2], SR)
    res = invoke("interpolate", ambiguous, half, "--steps", 2, "--out", tmp_path / "m",
                 "--model", model, "--gl-iters", GL_ITERS, "--no-figure")
    assert res.exit_code == 0, res.output
    notes = [line for line in res.stderr.splitlines() if "it also fits" in line]
    assert any(line.startswith("two_bars_or_one.wav: read as") and "--src-bars N" in line
               for line in notes), res.stderr
    assert any(line.startswith("half.wav: read as 1 bar at") and "half a bar at 135.8 BPM"
               in line and "--fill loop" in line for line in notes), res.stderr
    res = invoke("interpolate", ambiguous, half, "--steps", 2, "--out", tmp_path / "n",
                 "--model", model, "--tgt-bpm", 135.8)
    assert res.exit_code == 1 and "--fill loop" in res.output
    res = invoke("interpolate", ambiguous, half, "--steps", 2, "--out", tmp_path / "n",
                 "--model", model, "--tgt-bpm", 135.8, "--fill", "loop", "--gl-iters",
                 GL_ITERS, "--no-figure", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["inputs"][1]["n_bars"] == 1
