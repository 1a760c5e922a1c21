"""drumaae.models.losses: the one spectral convergence (shared by training, metrics and
Griffin-Lim) and the adversarial terms."""

import math

import numpy as np
import pytest

from drumaae.models import losses


def _mags(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.gamma(1.0, 2.0, shape).astype("float32")


def test_spectral_convergence_values():
    ref = _mags((3, 16, 9))
    assert float(losses.spectral_convergence(ref, ref)) == 0.0
    np.testing.assert_allclose(float(losses.spectral_convergence(ref, 0.5 * ref)), 0.5,
                               rtol=1e-6)
    # A silent reference divides by eps, not by zero.
    assert math.isfinite(float(losses.spectral_convergence(np.zeros(4), np.ones(4))))


def test_spectral_convergence_per_bar_with_axis():
    ref, est = _mags((4, 16, 9), 1), _mags((4, 16, 9), 2)
    per_bar = np.asarray(losses.spectral_convergence(ref, est, axis=(1, 2)))
    assert per_bar.shape == (4,)
    for i in range(4):
        np.testing.assert_allclose(per_bar[i], float(losses.spectral_convergence(ref[i], est[i])),
                                   rtol=1e-6)


def test_metrics_and_griffin_lim_report_the_same_formula():
    from drumaae.audio import griffinlim
    from drumaae.evaluation import metrics

    assert griffinlim.spectral_convergence is losses.spectral_convergence
    ref, est = _mags((20, 33), 3), _mags((20, 33), 4)
    assert metrics.spectral_convergence(ref, est) == float(losses.spectral_convergence(ref, est))


def test_feature_spectral_convergence_is_zero_only_for_a_match():
    audio = {"min_db": -50.0, "ref_db": 50.0}
    x = np.random.default_rng(0).random((2, 8, 16)).astype("float32")
    assert float(losses.feature_spectral_convergence(x, x, audio)) < 1e-6
    assert float(losses.feature_spectral_convergence(x, np.clip(x - 0.1, 0, 1), audio)) > 0.1
    # The dB span of the features sets the scale: a narrower span, a smaller error.
    narrow = {"feature_reference": "peak", "floor_db": 20.0}
    assert (float(losses.feature_spectral_convergence(x, np.clip(x - 0.1, 0, 1), narrow))
            < float(losses.feature_spectral_convergence(x, np.clip(x - 0.1, 0, 1), audio)))


def test_reconstruction_loss_terms_add_up():
    rng = np.random.default_rng(5)
    x = rng.random((2, 8, 6)).astype("float32")
    x_hat = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype("float32")
    plain = float(losses.reconstruction_loss(x, x_hat))
    assert plain == pytest.approx(float(np.abs(x - x_hat).mean()), rel=1e-6)
    assert float(losses.reconstruction_loss(x, x_hat, kind="l2")) == pytest.approx(
        float(np.square(x - x_hat).mean()), rel=1e-6)
    audio = {"min_db": -50.0, "ref_db": 50.0}
    with_sc = float(losses.reconstruction_loss(x, x_hat, sc_weight=0.5, audio=audio))
    assert with_sc == pytest.approx(
        plain + 0.5 * float(losses.feature_spectral_convergence(x, x_hat, audio)), rel=1e-6)
    with_onset = float(losses.reconstruction_loss(x, x_hat, onset_weight=2.0))
    flux = np.abs(np.asarray(losses.onset_flux(x)) - np.asarray(losses.onset_flux(x_hat)))
    assert with_onset == pytest.approx(plain + 2.0 * float(flux.mean()), rel=1e-5)


def test_adversarial_terms():
    zeros = np.zeros((4, 1), "float32")
    assert float(losses.adversarial_loss(1.0, zeros)) == pytest.approx(math.log(2.0), rel=1e-6)
    real = np.array([[3.0], [-1.0]], "float32")
    fake = np.array([[-2.0], [-4.0]], "float32")
    assert float(losses.discriminator_accuracy(real, fake)) == 0.75
