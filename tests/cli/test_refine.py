"""--refine: code refinement after the encoder, on encode / reconstruct / interpolate."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from drumaae import inference
from drumaae_cli.main import cli
from tests.cli import SRC_BPM, TGT_BPM


def test_refine_moves_codes_and_fits_better(model, loops):
    from drumaae.audio.features import bar_features
    from drumaae.models import load_model

    net = load_model(model)
    plain = inference.encode(loops["src"], model=net, bpm=SRC_BPM, refine=0)
    refined = inference.encode(loops["src"], model=net, bpm=SRC_BPM, refine=40)
    assert refined.codes.shape == plain.codes.shape
    assert not np.allclose(refined.codes, plain.codes)
    feats = np.asarray(bar_features(plain.waveforms, inference.load_backend(net).audio))
    err = lambda codes: float(np.abs(np.asarray(net.decode(codes)) - feats).mean())  # noqa: E731
    # Without the prior term the steps only fit the features (an untrained model's prior
    # term can outweigh its tiny fit gradients, so the fit alone is checked here).
    fitted = net.refine(feats, plain.codes, steps=40, prior_weight=0.0)
    assert err(fitted) < err(plain.codes)


def test_refine_option_on_commands(model, loops, tmp_path):
    runner = CliRunner()
    out = tmp_path / "codes.npz"
    res = runner.invoke(cli, ["encode", str(loops["src"]), "--out", str(out), "--model", model,
                              "--bpm", str(SRC_BPM), "--refine", "5"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["interpolate", str(loops["src"]), str(loops["tgt"]), "--steps",
                              "2", "--out", str(tmp_path / "m"), "--model", model, "--src-bpm",
                              str(SRC_BPM), "--tgt-bpm", str(TGT_BPM), "--gl-iters", "1",
                              "--refine", "3", "--no-figure"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["reconstruct", str(loops["src"]), "--out", str(tmp_path / "r.wav"),
                              "--model", model, "--refine", "-1"])
    assert res.exit_code == 1 and "refine" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "r.wav").exists()


def test_refine_needs_a_local_model():
    from drumaae.errors import DrumaaeError
    from drumaae.serving.client import RestBackend

    backend = RestBackend.__new__(RestBackend)
    with pytest.raises(DrumaaeError, match="local model"):
        backend.encode_bars(np.zeros((1, 100), np.float32), refine=5)


def test_a_local_model_refines_by_default_and_records_it(model, loops, tmp_path):
    from drumaae import limits
    from drumaae.models import load_model

    net = load_model(model)
    default = inference.encode(loops["src"], model=net, bpm=SRC_BPM)
    named = inference.encode(loops["src"], model=net, bpm=SRC_BPM, refine=limits.DEFAULT_REFINE)
    plain = inference.encode(loops["src"], model=net, bpm=SRC_BPM, refine=0)
    assert default.refine == limits.DEFAULT_REFINE > 0 and plain.refine == 0
    np.testing.assert_allclose(default.codes, named.codes, atol=1e-6)
    assert not np.allclose(default.codes, plain.codes)
    # the steps taken travel with the codes: in the summary, a codes file and a manifest
    assert default.summary()["refine"] == limits.DEFAULT_REFINE
    inference.save_codes(default, tmp_path / "c.json")
    assert inference.load_codes(tmp_path / "c.json").refine == limits.DEFAULT_REFINE
    inference.save_codes(plain, tmp_path / "c.npz")
    assert inference.load_codes(tmp_path / "c.npz").refine == 0
    res = CliRunner().invoke(cli, ["interpolate", str(loops["src"]), str(loops["tgt"]),
                                   "--steps", "2", "--out", str(tmp_path / "m"), "--model",
                                   model, "--src-bpm", str(SRC_BPM), "--tgt-bpm", str(TGT_BPM),
                                   "--gl-iters", "1", "--no-figure"])
    assert res.exit_code == 0, res.output
    import json

    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert [i["refine"] for i in manifest["inputs"]] == [limits.DEFAULT_REFINE] * 2


def test_the_default_is_no_refinement_where_there_are_no_gradients():
    from drumaae import limits
    from drumaae.errors import LimitError

    assert limits.resolve_refine(None, True) == limits.DEFAULT_REFINE
    assert limits.resolve_refine(None, False) == 0
    assert limits.resolve_refine(7, False) == 7  # asked for: the backend says no itself
    with pytest.raises(LimitError, match="refine"):
        limits.resolve_refine(limits.MAX_REFINE + 1, True)
