"""The training input pipeline: audio files -> bars -> feature tensors (tf.data).

Stages (docs/data.md says more):
1. `build_index` reads every file once (`drumaae.audio.io`), cuts it into bars
   (`drumaae.audio.bars.cut_bars`) and keeps one `BarRecord` per bar. Unusable files are
   skipped and listed in one warning.
2. `split_by_file` holds out whole files for validation.
3. `make_dataset` turns an index into a `tf.data.Dataset`: one element per file is decoded
   (tensorflow-io in the graph, or soundfile in a `numpy_function`), resampled, sliced at the
   index's bar starts and turned into features with `drumaae.audio.features.bar_features`;
   then unbatched to bars, cached, shuffled with the seed, optionally masked, batched.

TensorFlow-specific on purpose. tensorflow-io is used only through `drumaae.audio.io`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from drumaae.audio import io as audio_io
from drumaae.config import AudioConfig
from drumaae.data.feature_cache import cached_features
from drumaae.data.layout import Corpus
from drumaae.errors import DataError, DrumaaeError
from drumaae.fileio import MANIFEST

__all__ = [
    "BarRecord",
    "FileEntry",
    "BarIndex",
    "SkippedFilesWarning",
    "find_audio_files",
    "read_folder_manifest",
    "build_index",
    "split_by_file",
    "make_dataset",
    "iterate_bars",
    "bar_feature_batches",
    "cached_bar_features",
]

logger = logging.getLogger(__name__)

INDEX_FORMAT = "drumaae-bar-index"
INDEX_VERSION = 1


class SkippedFilesWarning(UserWarning):
    """Some files of a corpus could not be used; the message lists each and why."""


@dataclass(frozen=True)
class BarRecord:
    """One bar of one file: the unit of training.

    Attributes:
        file: the file's path (as in `FileEntry.path`).
        bar: the bar's number within its file, from 0.
        start: first sample of the bar, at the index's sample rate.
        length: samples in the bar (a multiple of `AudioConfig.bar_frames`).
        bpm: the file's tempo in beats per minute.
    """

    file: str
    bar: int
    start: int
    length: int
    bpm: float


@dataclass(frozen=True)
class FileEntry:
    """One usable file of an index.

    Attributes:
        path: absolute path.
        name: the path relative to the folder it was found in (or its base name): what the
            content hash uses, so moving a corpus folder keeps its hash.
        sha1: SHA-1 of the file's bytes.
        source_rate: the file's own rate in Hz.
        channels: the file's channel count.
        samples: decoded mono samples at the index's rate.
        decoder: ``tfio`` or ``soundfile`` (see `drumaae.audio.io.decode_audio`).
        tfio_dtype: dtype tensorflow-io decodes the file to, or None.
        bpm: the tempo its bars were cut at.
    """

    path: str
    name: str
    sha1: str
    source_rate: int
    channels: int
    samples: int
    decoder: str
    tfio_dtype: str | None
    bpm: float


@dataclass(frozen=True)
class BarIndex:
    """Every bar of a corpus, in order (file by file, bar by bar), and the files behind them.

    Saved as JSON (`save`/`load`): the manifest naming the file and bar number of every
    training example. `hash()` is a content hash for run tracking.
    """

    sample_rate: int
    files: tuple[FileEntry, ...]
    records: tuple[BarRecord, ...]
    skipped: tuple[tuple[str, str], ...] = field(default=())

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[BarRecord]:
        return iter(self.records)

    @property
    def file_paths(self) -> list[str]:
        return [f.path for f in self.files]

    def entry(self, path: str) -> FileEntry:
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(path)

    def select_files(self, paths: Iterable[str]) -> "BarIndex":
        """The sub-index of some files, in this index's order."""
        keep = set(paths)
        return BarIndex(
            sample_rate=self.sample_rate,
            files=tuple(f for f in self.files if f.path in keep),
            records=tuple(r for r in self.records if r.file in keep),
            skipped=self.skipped,
        )

    def positions(self, subset: "BarIndex") -> np.ndarray:
        """Rows of this index holding `subset`'s records, in `subset`'s order (to slice labels)."""
        where = {(r.file, r.bar): i for i, r in enumerate(self.records)}
        return np.array([where[(r.file, r.bar)] for r in subset.records], dtype=np.int64)

    def hash(self) -> str:
        """SHA-256 (hex) of the content: file names and bytes, bars, sample rate."""
        names = {f.path: f.name for f in self.files}
        payload = {
            "sample_rate": self.sample_rate,
            "files": [[f.name, f.sha1] for f in self.files],
            "bars": [[names[r.file], r.bar, r.start, r.length, round(r.bpm, 6)]
                     for r in self.records],
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "version": INDEX_VERSION,
            "sample_rate": self.sample_rate,
            "hash": self.hash(),
            "files": [dataclasses.asdict(f) for f in self.files],
            "bars": [dataclasses.asdict(r) for r in self.records],
            "skipped": [{"file": p, "reason": why} for p, why in self.skipped],
        }

    def save(self, path: str | os.PathLike) -> str:
        """Write the index as JSON (atomically)."""
        from drumaae.fileio import write_json

        return write_json(path, self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "index") -> "BarIndex":
        if not isinstance(data, Mapping) or data.get("format") != INDEX_FORMAT:
            raise DataError(f"{origin} is not a drumaae bar index: build one with build_index")
        if data.get("version") != INDEX_VERSION:
            raise DataError(f"{origin} is a bar index of version {data.get('version')!r}; "
                            f"this drumaae reads version {INDEX_VERSION}: rebuild it")
        try:
            index = cls(
                sample_rate=int(data["sample_rate"]),
                files=tuple(FileEntry(**f) for f in data["files"]),
                records=tuple(BarRecord(**r) for r in data["bars"]),
                skipped=tuple((s["file"], s["reason"]) for s in data.get("skipped", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{origin} is a damaged bar index ({exc}): rebuild it") from exc
        if data.get("hash") not in (None, index.hash()):
            raise DataError(f"{origin} does not match its own hash (edited?): rebuild it")
        return index

    @classmethod
    def load(cls, path: str | os.PathLike) -> "BarIndex":
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError as exc:
            raise DataError(f"{path} does not exist: build the index first") from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(f"{path} is not a readable JSON bar index: rebuild it") from exc
        return cls.from_dict(data, origin=os.path.basename(path))


# --- building the index ---------------------------------------------------------------------

def find_audio_files(paths: str | os.PathLike | Sequence[str | os.PathLike]
                     ) -> list[tuple[str, str, str | None]]:
    """Audio files under `paths` (folders searched recursively, files taken as they are).

    Returns:
        ``(absolute path, name, root folder or None)`` for each file, folders' files sorted.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[tuple[str, str, str | None]] = []
    seen: set[str] = set()
    for given in paths:
        p = os.path.abspath(os.fspath(given))
        if not os.path.exists(p):
            raise DataError(f"{os.fspath(given)} does not exist: give audio files or folders")
        if os.path.isdir(p):
            found = []
            for folder, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for fname in files:
                    if fname.startswith(".") or not fname.lower().endswith(
                            audio_io.AUDIO_EXTENSIONS):
                        continue
                    full = os.path.join(folder, fname)
                    found.append((full, os.path.relpath(full, p).replace(os.sep, "/"), p))
            candidates = sorted(found)
        else:
            candidates = [(p, os.path.basename(p), None)]
        for item in candidates:
            if item[0] not in seen:
                seen.add(item[0])
                out.append(item)
    return out


def read_folder_manifest(folder: str | os.PathLike) -> dict[str, float]:
    """Tempi from a corpus folder's ``manifest.json``: ``{file name: bpm}`` (empty if none).

    Accepted shapes: ``{"files": [{"file": "a.wav", "bpm": 120}, ...]}`` (``path`` may stand
    for ``file``), ``{"files": {"a.wav": {"bpm": 120}}}`` or ``{"a.wav": 120, ...}``. Names are
    relative to the folder.
    """
    path = os.path.join(os.fspath(folder), MANIFEST)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path} is not valid JSON: fix or remove it") from exc
    out: dict[str, float] = {}
    items: Iterable[Any]
    files = data.get("files", data) if isinstance(data, Mapping) else data
    if isinstance(files, Mapping):
        items = [{"file": k, **(v if isinstance(v, Mapping) else {"bpm": v})}
                 for k, v in files.items()]
    elif isinstance(files, list):
        items = files
    else:
        items = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        name = item.get("file", item.get("path", item.get("audio")))
        bpm = item.get("bpm", item.get("tempo"))
        if isinstance(name, str) and isinstance(bpm, (int, float)) and bpm > 0:
            out[name.replace(os.sep, "/")] = float(bpm)
    return out


def _file_digest(path: str, algorithm: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def _lookup_bpm(path: str, name: str, root: str | None, bpm_lookup: Mapping[str, float],
                manifests: dict[str, dict[str, float]]) -> float | None:
    keys = [path, name, os.path.basename(path)]
    for key in keys:
        if key in bpm_lookup:
            return float(bpm_lookup[key])
    folder = os.path.dirname(path)
    if folder not in manifests:
        manifests[folder] = read_folder_manifest(folder)
    local = manifests[folder]
    if os.path.basename(path) in local:
        return local[os.path.basename(path)]
    if root is not None:
        if root not in manifests:
            manifests[root] = read_folder_manifest(root)
        if name in manifests[root]:
            return manifests[root][name]
        # A split folder of a rendered corpus (``corpus/train``): the corpus's manifest, one
        # folder up, names the file from there (``train/000001_....wav``). Without this,
        # indexing a split estimated every tempo and read 8.6% of one-bar files as two bars
        # at twice the tempo.
        parent = os.path.dirname(root)
        if parent not in manifests:
            try:
                corpus = Corpus.open(parent, missing_ok=True)
            except DataError:  # someone else's manifest.json, not ours to judge
                corpus = None
            manifests[parent] = corpus.tempi() if corpus is not None else {}
        key = os.path.abspath(path)
        if key in manifests[parent]:
            return manifests[parent][key]
    return None


def build_index(paths: str | os.PathLike | Sequence[str | os.PathLike], audio: AudioConfig, *,
                bpm: float | None = None, bpm_lookup: Mapping[str, float] | None = None,
                progress: bool = False) -> BarIndex:
    """Decode and cut a corpus into bars: one `BarRecord` per bar.

    Args:
        paths: audio files and/or folders (searched recursively for .wav, .flac, .ogg, .mp3).
        audio: the recipe's AudioConfig (the model's rate, bar frames).
        bpm: one tempo for every file (skips tempo estimation).
        bpm_lookup: ``{file: bpm}``; keys are absolute paths, paths relative to the folder
            given, or base names. A folder's ``manifest.json`` (see `read_folder_manifest`)
            is read too; `bpm` wins over `bpm_lookup`, which wins over manifests; files with
            none get their tempo estimated by `cut_bars`.
        progress: print one line per file to stderr.

    Returns:
        The index. Files that cannot be used (not audio, silent, shorter than a bar, ...) are
        skipped, listed in `BarIndex.skipped` and in one `SkippedFilesWarning`.

    Raises:
        DataError: a path does not exist, or no file yields a bar.
    """
    from drumaae.audio.bars import cut_bars  # librosa: imported only when indexing

    found = find_audio_files(paths)
    if not found:
        raise DataError("no audio files (.wav, .flac, .ogg, .mp3) found in "
                        f"{_describe(paths)}: check the path")
    bpm_lookup = dict(bpm_lookup or {})
    manifests: dict[str, dict[str, float]] = {}
    files: list[FileEntry] = []
    records: list[BarRecord] = []
    skipped: list[tuple[str, str]] = []
    for i, (path, name, root) in enumerate(found):
        if progress:
            print(f"[{i + 1}/{len(found)}] {name}", file=sys.stderr, flush=True)
        file_bpm = float(bpm) if bpm is not None else _lookup_bpm(
            path, name, root, bpm_lookup, manifests)
        try:
            # Lossless files are read by soundfile (same samples, no eager tensorflow-io
            # call: indexing went from ~5 to ~0.7 ms a file, docs/benchmarks.md).
            decoded = audio_io.decode_audio(path, audio.sample_rate, prefer_soundfile=True)
            cut = cut_bars(decoded.samples, decoded.sample_rate, audio, bpm=file_bpm)
            n_bars = int(len(cut.starts))
            if n_bars == 0:
                raise DataError("no whole bar in it")
        except Exception as exc:  # any one bad file must not end a corpus run
            skipped.append((path, _reason(exc)))
            continue
        entry = FileEntry(
            path=path, name=name, sha1=_file_digest(path, "sha1"), source_rate=decoded.source_rate,
            channels=decoded.channels, samples=int(len(decoded.samples)),
            decoder=decoded.decoder, tfio_dtype=decoded.tfio_dtype, bpm=float(cut.bpm),
        )
        files.append(entry)
        for b, start in enumerate(np.asarray(cut.starts).tolist()):
            records.append(BarRecord(file=path, bar=b, start=int(start),
                                     length=int(cut.bar_length), bpm=float(cut.bpm)))
    if skipped:
        listing = "; ".join(f"{os.path.basename(p)}: {why}" for p, why in skipped)
        warnings.warn(f"skipped {len(skipped)} of {len(found)} audio files: {listing}",
                      SkippedFilesWarning, stacklevel=2)
    if not records:
        raise DataError(
            f"none of the {len(found)} audio files in {_describe(paths)} gave a bar "
            "(see the warning for why each was skipped): give longer, non-silent drum audio"
        )
    return BarIndex(sample_rate=int(audio.sample_rate), files=tuple(files),
                    records=tuple(records), skipped=tuple(skipped))


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if isinstance(exc, DrumaaeError) else f"{type(exc).__name__}: {text}"


def _describe(paths: Any) -> str:
    if isinstance(paths, (str, os.PathLike)):
        return os.fspath(paths)
    paths = [os.fspath(p) for p in paths]
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def split_by_file(index: BarIndex, validation_fraction: float, seed: int
                  ) -> tuple[BarIndex, BarIndex]:
    """Hold out whole files: no file has bars in both parts.

    Args:
        index: the corpus index.
        validation_fraction: share of files (not bars) held out, in [0, 1).
        seed: the same seed gives the same split.

    Returns:
        ``(train, validation)``. With a fraction > 0 and at least two files, validation has
        at least one file and training keeps at least one.
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    names = {f.path: f.name for f in index.files}
    paths = sorted(index.file_paths, key=lambda p: names[p])
    n = len(paths)
    n_val = int(round(validation_fraction * n))
    if validation_fraction > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    else:
        n_val = min(n_val, max(n - 1, 0))
    order = np.random.default_rng(seed).permutation(n)
    val = {paths[i] for i in order[:n_val]}
    train = [p for p in paths if p not in val]
    return index.select_files(train), index.select_files(val)


# --- tf.data --------------------------------------------------------------------------------

def _file_groups(index: BarIndex, labels: np.ndarray | None):
    """Per file, in index order: its bars' starts, length and labels."""
    rows: dict[str, list[int]] = {}
    for i, r in enumerate(index.records):
        rows.setdefault(r.file, []).append(i)
    groups = []
    for entry in index.files:
        idx = rows.get(entry.path, [])
        if not idx:
            continue
        lengths = {index.records[i].length for i in idx}
        if len(lengths) != 1:
            raise DataError(f"{entry.name}: bars of different lengths in one file: rebuild "
                            "the index")
        groups.append((entry, [index.records[i].start for i in idx], lengths.pop(),
                       None if labels is None else labels[idx]))
    return groups


def make_dataset(index: BarIndex, audio: AudioConfig, *, batch_size: int, shuffle: bool,
                 seed: int, labels: np.ndarray | None = None, cache: bool | str = True,
                 repeat: bool = False, augment: bool = False,
                 shuffle_buffer: int | None = None, drop_remainder: bool = False,
                 feature_cache: str | os.PathLike | None = None):
    """A `tf.data.Dataset` of bar features.

    Args:
        index: bars to serve (e.g. the training part of `split_by_file`).
        audio: the recipe's AudioConfig; its sample_rate must be the index's.
        batch_size: bars per batch.
        shuffle: shuffle bars (and files, when not cached), seeded by `seed`.
        seed: seeds shuffling and augmentation; the same seed gives the same batches.
        labels: optional int labels ``(len(index),)``, one per record in index order.
        cache: True caches features in memory after the first pass, a string caches them in
            that file, False decodes every epoch.
        repeat: repeat forever (epochs reshuffle).
        augment: SpecAugment-style masks (one frequency band, one time span, zeroed) on each
            training bar.
        shuffle_buffer: bars in the shuffle buffer (default: all bars, at most 4096).
        drop_remainder: drop a last, smaller batch.
        feature_cache: a folder: serve features from the on-disk cache there
            (`cached_bar_features`, computed on the first use), instead
            of decoding and transforming audio (`cache` is then ignored). Same batches, bit
            for bit, as without it: same features, same shuffle order for the same seed.

    Returns:
        Batches of float32 features ``(batch, bar_frames, n_bins)``, or
        ``(features, labels)`` with int32 labels ``(batch,)`` when `labels` is given.
        Each file is decoded once per pass over it, not once per bar.
    """
    import tensorflow as tf

    from drumaae.audio.features import bar_features

    if int(audio.sample_rate) != int(index.sample_rate):
        raise DataError(f"the index was built at {index.sample_rate} Hz but the recipe's "
                        f"audio.sample_rate is {audio.sample_rate}: rebuild the index")
    if len(index) == 0:
        raise DataError("the bar index is empty: nothing to train on")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(index),):
            raise ValueError(f"labels must have shape ({len(index)},), got {labels.shape}")
        labels = labels.astype(np.int32)
    if feature_cache is not None:
        return _from_features(cached_bar_features(index, audio, feature_cache), audio,
                              batch_size=batch_size, shuffle=shuffle, seed=seed, labels=labels,
                              repeat=repeat, augment=augment, shuffle_buffer=shuffle_buffer,
                              drop_remainder=drop_remainder)
    groups = _file_groups(index, labels)

    dtypes = sorted({str(e.tfio_dtype) for e, *_ in groups})  # "None" = soundfile branch
    branch_of = {d: i for i, d in enumerate(dtypes)}
    target = int(audio.sample_rate)
    paths = tf.constant([e.path for e, *_ in groups])
    rates = tf.constant([e.source_rate for e, *_ in groups], tf.int64)
    plans = tf.constant(
        [audio_io.tfio_resample_plan(e.source_rate, target) if e.tfio_dtype else (0, 0)
         for e, *_ in groups], tf.int64)
    branches_ids = tf.constant([branch_of[str(e.tfio_dtype)] for e, *_ in groups], tf.int32)
    starts = tf.ragged.constant([s for _, s, _, _ in groups], dtype=tf.int64)
    lengths = tf.constant([n for _, _, n, _ in groups], tf.int64)
    label_rows = tf.ragged.constant(
        [lab.tolist() for *_, lab in groups] if labels is not None else
        [[0] * len(s) for _, s, _, _ in groups], dtype=tf.int32)

    files = tf.data.Dataset.from_tensor_slices(
        (paths, rates, plans, branches_ids, starts, lengths, label_rows))
    if shuffle and not cache:
        files = files.shuffle(len(groups), seed=seed, reshuffle_each_iteration=True)

    def decode_file(path, rate, plan, branch, file_starts, length, file_labels):
        def make_branch(dtype):
            tfio_dtype = None if dtype == "None" else dtype
            return lambda: audio_io.decode_for_dataset(path, rate, target,
                                                       tfio_dtype=tfio_dtype, plan=plan)

        wave = tf.switch_case(branch, [make_branch(d) for d in dtypes])
        # A last bar may run past the end of the file: pad with silence.
        need = tf.reduce_max(file_starts) + length
        wave = tf.concat([wave, tf.zeros([tf.maximum(
            tf.constant(0, tf.int64), need - tf.shape(wave, out_type=tf.int64)[0])])], axis=0)
        offsets = file_starts[:, None] + tf.range(length, dtype=tf.int64)[None, :]
        bars = tf.gather(wave, offsets)
        feats = bar_features(bars, audio)
        return feats, file_labels

    bars_ds = files.map(decode_file, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    bars_ds = bars_ds.unbatch()
    if cache:
        bars_ds = bars_ds.cache(cache if isinstance(cache, str) else "")
    if shuffle:
        buffer = shuffle_buffer or min(len(index), 4096)
        bars_ds = bars_ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        bars_ds = bars_ds.repeat()
    if augment:
        noise = tf.data.Dataset.random(seed=seed).batch(2)
        bars_ds = tf.data.Dataset.zip((bars_ds, noise)).map(
            lambda ex, s: (_mask(ex[0], s, audio), ex[1]), num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True)
    if labels is None:
        bars_ds = bars_ds.map(lambda feats, _: feats)
    bars_ds = bars_ds.batch(batch_size, drop_remainder=drop_remainder)
    if not repeat:
        # unbatch() loses the size; Keras 3 then runs one extra, empty step per epoch that
        # still advances the optimizers' step counters. Declare the exact batch count.
        n = len(index)
        bars_ds = bars_ds.apply(tf.data.experimental.assert_cardinality(
            n // batch_size if drop_remainder else -(-n // batch_size)))
    return bars_ds.prefetch(tf.data.AUTOTUNE)


def _from_features(features: np.ndarray, audio: AudioConfig, *, batch_size: int,
                   shuffle: bool, seed: int, labels: np.ndarray | None, repeat: bool,
                   augment: bool, shuffle_buffer: int | None, drop_remainder: bool):
    """`make_dataset` over precomputed features ``(bars, frames, bins)`` in index order.

    Bar numbers are shuffled, not bars: `Dataset.shuffle`'s order depends only on the seed and
    the stream's length, so the same seed and buffer give the same order as shuffling the
    bars themselves. Each batch is gathered from `features` (a memory map) in one call.
    """
    import tensorflow as tf

    n = len(features)
    rows = tf.data.Dataset.range(n)
    if shuffle:
        buffer = shuffle_buffer or min(n, 4096)
        rows = rows.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        rows = rows.repeat()
    rows = rows.batch(batch_size, drop_remainder=drop_remainder)
    frames, bins = int(audio.bar_frames), int(audio.n_bins)
    label_table = tf.constant(labels if labels is not None else np.zeros(n, np.int32))

    def gather(idx):
        feats = tf.numpy_function(lambda i: np.ascontiguousarray(features[i]), [idx],
                                  tf.float32, stateful=False)
        return tf.ensure_shape(feats, [None, frames, bins]), tf.gather(label_table, idx)

    ds = rows.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if augment:
        noise = tf.data.Dataset.random(seed=seed).batch(2)
        ds = tf.data.Dataset.zip((ds.unbatch(), noise)).map(
            lambda ex, s: (_mask(ex[0], s, audio), ex[1]), num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True).batch(batch_size, drop_remainder=drop_remainder)
    if labels is None:
        ds = ds.map(lambda feats, _: feats)
    if not repeat:
        ds = ds.apply(tf.data.experimental.assert_cardinality(
            n // batch_size if drop_remainder else -(-n // batch_size)))
    return ds.prefetch(tf.data.AUTOTUNE)


def _mask(feats, seed, audio: AudioConfig):
    """Zero one random frequency band (< n_bins/8 wide) and one time span (< bar_frames/8).

    Our own stateless masks rather than `tfio.audio.freq_mask`/`time_mask`: those draw from
    unseeded stateful random ops, so the same seed would not give the same batches.
    """
    import tensorflow as tf

    frames, bins = audio.bar_frames, audio.n_bins
    u = tf.random.stateless_uniform([4], seed=tf.cast(seed, tf.int64) % (2**31), dtype=tf.float32)

    def band(size, width_max, a, b):
        width = tf.cast(a * width_max, tf.int32)
        start = tf.cast(b * tf.cast(size - width, tf.float32), tf.int32)
        idx = tf.range(size)
        return (idx >= start) & (idx < start + width)

    fmask = band(bins, max(1, bins // 8), u[0], u[1])
    tmask = band(frames, max(1, frames // 8), u[2], u[3])
    masked = tmask[:, None] | fmask[None, :]
    return tf.where(masked, tf.zeros_like(feats), feats)


def iterate_bars(index: BarIndex, audio: AudioConfig, *, batch_size: int = 64,
                 feature_cache: str | os.PathLike | None = None
                 ) -> Iterator[tuple[BarRecord, np.ndarray]]:
    """``(record, features (bar_frames, n_bins))`` for every bar, in index order (evaluation,
    rhythm labels); from the feature cache in `feature_cache` when given."""
    if feature_cache is not None:
        feats = cached_bar_features(index, audio, feature_cache)
        for i, record in enumerate(index.records):
            yield record, np.asarray(feats[i])
        return
    records = iter(index.records)
    for batch in bar_feature_batches(index, audio, batch_size):
        for feats in batch:
            yield next(records), feats


def bar_feature_batches(index: BarIndex, audio: AudioConfig, batch_size: int = 64
                        ) -> Iterator[np.ndarray]:
    """Every bar's features in index order, as float32 batches ``(n, bar_frames, n_bins)``:
    the pipeline (`make_dataset`) unshuffled and uncached, what the feature cache stores."""
    ds = make_dataset(index, audio, batch_size=batch_size, shuffle=False, seed=0, cache=False)
    return ds.as_numpy_iterator()


def cached_bar_features(index: BarIndex, audio: AudioConfig, cache_dir: str | os.PathLike,
                        **kwargs) -> np.ndarray:
    """`feature_cache.cached_features` of this pipeline's features (`bar_feature_batches`);
    `kwargs` go to it (``log``, ``batch_size``)."""
    return cached_features(index, audio, cache_dir, compute=functools.partial(
        bar_feature_batches, index, audio), **kwargs)
