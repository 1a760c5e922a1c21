"""MLflow tracking of a training run, resilient to a tracking server that goes away.

`Tracker` logs, through an `MlflowClient` bound to one explicit tracking URI:

- the resolved recipe as params (``recipe.flat_params()``) and as ``recipe.yaml``;
- per-epoch metrics (``recon/loss``, ``val_recon/loss``, ...) with ``step`` = the model's own
  step counter (`DrumAAE.train_iterations`), never the dummy ``model.optimizer``;
- every ``training.log_every_epochs`` epochs (and after the last): ``examples/epoch_NNNN/``
  with a PNG of source vs reconstructed spectrograms of a few validation bars and WAVs
  (``source_gl`` = Griffin-Lim of the true magnitude, ``recon`` = of the reconstruction);
- at the end: the model through the `mlflow.keras` flavor (name ``model``, a tensor signature
  ``(-1, frames, bins)`` float32 and an input example), ``history.json``;
- tags: ``drumaae.git_commit``, ``drumaae.data_hash``, ``drumaae.version``, ...;
- optionally: registration as ``register_as`` with an ``alias`` (`drumaae.registry.register`,
  the one registration, shared with ``drumaae models register``).

Every MLflow call goes through `_call`: a failure (server gone, network error) is queued, not
raised; once the server stops answering, later calls are queued without waiting. `finish`
retries the queue once and returns what still was not logged, so training never stops for
tracking and the caller can say what is missing. What is missing is also written to the run
folder (`PENDING_FILE`); ``drumaae train --resume --out RUN`` replays it from the run folder
(history.json, model.keras) once the store answers again. Messages never show a password
given in the tracking URI.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from typing import Any, Callable

import mlflow
import mlflow.keras
import mlflow.keras.save as keras_save
import numpy as np
from mlflow.entities import Metric, Param, RunTag
from mlflow.models.signature import ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import Schema, TensorSpec

from drumaae import fileio
from drumaae.audio.features import render_bars
from drumaae.audio.io import save_wav
from drumaae.data.dataset import BarIndex, iterate_bars
from drumaae.plotting import bars_figure
from drumaae.registry import (fast_fail, redact, register, registered_uri,
                              resolve_tracking_uri)
from drumaae.version import __version__

__all__ = ["Tracker", "describe_store", "DEFAULT_EXPERIMENT", "PENDING_FILE"]

DEFAULT_EXPERIMENT = "drumaae"

PENDING_FILE = "mlflow_pending.json"
"""In a run folder: what could not be logged to MLflow, replayed by ``train --resume``."""


def describe_store(uri: str) -> str:
    """A human description of where runs go: ``sqlite:///mlflow.db`` -> its absolute path
    (never a password given in the URI)."""
    if uri.startswith("sqlite:///"):
        return f"{uri} (the SQLite file {os.path.abspath(uri[len('sqlite:///'):])})"
    return redact(uri)


def _git_commit() -> str | None:
    folder = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True,
                             text=True, timeout=10)
        if out.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=folder, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _is_connection_error(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(w in text for w in ("connection", "max retries", "timed out", "timeout",
                                   "refused", "unreachable", "name or service", "api request"))


class Tracker:
    """Logs one training run to MLflow; pass it to `drumaae.training.train(tracker=...)`.

    Args:
        tracking_uri: the store (default: ``$MLFLOW_TRACKING_URI``, else
            ``sqlite:///mlflow.db`` in the current folder).
        experiment: experiment name (created when missing).
        run_name: the run's name (default: the recipe's name and a time stamp).
        register_as: register the logged model under this name in the Model Registry.
        alias: with `register_as`, point this registry alias at the new version.
        examples: validation bars in the figure and audio examples.
        log: where messages go.

    Example:
        >>> tracker = Tracker("sqlite:///runs/mlflow.db", register_as="drums", alias="candidate")
        >>> result = train(recipe, ["corpus/"], "runs/r1", tracker=tracker)
        >>> result.run_id, result.registered_version, result.not_logged
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str = DEFAULT_EXPERIMENT,
                 *, run_name: str | None = None, register_as: str | None = None,
                 alias: str | None = None, examples: int = 3,
                 log: Callable[[str], None] = print):
        if alias and not register_as:
            raise ValueError("alias needs register_as (a registered model name)")
        self.tracking_uri = resolve_tracking_uri(tracking_uri)
        self.experiment = experiment
        self.run_name = run_name
        self.register_as = register_as
        self.alias = alias
        self.examples = int(examples)
        self.log = log
        self.run_id: str | None = None
        self.failed: list[tuple[str, Callable[[], Any]]] = []
        self.offline = False
        self.recipe = None
        self._example_index = None
        self._audio = None
        self._tmp: str | None = None  # scratch folder for artifacts, made on first use
        self._last_logged_epoch = 0
        self._replay = False  # a resumed run whose earlier logging was incomplete
        fast_fail()
        self.client = MlflowClient(tracking_uri=self.tracking_uri,
                                   registry_uri=self.tracking_uri)

    def _scratch(self) -> str:
        """The run's scratch folder (artifacts before upload): made when first needed, so
        a run that fails early leaves no empty ``drumaae-mlflow-*`` folder behind."""
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="drumaae-mlflow-")
        return self._tmp

    def _drop_scratch(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # --- resilience ---------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], Any], queue: bool = True) -> Any:
        """Run an MLflow call; on failure remember it (to retry in `finish`) and go on."""
        if self.offline and queue:
            self.failed.append((what, fn))
            return None
        try:
            return fn()
        except Exception as exc:  # the tracking store must never stop training
            if _is_connection_error(exc) and not self.offline:
                self.offline = True
                self.log(f"warning: the MLflow store at {redact(self.tracking_uri)} does not "
                         f"answer ({type(exc).__name__}); training goes on, logging is queued")
            elif not _is_connection_error(exc):
                self.log(f"warning: MLflow could not {what}: "
                         f"{redact(' '.join(str(exc).split())[:200])}")
            if queue:
                self.failed.append((what, fn))
            return None

    # --- run lifecycle --------------------------------------------------------------------
    def _experiment_id(self) -> str:
        exp = self.client.get_experiment_by_name(self.experiment)
        if exp is not None:
            return exp.experiment_id
        location = None
        if self.tracking_uri.startswith("sqlite:///"):
            # Beside the database, never the current folder's ./mlruns.
            db = os.path.abspath(self.tracking_uri[len("sqlite:///"):])
            location = "file://" + os.path.join(os.path.dirname(db), "mlartifacts")
        return self.client.create_experiment(self.experiment, artifact_location=location)

    def start(self, recipe, *, index_hash: str, resume_run_id: str | None = None,
              out_dir: str | None = None, extra_params: dict | None = None) -> str | None:
        """Create (or, resuming, reopen) the run and log params, tags and the recipe."""
        self.recipe = recipe
        self.log(f"MLflow: tracking to {describe_store(self.tracking_uri)}, "
                 f"experiment {self.experiment!r}")
        self._replay = bool(out_dir) and os.path.isfile(os.path.join(out_dir, PENDING_FILE))

        def create():
            if resume_run_id:
                try:
                    self.client.update_run(resume_run_id, status="RUNNING")
                    return resume_run_id
                except Exception as exc:
                    if _is_connection_error(exc):
                        raise
            exp_id = self._experiment_id()
            name = self.run_name or f"{recipe.name}-{time.strftime('%Y%m%d-%H%M%S')}"
            return self.client.create_run(exp_id, run_name=name).info.run_id

        self.run_id = self._call("create the run", create, queue=False)
        if self.run_id is None:
            self.log("warning: no MLflow run could be created; training goes on and the "
                     "outputs stay in the run folder")
            return None
        self.log(f"MLflow run {self.run_id}")
        if resume_run_id == self.run_id and not self._replay:
            return self.run_id  # params and tags were logged by the first part of the run
        params = {**recipe.flat_params(), **(extra_params or {})}
        plist = [Param(k, json.dumps(v) if isinstance(v, (list, dict)) else str(v))
                 for k, v in params.items()]
        tags = {"drumaae.version": __version__, "drumaae.data_hash": index_hash,
                "drumaae.recipe": recipe.name}
        commit = _git_commit()
        if commit:
            tags["drumaae.git_commit"] = commit
            tags["mlflow.source.git.commit"] = commit.replace("-dirty", "")
        if out_dir:
            tags["drumaae.out_dir"] = out_dir
        run_id = self.run_id
        for i in range(0, len(plist), 100):
            chunk = plist[i:i + 100]
            self._call("log the recipe params",
                       lambda chunk=chunk: self.client.log_batch(run_id, params=chunk))
        tag_list = [RunTag(k, v) for k, v in tags.items()]
        self._call("set the run tags", lambda: self.client.log_batch(run_id, tags=tag_list))
        path = os.path.join(self._scratch(), "recipe.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(recipe.to_yaml())
        self._call("log recipe.yaml", lambda: self.client.log_artifact(run_id, path))
        return self.run_id

    def set_examples(self, index, audio) -> None:
        """Bars for the figure and audio examples (the first few of `index`)."""
        if self.examples <= 0 or len(index) == 0:
            return
        # One bar from each of the first files, then more bars, up to `examples`.
        chosen, seen = [], set()
        for r in index.records:
            if r.file not in seen:
                chosen.append(r)
                seen.add(r.file)
        for r in index.records:
            if len(chosen) >= self.examples:
                break
            if r not in chosen:
                chosen.append(r)
        chosen = chosen[: self.examples]
        keep = {r.file for r in chosen}
        self._example_index = BarIndex(
            sample_rate=index.sample_rate,
            files=tuple(f for f in index.files if f.path in keep),
            records=tuple(chosen))
        self._audio = audio

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model) -> None:
        """Metrics with our own step; examples every ``log_every_epochs`` epochs."""
        if self.run_id is None:
            return
        step = int(model.train_iterations)
        stamp = int(time.time() * 1000)
        metrics = [Metric(k, float(v), stamp, step) for k, v in logs.items()]
        metrics.append(Metric("epoch", float(epoch), stamp, step))
        run_id = self.run_id
        self._call(f"log epoch {epoch} metrics",
                   lambda: self.client.log_batch(run_id, metrics=metrics))
        every = self.recipe.training.log_every_epochs if self.recipe is not None else 1
        last = self.recipe is not None and epoch >= self.recipe.training.epochs
        if epoch % every == 0 or last:
            self.log_examples(model, epoch)

    def log_examples(self, model, epoch: int) -> list[str]:
        """Write and log the spectrogram figure and WAVs of the example bars."""
        if self._example_index is None or self.run_id is None:
            return []
        folder = os.path.join(self._scratch(), f"epoch_{epoch:04d}")
        try:
            files = write_examples(model, self._example_index, self._audio, folder, epoch)
        except Exception as exc:  # examples are a nicety: never stop training for them
            self.log(f"warning: could not render the epoch {epoch} examples: {exc}")
            return []
        run_id = self.run_id
        self._call(f"log the epoch {epoch} examples", lambda: self.client.log_artifacts(
            run_id, folder, f"examples/epoch_{epoch:04d}"))
        self._last_logged_epoch = epoch
        return files

    def fail(self, exc: BaseException) -> None:
        """Mark the run FAILED (NaN stop, interrupt)."""
        self._drop_scratch()
        if self.run_id is None:
            return
        run_id = self.run_id
        status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
        self._call("end the run", lambda: self.client.set_terminated(run_id, status),
                   queue=False)
        self._call("tag the error", lambda: self.client.set_tag(
            run_id, "drumaae.error", " ".join(str(exc).split())[:500]), queue=False)

    def finish(self, model, result) -> dict[str, Any]:
        """Log the model (mlflow.keras), history; register; retry what failed; end the run.

        Returns:
            ``{"run_id", "model_uri", "registered_version", "not_logged": [what, ...]}``.
        """
        out: dict[str, Any] = {"run_id": self.run_id, "model_uri": None,
                               "registered_version": None, "not_logged": []}
        if self.run_id is None:
            # The store never answered: try once more to create the run now.
            self.offline = False
            self.failed.clear()
            if self.recipe is not None:
                self.start(self.recipe, index_hash=result.index_hash, out_dir=result.out_dir)
                if self.run_id is not None:
                    for epoch, values in _epochs(result.history):
                        self._replay_epoch(epoch, values)
                    self._replay = False
        if self.run_id is None:
            out["not_logged"] = ["the whole run (params, metrics, examples, model): the "
                                 f"MLflow store at {redact(self.tracking_uri)} did not answer"]
            self._record_pending(result.out_dir, out)
            self._drop_scratch()
            return out
        out["run_id"] = self.run_id
        run_id = self.run_id
        if self._replay:  # an earlier part of this run could not log everything
            self.log(f"MLflow: replaying what {PENDING_FILE} lists, from {result.out_dir}")
            for epoch, values in _epochs(result.history):
                self._replay_epoch(epoch, values)
        # Retry the queued calls once: the server may be back.
        if self.failed:
            self.offline = False
            queued, self.failed = self.failed, []
            for what, fn in queued:
                self._call(what, fn)
        hist = os.path.join(self._scratch(), "history.json")
        with open(hist, "w", encoding="utf-8") as f:
            json.dump(result.history, f, indent=1)
        self._call("log history.json", lambda: self.client.log_artifact(run_id, hist))
        model_uri = self._call("log the model (mlflow.keras)",
                               lambda: self._log_model(model), queue=False)
        if model_uri is None:
            self.failed.append(("log the model (mlflow.keras)", lambda: None))
        out["model_uri"] = model_uri
        if model_uri and self.register_as:
            version = self._call(f"register the model as {self.register_as!r}",
                                 lambda: self._register(model_uri), queue=False)
            if version is None:
                self.failed.append((f"register the model as {self.register_as!r}",
                                    lambda: None))
            out["registered_version"] = version
        self._call("end the run", lambda: self.client.set_terminated(run_id, "FINISHED"))
        out["not_logged"] = [what for what, _ in self.failed]
        self._record_pending(result.out_dir, out)
        self._drop_scratch()
        return out

    def _record_pending(self, out_dir: str, out: dict[str, Any]) -> None:
        """Write (or, when everything got logged, remove) the run folder's `PENDING_FILE`,
        and say what is missing and how to replay it."""
        path = os.path.join(out_dir, PENDING_FILE)
        if not out["not_logged"]:
            if os.path.exists(path):
                os.remove(path)
                self.log(f"MLflow: the run is complete in the store; removed {path}")
            return
        replay = (f"drumaae train --resume --out {out_dir} --recipe {out_dir}/recipe.yaml "
                  "--data DATA" + (f" --register-as {self.register_as}" if self.register_as
                                  else "") + (f" --alias {self.alias}" if self.alias else ""))
        fileio.write_json(path, {"tracking_uri": redact(self.tracking_uri),
                                 "run_id": out["run_id"], "not_logged": out["not_logged"],
                                 "replay": replay})
        self.log(f"warning: not logged to MLflow ({redact(self.tracking_uri)}): "
                 + "; ".join(out["not_logged"])
                 + f". Everything is in {out_dir} (model.keras, history.json, recipe.yaml; "
                 f"the list in {PENDING_FILE}). Replay it when the store answers: {replay}")

    def _replay_epoch(self, epoch: int, values: dict[str, float]) -> None:
        stamp = int(time.time() * 1000)
        step = int(values.pop("step", epoch))
        metrics = [Metric(k, float(v), stamp, step) for k, v in values.items()]
        metrics.append(Metric("epoch", float(epoch), stamp, step))
        run_id = self.run_id
        self._call(f"log epoch {epoch} metrics",
                   lambda: self.client.log_batch(run_id, metrics=metrics))

    def _log_model(self, model) -> str:
        frames, bins = model.generator.frames, model.generator.bins
        signature = ModelSignature(
            # Unnamed tensors: the pyfunc then passes a plain array (a named one: a dict).
            inputs=Schema([TensorSpec(np.dtype("float32"), (-1, frames, bins))]),
            outputs=Schema([TensorSpec(np.dtype("float32"), (-1, frames, bins))]))
        example = np.zeros((1, frames, bins), np.float32)
        previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        try:
            # MLflow validates the input example with model.predict, whose progress bar
            # would land in the caller's stdout.
            with _example_folder_fix(), contextlib.redirect_stdout(sys.stderr), \
                    mlflow.start_run(
                    run_id=self.run_id, nested=mlflow.active_run() is not None):
                info = mlflow.keras.log_model(
                    model, name="model", signature=signature, input_example=example,
                    pip_requirements=_requirements())
        finally:
            mlflow.set_tracking_uri(previous[0])
            mlflow.set_registry_uri(previous[1])
        self.log(f"MLflow: model logged as runs:/{self.run_id}/model ({info.model_uri})")
        return f"runs:/{self.run_id}/model"

    def _register(self, model_uri: str) -> str:
        version = register(model_uri, self.register_as, alias=self.alias,
                           tracking_uri=self.tracking_uri, client=self.client)
        self.log(f"MLflow: registered {registered_uri(self.register_as, version, self.alias)}")
        return version


@contextlib.contextmanager
def _example_folder_fix():
    """mlflow 3.17.2's `mlflow.keras.save_model` writes the input example before creating
    the model folder (FileNotFoundError: .../model/input_example.json): create it first."""
    original = keras_save._save_example

    def save_example(mlflow_model, input_example, path, *args, **kwargs):
        os.makedirs(path, exist_ok=True)
        return original(mlflow_model, input_example, path, *args, **kwargs)

    keras_save._save_example = save_example
    try:
        yield
    finally:
        keras_save._save_example = original


def _epochs(history: dict[str, list]):
    epochs = history.get("epoch", [])
    for i, epoch in enumerate(epochs):
        yield int(epoch), {k: v[i] for k, v in history.items()
                           if k != "epoch" and i < len(v)}


def _requirements() -> list[str]:
    """What the logged model needs: drumaae itself plus the verified stack."""
    out = []
    for pkg in ("drumaae", "tensorflow", "keras", "numpy", "mlflow"):
        try:
            out.append(f"{pkg}=={metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            continue
    return out


def write_examples(model, index, audio, folder: str, epoch: int) -> list[str]:
    """A PNG of a few bars (Griffin-Lim of their true features above, of the model's
    reconstruction below; `drumaae.plotting.bars_figure`, as every drumaae figure) and
    their WAVs, into `folder`."""
    os.makedirs(folder, exist_ok=True)
    pairs = list(iterate_bars(index, audio))
    feats = np.stack([f for _, f in pairs]).astype(np.float32)
    recon = np.asarray(model(feats, training=False), np.float32)
    n = len(feats)
    length = audio.bar_samples()
    source_gl = np.asarray(render_bars(feats, audio, length))
    recon_gl = np.asarray(render_bars(recon, audio, length))
    names = [f"{os.path.basename(record.file)} bar {record.bar}" for record, _ in pairs]
    png = bars_figure(list(source_gl) + list(recon_gl), audio.sample_rate,
                      os.path.join(folder, "spectrograms.png"),
                      labels=[f"source_GL: {m}" for m in names]
                      + [f"reconstruction: {m}" for m in names],
                      bpms=[audio.reference_bpm] * (2 * n), beats_per_bar=audio.beats_per_bar,
                      title=f"epoch {epoch}: source (Griffin-Lim of its features) vs "
                            "reconstruction", columns=n)
    files = [png]
    for i in range(n):
        for name, wave in (("source_gl", source_gl[i]), ("recon", recon_gl[i])):
            files.append(save_wav(os.path.join(folder, f"bar{i}_{name}.wav"), wave,
                                  audio.sample_rate))
    return files
