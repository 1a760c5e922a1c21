"""drumaae.inference.outputs: manifests name their producer, --force replaces only our files,
an input is never an output (no model needed: results are built by hand)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

from drumaae import fileio, inference
from drumaae.errors import OutputExistsError

SR = 8000


def _encoded(path: str, code: float) -> inference.Encoded:
    source = inference.Source(os.path.basename(path), path, "0" * 64, SR, 0.5)
    return inference.Encoded(codes=np.full((1, 2), code, np.float32), bpm=120.0,
                             bar_length=400, sample_rate=SR, bars=[0], starts=[0],
                             n_bars=1, source=source, model="fake")


def _interpolation(tmp_path, steps: int) -> inference.Interpolation:
    alphas = inference.interpolation_alphas(steps)
    src, tgt = _encoded(str(tmp_path / "src.wav"), 0.0), _encoded(str(tmp_path / "tgt.wav"), 1.0)
    bars = [np.full(400, 0.1 * (i + 1), np.float32) for i in range(steps)]
    return inference.Interpolation(alphas=alphas, codes=np.zeros((steps, 2), np.float32),
                                   bars=bars, bpms=[120.0] * steps, tempo="source",
                                   source=src, target=tgt, sample_rate=SR, model="fake",
                                   iters=1, seed=0)


def _sampled(n: int) -> inference.Sampled:
    return inference.Sampled(bars=np.full((n, 400), 0.2, np.float32),
                             codes=np.zeros((n, 2), np.float32), bpm=120.0, sample_rate=SR,
                             component=None, model="fake", seed=1)


def test_manifests_name_producer_kind_and_version(tmp_path):
    manifest = inference.save_interpolation(_interpolation(tmp_path, 3), tmp_path / "m",
                                            figure=False)
    on_disk = json.loads((tmp_path / "m" / "manifest.json").read_text())
    for m in (manifest, on_disk):
        assert m["producer"] == "drumaae" and m["kind"] == inference.INTERPOLATION_KIND
        assert m["drumaae_version"]
    samples = inference.save_samples(_sampled(2), tmp_path / "s")
    assert samples["producer"] == "drumaae" and samples["kind"] == inference.SAMPLE_KIND
    assert [f["file"] for f in samples["files"]] == ["00.wav", "01.wav"]


def test_force_on_a_foreign_manifest_deletes_nothing(tmp_path):
    """The reliability probe's case: --force once deleted the files any manifest listed."""
    out = tmp_path / "f"
    out.mkdir()
    (out / "thesis.txt").write_text("x")
    (out / "results.csv").write_text("x")
    (out / "manifest.json").write_text(json.dumps(
        {"kind": "other", "files": [{"file": "results.csv"}], "figure": "thesis.txt"}))
    with pytest.raises(OutputExistsError, match="did not write"):
        inference.save_interpolation(_interpolation(tmp_path, 2), out, force=True, figure=False)
    assert sorted(os.listdir(out)) == ["manifest.json", "results.csv", "thesis.txt"]
    assert sorted(os.listdir(tmp_path)) == ["f"]


def test_force_replaces_a_whole_earlier_output_and_keeps_user_files(tmp_path):
    out = tmp_path / "m"
    inference.save_interpolation(_interpolation(tmp_path, 5), out, figure=False)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="--force"):
        inference.save_interpolation(_interpolation(tmp_path, 2), out, figure=False)
    new = inference.save_interpolation(_interpolation(tmp_path, 2), out, force=True,
                                       figure=False)
    ours = fileio.manifest_files(new)
    assert "00_alpha0.00.wav" in ours and "04_alpha1.00.wav" not in ours
    assert sorted(os.listdir(out)) == sorted(ours + ["manifest.json", "notes.txt"])
    # Samples are another kind of output: not replaced by an interpolation's --force.
    with pytest.raises(OutputExistsError, match="another kind"):
        inference.save_samples(_sampled(2), out, force=True)


def test_sample_force_from_four_to_two_leaves_no_stale_bars(tmp_path):
    out = tmp_path / "s"
    inference.save_samples(_sampled(4), out)
    inference.save_samples(_sampled(2), out, force=True)
    assert sorted(os.listdir(out)) == ["00.wav", "01.wav", "manifest.json"]
    one = tmp_path / "s.wav"
    inference.save_samples(_sampled(3), one)
    assert sf.info(one).frames == 3 * 400


def test_an_input_is_never_an_output(tmp_path):
    wav = tmp_path / "x.wav"
    sf.write(wav, np.zeros(400, np.float32), SR)
    before = wav.read_bytes()
    with pytest.raises(OutputExistsError, match="input"):
        inference.save_bars([np.ones(400, np.float32) * 0.5], SR, wav, force=True,
                            inputs=[str(wav)])
    assert wav.read_bytes() == before
    enc = _encoded(str(tmp_path / "codes.json"), 0.5)
    (tmp_path / "codes.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="input"):
        inference.save_codes(enc, tmp_path / "codes.json", force=True)
    # An interpolation cannot replace the step file it reads from.
    out = tmp_path / "m"
    res = _interpolation(tmp_path, 2)
    inference.save_interpolation(res, out, figure=False)
    res.source.source.path = str(out / "00_alpha0.00.wav")
    with pytest.raises(OutputExistsError, match="input"):
        inference.save_interpolation(res, out, force=True, figure=False)


def test_outputs_have_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        inference.save_samples(_sampled(1), tmp_path / "s")
        inference.save_bars([np.zeros(400, np.float32)], SR, tmp_path / "a.wav")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "s").st_mode & 0o777 == 0o755
    for path in (tmp_path / "s" / "00.wav", tmp_path / "s" / "manifest.json",
                 tmp_path / "a.wav"):
        assert os.stat(path).st_mode & 0o777 == 0o644


@pytest.mark.parametrize("command", ["reconstruct", "encode"])
def test_the_cli_refuses_to_overwrite_its_input_before_loading_a_model(tmp_path, command):
    from click.testing import CliRunner

    from drumaae_cli.main import cli

    wav = tmp_path / "x.wav"
    sf.write(wav, np.zeros(SR, np.float32), SR)
    before = wav.read_bytes()
    out = wav if command == "reconstruct" else tmp_path / "x.json"
    if command == "encode":
        out.write_text("{}")
        # The codes file is not the input: --force may replace it (no model here: the
        # bundled default would load, so only the refusal is checked).
    res = CliRunner().invoke(cli, [command, str(wav), "--out", str(out), "--force",
                                   "--model", str(tmp_path / "missing.keras")])
    assert res.exit_code == 1
    if command == "reconstruct":
        assert "is an input" in res.output and wav.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == sorted({"x.wav", out.name})
