"""Keras callbacks of a training run: per-epoch checkpoints with the whole history, NaN stop,
learning-rate decay. (The end of the adversarial warm-up is the model's own:
`drumaae.models.warmup`.)

`EpochCheckpoint` writes, after every finished epoch, everything a resumed run needs:

- ``checkpoints/last.keras``: the whole model (weights, the three optimizers' Adam state and
  step counters, recipe), through `drumaae.models.save_model` (atomic);
- ``checkpoints/state.json``: the number of finished epochs, the metric history of the whole
  run so far, the step counter, the data hash and the MLflow run id (atomic).

The model file is replaced before the state, so a kill between the two leaves a state that is
one epoch behind a newer model: `read_state` trusts the epoch stored *inside* the state and
`trainer` checks it against the model's step counter.
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Callable

import keras
import numpy as np

from drumaae.errors import TrainingError
from drumaae.fileio import clean_stale, write_json
from drumaae.models.saving import save_model

__all__ = ["EpochCheckpoint", "StopOnNaN", "EpochHook", "LearningRateDecay", "decay_scale",
           "PlainProgress",
           "recipe_rates", "set_rates", "read_state",
           "CHECKPOINT_MODEL", "CHECKPOINT_STATE"]

CHECKPOINT_MODEL = "last.keras"
CHECKPOINT_STATE = "state.json"


def read_state(checkpoint_dir: str) -> dict | None:
    """The state of the last finished epoch, or None when there is no usable checkpoint."""
    state_path = os.path.join(checkpoint_dir, CHECKPOINT_STATE)
    model_path = os.path.join(checkpoint_dir, CHECKPOINT_MODEL)
    if not (os.path.isfile(state_path) and os.path.isfile(model_path)):
        return None
    try:
        with open(state_path, encoding="utf-8") as f:
            state = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise TrainingError(f"{state_path} is damaged ({exc}); delete the checkpoints folder "
                            "and train again") from exc
    state["model_path"] = model_path
    return state


def _floats(logs: dict | None) -> dict[str, float]:
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(np.asarray(value))
        except (TypeError, ValueError):
            continue
    return out


class EpochCheckpoint(keras.callbacks.Callback):
    """Save model + optimizer state + epoch + history after every epoch.

    Args:
        checkpoint_dir: the run's ``checkpoints/`` folder.
        history: the metric history so far (``{"epoch": [...], "recon/loss": [...], ...}``);
            extended in place, so a resumed run keeps one continuous history.
        extra_state: stored with each state (data hash, run id...); a callable is called at
            each save and its dict merged in.
        save: function ``(model, path)`` writing the model (default `save_model`).
            Non-chief workers of a multi-worker run get a scratch `checkpoint_dir`: they
            must still save (variables are read collectively).
    """

    def __init__(self, checkpoint_dir: str, history: dict[str, list], *,
                 extra_state: dict | Callable[[], dict] | None = None,
                 save: Callable | None = None):
        super().__init__()
        self.checkpoint_dir = checkpoint_dir
        self.history = history
        self.extra_state = extra_state
        self.save = save_model if save is None else save
        os.makedirs(checkpoint_dir, exist_ok=True)
        # This run owns the folder: drop the temporary files a killed run left in it.
        for name in (CHECKPOINT_MODEL, CHECKPOINT_STATE):
            clean_stale(os.path.join(checkpoint_dir, name))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = _floats(logs)
        self.history.setdefault("epoch", []).append(epoch + 1)
        self.history.setdefault("step", []).append(self.model.train_iterations)
        for key, value in values.items():
            self.history.setdefault(key, []).append(value)
        self.save(self.model, os.path.join(self.checkpoint_dir, CHECKPOINT_MODEL))
        extra = self.extra_state() if callable(self.extra_state) else dict(self.extra_state or {})
        write_json(os.path.join(self.checkpoint_dir, CHECKPOINT_STATE), {
            **extra,
            "epochs_done": epoch + 1,
            "train_iterations": self.model.train_iterations,
            "history": self.history,
        }, indent=1)


class StopOnNaN(keras.callbacks.Callback):
    """Stop training with a `TrainingError` as soon as a loss becomes NaN or infinite."""

    def __init__(self):
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for key, value in _floats(logs).items():
            if not math.isfinite(value):
                self.model.stop_training = True
                raise TrainingError(
                    f"loss became NaN at epoch {self.epoch + 1} step {batch + 1} ({key} = "
                    f"{value}); lower the learning rates (training.ae_learning_rate, "
                    "d_learning_rate, e_learning_rate) or use --precision float32; the last "
                    "finished epoch's checkpoint is kept (--resume continues from it)")


class EpochHook(keras.callbacks.Callback):
    """Call ``fn(epoch_number_from_1, logs_as_floats, model)`` after every epoch."""

    def __init__(self, fn: Callable[[int, dict[str, float], Any], None]):
        super().__init__()
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.fn(epoch + 1, _floats(logs), self.model)


def decay_scale(epoch: int, total_epochs: int, decay_epochs: int, floor: float) -> float:
    """The learning-rate share of 0-based `epoch`: 1 before the last `decay_epochs` epochs,
    then a cosine from just under 1 down to `floor` at the run's last epoch."""
    start = total_epochs - decay_epochs
    if decay_epochs <= 0 or epoch < start:
        return 1.0
    k = min(epoch - start + 1, decay_epochs)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * k / decay_epochs))


