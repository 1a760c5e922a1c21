"""The exported SavedModel's interface, defined once and importable without TensorFlow:
`drumaae.serving.export` builds the signatures from it and `drumaae.serving.client` reads
replies with it."""

from __future__ import annotations

import os

__all__ = ["SIGNATURES", "SERVING_DEFAULT", "SIDECAR", "SERVING_FORMAT_VERSION",
           "output_names"]

SERVING_FORMAT_VERSION = 1
"""Bumped whenever the signatures change incompatibly; in the sidecar and `config`."""

SIDECAR = os.path.join("assets.extra", "drumaae.json")
"""Where the audio settings are written inside a version folder."""

SIGNATURES = {
    "interpolate": {"inputs": ("source", "target", "alphas"),
                    "outputs": ("audio", "codes", "alphas")},
    "encode": {"inputs": ("bars",), "outputs": ("codes",)},
    "decode": {"inputs": ("codes", "bar_length"), "outputs": ("audio",)},
    "config": {"inputs": ("bpm",),
               "outputs": ("sample_rate", "n_fft", "bar_frames", "latent_dim", "gl_iters",
                           "seed", "bar_length", "settings_json")},
}
"""Inputs and outputs of each exported signature, in the export's order."""

SERVING_DEFAULT = "interpolate"
"""The signature TF Serving answers when a request names none (the export's first)."""


def output_names(signature: str) -> tuple[str, ...] | None:
    """The output names of `signature`, or None for a signature drumaae does not export."""
    entry = SIGNATURES.get(signature)
    return None if entry is None else tuple(entry["outputs"])
