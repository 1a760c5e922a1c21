"""The losses of the AAE-GM and the spectral measure that metrics and Griffin-Lim share.

One home for every loss term (ddsp's ``losses.py``): `DrumAAE.train_step` and `test_step`
read them from here, and `spectral_convergence` is also what `drumaae.audio.griffinlim` and
`drumaae.evaluation.metrics` report, so a training curve and an evaluation figure of the same
name are the same formula. Written in `keras.ops` (backend-portable: the train step also runs
on the torch backend).

Shapes: features and reconstructions are `(batch, frames, bins)` in [0, 1]; logits are
`(batch, 1)`.
"""

from __future__ import annotations

import math

from keras import ops

from drumaae.config import feature_span_db

__all__ = [
    "spectral_convergence",
    "feature_spectral_convergence",
    "onset_flux",
    "reconstruction_loss",
    "adversarial_loss",
    "discriminator_accuracy",
    "RECON_KINDS",
]

RECON_KINDS = ("l1", "l2")
"""The per-cell distances of `reconstruction_loss`."""


def spectral_convergence(ref_mag, est_mag, axis=None, eps: float = 1e-8):
    """``|| |X| - |Y| ||_F / (|| |X| ||_F + eps)`` (0 is perfect; lower is better).

    Args:
        ref_mag: reference magnitudes, any shape.
        est_mag: estimated magnitudes, same shape.
        axis: the axes the norms run over; None: all of them (one value).
        eps: added to the reference's norm (a silent reference does not divide by 0).

    Returns:
        float32: a scalar with ``axis=None``, else the shape of `ref_mag` without `axis`.
    """
    ref = ops.cast(ref_mag, "float32")
    est = ops.cast(est_mag, "float32")
    num = ops.sqrt(ops.sum(ops.square(ref - est), axis=axis))
    return num / (ops.sqrt(ops.sum(ops.square(ref), axis=axis)) + eps)


def feature_spectral_convergence(x, x_hat, audio: dict):
    """Mean over bars of `spectral_convergence` on the linear magnitudes of features
    `(batch, frames, bins)` (features in [0, 1] span `config.feature_span_db` dB of `audio`,
    an audio config as a dict); the ``sc_weight`` term of `reconstruction_loss`."""
    scale = feature_span_db(audio) * math.log(10.0) / 20.0
    return ops.mean(spectral_convergence(ops.exp(x * scale), ops.exp(x_hat * scale),
                                         axis=(1, 2), eps=1e-6))


def onset_flux(x):
    """`(batch, frames - 1)` onset flux of features `(batch, frames, bins)`: the mean over
    bins of each frame's rise over the frame before (falls count 0), the feature-domain twin
    of an onset-strength envelope. A quiet hit's broadband rise stands out in it where
    per-cell differences are dominated by the noise floor's detail."""
    return ops.mean(ops.relu(x[:, 1:] - x[:, :-1]), axis=-1)


def reconstruction_loss(x, x_hat, *, kind: str = "l1", level_weight: float = 0.0,
                        sc_weight: float = 0.0, transient_weight: float = 0.0,
                        onset_weight: float = 0.0, audio: dict | None = None):
    """The reconstruction loss of features `x` and their reconstruction `x_hat`, a scalar.

    L1 (or L2) per cell, each cell weighted by ``1 + level_weight * x`` and normalised by
    the mean weight when `level_weight` > 0; plus ``sc_weight`` times
    `feature_spectral_convergence` (of `x_hat` clipped to [0, 1], with `audio`'s dB range),
    ``transient_weight`` times the L1 of the frame-to-frame differences, and
    ``onset_weight`` times the L1 of the `onset_flux` curves. A weight of 0 leaves its
    term out of the graph.
    """
    x = ops.cast(x, "float32")
    x_hat = ops.cast(x_hat, "float32")
    diff = x - x_hat
    cell = ops.square(diff) if kind == "l2" else ops.abs(diff)
    if level_weight:
        weight = 1.0 + level_weight * x
        loss = ops.sum(weight * cell) / ops.sum(weight)
    else:
        loss = ops.mean(cell)
    if sc_weight:
        loss = loss + sc_weight * feature_spectral_convergence(
            x, ops.clip(x_hat, 0.0, 1.0), audio or {})
    if transient_weight:
        dx = x[:, 1:] - x[:, :-1]
        dx_hat = x_hat[:, 1:] - x_hat[:, :-1]
        loss = loss + transient_weight * ops.mean(ops.abs(dx - dx_hat))
    if onset_weight:
        loss = loss + onset_weight * ops.mean(ops.abs(onset_flux(x) - onset_flux(x_hat)))
    return loss


def adversarial_loss(target: float, logits):
    """Binary cross-entropy of discriminator `logits` against one `target` (1.0 "real",
    0.0 "fake"), mean over the batch."""
    labels = ops.full_like(logits, target)
    return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))


def discriminator_accuracy(real_logits, fake_logits):
    """Share of prior samples called real (logit > 0) and codes called fake (logit < 0)."""
    hits = ops.concatenate([ops.cast(real_logits > 0, "float32"),
                            ops.cast(fake_logits < 0, "float32")], axis=0)
    return ops.mean(hits)
