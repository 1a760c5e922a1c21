"""`train`: a recipe and audio folders in, a trained `.keras` model (and its run) out.

Steps: precision policy -> distribution strategy -> seeds -> bar index (a corpus folder's
``train/`` and ``val/`` subfolders are the split when present: held-out kits; otherwise
`split_by_file`) -> rhythm labels (when ``model.use_labels`` and `drumaae.data.rhythm` is
available) -> tf.data datasets -> `build_model` + `compile_model` inside the strategy's scope
(or the last checkpoint, with ``resume=True``) -> `fit` with per-epoch checkpoints, a NaN stop
and the tracker -> ``model.keras``, ``recipe.yaml``, ``history.json`` in `out_dir`.

The output folder::

    out_dir/
      model.keras        the trained model (drumaae.models.load_model / --model PATH)
      recipe.yaml        the resolved recipe (precision resolved, epochs as run)
      history.json       per-epoch metrics of the whole run (resumes included)
      checkpoints/       last.keras + state.json, rewritten after every epoch
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from drumaae.config import Recipe, recipe_from_dict
from drumaae.data.layout import Corpus
from drumaae.errors import DataError, OutputExistsError, TrainingError
from drumaae.fileio import atomic_write, write_json, write_text
from drumaae.training.callbacks import (
    CHECKPOINT_MODEL,
    EpochCheckpoint,
    EpochHook,
    LearningRateDecay,
    PlainProgress,
    StopOnNaN,
    read_state,
)

__all__ = ["train", "TrainResult", "TrainData", "prepare_data", "resolve_precision",
           "make_strategy", "STRATEGIES"]

STRATEGIES = ("auto", "default", "mirrored", "multi_worker")


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        model_path: the final ``model.keras``.
        out_dir: the run's folder.
        history: per-epoch metrics of the whole run (``{"epoch": [1, 2, ...], ...}``).
        epochs_run: epochs run by this call (0 when a resumed run was already complete).
        epochs_total: epochs finished in the whole run.
        initial_epoch: epochs already done before this call (resume).
        train_bars, val_bars: bars in each part.
        wall_time_s: this call's wall time.
        index_hash: content hash of the bar index (train + validation).
        train_iterations: the model's own step counter at the end.
        precision: the policy used.
        labelled: whether rhythm-cluster labels were used.
        run_id, registered_version, not_logged: from the tracker (None / [] without one).
        model_uri: ``runs:/RUN_ID/model`` once the model is logged to MLflow, else None.
    """

    model_path: str
    out_dir: str
    history: dict[str, list]
    epochs_run: int
    epochs_total: int
    initial_epoch: int
    train_bars: int
    val_bars: int
    wall_time_s: float
    index_hash: str
    train_iterations: int
    precision: str
    labelled: bool = False
    run_id: str | None = None
    registered_version: str | None = None
    not_logged: list[str] = field(default_factory=list)
    model_uri: str | None = None

    def final_metrics(self) -> dict[str, float]:
        return {k: v[-1] for k, v in self.history.items() if v and k not in ("epoch", "step")}


@dataclass
class TrainData:
    """The prepared input of a run."""

    train_index: Any
    val_index: Any
    train_labels: np.ndarray | None
    val_labels: np.ndarray | None
    index_hash: str
    split: str  # "corpus train/ and val/ folders" or "split_by_file"
    centroids: np.ndarray | None = None


# --- precision and strategy -----------------------------------------------------------------

def resolve_precision(precision: str | None, recipe: Recipe) -> str:
    """``auto`` -> ``mixed_float16`` when a GPU is visible, else ``float32``."""
    import tensorflow as tf

    value = precision or recipe.training.precision
    if value not in ("auto", "float32", "mixed_float16"):
        raise TrainingError(f"precision must be auto, float32 or mixed_float16; got {value!r}")
    if value == "auto":
        return "mixed_float16" if tf.config.list_physical_devices("GPU") else "float32"
    return value


