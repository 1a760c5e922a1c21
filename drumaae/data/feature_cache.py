"""An on-disk cache of a corpus's bar features, reused across epochs, runs and resumes.

Features of every bar of a `BarIndex` are computed once, by the training pipeline's own code
(`drumaae.data.dataset.cached_bar_features` passes `make_dataset` without shuffling as the
`compute` function: this module does not import the pipeline), and stored as one float32 ``.npy``
file ``(bars, bar_frames, n_bins)`` in index order. Later passes memory-map that file, so a
cached epoch reads pages instead of decoding and transforming audio, and the bytes served are
the bytes computed (bit-identical; tests/data/test_feature_cache.py checks it).

An entry is named by `cache_key`: a SHA-256 of the index's content hash (file names, file
bytes, bar starts and lengths, sample rate), the whole `AudioConfig`, this cache's format
version and the TensorFlow and tensorflow-io versions. Any change to the corpus or to the
feature settings gives a new entry; stale entries are never read (delete the folder to
reclaim space). Size: ``bars * bar_frames * n_bins * 4`` bytes (the default recipe:
256 KiB a bar, 7.3 GiB for 30,000 bars). docs/data.md says how to turn it on.

Entries are written atomically (`drumaae.fileio.atomic_write`) under a claim on the entry
(`drumaae.fileio.claim`, waiting): two runs that need the same entry compute it once, and a
killed run leaves no half-written entry that could be read (its ``.partial-*`` file is removed
by the next claim).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from importlib.metadata import version
from typing import Callable, Iterable

import numpy as np

from drumaae.config import AudioConfig
from drumaae.errors import DataError
from drumaae.fileio import atomic_write, claim, write_json

__all__ = ["CACHE_FORMAT", "CACHE_VERSION", "cache_key", "cached_features"]

CACHE_FORMAT = "drumaae-feature-cache"
#: Bump when the code that computes features changes its numbers.
CACHE_VERSION = 1


def _library_versions() -> dict[str, str]:
    import tensorflow as tf  # lazy: see docs/architecture.md, "Lazy imports"

    try:
        tfio = version("tensorflow-io")
    except Exception:  # not installed: the soundfile path computed every file
        tfio = "none"
    return {"tensorflow": tf.__version__, "tensorflow-io": tfio}


def _key_payload(index, audio: AudioConfig) -> dict:
    return {"format": CACHE_FORMAT, "version": CACHE_VERSION, "index": index.hash(),
            "audio": dataclasses.asdict(audio), "libraries": _library_versions()}


def cache_key(index, audio: AudioConfig) -> str:
    """The entry name (hex SHA-256) of `index`'s features under `audio`."""
    text = json.dumps(_key_payload(index, audio), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _open(path: str, shape: tuple[int, int, int]) -> np.ndarray | None:
    """The entry memory-mapped read-only, or None when it is missing or not the right one."""
    if not os.path.isfile(path):
        return None
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if arr.dtype != np.float32 or tuple(arr.shape) != shape:
        return None
    return arr


def cached_features(index, audio: AudioConfig, cache_dir: str | os.PathLike, *,
                    compute: Callable[[int], Iterable[np.ndarray]],
                    log: Callable[[str], None] | None = None,
                    batch_size: int = 64) -> np.ndarray:
    """Every bar's features, from the cache in `cache_dir` (computed and stored on a miss).

    Args:
        index: the bars (`drumaae.data.dataset.BarIndex`), in the order of the rows returned.
        audio: the recipe's AudioConfig.
        cache_dir: the cache folder (created if missing); entries of other corpora and
            settings may share it.
        compute: on a miss, ``compute(batch_size)`` gives every bar's features in index
            order, as float32 batches ``(n, bar_frames, n_bins)``.
        log: where progress lines go on a miss (default: stderr).
        batch_size: bars per batch while computing.

    Returns:
        A read-only float32 array ``(len(index), bar_frames, n_bins)`` memory-mapped from
        the entry, row ``i`` the features of ``index.records[i]``.

    Raises:
        DataError: the index is empty.
        OutputNotWritableError: the folder cannot be written (read-only, disk full).
    """
    if len(index) == 0:
        raise DataError("the bar index is empty: nothing to cache")
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    folder = os.path.abspath(os.path.expanduser(os.fspath(cache_dir)))
    os.makedirs(folder, exist_ok=True)
    key = cache_key(index, audio)
    path = os.path.join(folder, f"{key}.npy")
    shape = (len(index), int(audio.bar_frames), int(audio.n_bins))
    hit = _open(path, shape)
    if hit is not None:
        return hit
    with claim(path, check=False, wait=True):
        hit = _open(path, shape)  # another run may have written it while we waited
        if hit is not None:
            return hit
        atomic_write(path, lambda tmp: _compute_into(tmp, compute(batch_size), shape, log))
        write_json(os.path.join(folder, f"{key}.json"), {
            **_key_payload(index, audio), "bars": shape[0], "shape": list(shape),
            "dtype": "float32", "files": len(index.files),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    out = _open(path, shape)
    if out is None:  # written and renamed above: only a concurrent delete gets here
        raise DataError(f"the feature cache entry {path} vanished as it was written: run again")
    return out


def _compute_into(tmp: str, batches: Iterable[np.ndarray], shape: tuple[int, int, int],
                  log: Callable[[str], None]) -> None:
    """Fill the ``.npy`` file `tmp` with `batches` of features, in index order."""
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape)
    t0 = last = time.perf_counter()
    row = 0
    log(f"feature cache: computing {shape[0]} bars into {os.path.dirname(tmp)}")
    for batch in batches:
        out[row:row + len(batch)] = batch
        row += len(batch)
        now = time.perf_counter()
        if now - last > 10.0:
            last = now
            log(f"feature cache: {row}/{shape[0]} bars ({row / (now - t0):.0f} bars/s)")
    if row != shape[0]:
        raise DataError(f"the pipeline gave {row} bars for an index of {shape[0]}: rebuild "
                        "the index")
    out.flush()
    del out
    log(f"feature cache: {row} bars in {time.perf_counter() - t0:.1f} s")
