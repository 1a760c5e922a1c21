"""Save and load a whole DrumAAE as a `.keras` file (safe_mode on), with clear errors."""

from __future__ import annotations

import os
import zipfile

import keras
import numpy as np

from drumaae import limits
from drumaae.errors import CorruptModelError, LimitError, ModelFormatError, UnknownModelError
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
            _check_members(archive, path)
            # bounded: zipfile never inflates a member past the size its directory declares
            config = limits.parse_json(archive.read("config.json"), f"{path}'s config.json",
                                       limits.MAX_MODEL_CONFIG_BYTES)
    except LimitError as exc:
        raise CorruptModelError(f"{exc}: not a drumaae model file; re-download or re-train "
                                "it") from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise CorruptModelError(
            f"{path} is not a readable drumaae model ({type(exc).__name__}"
            f"{': ' + ' '.join(str(exc).split())[:120] if isinstance(exc, ValueError) else ''}"
            "); re-download or re-train it") from exc
    if not isinstance(config, dict) or not isinstance(config.get("config", {}), dict):
        raise CorruptModelError(f"{path} is not a readable drumaae model (its config.json is "
                                "not a Keras model config); re-download or re-train it")
    if config.get("class_name") != "DrumAAE":
        raise CorruptModelError(
            f"{path} holds a {config.get('class_name')!r}, not a drumaae DrumAAE model")
    version = config.get("config", {}).get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"{path} has model format version {version}; this drumaae reads version "
            f"{FORMAT_VERSION}: upgrade drumaae or re-export the model")
    _check_audio_matches_recipe(config["config"], path)
    return config


_MAX_MEMBERS = 64
"""Most members a ``.keras`` file may hold (ours: metadata, config, weights)."""
_MAX_RATIO = 50
"""Largest compression ratio of a big member (> 1 MiB): float weights barely compress
(``model.save`` stores them); a member inflating 1,000-fold is a zip bomb."""


def _check_members(archive: zipfile.ZipFile, path: str) -> None:
    """Sizes from the zip directory, before anything is inflated: the member count, the
    total (`limits.MAX_MODEL_BYTES`), ``config.json`` (`limits.MAX_MODEL_CONFIG_BYTES`) and
    each big member's compression ratio."""
    members = archive.infolist()
    total = sum(m.file_size for m in members)
    if len(members) > _MAX_MEMBERS or total > limits.MAX_MODEL_BYTES:
        raise LimitError(f"{path} holds {len(members)} members decompressing to {total:,} "
                         f"bytes (at most {limits.MAX_MODEL_BYTES:,})")
    for m in members:
        if m.filename == "config.json" and m.file_size > limits.MAX_MODEL_CONFIG_BYTES:
            raise LimitError(f"{path}'s config.json decompresses to {m.file_size:,} bytes "
                             f"(at most {limits.MAX_MODEL_CONFIG_BYTES:,})")
        if m.file_size > 2**20 and m.file_size > _MAX_RATIO * max(1, m.compress_size):
            raise LimitError(f"{path}'s {m.filename} inflates {m.compress_size:,} bytes to "
                             f"{m.file_size:,}")


def _check_audio_matches_recipe(config: dict, path: str) -> None:
    """A model's audio settings and its recipe's must agree: features made at one sample
    rate and rendered at another sound wrong with no error."""
    audio = config.get("audio")
    recipe_audio = (config.get("recipe") or {}).get("audio") if isinstance(
        config.get("recipe"), dict) else None
    if not isinstance(audio, dict) or not isinstance(recipe_audio, dict):
        return
    for key in sorted(set(audio) & set(recipe_audio)):
        if audio[key] != recipe_audio[key]:
            raise CorruptModelError(
                f"{path}: the model's audio settings are invalid (audio.{key} is "
                f"{audio[key]!r} but its recipe says {recipe_audio[key]!r}): use a model "
                "file saved by drumaae, unedited")


def _check_weights(model: DrumAAE, path: str) -> None:
    """Every weight finite: a model with NaN or Inf weights renders NaN (written as
    full-scale DC before this check)."""
    for weight in model.weights:
        value = keras.ops.convert_to_numpy(weight)
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise CorruptModelError(
                f"{path} holds NaN or infinite weights ({weight.path}): the model is broken "
                "(a diverged training?); use another model or re-train it")


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
    _check_weights(model, path)
    return model
