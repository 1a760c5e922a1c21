"""Model references: what every ``--model`` option accepts.

A reference is one of:

- ``None``: the bundled default model (`BUNDLED_MODEL`, ``drumaae/assets/default.keras``);
- a path to a ``.keras`` file (or to a folder holding exactly one);
- an MLflow URI: ``models:/NAME/VERSION``, ``models:/NAME@ALIAS`` (registry) or
  ``runs:/RUN_ID/model`` (a run's artifact). These are downloaded once with
  `mlflow.artifacts.download_artifacts` into a cache folder (``~/.cache/drumaae/mlflow/``, or
  ``$DRUMAAE_CACHE/mlflow/``) and the ``.keras`` file inside is loaded.

Lookups never create anything in a store: a local store (``sqlite:///FILE``, ``file:FOLDER``,
a plain folder) that does not exist is an `UnknownModelError` before MLflow opens it (MLflow
would create the database, and the folders above it). They fail fast on an unreachable server
(`fast_fail`: the settings training uses too), and no message repeats a password given in a
URI (`redact`).

Example:
    >>> model = load_model_ref("models:/drums@champion", tracking_uri="sqlite:///mlflow.db")
    >>> path = resolve_model_path(None)          # the bundled default
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from importlib import resources
from typing import Any

from drumaae import fileio
from drumaae.errors import UnknownModelError
from drumaae.uris import redact

__all__ = [
    "BUNDLED_MODEL",
    "DEFAULT_TRACKING_URI",
    "MLFLOW_SCHEMES",
    "is_mlflow_uri",
    "resolve_tracking_uri",
    "fast_fail",
    "redact",
    "check_store",
    "resolve_model_path",
    "load_model_ref",
    "model_identity",
    "model_sha256",
    "BUNDLED_LABEL",
    "clear_cache",
    "cache_dir",
    "registry_client",
    "register",
    "registered_uri",
    "list_models",
]

BUNDLED_MODEL = str(resources.files("drumaae") / "assets" / "default.keras")
"""Path of the default model shipped with the package (may be absent in a source checkout)."""

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
"""The store used when no URI is given: a SQLite file in the current folder."""

MLFLOW_SCHEMES = ("models:/", "runs:/")

BUNDLED_LABEL = "bundled default"
"""What provenance records as the path of the bundled default model."""

_CACHE: dict[tuple, Any] = {}
_LOCK = threading.Lock()
# models:/ and runs:/ references resolved in this process: (ref, tracking URI) -> (the local
# .keras file, {"registry_version", "run_id"}); an alias is resolved once per process, as
# `load_model_ref` caches its model.
_RESOLVED: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
# sha256 of model files: (absolute path, mtime_ns, size) -> hex digest.
_HASHES: dict[tuple[str, int, int], str] = {}


def is_mlflow_uri(ref: str | os.PathLike | None) -> bool:
    """True for ``models:/...`` and ``runs:/...`` references."""
    return isinstance(ref, str) and ref.startswith(MLFLOW_SCHEMES)


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """The tracking URI to use: the one given, else ``$MLFLOW_TRACKING_URI``, else
    `DEFAULT_TRACKING_URI` (``sqlite:///mlflow.db`` in the current folder)."""
    return tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


# Fail fast when the server is gone: MLflow's defaults (5 retries with back-off, 120 s
# timeout) made one lookup of an unreachable server take minutes.
_FAST_FAIL = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
}

def fast_fail() -> None:
    """Bound MLflow's HTTP retries and timeouts (the user's own MLFLOW_HTTP_REQUEST_*
    settings win): for registry lookups and for training's tracker alike."""
    for key, value in _FAST_FAIL.items():
        os.environ.setdefault(key, value)