def recipe_rates(training) -> dict[str, float]:
    """The recipe's learning rate of each of a `DrumAAE`'s three optimizers, by attribute."""
    return {"ae_optimizer": training.ae_learning_rate,
            "d_optimizer": training.d_learning_rate,
            "e_optimizer": training.e_learning_rate}


def set_rates(model, rates: dict[str, float], scale: float) -> None:
    """Set each optimizer of `model` named in `rates` to its rate times `scale`."""
    for name, rate in rates.items():
        getattr(model, name).learning_rate.assign(rate * scale)


class LearningRateDecay(keras.callbacks.Callback):
    """Set the three optimizers' rates of a `DrumAAE` at each epoch's start to the recipe's
    rates times `decay_scale` (the same for a resumed run, whose saved optimizers carry the
    rate of the epoch they stopped at), and log the share as ``lr_scale``.

    Args:
        training: the recipe's `TrainingConfig` (base rates, ``lr_decay_*``).
        total_epochs: the run's total epochs.
    """

    def __init__(self, training, total_epochs: int):
        super().__init__()
        self.rates = recipe_rates(training)
        self.total_epochs = int(total_epochs)
        self.decay_epochs = int(training.lr_decay_epochs)
        self.floor = float(training.lr_decay_floor)
        self.scale = 1.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.scale = decay_scale(epoch, self.total_epochs, self.decay_epochs, self.floor)
        set_rates(self.model, self.rates, self.scale)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr_scale"] = self.scale


class PlainProgress(keras.callbacks.Callback):
    """Training progress as plain lines through `log` (the CLI's stderr) where Keras's bar
    would write carriage returns and ANSI codes into a log file: ``epoch 3/20: step 40/100``
    at most every `interval_s` seconds, and one line per finished epoch with its metrics."""

    def __init__(self, log: Callable[[str], None], total_epochs: int, steps: int | None,
                 interval_s: float = 30.0):
        super().__init__()
        self.log, self.total, self.steps, self.interval_s = log, total_epochs, steps, interval_s
        self._epoch, self._last = 0, 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch, self._last = epoch + 1, time.monotonic()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval_s:
            self._last = now
            of = f"/{self.steps}" if self.steps else ""
            self.log(f"epoch {self._epoch}/{self.total}: step {batch + 1}{of}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = ", ".join(f"{k} {v:.4g}" for k, v in _floats(logs).items())
        self.log(f"epoch {epoch + 1}/{self.total} done" + (f": {values}" if values else ""))
