"""Evaluation: quality metrics, model evaluation with baselines, HTML report.

- `metrics`: log-spectral distance, spectral convergence, onset F-measure on a bar-relative
  grid, onset-envelope similarity and trend (librosa, mir_eval).
- `latent`: MMD, occupancy and label agreement of codes under the prior.
- `evaluate`: `evaluate(model, data, ...) -> dict` (reconstruction vs source_GL, interpolation
  vs crossfade, prior fit).
- `report`: text tables and the static HTML report.

The speed benchmark behind `drumaae bench` lives outside the library, in `bench/`.

Submodules are imported on use (`from drumaae.evaluation.evaluate import evaluate`), so
importing this package stays cheap.
"""

__all__ = ["metrics", "latent", "evaluate", "report"]