def _local_store(uri: str) -> tuple[str, str] | None:
    """``(kind, path)`` of a local store URI: ``("sqlite", FILE)`` or ``("folder", DIR)``
    (``file:`` URIs and plain paths); None for a remote or in-memory store."""
    from urllib.parse import unquote, urlsplit

    if uri.startswith("sqlite:"):
        # sqlite:///relative.db, sqlite:////absolute.db; a query (?mode=...) is no part of it
        path = uri[len("sqlite:///"):] if uri.startswith("sqlite:///") else ""
        path = unquote(path.split("?", 1)[0])
        return ("sqlite", path) if path and path != ":memory:" else None
    if uri.startswith("file:"):
        return "folder", unquote(urlsplit(uri).path) or "."
    if "://" in uri or uri.split(":")[0] in ("databricks", "databricks-uc", "uc"):
        return None
    return "folder", uri


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _sqlite_problem(path: str) -> str | None:
    """Why the file `path` is not an MLflow SQLite store, or None when it is one. Read only
    (the header, then the table names through a read-only connection): nothing is created,
    migrated or locked for writing, and a folder or an unreadable file answers at once."""
    import sqlite3
    from urllib.parse import quote

    if os.path.isdir(path):
        return "it is a folder, not a database file"
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if not head:
        return "it is an empty file, not an MLflow database"
    if head != _SQLITE_MAGIC:
        return "it is not an SQLite database"
    try:
        conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True,
                               timeout=5)
        try:
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"cannot read it as a database: {exc}"
    if not {"alembic_version", "experiments", "registered_models"} <= tables:
        return "it is an SQLite database but not an MLflow store"
    return None


def check_store(uri: str, what: str = "registered models") -> None:
    """Refuse a local store that does not exist or is not an MLflow store, before MLflow
    opens it (MLflow would create the database or turn any file into one, and the folders
    above it); reads only, and answers in well under a second.

    Raises:
        UnknownModelError: naming what was looked up, the store and what is wrong with it.
    """
    store = _local_store(uri)
    if store is None:
        return
    kind, path = store
    fix = ("pass --tracking-uri (or set MLFLOW_TRACKING_URI) to the store the model was "
           "logged in")
    if not os.path.exists(path):
        raise UnknownModelError(
            f"cannot look up {what}: there is no MLflow store at {redact(uri)} "
            f"({os.path.abspath(path)} does not exist); {fix}")
    problem = (_sqlite_problem(path) if kind == "sqlite" else
               None if os.path.isdir(path) else "it is a file, not a store folder")
    if problem is not None:
        raise UnknownModelError(
            f"cannot look up {what}: {redact(uri)} is not an MLflow store "
            f"({os.path.abspath(path)}: {problem}); {fix}")


def cache_dir() -> str:
    """Where MLflow models are downloaded: ``$DRUMAAE_CACHE/mlflow`` or
    ``~/.cache/drumaae/mlflow``."""
    root = os.environ.get("DRUMAAE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "drumaae")
    return os.path.join(root, "mlflow")


def _find_keras_file(folder: str, what: str) -> str:
    if os.path.isfile(folder):
        if folder.endswith(".keras"):
            return folder
        raise UnknownModelError(f"{what} is a file but not a .keras model: {folder}")
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".keras") and not name.startswith(".partial-"):
                found.append(os.path.join(root, name))
    if not found:
        raise UnknownModelError(
            f"{what} holds no .keras file: was it logged by 'drumaae train' (mlflow.keras "
            "flavor)?")
    # Prefer the mlflow.keras flavor's data/model.keras, else the shallowest file.
    found.sort(key=lambda p: (not p.endswith(os.path.join("data", "model.keras")),
                              p.count(os.sep), p))
    return found[0]


def _describe_registry_problem(ref: str, uri: str, exc: Exception) -> str:
    text = redact(" ".join(str(exc).split())[:300])
    uri = redact(uri)
    if ref.startswith("models:/"):
        hint = "list registered models with 'drumaae models list' or the MLflow UI"
    else:
        hint = "check the run id in the MLflow UI ('mlflow ui --backend-store-uri ...')"
    return (f"cannot find model {ref!r} in the MLflow registry at {uri} ({text}); {hint}, "
            "or pass --tracking-uri for another store")


