"""The `Backend` protocol (what the operations need from a model) and its local implementation.

A backend runs the model wherever it lives: `LocalBackend` over a DrumAAE in this process, or
`drumaae.serving.client.RestBackend` over TF Serving. The operations in
`drumaae.inference.operations` use only what the protocol declares, so they never probe a
backend for attributes.
"""

from __future__ import annotations

import os
from typing import Any, Protocol, runtime_checkable

import numpy as np

from drumaae.config import AudioConfig

__all__ = ["Backend", "LocalBackend", "load_backend"]


@runtime_checkable
class Backend(Protocol):
    """What the inference operations need from a model, wherever it runs.

    Attributes:
        ref: the model's display name, recorded in manifests and printed: the reference it
            was loaded from (a path, an MLflow URI, ``default``) or a served model's URL.
        identity: the model's provenance (`drumaae.registry.model_identity`: ``ref``,
            ``sha256`` and the registry version / run id or the file path), recorded in
            manifests and codes files; None when unknown (an in-memory model, a served
            model exported without it).
        audio: the model's AudioConfig (sample rate, bar frames...).
        latent_dim: the code size d.
        num_components: components K of the model's Gaussian-mixture prior, or None when the
            backend does not know its prior (a served model).

    Optional: ``can_refine``, True when `encode_bars` can refine codes (it has the model's
    gradients); a backend without it is not refined by default (`drumaae.inference.encode`).
    """

    ref: str
    identity: dict[str, str] | None
    audio: AudioConfig
    latent_dim: int
    num_components: int | None

    def encode_bars(self, bars: np.ndarray, refine: int = 0) -> np.ndarray:
        """float32 `(n, bar_length)` waveforms at `audio.sample_rate` -> codes `(n, d)`;
        `refine` > 0 adds that many gradient steps fitting the codes to the bars' features
        (`DrumAAE.refine`; a backend without gradients raises DrumaaeError)."""

    def decode_codes(self, codes: np.ndarray, bar_length: int, *, iters: int,
                     seed: int, init_phase: np.ndarray | None = None,
                     labels: np.ndarray | None = None) -> np.ndarray:
        """Codes `(n, d)` -> float32 `(n, bar_length)` waveforms (Griffin-Lim, `iters`).

        `init_phase` (float32 `(n, frames, n_fft // 2 + 1)` radians on the render's frame
        grid, `drumaae.audio.render.bar_phase`; NaN rows: random) starts Griffin-Lim from
        known phases; `labels` `(n, K)` are a conditional generator's label weights (None:
        p(k | z)). A backend that cannot honour them (a served model, whose graph fixes its
        phases and labels) renders as without them."""

    def fit_errors(self, bars: np.ndarray) -> np.ndarray | None:
        """float32 `(n, bar_length)` waveforms -> `(n,)` mean absolute feature error of each
        bar's encoder code decoded by the generator (no refinement): how well the model
        draws the bar (`drumaae.inference.operations.best_reading`); None when the backend
        cannot tell (a served model, which returns audio, not features)."""

    def sample_codes(self, n: int, component: int | None, seed: int | None) -> np.ndarray:
        """`(n, d)` float32 codes drawn from the prior (one component or the whole mixture).

        Raises:
            DrumaaeError: the backend has no prior to draw from.
        """


class LocalBackend:
    """A `Backend` over a DrumAAE in this process.

    Args:
        model: a loaded `DrumAAE`.
        ref: how the model was named (a path or URI), recorded in manifests; default
            ``<in-memory NAME>``.
        identity: its provenance (`drumaae.registry.model_identity`), or None.
    """

    def __init__(self, model: Any, ref: str | None = None,
                 identity: dict[str, str] | None = None):
        from drumaae.models import model_audio

        self.model = model
        self.ref = ref if ref is not None else f"<in-memory {getattr(model, 'name', 'model')}>"
        self.identity = identity
        self.audio = model_audio(model)

    @property
    def latent_dim(self) -> int:
        return int(self.model.encoder.latent_dim)

    @property
    def num_components(self) -> int:
        return int(self.model.prior.num_components)

    @property
    def can_refine(self) -> bool:
        return bool(self.model.can_refine)

    def encode_bars(self, bars: np.ndarray, refine: int = 0) -> np.ndarray:
        from drumaae.audio.features import bar_features

        feats = bar_features(np.asarray(bars, np.float32), self.audio)
        codes = np.asarray(self.model.encode(feats), np.float32)
        if refine:
            codes = self.model.refine(feats, codes, steps=int(refine))
        return codes

    def decode_codes(self, codes: np.ndarray, bar_length: int, *, iters: int,
                     seed: int, init_phase: np.ndarray | None = None,
                     labels: np.ndarray | None = None) -> np.ndarray:
        from drumaae.audio.render import render

        z = np.asarray(codes, np.float32)
        if labels is not None and self.model.generator.num_labels:
            feats = self.model.decode(z, np.asarray(labels, np.float32))
        else:
            feats = self.model.decode(z)
        return render(feats, self.audio, int(bar_length), iters=int(iters), seed=int(seed),
                      init_phase=init_phase)

    def fit_errors(self, bars: np.ndarray) -> np.ndarray:
        from drumaae.audio.features import bar_features

        feats = bar_features(np.asarray(bars, np.float32), self.audio)
        recon = self.model.decode(self.model.encode(feats))
        return np.mean(np.abs(np.asarray(recon, np.float32) - np.asarray(feats, np.float32)),
                       axis=(1, 2))

    def label_weights(self, codes: np.ndarray) -> np.ndarray | None:
        """`(n, K)` p(k | z) of `codes` for a conditional generator, else None."""
        if not self.model.generator.num_labels:
            return None
        return np.asarray(self.model.label_weights(np.asarray(codes, np.float32)), np.float32)

    def sample_codes(self, n: int, component: int | None, seed: int | None) -> np.ndarray:
        return np.asarray(self.model.sample_codes(n, component=component, seed=seed),
                          np.float32)


_CACHE: dict[tuple, LocalBackend] = {}


def load_backend(model: Any = None, *, tracking_uri: str | None = None) -> Backend:
    """A backend for `model`: a `Backend` (returned as is), a DrumAAE, a model reference
    (path or MLflow URI, resolved in the MLflow store `tracking_uri`) or None (the bundled
    default). References are loaded once per process and reused."""
    if model is None or isinstance(model, (str, os.PathLike)):
        from drumaae.registry import load_model_ref, model_identity

        ref = None if model is None else os.fspath(model)
        key = (ref, _mtime(ref), tracking_uri)
        if key not in _CACHE:
            net = load_model_ref(ref, tracking_uri=tracking_uri, compile=False)
            _CACHE[key] = LocalBackend(net, ref=ref if ref is not None else "default",
                                       identity=model_identity(ref, tracking_uri=tracking_uri))
        return _CACHE[key]
    from drumaae.models import DrumAAE

    if isinstance(model, DrumAAE):
        return LocalBackend(model)
    if isinstance(model, Backend):
        return model
    raise TypeError(f"model must be a DrumAAE, a Backend, a reference or None, "
                    f"got {type(model).__name__}")


def _mtime(ref: str | None) -> float | None:
    try:
        return os.path.getmtime(ref) if ref else None
    except OSError:
        return None
