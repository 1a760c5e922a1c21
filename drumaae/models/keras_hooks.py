"""The private Keras / TensorFlow names drumaae relies on, in one place (an adapter).

Keras 3.15 has no public hook for either fix below; each is a small function here, and
`PRIVATE_HOOKS` lists every private name they touch so that `tests/models/test_keras_hooks.py`
fails as soon as an upgrade removes or renames one (instead of a multi-worker run failing
hours in). Everything else in `drumaae.models` uses public Keras API.

1. `fit`'s symbolic build: ``TensorFlowTrainer._maybe_symbolic_build(iterator, data_batch)``
   averages the first batch over workers (``strategy.reduce``) only to read its shapes, and
   that reduce fails on ``(features, labels)`` batches under MultiWorkerMirroredStrategy
   ("Attempt to convert a value (PerReplica...)"). `DrumAAE` overrides the hook and passes
   this worker's own part of the batch (`local_first_batch`): the same shapes but the batch
   size, with no cross-worker call. The override needs the model's own strategy
   (``TensorFlowTrainer._distribute_strategy``: the public ``distribute_strategy`` falls
   back to the default strategy, where Keras's hook does nothing).
2. Step results across workers: Keras 3.15 averages a step's outputs with
   ``strategy.reduce("MEAN", v, axis=0)`` under MultiWorkerMirroredStrategy, which rejects
   scalars ("Invalid reduction dimension 0", tensorflow/tensorflow#72388).
   `results_for_workers` gives them shape (1,), which reduces to the scalar mean; the test
   for multi-worker mode is Keras's own (``strategy.extended._in_multi_worker_mode()``).
"""

from __future__ import annotations

from drumaae.models.backend import BACKEND

if BACKEND == "tensorflow":
    import tensorflow as tf
    from keras import ops

__all__ = ["PRIVATE_HOOKS", "model_strategy", "local_first_batch", "results_for_workers"]

PRIVATE_HOOKS = (
    ("keras.src.backend.tensorflow.trainer", "TensorFlowTrainer", "_maybe_symbolic_build",
     ("iterator", "data_batch")),
    ("keras.src.backend.tensorflow.trainer", "TensorFlowTrainer", "_distribute_strategy",
     None),
    ("tensorflow.python.distribute.collective_all_reduce_strategy",
     "CollectiveAllReduceExtended", "_in_multi_worker_mode", ()),
)
"""(module, class, private name, its parameters or None for an attribute) of each private
Keras/TensorFlow name used here."""


def model_strategy(model):
    """The distribution strategy `model` was created under, or None (hook 1)."""
    return model._distribute_strategy


def local_first_batch(strategy, iterator):
    """This worker's part of the first batch of a Keras TF epoch iterator (hook 1): the
    first local replica's values, with no cross-worker call."""
    for _, _, it in iterator:
        return tf.nest.map_structure(
            lambda v: strategy.experimental_local_results(v)[0], next(it))
    return None


def results_for_workers(results: dict) -> dict:
    """A train/test step's results, shaped so that Keras can average them over the workers
    of a MultiWorkerMirroredStrategy (hook 2); unchanged elsewhere."""
    if BACKEND != "tensorflow":
        return results
    strategy = tf.distribute.get_strategy()
    if (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode()):
        return {name: ops.reshape(v, [1]) for name, v in results.items()}
    return results
