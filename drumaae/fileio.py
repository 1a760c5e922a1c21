"""File safety, in one place: every writer in drumaae and its CLI goes through here.

What it guarantees:

- **Atomic files** (`atomic_write`, `write_text`, `write_json`): the bytes go to a temporary
  file beside the destination (``.partial-<token>.<name>``), are fsynced, get the mode the
  user's umask gives a new file (never mkstemp's 0600), and are moved into place with
  `os.replace`. A reader sees the old file or the new one, never a half-written one.
- **Exclusive targets** (`claim`): an output (a file or a folder) is claimed with an advisory
  lock (``fcntl.flock`` on ``.<name>.drumaae-lock`` beside it) for the whole run. Two runs to
  one target: exactly one gets it, the other gets `OutputBusyError` at once. The kernel drops
  the lock when a process dies, so a killed run never blocks the next one.
- **Refuse-existing** (`check_new_file`, `check_out_dir`): nothing the user owns is replaced
  without ``force``. With ``force`` a non-empty output folder may hold drumaae's own manifest
  (producer ``drumaae``, the same kind: the files it lists are replaced) or no manifest at all
  (the new files go beside the user's); a foreign or other-kind manifest is refused, and so
  is a new file whose name a user's file already has. An input is never an output.
- **Staged folders** (`StagedFolder`): a folder is written as ``.partial-<token>.<name>``
  beside its target and swapped in only once complete. With ``force`` the old folder stays
  whole until the swap (an atomic exchange of the two folders where the file system has
  one, else two renames that the next claim completes); the files the old manifest listed
  go, the user's other files in the folder stay (hard-linked, else copied, into the new one).
- **Leftovers**: a claim removes the ``.partial-*`` and ``.replaced-*`` a killed run left
  beside its target, and puts a replaced folder back if a kill fell between two renames.

Example:
    >>> with StagedFolder("morph", force=True, kind="drumaae.interpolation") as stage:
    ...     save_wav(stage.path("00.wav"), bar, 22050)
    ...     write_manifest(stage.tmp, {**manifest_header("drumaae.interpolation"),
    ...                                "files": [{"file": "00.wav"}]})
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import threading
from typing import Any, Callable, Iterable, Union

from drumaae.errors import DrumaaeError, OutputBusyError, OutputExistsError, OutputNotWritableError
from drumaae.version import __version__

__all__ = [
    "PRODUCER",
    "MANIFEST",
    "file_mode",
    "atomic_write",
    "write_text",
    "write_json",
    "write_file",
    "check_new_file",
    "check_out_dir",
    "claim",
    "Claim",
    "StagedFolder",
    "replace_folder",
    "commit_folder",
    "clean_stale",
    "clean_stale_in",
    "partial_name",
    "resolve",
    "manifest_header",
    "write_manifest",
    "read_manifest",
    "manifest_files",
]

PRODUCER = "drumaae"
"""What our manifests name as their producer."""

MANIFEST = "manifest.json"
"""The name of the manifest in every output folder; written last."""

_TOKEN_RE = "[0-9a-f]{12}"
_LEGACY_KINDS = {"drumaae-corpus": "drumaae.corpus"}
"""Kinds of manifests written before manifests had a kind (by their ``format``)."""
_LOCK_SUFFIX = ".drumaae-lock"

PathLike = Union[str, os.PathLike]


# --- modes and atomic files -----------------------------------------------------------------

def _umask() -> int:
    """The process umask, read without changing it (os.umask would, for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(mode: int = 0o666) -> int:
    """The mode a new file (0o666) or folder (0o777) gets under the user's umask."""
    return mode & ~_umask()


def partial_name(name: str) -> str:
    """``.partial-<12 hex>.<name>``: a temporary sibling of `name` (same extension, hidden)."""
    return f".partial-{secrets.token_hex(6)}.{name}"


def _fsync_path(path: str, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # some file systems cannot open folders; the data is synced already
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if not directory or exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _fsync_tree(path: str) -> None:
    for root, dirs, files in os.walk(path):
        for name in files:
            _fsync_path(os.path.join(root, name))
        _fsync_path(root, directory=True)


def _is_write_failure(exc: BaseException) -> bool:
    """An error of the system under a write: an `OSError`, or one a library made of it
    without its errno (libsndfile says only ``System error.``)."""
    if isinstance(exc, OutputNotWritableError):
        return False
    return isinstance(exc, OSError) or (
        type(exc).__module__ == "soundfile" and type(exc).__name__ == "LibsndfileError")


def _free_bytes(path: str) -> int | None:
    folder = path
    while folder and not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    try:
        return shutil.disk_usage(folder or ".").free
    except OSError:
        return None


def _write_error(path: str, exc: BaseException) -> OutputNotWritableError:
    """One line for a failed write (ENOSPC, EDQUOT, EROFS, EFBIG, ENOTDIR, ...), naming the
    output, the system's reason and what to do."""
    code = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    reason = (getattr(exc, "strerror", None) if isinstance(exc, OSError) else None) or \
        " ".join(str(exc).split()) or type(exc).__name__
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some space or write elsewhere"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check the folder is writable or write elsewhere"
    elif code in (errno.ENOTDIR, errno.EISDIR, errno.ENOENT):
        hint = "check the path: a part of it is not a folder, or is gone"
    elif code is None:  # the library lost the errno: a full disk is the usual cause
        free = _free_bytes(os.path.dirname(os.path.abspath(path)))
        hint = ("the disk may be full" + (f", {free:,} bytes free now" if free is not None
                                          else "") + "; free some space or write elsewhere")
    else:
        hint = "check the destination"
    return OutputNotWritableError(f"cannot write {path}: {reason} ({hint}); nothing was replaced")


def resolve(path: PathLike) -> str:
    """The absolute path an output really is, links followed (in the path's folders and
    at its end, also a link to a path that does not exist yet): outputs are written there,
    and a symlinked output is never replaced by a real file or folder."""
    return os.path.realpath(os.path.abspath(os.fspath(path)))


def atomic_write(path: PathLike, write: Callable[[str], Any] | bytes | str, *,
                 mode: int = 0o666) -> str:
    """Write a file atomically: ``write(tmp)`` (or the bytes/str given) goes to a temporary
    file beside `path`, which is fsynced and moved over `path` with `os.replace`.

    The file gets ``mode`` under the user's umask. Replaces an existing file (check first
    with `check_new_file`, or use `write_file` for a user's output). On failure the
    temporary file is removed and the old file is untouched.

    Args:
        path: the destination; its folder must exist.
        write: a function that writes the file at the path it is given (the temporary
            file exists, empty, with the right extension), or the content itself.
        mode: the mode before the umask.

    Returns:
        `path`.

    Raises:
        OutputNotWritableError: the folder is missing or read-only, or the disk is full.
    """
    given = os.fspath(path)
    path = resolve(given)  # a link's target is written, the link stays
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise OutputNotWritableError(f"the folder {folder} does not exist: create it first")
    tmp = os.path.join(folder, partial_name(os.path.basename(path)))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)  # the umask applies
    except OSError as exc:
        raise _write_error(path, exc) from exc
    try:
        if isinstance(write, (bytes, str)):
            data = write.encode("utf-8") if isinstance(write, str) else write
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        else:
            os.close(fd)
            write(tmp)
        os.chmod(tmp, file_mode(mode))  # a writer may have made the file anew
        _fsync_path(tmp)
        os.replace(tmp, path)
        _fsync_path(folder, directory=True)
    except Exception as exc:
        if _is_write_failure(exc):
            raise _write_error(given, exc) from exc
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
    return given


def write_text(path: PathLike, text: str) -> str:
    """`atomic_write` of `text` as UTF-8."""
    return atomic_write(path, text)


def write_json(path: PathLike, data: Any, indent: int = 2) -> str:
    """`atomic_write` of `data` as JSON and a final newline."""
    return write_text(path, json.dumps(data, indent=indent) + "\n")


# --- manifests ------------------------------------------------------------------------------

def manifest_header(kind: str) -> dict[str, Any]:
    """The fields every drumaae manifest starts with: kind, producer and version."""
    return {"kind": kind, "producer": PRODUCER, "drumaae_version": __version__}


def write_manifest(folder: PathLike, manifest: dict[str, Any], indent: int = 2) -> str:
    """Write `manifest` to ``folder/manifest.json`` atomically (`write_json`): every manifest
    drumaae writes goes through here. Write it last, after the files it lists.

    Args:
        folder: the output folder (or its staging folder); it must exist.
        manifest: a dict that starts with `manifest_header` (its kind and producer are what
            lets a later ``--force`` replace this output, and only this output).
        indent: JSON indent (a corpus's 28,000 entries use 1).

    Returns:
        The manifest's path.

    Raises:
        ValueError: `manifest` has no kind or another producer.
        OutputNotWritableError: as `atomic_write`.
    """
    if not isinstance(manifest.get("kind"), str) or manifest.get("producer") != PRODUCER:
        raise ValueError("a drumaae manifest starts with manifest_header(kind): "
                         f"kind {manifest.get('kind')!r}, producer {manifest.get('producer')!r}")
    return write_json(os.path.join(os.fspath(folder), MANIFEST), manifest, indent=indent)


def read_manifest(folder: PathLike) -> dict[str, Any] | None:
    """The folder's manifest.json as a dict, or None when it has none or an unreadable one."""
    try:
        with open(os.path.join(os.fspath(folder), MANIFEST), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_ours(manifest: dict[str, Any] | None, kind: str | None) -> bool:
    """Written by drumaae (its producer field, or for manifests from before the producer
    field a ``drumaae.*`` kind or a legacy format), of `kind` when one is given."""
    if not manifest:
        return False
    made_kind = manifest.get("kind") or _LEGACY_KINDS.get(manifest.get("format"))
    ours = manifest.get("producer") == PRODUCER or (
        "producer" not in manifest and isinstance(made_kind, str)
        and made_kind.startswith("drumaae."))
    return ours and (kind is None or made_kind == kind)


def manifest_files(manifest: dict[str, Any] | None) -> list[str]:
    """The entries of its folder a manifest owns: the names in ``files`` (``{"file": name}``
    or names), ``figure``, and the ``file`` of any other top-level ``{"file": name}`` entry
    (such as ``joined``); a relative path (``train/x.wav``) owns its first folder. Absolute
    paths and any ``..`` are ignored."""
    if not manifest:
        return []
    names: list[Any] = []
    for entry in manifest.get("files", []) or []:
        names.append(entry.get("file") if isinstance(entry, dict) else entry)
    names.append(manifest.get("figure"))
    names += [v.get("file") for v in manifest.values() if isinstance(v, dict)]
    owned = []
    for name in names:
        if not isinstance(name, str) or not name or os.path.isabs(name):
            continue
        parts = name.replace("\\", "/").split("/")
        if any(p in ("", ".", "..") for p in parts):
            continue
        if parts[0] not in owned:
            owned.append(parts[0])
    return owned


# --- checks ---------------------------------------------------------------------------------

def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_inputs(target: str, inputs: Iterable[PathLike], replaced: Iterable[str] = ()
                  ) -> None:
    """An input must not be the target, nor a file the output would replace."""
    doomed = [target, *(os.path.join(target, n) for n in replaced)]
    for item in inputs:
        if not isinstance(item, (str, os.PathLike)):
            continue
        item = os.fspath(item)
        if os.path.exists(item) and any(_same_file(item, d) for d in doomed
                                        if os.path.exists(d)):
            raise OutputExistsError(f"{item} is an input of this run and would be "
                                    "overwritten: write the output elsewhere")


def check_new_file(path: PathLike, force: bool, inputs: Iterable[PathLike] = ()) -> None:
    """A file output: refuse a folder, an existing file unless `force`, and an input.

    Raises:
        OutputExistsError: with a one-line message saying what to do.
    """
    path = resolve(path)
    if os.path.isdir(path):
        raise OutputExistsError(f"{path} is a folder: give a file name")
    _check_inputs(path, inputs)
    if os.path.lexists(path) and not force:
        raise OutputExistsError(f"{path} already exists: pass --force to overwrite it or "
                                "choose another name")
    _check_writable(os.path.dirname(os.path.abspath(path)), "output")


def check_out_dir(out_dir: PathLike, force: bool, kind: str | None = None,
                  inputs: Iterable[PathLike] = ()) -> None:
    """A folder output may be new or empty; a non-empty one needs `force`, and then either
    drumaae's own manifest of the same `kind` (its listed files are the only ones replaced)
    or no manifest at all (nothing is replaced; the user's entries stay).

    Raises:
        OutputExistsError: with a one-line message saying what to do.
    """
    out_dir = resolve(out_dir)
    if os.path.lexists(out_dir) and not os.path.isdir(out_dir):
        raise OutputExistsError(f"{out_dir} exists and is not a folder: choose another --out")
    manifest = read_manifest(out_dir) if os.path.isdir(out_dir) else None
    _check_inputs(out_dir, inputs, manifest_files(manifest))
    if os.path.isdir(out_dir) and os.listdir(out_dir):
        if not force:
            raise OutputExistsError(f"{out_dir} already exists and is not empty: pass --force "
                                    "to replace drumaae's files in it, or choose another --out")
        has_manifest = os.path.lexists(os.path.join(out_dir, MANIFEST))
        if has_manifest and not _is_ours(manifest, None):
            raise OutputExistsError(f"{out_dir} holds a manifest.json drumaae did not write: "
                                    "--force replaces only drumaae's own outputs; choose "
                                    "another --out")
        if has_manifest and not _is_ours(manifest, kind):
            raise OutputExistsError(f"{out_dir} holds a drumaae output of another kind "
                                    f"({manifest.get('kind')}, not {kind}): choose another "
                                    "--out")
    _check_writable(os.path.dirname(out_dir), "--out")


def _check_writable(folder: str, what: str) -> None:
    """Before any compute: `folder` exists, is writable and its disk is not full."""
    from drumaae.limits import MIN_FREE_BYTES

    if not os.path.isdir(folder):
        raise OutputNotWritableError(f"the folder {folder} does not exist: create it first")
    if not os.access(folder, os.W_OK):
        raise OutputNotWritableError(f"cannot write in {folder}: it is read-only for you; choose "
                                     f"another {what}")
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        raise OutputNotWritableError(f"the disk holding {folder} is full ({free:,} bytes free): "
                                     f"free some space or choose another {what}")


# --- exclusive claims -----------------------------------------------------------------------

class Claim:
    """An exclusive hold on an output path for this process (see `claim`)."""

    def __init__(self, target: str, fd: int, lock_path: str):
        self.target = target
        self._fd = fd
        self._lock_path = lock_path
        self._count = 1

    def release(self) -> None:
        """Drop one hold; the last one removes the lock file and unlocks."""
        with _HELD_LOCK:
            self._count -= 1
            if self._count > 0:
                return
            _HELD.pop(self.target, None)
        with contextlib.suppress(OSError):
            os.remove(self._lock_path)  # while still locked: no one can hold a stale inode
        os.close(self._fd)

    def __enter__(self) -> "Claim":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


_HELD: dict[str, Claim] = {}
_HELD_LOCK = threading.Lock()


def _lock_path(target: str) -> str:
    return os.path.join(os.path.dirname(target), f".{os.path.basename(target)}{_LOCK_SUFFIX}")


def claim(target: PathLike, *, force: bool = False, kind: str | None = None,
          inputs: Iterable[PathLike] = (), folder: bool = False,
          check: bool = True, wait: bool = False) -> Claim:
    """Claim `target` for this run: lock it, check it may be written, clean what killed runs
    left beside it. Use as a context manager (or call `release`).

    A claim held by this process is shared (counted): the CLI claims an output before the
    compute, and the library's writers take the same claim again when they write.

    Args:
        target: the output file or folder.
        force: allow replacing an existing output (ours only, for folders).
        kind: the manifest kind of a folder output.
        inputs: files this run reads; none may be replaced.
        folder: the output is a folder (`check_out_dir`), else a file (`check_new_file`).
        check: run the refuse-existing checks (False for internal outputs that are always
            replaced, such as a cache entry).
        wait: wait for another run's claim to end instead of failing (for caches).

    Raises:
        OutputBusyError: another run holds `target`.
        OutputExistsError, OutputNotWritableError: see the checks.
    """
    target = resolve(target)
    with _HELD_LOCK:
        held = _HELD.get(target)
        if held is not None:
            held._count += 1
            return held
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise OutputNotWritableError(f"the folder {parent} does not exist: create it first")
    lock_path = _lock_path(target)
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise _write_error(target, exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise OutputBusyError(f"another drumaae run is writing {target}: wait for it to "
                                  "finish or choose another output") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed that lock file as we opened it: take the new one
    held = Claim(target, fd, lock_path)
    try:
        clean_stale(target)
        if check:
            if folder:
                check_out_dir(target, force, kind, inputs)
            else:
                check_new_file(target, force, inputs)
    except BaseException:
        held.release()
        raise
    with _HELD_LOCK:
        _HELD[target] = held
    return held


def _stale_entries(target: str) -> tuple[list[str], list[str]]:
    parent, name = os.path.split(target)
    partial = re.compile(rf"^\.partial-{_TOKEN_RE}\.{re.escape(name)}$")
    replaced = re.compile(rf"^\.replaced-{_TOKEN_RE}\.{re.escape(name)}$")
    try:
        names = os.listdir(parent)
    except OSError:
        return [], []
    return ([os.path.join(parent, n) for n in names if partial.match(n)],
            [os.path.join(parent, n) for n in names if replaced.match(n)])


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def clean_stale(target: PathLike) -> list[str]:
    """Tidy what killed runs left beside `target` (call with `target` claimed): a folder
    moved aside by a replace that stopped between its two renames goes back to `target`;
    other ``.replaced-*`` and every ``.partial-*`` of `target` are removed.

    Returns:
        The paths removed or restored.
    """
    target = os.path.abspath(os.fspath(target))
    partial, replaced = _stale_entries(target)
    done = []
    if replaced and not os.path.lexists(target):
        newest = max(replaced, key=os.path.getmtime)
        os.rename(newest, target)
        replaced.remove(newest)
        done.append(newest)
    for path in partial + replaced:
        _remove(path)
        done.append(path)
    return done


def clean_stale_in(folder: PathLike) -> list[str]:
    """`clean_stale` for every target in `folder` that killed runs left leftovers of (call
    with `folder` claimed, so that no live run is writing there)."""
    pattern = re.compile(rf"^\.(?:partial|replaced)-{_TOKEN_RE}\.(.+)$")
    folder = os.fspath(folder)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    targets = sorted({m.group(1) for m in map(pattern.match, names) if m})
    return [p for t in targets for p in clean_stale(os.path.join(folder, t))]


# --- staged folders -------------------------------------------------------------------------

def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where the system
    or file system has no such call."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


def _carry(src: str, dst: str) -> None:
    """Give `dst` the user's entry `src` without moving it: a hard link (or a copy)."""
    if os.path.isdir(src) and not os.path.islink(src):
        try:
            shutil.copytree(src, dst, symlinks=True, copy_function=os.link)
        except (OSError, shutil.Error):
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, symlinks=True)
        return
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def replace_folder(stage: PathLike, target: PathLike, keep: Iterable[str] = ()) -> None:
    """Swap the complete folder `stage` in as `target` (both in one parent folder).

    A missing or empty `target` is replaced by one rename. Otherwise the entries `keep` of
    the old folder are first hard-linked (or copied) into `stage`, then the two folders are
    exchanged atomically where the system can, else with two renames (the old folder moved
    to ``.replaced-<token>.<name>`` first; `clean_stale` puts it back if a kill falls
    between them). The old folder is removed last.
    """
    stage, target = os.path.abspath(os.fspath(stage)), resolve(target)
    _fsync_tree(stage)
    if not os.path.isdir(target):
        os.rename(stage, target)
        _fsync_path(os.path.dirname(target), directory=True)
        return
    if not os.listdir(target):
        os.rename(stage, target)  # over an empty folder: one atomic rename
        _fsync_path(os.path.dirname(target), directory=True)
        return
    for name in keep:
        if os.path.lexists(os.path.join(stage, name)):
            raise OutputExistsError(f"{os.path.join(target, name)} is not drumaae's output "
                                    "and the new one has a file of that name: move it or "
                                    "choose another --out")
        _carry(os.path.join(target, name), os.path.join(stage, name))
    _fsync_path(stage, directory=True)
    if _exchange(stage, target):
        old = stage
    else:
        old = os.path.join(os.path.dirname(target),
                           f".replaced-{secrets.token_hex(6)}.{os.path.basename(target)}")
        os.rename(target, old)
        os.rename(stage, target)
    _fsync_path(os.path.dirname(target), directory=True)
    shutil.rmtree(old, ignore_errors=True)


class StagedFolder:
    """Write a folder's files beside it, then swap them in (see `replace_folder`).

    A failure (or a kill) leaves the target as it was. An existing non-empty target needs
    `force` and drumaae's own manifest of `kind`; the files that manifest lists are dropped,
    the folder's other entries are kept. The target is claimed (`claim`) from `__enter__`
    until the swap is done.

    Args:
        out_dir: the target folder.
        force: replace drumaae's earlier output there.
        kind: the kind of manifest this output writes (``drumaae.interpolation``...).
        inputs: files the run reads (never replaced).
    """

    def __init__(self, out_dir: PathLike, force: bool = False, kind: str | None = None,
                 inputs: Iterable[PathLike] = ()):
        self.final = resolve(out_dir)  # a linked folder is followed, never replaced
        self.force = force
        self.kind = kind
        self.inputs = list(inputs)
        check_out_dir(self.final, force, kind, self.inputs)
        self.tmp: str | None = None
        self._claim: Claim | None = None

    def __enter__(self) -> "StagedFolder":
        self._claim = claim(self.final, force=self.force, kind=self.kind, inputs=self.inputs,
                            folder=True)
        try:
            self.tmp = os.path.join(os.path.dirname(self.final),
                                    partial_name(os.path.basename(self.final)))
            os.mkdir(self.tmp, 0o777)  # the umask applies
        except OSError as exc:
            self._claim.release()
            raise _write_error(self.final, exc) from exc
        return self

    def path(self, name: str) -> str:
        """Where to write the entry `name` of the new folder."""
        return os.path.join(self.tmp, name)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._commit()
            elif _is_write_failure(exc):  # a file of the folder could not be written
                raise _write_error(self.final, exc) from exc
            elif isinstance(exc, OutputNotWritableError) and self.tmp and self.tmp in str(exc):
                # name the output the user asked for, not its hidden staging folder
                raise OutputNotWritableError(str(exc).replace(self.tmp, self.final)) from exc
        except Exception as err:
            if _is_write_failure(err):
                raise _write_error(self.final, err) from err
            raise
        finally:
            if self.tmp and os.path.exists(self.tmp):
                shutil.rmtree(self.tmp, ignore_errors=True)
            if self._claim is not None:
                self._claim.release()

    def _commit(self) -> None:
        commit_folder(self.tmp, self.final, force=self.force, kind=self.kind,
                      inputs=self.inputs)


def commit_folder(stage: PathLike, target: PathLike, *, force: bool = False,
                  kind: str | None = None, inputs: Iterable[PathLike] = ()) -> None:
    """Swap the complete folder `stage` in as `target` (`replace_folder`), after checking
    again (`check_out_dir`) that `target` may be replaced; the old folder's entries that its
    manifest does not own are kept. Call with `target` claimed."""
    target = resolve(target)
    keep: list[str] = []
    if os.path.isdir(target) and os.listdir(target):
        # Checked again under the claim: the folder may have changed since the first check.
        check_out_dir(target, force, kind, inputs)
        ours = set(manifest_files(read_manifest(target))) | {MANIFEST}
        keep = sorted(n for n in os.listdir(target) if n not in ours)
    replace_folder(stage, target, keep)


def write_file(path: PathLike, write: Callable[[str], Any] | bytes | str, *,
               force: bool = False, inputs: Iterable[PathLike] = ()) -> str:
    """A user's file output: claimed, refused if it exists (unless `force`) or is an input,
    then written with `atomic_write`."""
    with claim(path, force=force, inputs=inputs):
        return atomic_write(path, write)

