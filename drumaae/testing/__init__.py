"""Synthetic signals shared by the tests and the benchmarks (`bench/`): no randomness without a
seed, no files, NumPy only."""

from drumaae.testing.signals import PATTERNS, synthetic_loop

__all__ = ["PATTERNS", "synthetic_loop"]