def _download_mlflow(ref: str, uri: str) -> str:
    """The local .keras file of `ref` from the store at `uri` (downloaded into `cache_dir`).
    `ref` is pinned (``models:/NAME/VERSION`` or ``runs:/``: `_registry_entry` resolved any
    alias), so a cached download is reused; the store was checked by `_resolve_mlflow`."""
    try:
        import mlflow
        from mlflow.exceptions import MlflowException
    except ImportError as exc:  # pragma: no cover - mlflow is a dependency
        raise UnknownModelError(
            f"{ref} is an MLflow URI but mlflow is not installed: pip install mlflow") from exc
    key = hashlib.sha256(f"{uri}\n{ref}".encode()).hexdigest()[:24]
    target = os.path.join(cache_dir(), key)
    if os.path.isdir(target):
        try:
            return _find_keras_file(target, ref)
        except UnknownModelError:
            shutil.rmtree(target, ignore_errors=True)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # One download per cache entry at a time (other processes wait); killed downloads'
    # `.partial-*` folders are removed by the next claim.
    held = fileio.claim(target, check=False, wait=True)
    tmp = os.path.join(os.path.dirname(target), fileio.partial_name(key))
    try:
        os.mkdir(tmp)
        try:
            mlflow.set_tracking_uri(uri)
            mlflow.set_registry_uri(uri)
            mlflow.artifacts.download_artifacts(artifact_uri=ref, dst_path=tmp,
                                                tracking_uri=uri)
        except MlflowException as exc:
            raise UnknownModelError(_describe_registry_problem(ref, uri, exc)) from exc
        except OSError as exc:
            raise UnknownModelError(_describe_registry_problem(ref, uri, exc)) from exc
        except Exception as exc:  # connection errors from requests, etc.
            raise _unreachable(f"download model {ref!r} from", uri, exc) from exc
        path = _find_keras_file(tmp, f"model {ref!r} at {redact(uri)}")
        fileio.replace_folder(tmp, target)
        return os.path.join(target, os.path.relpath(path, tmp))
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        held.release()


def _unreachable(action: str, uri: str, exc: Exception) -> UnknownModelError:
    """The one-line error for a store that did not answer (connection errors and the like):
    ``cannot <action> the MLflow store at <uri>: <error>; is the tracking server running?``"""
    return UnknownModelError(
        f"cannot {action} the MLflow store at {redact(uri)}: {type(exc).__name__}: "
        f"{redact(' '.join(str(exc).split())[:200])}; is the tracking server running?")


def _registry_entry(ref: str, uri: str) -> tuple[str, dict[str, str]]:
    """What a ``models:/`` or ``runs:/`` reference stands for now: the URI to download (an
    alias or ``latest`` pinned to the version it resolves to, so the file loaded is the
    version recorded) and ``{"registry_version", "run_id"}`` (``runs:/``: the run id only)."""
    if ref.startswith("runs:/"):
        return ref, {"run_id": ref[len("runs:/"):].split("/", 1)[0]}
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    body = ref[len("models:/"):].strip("/")
    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        if "@" in body:
            name, alias = body.split("@", 1)
            mv = client.get_model_version_by_alias(name, alias)
        else:
            name, _, version = body.rpartition("/")
            if not name:
                raise MlflowException(f"{ref} names no version: use models:/NAME/VERSION or "
                                      "models:/NAME@ALIAS")
            if version.isdigit():
                mv = client.get_model_version(name, version)
            else:  # "latest" or a stage
                stages = None if version.lower() == "latest" else [version]
                found = client.get_latest_versions(name, stages=stages)
                if not found:
                    raise MlflowException(f"no version of {name!r} for {version!r}")
                mv = max(found, key=lambda v: int(v.version))
    except MlflowException as exc:
        raise UnknownModelError(_describe_registry_problem(ref, uri, exc)) from exc
    except Exception as exc:  # connection errors from requests, etc.
        raise _unreachable(f"look up model {ref!r} in", uri, exc) from exc
    return (f"models:/{name}/{mv.version}",
            {"registry_version": str(mv.version), "run_id": str(mv.run_id or "")})


def _resolve_mlflow(ref: str, tracking_uri: str | None) -> tuple[str, dict[str, str]]:
    """The local file of an MLflow reference and its registry version / run id (once per
    process for each reference and store)."""
    uri = resolve_tracking_uri(tracking_uri)
    key = (ref, uri)
    with _LOCK:
        if key in _RESOLVED:
            return _RESOLVED[key]
    check_store(uri, f"model {ref!r}")
    fast_fail()
    pinned, info = _registry_entry(ref, uri)
    path = _download_mlflow(pinned, uri)
    with _LOCK:
        _RESOLVED[key] = (path, info)
    return path, info


def model_sha256(path: str | os.PathLike) -> str:
    """sha256 (hex) of a model file, computed once per file version in a process (the cache
    key is the absolute path, modification time and size)."""
    path = os.path.abspath(os.fspath(path))
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    with _LOCK:
        if key in _HASHES:
            return _HASHES[key]
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    with _LOCK:
        _HASHES[key] = digest
    return digest


