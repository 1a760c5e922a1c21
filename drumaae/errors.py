"""Errors a user can cause. Each message says what went wrong and what to do.

The CLI prints ``Error: <message>`` on one line and exits with status 1 for any
`DrumaaeError`; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "DrumaaeError",
    "RecipeError",
    "AudioError",
    "AudioFileNotFoundError",
    "NotAudioError",
    "EmptyAudioError",
    "SilentAudioError",
    "TooShortError",
    "NonFiniteAudioError",
    "ModelError",
    "UnknownModelError",
    "CorruptModelError",
    "ModelFormatError",
    "ModelMismatchError",
    "DataError",
    "OutputExistsError",
    "OutputBusyError",
    "TrainingError",
    "ServingError",
    "LimitError",
    "OutputNotWritableError",
]


class DrumaaeError(Exception):
    """Base of every error a user can cause (bad input, bad option, bad model)."""


class RecipeError(DrumaaeError, ValueError):
    """A recipe has an unknown key, a wrong type or an impossible value."""


class AudioError(DrumaaeError):
    """Input audio cannot be used."""


class AudioFileNotFoundError(AudioError, FileNotFoundError):
    pass


class NotAudioError(AudioError):
    """The file is not audio, or its container/codec is not supported."""


class EmptyAudioError(AudioError):
    pass


class SilentAudioError(AudioError):
    pass


class TooShortError(AudioError):
    """Shorter than one beat (or than the bars asked for)."""


class NonFiniteAudioError(AudioError):
    """The samples hold NaN or Inf."""


class ModelError(DrumaaeError):
    pass


class UnknownModelError(ModelError):
    """A model reference (path or MLflow URI) that resolves to nothing."""


class CorruptModelError(ModelError):
    pass


class ModelFormatError(ModelError):
    """A model file of a format version this drumaae cannot read."""


class ModelMismatchError(ModelError):
    """Codes made by one model given to another."""


class DataError(DrumaaeError):
    """A training corpus or data folder cannot be used."""


class OutputExistsError(DrumaaeError):
    """An output would overwrite a user's file; pass --force to allow it."""


class OutputBusyError(OutputExistsError):
    """Another run is writing the same output (file, folder or export version)."""


class TrainingError(DrumaaeError):
    """Training stopped (NaN loss, nothing to resume, ...)."""


class ServingError(DrumaaeError):
    """A TF Serving request failed (connection, HTTP error, timeout)."""


class LimitError(DrumaaeError, ValueError):
    """A request beyond a documented resource limit (`drumaae.limits`): tempo, steps,
    Griffin-Lim iterations, bars, deadlines."""


class OutputNotWritableError(DrumaaeError):
    """An output folder cannot be written (read-only, missing permission, full disk)."""
