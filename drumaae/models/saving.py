"""Save and load a whole DrumAAE as a `.keras` file (safe_mode on), with clear errors."""

from __future__ import annotations

import json
import os
import zipfile

import keras

from drumaae.errors import CorruptModelError, ModelFormatError, UnknownModelError
from drumaae.fileio import atomic_write
from drumaae.models.aae import FORMAT_VERSION, DrumAAE


def save_model(model: DrumAAE, path: str | os.PathLike) -> str:
    """Write `model` (parts, prior, audio settings, recipe, optimizers' config) to `path`.

    Written with `drumaae.fileio.atomic_write` (a temporary file beside `path`, fsynced and
    moved into place, with the user's umask mode), so an interrupted save never leaves a
    truncated model behind.
    """
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ValueError(f"a model file must end in .keras, got {path}")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return atomic_write(path, lambda tmp: model.save(tmp, overwrite=True))


def read_model_config(path: str | os.PathLike) -> dict:
    """The JSON config stored in a `.keras` file, checked to be a DrumAAE we can read."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise UnknownModelError(
            f"no model at {path}: give a .keras file, an MLflow URI (models:/NAME/VERSION, "
            "models:/NAME@ALIAS, runs:/ID/model) or omit --model for the bundled default")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError) as exc:
        raise CorruptModelError(
            f"{path} is not a readable drumaae model ({type(exc).__name__}); re-download or "
            "re-train it") from exc
    if config.get("class_name") != "DrumAAE":
        raise CorruptModelError(
            f"{path} holds a {config.get('class_name')!r}, not a drumaae DrumAAE model")
    version = config.get("config", {}).get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"{path} has model format version {version}; this drumaae reads version "
            f"{FORMAT_VERSION}: upgrade drumaae or re-export the model")
    return config


def load_model(path: str | os.PathLike, compile: bool = True) -> DrumAAE:
    """Load a DrumAAE saved by `save_model` (safe_mode on: no arbitrary code is run)."""
    path = os.fspath(path)
    read_model_config(path)
    try:
        model = keras.saving.load_model(path, compile=compile, safe_mode=True)
    except (ModelFormatError, CorruptModelError):
        raise
    except Exception as exc:  # Keras raises many kinds for a damaged archive
        raise CorruptModelError(
            f"{path} could not be loaded as a drumaae model: {str(exc).splitlines()[0][:200]}"
        ) from exc
    if not isinstance(model, DrumAAE):
        raise CorruptModelError(f"{path} did not load as a DrumAAE")
    return model