def make_strategy(strategy: str = "auto"):
    """A `tf.distribute` strategy by name.

    ``auto``: MirroredStrategy over all GPUs when there are two or more, else the default
    strategy; ``default``: no distribution; ``mirrored``: `tf.distribute.MirroredStrategy()`
    (all local GPUs, or the CPU); ``multi_worker``: `MultiWorkerMirroredStrategy()`
    configured by the ``TF_CONFIG`` environment variable (see docs/training.md).
    """
    import tensorflow as tf

    if strategy not in STRATEGIES:
        raise TrainingError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}")
    if strategy == "auto":
        gpus = tf.config.list_physical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if strategy == "default":
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if "TF_CONFIG" not in os.environ:
        raise TrainingError("--strategy multi_worker needs the TF_CONFIG environment variable "
                            "(cluster and task of this worker); see docs/training.md")
    return tf.distribute.MultiWorkerMirroredStrategy()


def _workers() -> int:
    """Worker processes in TF_CONFIG's cluster (chief included); 1 without TF_CONFIG."""
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError as exc:
        raise TrainingError(f"TF_CONFIG is not valid JSON: {exc}") from exc
    return max(1, sum(len(cluster.get(kind, [])) for kind in ("chief", "worker")))


def _barrier(dist) -> None:
    """Wait for every worker (a one-number all-reduce). The chief writes the outputs after
    training; a worker that exits before it makes the chief's TensorFlow runtime report a
    heartbeat error and hold its exit (measured: minutes), so all leave together."""
    import tensorflow as tf

    dist.reduce("SUM", dist.run(lambda: tf.constant(1.0)), axis=None)


def _is_chief() -> bool:
    """True unless TF_CONFIG names this process a non-chief worker."""
    try:
        task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError as exc:
        raise TrainingError(f"TF_CONFIG is not valid JSON: {exc}") from exc
    kind, index = task.get("type"), int(task.get("index", 0))
    if not kind:
        return True
    if kind == "chief":
        return True
    return kind == "worker" and index == 0 and "chief" not in cluster


# --- data -----------------------------------------------------------------------------------

def _corpus_split(folder: str) -> tuple[str, str] | None:
    """``(train_dir, val_dir)`` for a rendered corpus folder with both parts (their files'
    tempi come from the corpus manifest, which `build_index` reads one folder up)."""
    # a manifest.json that is not a corpus's is an error here
    corpus = Corpus.open(folder, missing_ok=True)
    if corpus is None or not corpus.has_splits:
        return None
    return corpus.split_dir("train"), corpus.split_dir("val")


def prepare_data(recipe: Recipe, data: Sequence[str | os.PathLike], *, progress: bool = False,
                 log: Callable[[str], None] = print,
                 feature_cache: str | os.PathLike | None = None,
                 labels_file: str | os.PathLike | None = None) -> TrainData:
    """Index the audio, split it (corpus folders' train/ and val/, else by file), label it.

    With `feature_cache` (a folder) the labels are computed from cached features (filled on
    the first use). With `labels_file` (a run's `LABELS_FILE`) that exists, the labels are
    the run's saved ones: k-means is not fitted again (see `_label`).
    """
    from drumaae.data.dataset import BarIndex, build_index, split_by_file

    if isinstance(data, (str, os.PathLike)):
        data = [data]
    paths = [os.path.abspath(os.fspath(p)) for p in data]
    if not paths:
        raise DataError("no training data given: pass --data with audio files or folders")
    for p in paths:
        if not os.path.exists(p):
            raise DataError(f"{p} does not exist: give audio files or folders with --data")
    train_paths: list[str] = []
    val_paths: list[str] = []
    rest: list[str] = []
    for p in paths:
        split = _corpus_split(p) if os.path.isdir(p) else None
        if split is None:
            rest.append(p)
            continue
        train_paths.append(split[0])
        val_paths.append(split[1])
    a = recipe.audio
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if train_paths:
            train_index = build_index(train_paths + rest, a, progress=progress)
            try:
                val_index = build_index(val_paths, a, progress=progress)
            except DataError:
                val_index = BarIndex(sample_rate=a.sample_rate, files=(), records=())
            how = "the corpus's val/ folder (held-out kits)"
        else:
            full = build_index(rest, a, progress=progress)
            train_index, val_index = split_by_file(full, recipe.training.validation_fraction,
                                                   recipe.training.seed)
            how = "whole files held out (split_by_file)"
    for w in caught:
        log(f"warning: {w.message}")
    if len(train_index) == 0:
        raise DataError("no training bars: give more audio or a lower "
                        "training.validation_fraction")
    combined = BarIndex(sample_rate=train_index.sample_rate,
                        files=train_index.files + val_index.files,
                        records=train_index.records + val_index.records)
    result = TrainData(train_index, val_index, None, None, combined.hash(), how)
    if recipe.model.use_labels:
        _label(result, recipe, log, feature_cache=feature_cache, labels_file=labels_file)
    return result


