"""`bar_features` for many bars, fast: bars bucketed by length, one XLA function per length.

Measured by `drumaae bench` ("bucketed XLA pipeline" row) against the tf.data pipeline and a
librosa loop. Moved here unchanged from the benchmark so the training dataset can adopt it.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator, Sequence

import numpy as np

__all__ = ["BucketedFeatures"]


class BucketedFeatures:
    """`bar_features` for many bars, fast: bars grouped by length, one XLA-compiled function
    per length (its hop is a Python int, so `tf.signal.frame` gets static shapes and
    ``jit_compile=True`` works), called on fixed-size batches (the last one padded) so each
    length compiles once. Same numbers as `drumaae.audio.features.bar_features` (variable_hop).

    Args:
        audio: the recipe's AudioConfig (``bar_method: variable_hop``).
        batch: bars per call.
        jit: compile with XLA (False: plain tf.function, for comparison).
    """

    def __init__(self, audio, batch: int = 32, jit: bool = True):
        if audio.bar_method != "variable_hop":
            raise ValueError("BucketedFeatures implements bar_method: variable_hop only")
        self.audio = audio
        self.batch = int(batch)
        self.jit = bool(jit)
        self._fns: dict[int, Callable] = {}
        self.compile_s = 0.0

    def _fn(self, length: int):
        import tensorflow as tf

        from drumaae.audio.features import magnitude_to_features, stft_magnitude

        if length not in self._fns:
            a, hop = self.audio, length // self.audio.bar_frames

            def features(bars):
                mag = stft_magnitude(bars, a.n_fft, hop)[..., : a.bar_frames, :]
                return magnitude_to_features(mag, a)

            fn = tf.function(features, jit_compile=self.jit,
                             input_signature=[tf.TensorSpec([self.batch, length], tf.float32)])
            t0 = time.perf_counter()
            fn(np.zeros((self.batch, length), np.float32))
            self.compile_s += time.perf_counter() - t0
            self._fns[length] = fn
        return self._fns[length]

    def stream(self, bar_lists) -> "Iterator[np.ndarray]":
        """Features of bars arriving in lists (e.g. one list per decoded file), computed as
        soon as a length's bucket holds a full batch; the rest at the end. Order is by
        bucket, not by arrival."""
        pending: dict[int, list[np.ndarray]] = {}
        for bars in bar_lists:
            for b in bars:
                bucket = pending.setdefault(int(len(b)), [])
                bucket.append(np.asarray(b, np.float32))
                if len(bucket) == self.batch:
                    yield from self._run(len(b), bucket)
                    bucket.clear()
        for length, bucket in pending.items():
            if bucket:
                yield from self._run(length, bucket)

    def _run(self, length: int, bars: list[np.ndarray]):
        x = np.zeros((self.batch, length), np.float32)
        x[: len(bars)] = np.stack(bars)
        return list(self._fn(length)(x).numpy()[: len(bars)])

    def __call__(self, bars: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Features `(bar_frames, n_bins)` of each bar, in order."""
        out: list[np.ndarray | None] = [None] * len(bars)
        groups: dict[int, list[int]] = {}
        for i, b in enumerate(bars):
            groups.setdefault(int(len(b)), []).append(i)
        for length, idx in groups.items():
            fn = self._fn(length)
            for k in range(0, len(idx), self.batch):
                chunk = idx[k: k + self.batch]
                x = np.zeros((self.batch, length), np.float32)
                x[: len(chunk)] = np.stack([bars[i] for i in chunk])
                y = fn(x).numpy()
                for j, i in enumerate(chunk):
                    out[i] = y[j]
        return out  # type: ignore[return-value]
