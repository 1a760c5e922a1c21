"""Outputs that drop into a session (issue 30): WAVs at the input's rate with exact bars,
loudness matched to the input as heard, limiter notes, tempo notes before the work."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from drumaae import inference
from drumaae.audio.loudness import integrated_loudness
from drumaae_cli.main import cli
from tests.cli import GL_ITERS
from tests.conftest import drum_loop
from tests.inference.test_operations import FakeBackend


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _bar(rate, bpm):
    return int(round(rate * 240 / bpm))


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A stereo 44.1 kHz 2-bar loop at 100 BPM (its side partly out of phase) and a mono
    48 kHz 1-bar loop at 120 BPM."""
    folder = tmp_path_factory.mktemp("session")
    x = drum_loop(44100, 100.0, 2, pattern="funk")
    side = drum_loop(44100, 100.0, 2, pattern="rock", seed=3)
    sf.write(folder / "stereo.wav", np.stack([x + 0.5 * side, x - 0.5 * side], axis=1) * 0.6,
             44100, subtype="FLOAT")
    sf.write(folder / "mono48.wav", drum_loop(48000, 120.0, 1, pattern="house"), 48000)
    return folder


def test_interpolate_writes_at_the_sources_rate_and_exact_bars(model, session, tmp_path):
    res = invoke("interpolate", session / "stereo.wav", session / "mono48.wav", "--steps", 3,
                 "--tempo", "blend", "--bpm", 100, "--tgt-bpm", 120, "--out", tmp_path / "m",
                 "--model", model, "--gl-iters", GL_ITERS, "--no-figure", "--json")
    assert res.exit_code == 0, res.output
    manifest = json.loads(res.stdout)
    assert manifest["sample_rate"] == 44100
    assert manifest["inputs"][0]["channels"] == 2 and manifest["inputs"][1]["sample_rate"] == 48000
    for f in manifest["files"]:
        info = sf.info(tmp_path / "m" / f["file"])
        assert info.samplerate == 44100 and info.frames == _bar(44100, f["bpm"])
    # where the limiter took more than 1 dB, the manifest says which steps
    limited = [f["file"] for f in manifest["files"] if f["loudness"]["limited_db"] > 1.0]
    note = manifest["loudness"]["note"]
    assert (note is None) == (not limited)
    if limited:
        assert all(name in note for name in limited[:6]) and "limiter" in note
    res = invoke("interpolate", session / "stereo.wav", session / "mono48.wav", "--steps", 2,
                 "--bpm", 100, "--tgt-bpm", 120, "--out", tmp_path / "n", "--model", model,
                 "--gl-iters", GL_ITERS, "--no-figure", "--sample-rate", 48000)
    assert res.exit_code == 0, res.output
    assert "at 48000 Hz" in res.stdout
    assert sf.info(tmp_path / "n" / "00_alpha0.00.wav").frames == _bar(48000, 100.0)
    assert sf.info(tmp_path / "n" / "morph.wav").frames == 2 * _bar(48000, 100.0)
    res = invoke("interpolate", session / "stereo.wav", session / "mono48.wav", "--out",
                 tmp_path / "o", "--model", model, "--sample-rate", 100)
    assert res.exit_code == 1 and "--sample-rate" in res.output and "Hz" in res.output


def test_reconstruct_decode_and_sample_rates(model, session, tmp_path):
    out = tmp_path / "r.wav"
    res = invoke("reconstruct", session / "stereo.wav", "--bpm", 100, "--out", out, "--model",
                 model, "--gl-iters", GL_ITERS, "--json")
    assert res.exit_code == 0, res.output
    info = sf.info(out)
    assert info.samplerate == 44100 and info.frames == 2 * _bar(44100, 100.0)
    summary = json.loads(res.stdout)
    assert summary["sample_rate"] == 44100 and len(summary["loudness"]) == 2
    assert (summary["limiter_note"] is None) == all(
        lv["limited_db"] <= 1.0 for lv in summary["loudness"])
    codes = tmp_path / "c.npz"
    assert invoke("encode", session / "stereo.wav", "--bpm", 100, "--out", codes,
                  "--model", model).exit_code == 0
    res = invoke("decode", codes, "--out", tmp_path / "d.wav", "--model", model, "--gl-iters",
                 GL_ITERS, "--bpm", 120)
    assert res.exit_code == 0, res.output
    info = sf.info(tmp_path / "d.wav")  # the rate of the recording the codes came from
    assert info.samplerate == 44100 and info.frames == 2 * _bar(44100, 120.0)
    res = invoke("sample", "-n", 2, "--out", tmp_path / "s.wav", "--model", model,
                 "--gl-iters", GL_ITERS, "--seed", 1, "--sample-rate", 32000)
    assert res.exit_code == 0, res.output
    info = sf.info(tmp_path / "s.wav")
    assert info.samplerate == 32000 and info.frames == 2 * _bar(32000, 128.0)