def _label(data: TrainData, recipe: Recipe, log: Callable[[str], None], *,
           feature_cache: str | os.PathLike | None = None,
           labels_file: str | os.PathLike | None = None) -> None:
    """Rhythm-cluster labels of every bar (k-means fitted on training bars only).

    A label picks the prior component a bar's code must fall into, so a run keeps its labels:
    when `labels_file` exists (saved by `save_labels` when the run started), its labels are
    used as they are if the data's index hash is the same, and otherwise the new bars are
    assigned to its saved centroids (`assign_rhythms`); k-means is fitted only for a new run.

    Hook: without `drumaae.data.rhythm` (or with fewer training bars than clusters) the run
    is unlabelled: every bar gets label K (= "no label", the prior's whole mixture).
    """
    try:
        from drumaae.data.rhythm import assign_rhythms, onset_grid, rhythm_labels
    except ImportError:
        log("note: drumaae.data.rhythm is not available: training without rhythm labels")
        return
    from drumaae.data.dataset import iterate_bars

    k = recipe.model.num_components
    a = recipe.audio
    band_floor = recipe.training.rhythm_band_floor
    if len(data.train_index) < k:
        log(f"note: {len(data.train_index)} training bars < {k} rhythm clusters: training "
            "without rhythm labels")
        return
    saved = load_labels(labels_file) if labels_file is not None else None

    def grids(index):
        return np.stack([onset_grid(f, a, band_floor=band_floor) for _, f in iterate_bars(
            index, a, feature_cache=feature_cache)])

    if saved is not None and saved["index_hash"] == data.index_hash:
        data.train_labels, data.centroids = saved["train_labels"], saved["centroids"]
        data.val_labels = saved["val_labels"] if len(data.val_index) else None
        log(f"rhythm labels: the run's own, from {labels_file}")
    elif saved is not None:
        data.centroids = saved["centroids"]
        data.train_labels = assign_rhythms(grids(data.train_index), data.centroids)
        if len(data.val_index):
            data.val_labels = assign_rhythms(grids(data.val_index), data.centroids)
        log(f"warning: the data changed since the run started: bars labelled with the run's "
            f"saved rhythm centroids ({labels_file}), not clustered again")
    else:
        # Streamed: only the small onset grids are kept, never every bar's features.
        labels, centroids = rhythm_labels(
            (f for _, f in iterate_bars(data.train_index, a, feature_cache=feature_cache)),
            a, k, seed=recipe.training.seed, band_floor=band_floor)
        data.train_labels = np.asarray(labels, np.int32)
        data.centroids = np.asarray(centroids, np.float32)
        if len(data.val_index):
            data.val_labels = assign_rhythms(grids(data.val_index), data.centroids)
    counts = np.bincount(data.train_labels, minlength=k).tolist()
    log(f"rhythm labels: {k} clusters, training bars per cluster {counts}")


LABELS_FILE = "rhythm_labels.npz"
"""A run's rhythm labels, saved in its folder when it starts and reused by ``--resume``."""


def save_labels(data: TrainData, path: str | os.PathLike) -> str:
    """Write `data`'s labels, centroids and index hash to `path` (.npz, atomically)."""
    from drumaae.fileio import atomic_write

    val = data.val_labels if data.val_labels is not None else np.zeros(0, np.int32)
    return atomic_write(os.fspath(path), lambda tmp: np.savez(
        tmp, train_labels=data.train_labels, val_labels=val, centroids=data.centroids,
        index_hash=np.array(data.index_hash)))


