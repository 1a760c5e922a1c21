"""Training: `train` (checkpoints, resume, NaN stop), MLflow `Tracker`, callbacks."""

from drumaae.training.trainer import STRATEGIES, TrainResult, make_strategy, resolve_precision, train

__all__ = ["train", "TrainResult", "make_strategy", "resolve_precision", "STRATEGIES",
           "Tracker"]


def __getattr__(name):  # the Tracker imports mlflow: only when asked for
    if name == "Tracker":
        from drumaae.training.tracking import Tracker

        return Tracker
    raise AttributeError(name)
