"""The layout of a rendered drum corpus, in one place: `Corpus`.

A corpus folder (written by `drumaae.data.corpus.render_corpus`, ``drumaae corpus render``)::

    corpus/
      manifest.json     kind ``drumaae.corpus``: render settings, kits, and one entry per file
      train/            training files  (``train/000000_<kit>_<pattern family>.wav``)
      val/              held-out files  (``val/...``)

Every reader of such a folder goes through `Corpus`: the dataset (tempi of a split folder,
`drumaae.data.dataset.build_index`), the trainer (its train/ and val/ folders), evaluation
(each file's family) and ``drumaae corpus info`` (`summarize`). The renderer writes its
manifest with `write_manifest` (through `drumaae.fileio`).

A manifest entry (generator 5) holds, among others: ``path`` (relative, ``/``-separated),
``split`` (one of `SPLITS`), ``bpm``, ``bars`` (fast families are 2-bar loops), ``samples``,
``family`` (a kit family, `PROCESSED` or `REALISM`), ``kit_family``, ``kit_source``
(`KIT_SOURCES`), ``pattern_family`` and, for validation files, ``holdout`` (`HOLDOUTS`).
Older manifests (generator 4: no ``partial`` or ``realism`` keys, no ``bars``) read the same;
a key a manifest lacks reads as absent. docs/corpus.md describes every key.

Example:
    >>> corpus = Corpus.open("corpus/")
    >>> corpus.tempi()                  # {"/abs/corpus/train/000000_....wav": 150.76, ...}
    >>> corpus.families()               # {"/abs/corpus/val/000003_....wav": "processed", ...}
    >>> train_dir, val_dir = corpus.split_dir("train"), corpus.split_dir("val")
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Mapping, Sequence

from drumaae import fileio
from drumaae.errors import DataError

__all__ = [
    "CORPUS_KIND",
    "FORMAT",
    "HOLDOUTS",
    "KIT_SOURCES",
    "MANIFEST_NAME",
    "PROCESSED",
    "REALISM",
    "SPLITS",
    "SYNTH_SOURCE",
    "Corpus",
    "file_families",
    "read_manifest",
    "summarize",
    "write_manifest",
]

MANIFEST_NAME = fileio.MANIFEST
#: The manifest kind of a corpus (`drumaae.fileio.manifest_header`).
CORPUS_KIND = "drumaae.corpus"
#: The manifest's ``format`` field.
FORMAT = "drumaae-corpus"
#: The split folders, in the order files are listed.
SPLITS = ("train", "val")
#: The family of a file passed through a processing chain (beside the kit families).
PROCESSED = "processed"
#: The family of a file recorded "for real" (`drumaae.data.realism`: room, tape, noise floor,
#: codec, mic bleed, tails over the bar line); takes precedence over `PROCESSED`.
REALISM = "realism"
#: What a validation file holds out: its kit, its pattern family, both, or the recording
#: treatment (the ``realism`` family).
HOLDOUTS = ("kit", "pattern", "kit+pattern", REALISM)
#: The ``kit_source`` of a procedurally synthesized kit (one kit per file).
SYNTH_SOURCE = "synth"
#: Where a file's kit comes from.
KIT_SOURCES = ("hydrogen", "soundfont", SYNTH_SOURCE)


class Corpus:
    """A rendered corpus folder and its manifest.

    Args:
        root: the corpus folder (the one holding ``manifest.json``).
        manifest: its manifest, a dict with a ``files`` list.

    Build one with `Corpus.open` (a folder that must be a corpus) or `Corpus.find` (a folder
    that may be a corpus or one of its split folders).
    """

    def __init__(self, root: str | os.PathLike, manifest: Mapping[str, Any]):
        self.root = os.path.abspath(os.fspath(root))
        self.manifest = dict(manifest)

    @classmethod
    def open(cls, folder: str | os.PathLike, missing_ok: bool = False) -> "Corpus | None":
        """The corpus in `folder`.

        Args:
            folder: the corpus folder.
            missing_ok: return None when `folder` has no ``manifest.json`` (one that is
                there must still be a corpus manifest).

        Raises:
            DataError: no ``manifest.json`` (unless `missing_ok`), an unreadable one, or one
                without a ``files`` list.
        """
        folder = os.fspath(folder)
        path = os.path.join(folder, MANIFEST_NAME)
        try:
            with open(path, encoding="utf-8") as f:
                manifest = json.load(f)
        except FileNotFoundError as exc:
            if missing_ok:
                return None
            raise DataError(f"no {MANIFEST_NAME} in {folder}; is it a folder made by "
                            "'drumaae corpus render'?") from exc
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read {path}: {exc}") from exc
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
            raise DataError(f"{path} is not a drumaae corpus manifest (no 'files' list)")
        return cls(folder, manifest)

    @classmethod
    def find(cls, path: str | os.PathLike) -> "Corpus | None":
        """The corpus a folder is, or is a split folder of (``corpus/train``); None for a
        file, or a folder with no corpus manifest in it or one up (a manifest that is not a
        corpus's is passed over: it is not ours to judge here)."""
        path = os.path.abspath(os.fspath(path))
        if not os.path.isdir(path):
            return None
        for root in (path, os.path.dirname(path)):
            if not os.path.isfile(os.path.join(root, MANIFEST_NAME)):
                continue
            try:
                return cls.open(root)
            except DataError:
                continue
        return None

    # --- what the manifest says -------------------------------------------------------------

    @property
    def files(self) -> list[dict[str, Any]]:
        """The manifest's file entries (dicts; anything else in the list is skipped)."""
        return [e for e in self.manifest["files"] if isinstance(e, dict)]

    @property
    def generator_version(self) -> str | None:
        """The renderer's version (``"5"``, ``"4"``...): same seed and version, same audio."""
        version = self.manifest.get("generator_version")
        return None if version is None else str(version)

    @property
    def sample_rate(self) -> int:
        """The files' sample rate in Hz (22050 where a manifest does not say)."""
        return int(self.manifest.get("sample_rate", 22050))

    def entries(self, split: str | None = None) -> list[dict[str, Any]]:
        """The file entries of one split (`SPLITS`), or all of them."""
        if split is None:
            return self.files
        if split not in SPLITS:
            raise ValueError(f"a corpus split is one of {', '.join(SPLITS)}, not {split!r}")
        return [e for e in self.files if e.get("split") == split]

    def path(self, entry: Mapping[str, Any] | str) -> str:
        """The absolute path of an entry (or of a manifest path, ``train/x.wav``)."""
        rel = entry if isinstance(entry, str) else str(entry["path"])
        return os.path.join(self.root, *rel.split("/"))

    def split_dir(self, split: str) -> str:
        """The folder of a split (`SPLITS`): ``<root>/train`` or ``<root>/val``."""
        if split not in SPLITS:
            raise ValueError(f"a corpus split is one of {', '.join(SPLITS)}, not {split!r}")
        return os.path.join(self.root, split)

    @property
    def has_splits(self) -> bool:
        """Both split folders exist."""
        return all(os.path.isdir(self.split_dir(s)) for s in SPLITS)

    def tempi(self, absolute: bool = True) -> dict[str, float]:
        """``{path: bpm}`` of every file: absolute paths, or with ``absolute=False`` the
        manifest's own (``train/000000_....wav``, relative to the corpus folder)."""
        return {(self.path(e) if absolute else str(e["path"])): float(e["bpm"])
                for e in self.files if "path" in e and "bpm" in e}

    def families(self) -> dict[str, str]:
        """``{absolute path: family}`` of every file that has one (acoustic, electronic,
        hand_percussion, `PROCESSED`, `REALISM`)."""
        return {self.path(e): str(e["family"])
                for e in self.files if "path" in e and e.get("family")}

    def summary(self) -> dict[str, Any]:
        """`summarize` of the manifest."""
        return summarize(self.manifest)


def read_manifest(corpus_dir: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a rendered corpus folder (`Corpus.open`).

    Raises:
        DataError: no readable corpus manifest there.
    """
    return Corpus.open(corpus_dir).manifest


def file_families(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """``{absolute path: family}`` over the corpora the folders of `paths` are, or are
    split folders of (`Corpus.find`); empty when none is a rendered corpus."""
    out: dict[str, str] = {}
    for p in paths:
        corpus = Corpus.find(p)
        if corpus is not None:
            out.update(corpus.families())
    return out


def write_manifest(folder: str | os.PathLike, manifest: Mapping[str, Any]) -> str:
    """Write a corpus manifest to ``folder/manifest.json`` (`drumaae.fileio.write_manifest`,
    one space of indent: 28,000 entries stay readable and small).

    Raises:
        ValueError: not a corpus manifest (kind `CORPUS_KIND`, a ``files`` list).
    """
    if manifest.get("kind") != CORPUS_KIND or not isinstance(manifest.get("files"), list):
        raise ValueError(f"not a corpus manifest (kind {CORPUS_KIND}, a 'files' list)")
    return fileio.write_manifest(folder, manifest, indent=1)


def _count(entries: Sequence[Mapping[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in entries:
        k = str(e.get(key) or ("song" if key in ("genre", "pattern_family") else "-"))
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items()))


def summarize(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Counts per split, family (acoustic / electronic / hand_percussion / processed /
    realism), kit family, pattern family, hold-out, kit and split x family, of processed,
    realism, partial, synth and re-voiced files, and the tempo range, of a manifest."""
    files = manifest["files"]
    bpms = [float(e["bpm"]) for e in files]
    return {
        "files": len(files),
        "seconds": round(sum(e.get("samples", 0) for e in files)
                         / float(manifest.get("sample_rate", 22050)), 1),
        "per_split": _count(files, "split"),
        "per_family": _count(files, "family"),
        "per_split_family": {split: _count([e for e in files if e["split"] == split], "family")
                             for split in SPLITS},
        "per_kit_family": _count(files, "kit_family"),
        "per_pattern_family": _count(files, "pattern_family"),
        "per_holdout": _count([e for e in files if e["split"] == "val"], "holdout"),
        "per_kit": _count([
            {**e, "kit": f"synth {e.get('kit_family')} (one kit per file)"}
            if e.get("kit_source") == SYNTH_SOURCE else e for e in files], "kit"),
        "per_genre": _count(files, "genre"),
        "processed": sum(1 for e in files if e.get("chain")),
        "realism": sum(1 for e in files if e.get("realism")),
        "partial": sum(1 for e in files if e.get("partial")),
        "synth": sum(1 for e in files if e.get("kit_source") == SYNTH_SOURCE),
        "revoiced": sum(1 for e in files if e.get("voicing")),
        "bpm_min": min(bpms) if bpms else None,
        "bpm_max": max(bpms) if bpms else None,
        "kits": len(manifest.get("kits", [])),
        "val_kits": manifest.get("val_kits", []),
        "val_pattern_families": manifest.get("val_pattern_families", []),
        "skipped_kits": manifest.get("skipped_kits", []),
        "missing_sources": manifest.get("missing_sources", []),
    }