def model_identity(ref: str | os.PathLike | None, *,
                   tracking_uri: str | None = None) -> dict[str, str]:
    """Provenance of the model a reference names, as every manifest, codes file and export
    sidecar records it.

    Returns:
        ``{"ref", "sha256"}`` plus, for ``models:/`` references, ``"registry_version"`` and
        ``"run_id"`` (what the name or alias resolved to in this process); for ``runs:/``,
        ``"run_id"``; otherwise ``"path"``: the resolved absolute file, or ``"bundled
        default"``. ``ref`` is the reference as given (``"default"`` for None).

    Raises:
        UnknownModelError: see `resolve_model_path`.
    """
    if ref is None or (isinstance(ref, str) and ref.strip() == ""):
        path = resolve_model_path(None)
        return {"ref": "default", "path": BUNDLED_LABEL, "sha256": model_sha256(path)}
    if is_mlflow_uri(ref):
        path, info = _resolve_mlflow(str(ref), tracking_uri)
        return {"ref": str(ref), **info, "sha256": model_sha256(path)}
    path = resolve_model_path(ref)
    return {"ref": os.fspath(ref), "path": os.path.abspath(path),
            "sha256": model_sha256(path)}


def resolve_model_path(ref: str | os.PathLike | None, *,
                       tracking_uri: str | None = None) -> str:
    """The local ``.keras`` file a reference names (downloading MLflow models).

    Args:
        ref: None (bundled default), a path, or an MLflow URI (see the module docstring).
        tracking_uri: MLflow store for ``models:/``/``runs:/`` URIs (default:
            ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db``).

    Raises:
        UnknownModelError: nothing there (no bundled model yet, no file, unknown name,
            version, alias or run), naming what was asked and where it was looked for.
    """
    if ref is None or (isinstance(ref, str) and ref.strip() == ""):
        if not os.path.isfile(BUNDLED_MODEL):
            raise UnknownModelError(
                f"no bundled default model in this installation ({BUNDLED_MODEL} is "
                "missing): pass --model with a .keras file or an MLflow URI "
                "(models:/NAME/VERSION, models:/NAME@ALIAS, runs:/ID/model), or train one "
                "with 'drumaae train'")
        return BUNDLED_MODEL
    if is_mlflow_uri(ref):
        return _resolve_mlflow(str(ref), tracking_uri)[0]
    path = os.path.expanduser(os.fspath(ref))
    if isinstance(ref, str) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", ref):
        raise UnknownModelError(
            f"unsupported model reference {ref!r}: give a .keras path or models:/NAME/VERSION, "
            "models:/NAME@ALIAS, runs:/ID/model")
    if os.path.isdir(path):
        return _find_keras_file(path, f"folder {path}")
    if not os.path.exists(path):
        raise UnknownModelError(
            f"no model at {path}: give a .keras file, an MLflow URI (models:/NAME/VERSION, "
            "models:/NAME@ALIAS, runs:/ID/model) or omit --model for the bundled default")
    return path


def load_model_ref(ref: str | os.PathLike | None, *, tracking_uri: str | None = None,
                   compile: bool = False):
    """Load the `DrumAAE` a reference names; cached in-process by (ref, tracking URI).

    Raises:
        UnknownModelError: see `resolve_model_path`.
        CorruptModelError, ModelFormatError: the file is not a model this drumaae reads.
    """
    from drumaae.models import load_model

    if is_mlflow_uri(ref):
        # Keyed by the URI itself: an alias is resolved once per process.
        key: tuple = (str(ref), resolve_tracking_uri(tracking_uri), bool(compile))
        with _LOCK:
            if key in _CACHE:
                return _CACHE[key]
        path = resolve_model_path(ref, tracking_uri=tracking_uri)
    else:
        path = resolve_model_path(ref, tracking_uri=tracking_uri)
        # The file's modification time joins the key, so a retrained file is reloaded.
        key = (os.path.abspath(path), None, bool(compile), os.path.getmtime(path))
        with _LOCK:
            if key in _CACHE:
                return _CACHE[key]
    model = load_model(path, compile=compile)
    with _LOCK:
        _CACHE[key] = model
    return model


def clear_cache() -> None:
    """Forget the models loaded by `load_model_ref` in this process."""
    with _LOCK:
        _CACHE.clear()
        _RESOLVED.clear()


# --- the Model Registry: registering and listing (training's Tracker and `drumaae models`) ---
_READY_POLLS, _READY_POLL_S = 60, 0.5
"""`register` waits up to 60 x 0.5 s for a new version to be READY: file and SQLite stores
are at once; a server may lag."""


