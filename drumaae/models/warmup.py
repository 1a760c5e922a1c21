"""The end of the adversarial warm-up: a fresh state for the two adversarial optimizers.

During ``adv_warmup_steps`` the discriminator's and the encoder's adversarial optimizers
step with zero gradients (a traced step cannot skip them): Adam's moment estimates stay
empty while its bias correction advances, and the first real steps would be about 10x the
learning rate. `AdversarialWarmupEnd` resets them at the step the warm-up ends.

It lives with the model, not with the run's callbacks in `drumaae.training.callbacks`,
because it is part of what `compile(adv_warmup_steps=...)` means: `DrumAAE.fit` adds it by
itself, so every caller of `fit` gets it, and the model package imports nothing from the
training layer above it.
"""

from __future__ import annotations

import keras

__all__ = ["AdversarialWarmupEnd"]


class AdversarialWarmupEnd(keras.callbacks.Callback):
    """Resets the adversarial optimizers of a `DrumAAE` at the step its warm-up ends
    (`DrumAAE.reset_adversarial_optimizers`).

    The step counter is read (a device-to-host copy) only until the warm-up is over, not at
    every batch of a long run."""

    def on_train_begin(self, logs=None):
        self._past = False

    def on_train_batch_begin(self, batch, logs=None):
        model = self.model
        if self._past or not model.adv_warmup_steps:
            return
        step = int(keras.ops.convert_to_numpy(model.ae_optimizer.iterations))
        if step == model.adv_warmup_steps:
            model.reset_adversarial_optimizers()
        self._past = step >= model.adv_warmup_steps
