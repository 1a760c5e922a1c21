"""File safety: atomic writes, staged output folders and refuse-existing checks.

Every writer in drumaae and its CLI writes through here, so a failed or killed run leaves
nothing half-written and nothing the user owns is overwritten without ``--force``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from drumaae.errors import DrumaaeError, OutputExistsError

__all__ = ["check_new_file", "check_out_dir", "StagedFolder", "atomic_write"]


def check_new_file(path: str, force: bool) -> None:
    """Refuse to overwrite a file unless `force` (and refuse a folder always)."""
    if os.path.isdir(path):
        raise OutputExistsError(f"{path} is a folder: give a file name")
    if os.path.exists(path) and not force:
        raise OutputExistsError(f"{path} already exists: pass --force to overwrite it or "
                                "choose another name")


def user_mode(path: str, mode: int = 0o666) -> None:
    """Give a file made by mkstemp (0600) the mode the user's umask would have given it."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def atomic_write(path: str, write) -> str:
    """Call ``write(tmp_path)`` on a temporary file beside `path`, then move it into place."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        raise DrumaaeError(f"the folder {folder} does not exist: create it first")
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write(tmp)
        user_mode(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def check_out_dir(out_dir: str, force: bool) -> None:
    """An output folder may be new or empty; a non-empty one needs `force`."""
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise OutputExistsError(f"{out_dir} exists and is not a folder: choose another --out")
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not force:
        raise OutputExistsError(f"{out_dir} already exists and is not empty: pass --force to "
                                "replace drumaae's files in it, or choose another --out")
    parent = os.path.dirname(os.path.abspath(out_dir))
    if not os.path.isdir(parent):
        raise DrumaaeError(f"the folder {parent} does not exist: create it first")


class StagedFolder:
    """Write a folder's files into a temporary folder beside it, then move them into place.

    A failure leaves nothing at `out_dir`. An existing folder is only used with `force`; then
    the files of drumaae's earlier manifest there are removed and the new files moved in
    (other files in the folder are left alone).
    """

    def __init__(self, out_dir: str | os.PathLike, force: bool = False):
        self.final = os.path.abspath(os.fspath(out_dir))
        self.force = force
        check_out_dir(self.final, force)
        self.tmp: str | None = None

    def __enter__(self) -> "StagedFolder":
        parent = os.path.dirname(self.final)
        self.tmp = tempfile.mkdtemp(prefix=f".partial-{os.path.basename(self.final)}-",
                                    dir=parent)
        return self

    def path(self, name: str) -> str:
        return os.path.join(self.tmp, name)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            if self.tmp and os.path.exists(self.tmp):
                shutil.rmtree(self.tmp, ignore_errors=True)

    def _commit(self) -> None:
        # mkdtemp/mkstemp make private (0700/0600) entries: give them the user's usual modes.
        user_mode(self.tmp, 0o777)
        for name in os.listdir(self.tmp):
            user_mode(os.path.join(self.tmp, name))
        if not os.path.exists(self.final):
            os.rename(self.tmp, self.final)
            return
        if os.listdir(self.final):
            for old in _manifest_files(self.final):
                target = os.path.join(self.final, old)
                if os.path.isfile(target):
                    os.remove(target)
        names = sorted(os.listdir(self.tmp))
        # manifest.json last: it names the files, so it never points at missing ones.
        names.sort(key=lambda n: n == "manifest.json")
        for name in names:
            os.replace(os.path.join(self.tmp, name), os.path.join(self.final, name))


def _manifest_files(folder: str) -> list[str]:
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return []
    names = [f.get("file") for f in manifest.get("files", []) if isinstance(f, dict)]
    if isinstance(manifest.get("figure"), str):
        names.append(manifest["figure"])
    return [n for n in names if isinstance(n, str) and os.path.basename(n) == n]