def registry_client(tracking_uri: str | None = None) -> tuple[Any, str]:
    """An `MlflowClient` of an existing store (never created by a lookup: `check_store`),
    failing fast (`fast_fail`), and the store's URI as messages may show it (`redact`)."""
    from mlflow.tracking import MlflowClient

    uri = resolve_tracking_uri(tracking_uri)
    check_store(uri)
    fast_fail()
    return MlflowClient(tracking_uri=uri, registry_uri=uri), redact(uri)


def register(model_uri: str, name: str, *, alias: str | None = None,
             tracking_uri: str | None = None, client: Any = None) -> str:
    """Register a logged model as a new version of `name`; returns the version (a string).

    Creates the registered model if it is new, checks that a ``runs:/`` source's run exists,
    creates the version, waits until the store says it is READY, then points `alias` at it.
    The one registration of drumaae: `drumaae.training.Tracker` (``--register-as``) and
    ``drumaae models register`` both call it.

    Args:
        model_uri: ``runs:/RUN_ID/model`` (a run's logged model) or a ``models:/`` URI.
        name: the registered model's name.
        alias: point this registry alias at the new version.
        tracking_uri: the store (see `resolve_tracking_uri`).
        client: an `MlflowClient` of that store to use (training's own, which made the
            store); by default one from `registry_client` (an existing store only).

    Raises:
        UnknownModelError: the store refused (unknown run, bad name...): one line naming the
            store, without a password. Connection errors are raised as they come, so a
            caller can tell an outage from a refusal.
    """
    from mlflow.exceptions import MlflowException

    if not model_uri.startswith(MLFLOW_SCHEMES):
        raise UnknownModelError(f"cannot register {model_uri}: give runs:/RUN_ID/model (a "
                                "run's logged model)")
    if client is None:
        client, uri = registry_client(tracking_uri)
    else:
        uri = redact(resolve_tracking_uri(tracking_uri))
    run_id = model_uri[len("runs:/"):].split("/", 1)[0] if model_uri.startswith("runs:/") \
        else None
    try:
        try:
            client.create_registered_model(name)
        except MlflowException as exc:
            if "already exists" not in str(exc).lower() and "RESOURCE_ALREADY_EXISTS" not in \
                    str(getattr(exc, "error_code", "")):
                raise
        if run_id:
            client.get_run(run_id)
        version = str(client.create_model_version(name, source=model_uri, run_id=run_id).version)
        for _ in range(_READY_POLLS):
            if str(client.get_model_version(name, version).status) in ("READY", "1"):
                break
            time.sleep(_READY_POLL_S)
        if alias:
            client.set_registered_model_alias(name, alias, version)
    except MlflowException as exc:
        raise UnknownModelError(
            f"cannot register {model_uri} in the MLflow registry at {uri}: "
            f"{redact(' '.join(str(exc).split())[:200])}") from exc
    return version


def registered_uri(name: str, version: str, alias: str | None = None) -> str:
    """How a registration is shown: ``models:/NAME/VERSION`` and its alias, if any."""
    return f"models:/{name}/{version}" + (f" (alias models:/{name}@{alias})" if alias else "")


def list_models(tracking_uri: str | None = None) -> list[dict[str, Any]]:
    """Every version in the store's Model Registry, sorted by name and version: dicts
    ``{"name", "version", "aliases" (sorted), "run_id", "uri" (models:/NAME/VERSION)}``.

    Raises:
        UnknownModelError: no store there (`check_store`), or it could not be read.
    """
    client, uri = registry_client(tracking_uri)
    rows = []
    try:
        for rm in client.search_registered_models():
            aliases = dict(rm.aliases or {})
            for mv in client.search_model_versions(f"name='{rm.name}'"):
                rows.append({"name": rm.name, "version": str(mv.version),
                             "aliases": sorted(a for a, v in aliases.items()
                                               if str(v) == str(mv.version)),
                             "run_id": mv.run_id, "uri": f"models:/{rm.name}/{mv.version}"})
    except Exception as exc:
        raise UnknownModelError(f"cannot read the MLflow registry at {uri}: "
                                f"{redact(' '.join(str(exc).split())[:200])}") from exc
    rows.sort(key=lambda r: (r["name"], int(r["version"])))
    return rows
