"""Import Keras without its optional third-party integrations, for processes that only run
models (the inference commands).

`import keras` (3.x) also imports scikit-learn (for `keras.wrappers`' scikit-learn
estimators, which pulls in scipy.stats), pandas (to accept DataFrames in `fit`/`predict`) and
matplotlib.pyplot (`keras.visualization`), each only if it is installed. Running a model
needs none of them, and they were a large share of a cold `drumaae interpolate`
(docs/benchmarks.md, "Keras imported lean", has the measured import times). Keras guards each of
these imports with ``except ImportError``; `import_keras_lean` makes them fail for the
duration of Keras's own import, then lets them be imported normally again (drumaae's own
uses of scikit-learn and matplotlib, MLflow's of pandas). Only Keras's view stays lean:
in that process Keras does not accept pandas DataFrames and has no scikit-learn wrappers.
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["import_keras_lean", "KERAS_OPTIONAL"]

KERAS_OPTIONAL = ("sklearn", "pandas", "matplotlib")
"""Packages Keras imports only if installed, and only for features drumaae's inference does
not use."""


def import_keras_lean() -> ModuleType:
    """Import Keras (and TensorFlow) without `KERAS_OPTIONAL`; returns the keras module.

    Keras is imported once per process: if it already is, this returns it unchanged (so
    call this before anything else imports it). Packages of `KERAS_OPTIONAL` already imported
    are left alone.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    blocked = [name for name in KERAS_OPTIONAL if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` -> ImportError
    try:
        import keras
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return keras
