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
    plain = inference.encode(loops["src"], model=net, bpm=SRC_BPM)
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
