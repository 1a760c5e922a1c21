"""Training: `train` (checkpoints, resume, NaN stop), MLflow `Tracker`, callbacks.

The names are imported when first asked for: the trainer imports TensorFlow and the Tracker
MLflow, while `drumaae.training.callbacks` is backend-neutral Keras (the GPU fine-tuning
script uses it on the torch backend)."""

__all__ = ["train", "TrainResult", "make_strategy", "resolve_precision", "STRATEGIES",
           "Tracker"]

_TRAINER = set(__all__) - {"Tracker"}  # the names drumaae.training.trainer defines


def __getattr__(name):
    if name in _TRAINER:
        from drumaae.training import trainer

        return getattr(trainer, name)
    if name == "Tracker":
        from drumaae.training.tracking import Tracker

        return Tracker
    raise AttributeError(name)
