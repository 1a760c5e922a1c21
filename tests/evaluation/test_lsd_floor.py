"""scripts/lsd_floor.py's oracle: averaging a spectrum in dB keeps a smooth one and cannot
reproduce the fine structure of noise (the claim docs/model.md's floor table rests on)."""

import importlib.util
import pathlib

import numpy as np

from drumaae.audio.features import stft_magnitude
from drumaae.evaluation.metrics import log_spectral_distance

_PATH = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "lsd_floor.py"
_spec = importlib.util.spec_from_file_location("lsd_floor", _PATH)
lsd_floor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lsd_floor)


def test_identity_and_smooth_spectra_are_kept():
    mag = np.abs(np.random.default_rng(0).normal(size=(16, 64))) + 0.1
    assert log_spectral_distance(mag, lsd_floor.oracle(mag, 1, 1)) < 1e-9
    ramp = np.tile(np.linspace(1.0, 2.0, 64), (16, 1))     # a smooth envelope
    assert log_spectral_distance(ramp, lsd_floor.oracle(ramp, 5, 3)) < 0.1


def test_noise_fine_structure_costs_several_db():
    noise = np.random.default_rng(1).normal(size=22050).astype(np.float32)
    mag = np.asarray(stft_magnitude(noise, 1024, 256))
    # Envelope exact (flat), the random level of each bin lost: about the std of a
    # log-Rayleigh level (5.6 dB), a little less over only 9 correlated bins.
    assert 4.0 < log_spectral_distance(mag, lsd_floor.oracle(mag, 9, 1)) < 6.5
    assert log_spectral_distance(mag, lsd_floor.oracle(mag, 3, 1)) < \
        log_spectral_distance(mag, lsd_floor.oracle(mag, 17, 3))