def test_bar_loudness_is_measured_as_heard_over_the_channels(tiny_recipe):
    """A stereo bar whose sides partly cancel in a mono downmix is measured as a listener
    hears it: over both channels, at the file's rate."""
    sr = 44100
    x = drum_loop(sr, 120.0, 1, pattern="rock")
    stereo = np.stack([x, -0.8 * x], axis=1) * 0.5
    enc = inference.encode((stereo, sr), model=FakeBackend(tiny_recipe.audio), bpm=120.0)
    heard = integrated_loudness(stereo[: _bar(sr, 120.0)], sr)
    assert enc.lufs == [pytest.approx(heard, abs=0.01)]
    downmix = integrated_loudness(stereo.mean(axis=1)[: _bar(sr, 120.0)], sr)
    assert heard - downmix > 15.0  # what the old mono measurement lost
    assert enc.source.channels == 2


def test_tempo_notes_come_before_any_encoding_or_rendering(tiny_recipe, tmp_path):
    sr = 22050
    bar = drum_loop(sr, 135.8, 1)
    half = bar[: bar.size // 2]  # 0.88 s: 1 bar at 271.6 BPM, or half a bar at 135.8
    events = []

    class Recording(FakeBackend):
        def encode_bars(self, bars, refine=0):
            events.append("encode")
            return super().encode_bars(bars, refine)

        def decode_codes(self, codes, bar_length, **kw):
            events.append("render")
            return super().decode_codes(codes, bar_length, **kw)

    fake = Recording(tiny_recipe.audio)
    on_tempo = lambda role, name, reading: events.append(  # noqa: E731
        (role, name, [round(a.bpm, 1) for a in reading.alternatives]))
    inference.interpolate((half, sr), (half, sr), steps=2, model=fake, iters=1,
                          on_tempo=on_tempo)
    assert events[0][0] == "source" and events[0][2] and 135.8 in events[0][2]
    assert events.index("encode") == 1 and events[2][0] == "target"
    assert events[-1] == "render"
    events.clear()
    inference.reconstruct((half, sr), model=fake, iters=1, on_tempo=on_tempo)
    assert events[0][0] == "input" and 135.8 in events[0][2] and events[1] == "encode"


def test_every_command_that_reads_a_tempo_gives_the_same_note(model, tmp_path):
    sr = 22050
    bar = drum_loop(sr, 135.8, 1)
    half = tmp_path / "half.wav"
    sf.write(half, bar[: bar.size // 2], sr)
    runs = {
        "encode": (invoke("encode", half, "--out", tmp_path / "c.npz", "--model", model),
                   "--bars N or --bpm BPM"),
        "reconstruct": (invoke("reconstruct", half, "--out", tmp_path / "r.wav", "--model",
                               model, "--gl-iters", GL_ITERS), "--bars N or --bpm BPM"),
        "interpolate": (invoke("interpolate", half, half, "--steps", 2, "--out",
                               tmp_path / "m", "--model", model, "--gl-iters", GL_ITERS,
                               "--no-figure"), "--src-bars N or --src-bpm BPM"),
    }
    notes = {}
    for command, (res, options) in runs.items():
        assert res.exit_code == 0, (command, res.output)
        lines = [ln for ln in res.stderr.splitlines() if ln.startswith("half.wav: read as")]
        assert lines and options in lines[0], (command, res.stderr)
        assert "half a bar at 135.8 BPM" in lines[0]
        notes[command] = lines[0].split("; pick one")[0].replace("--src-", "--")
    assert len(set(notes.values())) == 1, notes  # the same reading and alternatives
