"""Audio-level API: encode, decode, interpolate, reconstruct and sample drum bars.

Three modules, one concept each:

- `backend`: the `Backend` protocol (what the operations need from a model) and
  `LocalBackend`/`load_backend`; `drumaae.serving.client.RestBackend` is the TF Serving one.
- `operations`: `encode`, `decode`, `interpolate`, `reconstruct`, `sample`.
- `outputs`: the result types and writing them (`save_codes`, `save_interpolation`,
  `save_bars`, manifests).

Everything public is importable from here.

Example:
    >>> from drumaae import inference
    >>> backend = inference.load_backend("model.keras")     # load once, reuse
    >>> result = inference.interpolate("funk.wav", "rock.wav", steps=5, model=backend)
    >>> [round(a, 2) for a in result.alphas]
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> inference.save_interpolation(result, "morph/")       # WAVs, PNG, manifest.json
"""

from drumaae.inference.backend import Backend, LocalBackend, load_backend
from drumaae.inference.operations import (
    DEFAULT_TEMPO,
    TEMPO_MODES,
    AudioInput,
    ProgressFn,
    decode,
    encode,
    interpolate,
    interpolation_alphas,
    reconstruct,
    sample,
    step_tempos,
)
from drumaae.inference.outputs import (
    INTERPOLATION_KIND,
    SAMPLE_KIND,
    Encoded,
    Interpolation,
    Reconstruction,
    Sampled,
    Source,
    build_manifest,
    check_codes_model,
    interpolation_manifest,
    load_codes,
    save_bars,
    save_codes,
    save_interpolation,
    save_samples,
    step_file_name,
)

__all__ = [
    "Backend",
    "LocalBackend",
    "load_backend",
    "AudioInput",
    "ProgressFn",
    "Source",
    "Encoded",
    "Interpolation",
    "Reconstruction",
    "Sampled",
    "encode",
    "decode",
    "interpolate",
    "reconstruct",
    "sample",
    "interpolation_alphas",
    "step_tempos",
    "save_codes",
    "load_codes",
    "save_interpolation",
    "interpolation_manifest",
    "save_bars",
    "save_samples",
    "build_manifest",
    "check_codes_model",
    "step_file_name",
    "TEMPO_MODES",
    "DEFAULT_TEMPO",
    "INTERPOLATION_KIND",
    "SAMPLE_KIND",
]