def load_labels(path: str | os.PathLike) -> dict[str, Any] | None:
    """What `save_labels` wrote, or None when `path` does not exist.

    Raises:
        DataError: the file is not a labels file (damaged or foreign).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            out = {"train_labels": f["train_labels"].astype(np.int32),
                   "val_labels": f["val_labels"].astype(np.int32),
                   "centroids": f["centroids"].astype(np.float32),
                   "index_hash": str(f["index_hash"])}
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path} is not a drumaae labels file ({exc}): remove it to cluster "
                        "the bars again (their labels may then differ from the run's)") from exc
    return out


# --- the run --------------------------------------------------------------------------------

def _check_out_dir(out_dir: str, resume: bool) -> dict | None:
    ckpt = os.path.join(out_dir, "checkpoints")
    if resume:
        state = read_state(ckpt)
        if state is None:
            raise TrainingError(f"nothing to resume in {out_dir}: no checkpoint "
                                f"({os.path.join(ckpt, CHECKPOINT_MODEL)}); train without "
                                "--resume first")
        return state
    # Other workers write nothing there: on a shared folder the chief may have begun already.
    if os.path.isdir(out_dir) and os.listdir(out_dir) and _is_chief():
        raise OutputExistsError(f"{out_dir} already exists and is not empty: use --resume to "
                                "continue that run or choose another --out")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise OutputExistsError(f"{out_dir} is a file: choose another --out")
    return None


def _same_model(a: Recipe, b: Recipe) -> list[str]:
    da, db = a.flat_params(), b.flat_params()
    return [k for k in da if (k.startswith(("audio.", "model.")) and da[k] != db.get(k))]


def train(recipe: Recipe, data: Sequence[str | os.PathLike], out_dir: str | os.PathLike, *,
          epochs: int | None = None, resume: bool = False, strategy: str = "auto",
          precision: str | None = None, tracker: Any = None, progress: bool = True,
          log: Callable[[str], None] = print,
          feature_cache: str | os.PathLike | None = None) -> TrainResult:
    """Train a DrumAAE on audio and write the run's folder.

    Args:
        recipe: the resolved recipe (`drumaae.config.load_recipe`).
        data: audio files and/or folders; a corpus folder made by ``drumaae corpus render``
            (``manifest.json`` + ``train/`` + ``val/``) gives tempi and the held-out split.
        out_dir: the run's folder; must be absent or empty unless ``resume``.
        epochs: total epochs of the run (default ``recipe.training.epochs``).
        resume: continue from ``out_dir/checkpoints`` (the last finished epoch).
        strategy: ``auto``, ``default``, ``mirrored`` or ``multi_worker`` (`make_strategy`).
        precision: ``auto``, ``float32`` or ``mixed_float16`` (default: the recipe's).
        tracker: a `drumaae.training.tracking.Tracker` (or None: no MLflow).
        progress: show a Keras progress bar on a terminal, else plain lines through `log`
            (`PlainProgress`: one per epoch, and the step every 30 s).
        log: where messages go.
        feature_cache: a folder for the on-disk feature cache
            (`drumaae.data.feature_cache`): features are computed once per corpus and
            settings, then read from there by every epoch, resume and later run. None: the
            features are kept in memory after the first epoch (tf.data's cache).

    Returns:
        A `TrainResult`.

    Raises:
        DataError: no usable audio.
        OutputExistsError: `out_dir` holds files and ``resume`` is False.
        TrainingError: NaN loss; ``resume`` without a checkpoint; a recipe that differs from
            the checkpoint's model.
    """
    import keras

    t0 = time.time()
    out_dir = os.path.abspath(os.fspath(out_dir))
    recipe, state = _resolve_run(recipe, out_dir, resume, epochs, precision)
    total_epochs = recipe.training.epochs
    os.makedirs(out_dir, exist_ok=True)
    chief = _is_chief()
    if chief:  # at the start: the resume command a killed run prints reads it
        write_text(os.path.join(out_dir, "recipe.yaml"), recipe.to_yaml())
    ckpt_dir = os.path.join(out_dir, "checkpoints")
    if not chief:  # non-chief workers write their (identical) saves into a scratch folder
        ckpt_dir = tempfile.mkdtemp(prefix="drumaae-worker-")

    previous_policy = keras.config.dtype_policy()
    keras.mixed_precision.set_global_policy(recipe.training.precision)
    try:
        dist = make_strategy(strategy)
        keras.utils.set_random_seed(recipe.training.seed)
        labels_file = os.path.join(out_dir, LABELS_FILE)
        prepared = prepare_data(recipe, data, progress=False, log=log,
                                feature_cache=feature_cache,
                                labels_file=labels_file if state is not None else None)
        if chief and prepared.train_labels is not None:
            save_labels(prepared, labels_file)
        if state is not None and state.get("index_hash") not in (None, prepared.index_hash):
            log("warning: the data differ from the data the checkpoint was trained on "
                "(index hash changed); continuing with the new data")
        train_ds, val_ds, steps = _datasets(prepared, recipe, feature_cache,
                                            drop_remainder=_workers() > 1)
        log(f"data: {len(prepared.train_index)} training bars, {len(prepared.val_index)} "
            f"validation bars; validation = {prepared.split}; index hash "
            f"{prepared.index_hash[:12]}")
        log(f"precision {recipe.training.precision}; strategy {type(dist).__name__} "
            f"({dist.num_replicas_in_sync} replica(s))")
        model = _build_or_restore(dist, recipe, state, log)

        initial_epoch = int(state["epochs_done"]) if state is not None else 0
        history: dict[str, list] = {k: list(v) for k, v in (state or {}).get(
            "history", {}).items()}
        for key in history:  # a state written before a newer model: keep its epochs only
            del history[key][initial_epoch:]
        run_id = (state or {}).get("run_id")
        tracking = tracker is not None and chief
        if tracking:
            run_id = _start_tracking(tracker, recipe, prepared, run_id, out_dir)

        extra = {"recipe": recipe.to_dict(), "index_hash": prepared.index_hash,
                 "run_id": run_id, "total_epochs": total_epochs}
        callbacks: list = [StopOnNaN()]
        if recipe.training.lr_decay_epochs:  # before the checkpoint, which logs its share
            callbacks.append(LearningRateDecay(recipe.training, total_epochs))
        callbacks.append(EpochCheckpoint(ckpt_dir, history, extra_state=extra))
        if tracking:
            callbacks.append(EpochHook(tracker.on_epoch_end))
        epochs_run = 0
        if initial_epoch < total_epochs:
            log(f"training epochs {initial_epoch + 1}..{total_epochs}"
                + (f" (resumed at step {model.train_iterations})" if state else ""))
            try:
                model.fit(train_ds, validation_data=val_ds, epochs=total_epochs,
                          initial_epoch=initial_epoch, steps_per_epoch=steps,
                          callbacks=callbacks + _plain_progress(progress, log, total_epochs,
                                                                steps),
                          verbose=_fit_verbosity(progress))
            except BaseException as exc:
                if tracking:
                    tracker.fail(exc)
                raise
            epochs_run = len(history.get("epoch", [])) - initial_epoch
        else:
            log(f"{out_dir} already finished {initial_epoch} epochs: nothing to train")

        model_path = _write_outputs(model, recipe, history, prepared, out_dir, ckpt_dir, chief)
        result = TrainResult(
            model_path=model_path, out_dir=out_dir, history=history, epochs_run=epochs_run,
            epochs_total=len(history.get("epoch", [])), initial_epoch=initial_epoch,
            train_bars=len(prepared.train_index), val_bars=len(prepared.val_index),
            wall_time_s=0.0, index_hash=prepared.index_hash,
            train_iterations=model.train_iterations, precision=recipe.training.precision,
            labelled=prepared.train_labels is not None, run_id=run_id)
        if tracking:
            done = tracker.finish(model, result)
            result.registered_version = done.get("registered_version")
            result.not_logged = list(done.get("not_logged", []))
            result.model_uri = done.get("model_uri")
        if _workers() > 1:
            _barrier(dist)
        result.wall_time_s = time.time() - t0
        return result
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


# --- the steps of a run ---------------------------------------------------------------------

def _resolve_run(recipe: Recipe, out_dir: str, resume: bool, epochs: int | None,
                 precision: str | None) -> tuple[Recipe, dict | None]:
    """The recipe as this run trains it (total epochs and precision resolved) and the
    checkpoint state to resume from (None for a new run); refuses a resumed run whose
    recipe changed the model."""
    state = _check_out_dir(out_dir, resume)
    total_epochs = int(epochs if epochs is not None else recipe.training.epochs)
    if total_epochs <= 0:
        raise TrainingError(f"epochs must be > 0, got {total_epochs}")
    resolved = resolve_precision(precision, recipe)
    recipe = recipe.replace(training={"epochs": total_epochs, "precision": resolved})
    if state is not None:
        saved = recipe_from_dict(state["recipe"])
        diff = _same_model(recipe, saved)
        if diff:
            raise TrainingError(
                f"the recipe differs from the one {out_dir} was trained with ({', '.join(diff)})"
                ": resume with the same recipe or start a new --out")
    return recipe, state


def _datasets(prepared: TrainData, recipe: Recipe,
              feature_cache: str | os.PathLike | None = None,
              drop_remainder: bool = False) -> tuple[Any, Any, int | None]:
    """The training and validation tf.data datasets, and the steps per epoch (None: one
    pass over the training bars). `drop_remainder` (several workers): only whole global
    batches, so that every worker gets a part of every batch and all take the same steps;
    validation is then skipped when it has fewer bars than a batch."""
    from drumaae.data.dataset import make_dataset

    t = recipe.training
    steps = t.steps_per_epoch or None
    train_ds = make_dataset(prepared.train_index, recipe.audio, batch_size=t.batch_size,
                            shuffle=True, seed=t.seed, labels=prepared.train_labels,
                            repeat=steps is not None, augment=t.augment,
                            shuffle_buffer=t.shuffle_buffer, feature_cache=feature_cache,
                            drop_remainder=drop_remainder)
    # make_dataset declares its batch count: without it Keras 3 runs one extra (empty) step
    # per epoch that still moves the optimizers' counters.
    val_ds = None
    if len(prepared.val_index) >= (t.batch_size if drop_remainder else 1):
        val_labels = prepared.val_labels
        if prepared.train_labels is not None and val_labels is None:
            val_labels = np.full(len(prepared.val_index), recipe.model.num_components,
                                 np.int32)
        val_ds = make_dataset(prepared.val_index, recipe.audio, batch_size=t.batch_size,
                              shuffle=False, seed=t.seed, labels=val_labels,
                              feature_cache=feature_cache, drop_remainder=drop_remainder)
    return train_ds, val_ds, steps


def _build_or_restore(dist, recipe: Recipe, state: dict | None,
                      log: Callable[[str], None]):
    """A new compiled model of `recipe`, or the checkpoint's, in the strategy's scope."""
    from drumaae.models import build_model, compile_model, load_model

    with dist.scope():
        if state is None:
            model = build_model(recipe)
            compile_model(model, recipe)
            return model
        model = load_model(state["model_path"], compile=True)
        if model.train_iterations != state.get("train_iterations", model.train_iterations):
            log("warning: the checkpoint's model and state disagree on the step count; "
                "using the model's")
        return model


def _start_tracking(tracker: Any, recipe: Recipe, prepared: TrainData, run_id: str | None,
                    out_dir: str) -> str | None:
    """Start (or resume) the tracker's run; returns its run id."""
    run_id = tracker.start(recipe, index_hash=prepared.index_hash, resume_run_id=run_id,
                           out_dir=out_dir,
                           extra_params={"data.train_bars": len(prepared.train_index),
                                         "data.val_bars": len(prepared.val_index),
                                         "data.split": prepared.split,
                                         "data.labelled": prepared.train_labels is not None})
    tracker.set_examples(prepared.val_index if len(prepared.val_index)
                         else prepared.train_index, recipe.audio)
    return run_id


def _fit_verbosity(progress: bool) -> int:
    """Keras's progress bar on a terminal, else nothing from Keras (`_plain_progress`: Keras
    3 draws its bar with carriage returns and ANSI codes whenever the ``posix`` module is
    loaded, so a log file would get them)."""
    return 1 if progress and sys.stdout.isatty() and sys.stderr.isatty() else 0


def _plain_progress(progress: bool, log: Callable[[str], None], total_epochs: int,
                    steps: int | None) -> list:
    """Where Keras's bar is off but progress is on: plain lines through `log`."""
    if not progress or _fit_verbosity(progress):
        return []
    return [PlainProgress(log, total_epochs, steps)]


def _write_outputs(model, recipe: Recipe, history: dict[str, list], prepared: TrainData,
                   out_dir: str, ckpt_dir: str, chief: bool) -> str:
    """The chief writes model.keras, recipe.yaml, history.json (and the rhythm centroids);
    another worker saves into its scratch folder and removes it. Returns model.keras's
    path in `out_dir`."""
    from drumaae.models import save_model

    model_path = os.path.join(out_dir, "model.keras")
    if not chief:
        save_model(model, os.path.join(ckpt_dir, "model.keras"))
        shutil.rmtree(ckpt_dir, ignore_errors=True)
        return model_path
    save_model(model, model_path)
    write_text(os.path.join(out_dir, "recipe.yaml"), recipe.to_yaml())
    write_json(os.path.join(out_dir, "history.json"), history, indent=1)
    if prepared.centroids is not None:
        atomic_write(os.path.join(out_dir, "rhythm_centroids.npy"),
                     lambda tmp: np.save(tmp, prepared.centroids))
    return model_path
