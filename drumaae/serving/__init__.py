"""TF-Serving export (`export_model`) and a REST client (`RestBackend`).

`drumaae.serving.export` imports TensorFlow; the client needs only NumPy and the standard
library, so it is imported eagerly and the exporter on first use.
"""

from __future__ import annotations

from drumaae.serving.client import RestBackend

__all__ = ["RestBackend", "export_model", "read_export_settings"]


def __getattr__(name: str):
    if name in ("export_model", "read_export_settings"):
        from drumaae.serving import export

        return getattr(export, name)
    raise AttributeError(f"module 'drumaae.serving' has no attribute {name!r}")
