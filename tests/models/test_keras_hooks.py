"""The private Keras/TensorFlow names drumaae depends on still exist (drumaae.models.keras_hooks):
this fails on the upgrade that removes one, not hours into a multi-worker run."""

import importlib
import inspect

import keras
import pytest

from drumaae.models import DrumAAE, keras_hooks


@pytest.mark.parametrize("module,cls,name,params", keras_hooks.PRIVATE_HOOKS,
                         ids=[h[2] for h in keras_hooks.PRIVATE_HOOKS])
def test_private_hook_exists(module, cls, name, params):
    owner = getattr(importlib.import_module(module), cls)
    if params is None:  # an attribute set in __init__
        assert name in inspect.getsource(owner.__init__), f"{cls}.{name} is gone"
        return
    assert callable(getattr(owner, name, None)), f"{cls}.{name} is gone"
    assert list(inspect.signature(getattr(owner, name)).parameters)[1:] == list(params)


def test_drumaae_overrides_a_hook_keras_still_calls():
    from keras.src.backend.tensorflow import trainer

    assert "_maybe_symbolic_build" in DrumAAE.__dict__
    assert "self._maybe_symbolic_build(iterator=" in inspect.getsource(
        trainer.TensorFlowTrainer.fit)


@pytest.mark.parametrize("scaled", [False, True])
def test_public_learning_rate_is_the_variable_the_reset_keeps(scaled):
    # reset_adversarial_optimizers keeps `optimizer.learning_rate` (public) among the
    # variables it zeroes: that property must be the optimizer's own variable.
    opt = keras.optimizers.Adam(1e-3)
    if scaled:
        opt = keras.optimizers.LossScaleOptimizer(opt)
    inner = getattr(opt, "inner_optimizer", opt)
    inner.build([keras.Variable([1.0, 2.0])])
    assert any(v is inner.learning_rate for v in inner.variables)


def test_results_unchanged_off_multi_worker():
    results = {"recon/loss": keras.ops.convert_to_tensor(1.5)}
    assert keras_hooks.results_for_workers(results) is results
