"""drumaae.data.layout: the corpus folder and its manifest, read (generator 4 and 5) and
written in one place."""

from __future__ import annotations

import json
import os

import pytest

from drumaae import fileio
from drumaae.data.layout import (
    CORPUS_KIND,
    HOLDOUTS,
    KIT_SOURCES,
    PROCESSED,
    REALISM,
    SPLITS,
    Corpus,
    file_families,
    read_manifest,
    summarize,
    write_manifest,
)
from drumaae.errors import DataError

# Entries as the two generators wrote them: generator 4 had no partial/realism keys and no
# per-file bars; generator 5 adds them, the realism family and the realism hold-out.
GEN4_FILES = [
    {"path": "train/000000_alpha_rock.wav", "kit": "Alpha", "kit_family": "acoustic",
     "kit_source": "hydrogen", "pattern_family": "rock", "genre": "rock", "chain": None,
     "voicing": None, "family": "acoustic", "bpm": 120.0, "samples": 22050, "seed": 1,
     "split": "train", "holdout": None},
    {"path": "val/000001_beta_funk.wav", "kit": "Beta", "kit_family": "electronic",
     "kit_source": "soundfont", "pattern_family": "funk", "genre": "funk",
     "chain": [{"stage": "gain", "gain_db": -3.0}], "voicing": None, "family": PROCESSED,
     "bpm": 96.5, "samples": 27420, "seed": 2, "split": "val", "holdout": "kit+pattern"},
]
GEN5_FILES = GEN4_FILES[:1] + [
    {**GEN4_FILES[1], "partial": None, "realism": None, "bars": 1},
    {"path": "val/000002_synth_dnb.wav", "kit": "synth 7", "kit_family": "electronic",
     "kit_source": "synth", "pattern_family": "drum_and_bass", "genre": "drum_and_bass",
     "chain": None, "voicing": None, "partial": {"keep": ["hat_closed"]},
     "realism": [{"stage": "room"}], "family": REALISM, "bpm": 172.0, "bars": 2,
     "samples": 15384, "seed": 3, "split": "val", "holdout": REALISM},
]


def _corpus(root, files, generator="5", splits=SPLITS):
    root.mkdir(parents=True, exist_ok=True)
    for split in splits:
        (root / split).mkdir(exist_ok=True)
    manifest = {**fileio.manifest_header(CORPUS_KIND), "format": "drumaae-corpus",
                "generator_version": generator, "seed": 3, "sample_rate": 11025,
                "kits": [{"name": "Alpha"}, {"name": "Beta"}], "val_kits": ["Beta"],
                "val_pattern_families": ["funk"], "skipped_kits": [], "missing_sources": [],
                "files": files}
    write_manifest(str(root), manifest)
    return manifest


@pytest.mark.parametrize("generator,files", [("4", GEN4_FILES), ("5", GEN5_FILES)])
def test_open_reads_both_generations(tmp_path, generator, files):
    _corpus(tmp_path / "c", files, generator)
    corpus = Corpus.open(tmp_path / "c")
    root = os.path.abspath(tmp_path / "c")
    assert corpus.root == root and corpus.generator_version == generator
    assert corpus.sample_rate == 11025 and corpus.has_splits
    assert corpus.tempi() == {os.path.join(root, *e["path"].split("/")): e["bpm"]
                              for e in files}
    assert corpus.tempi(absolute=False) == {e["path"]: e["bpm"] for e in files}
    assert corpus.families() == {os.path.join(root, *e["path"].split("/")): e["family"]
                                 for e in files}
    assert [e["path"] for e in corpus.entries("val")] == [e["path"] for e in files[1:]]
    assert corpus.split_dir("val") == os.path.join(root, "val")
    with pytest.raises(ValueError, match="train, val"):
        corpus.entries("test")
    s = corpus.summary()
    assert s == summarize(corpus.manifest)
    assert s["files"] == len(files) and s["per_split"] == {"train": 1, "val": len(files) - 1}
    assert s["per_holdout"] == ({"kit+pattern": 1} if generator == "4"
                                else {"kit+pattern": 1, REALISM: 1})
    assert s["processed"] == 1 and s["realism"] == s["partial"] == s["synth"] == (
        1 if generator == "5" else 0)
    assert s["seconds"] == round(sum(e["samples"] for e in files) / 11025, 1)


def test_manifest_values_are_the_documented_ones():
    for e in GEN5_FILES:
        assert e["split"] in SPLITS and e["kit_source"] in KIT_SOURCES
        assert e["holdout"] is None or e["holdout"] in HOLDOUTS


def test_open_refuses_what_is_not_a_corpus(tmp_path):
    with pytest.raises(DataError, match="drumaae corpus render"):
        Corpus.open(tmp_path)
    assert Corpus.open(tmp_path, missing_ok=True) is None
    (tmp_path / "manifest.json").write_text("{oops")
    with pytest.raises(DataError, match="cannot read"):
        Corpus.open(tmp_path, missing_ok=True)  # a manifest that is there must read
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "drumaae.interpolation"}))
    with pytest.raises(DataError, match="no 'files' list"):
        read_manifest(tmp_path)


def test_find_a_corpus_from_a_split_folder(tmp_path):
    _corpus(tmp_path / "c", GEN5_FILES)
    root = os.path.abspath(tmp_path / "c")
    assert Corpus.find(tmp_path / "c").root == root
    assert Corpus.find(tmp_path / "c" / "val").root == root
    assert Corpus.find(tmp_path / "c" / "manifest.json") is None  # a file
    assert Corpus.find(tmp_path) is None
    # a split folder's own manifest that is not a corpus's is passed over
    (tmp_path / "c" / "train" / "manifest.json").write_text("{oops")
    assert Corpus.find(tmp_path / "c" / "train").root == root
    families = file_families([tmp_path / "c" / "val", tmp_path / "elsewhere"])
    assert families[os.path.join(root, "val", "000002_synth_dnb.wav")] == REALISM
    assert len(families) == 3 and file_families([tmp_path]) == {}


def test_a_corpus_without_both_splits(tmp_path):
    _corpus(tmp_path / "c", GEN4_FILES[:1], splits=("train",))
    assert not Corpus.open(tmp_path / "c").has_splits


def test_write_manifest_is_atomic_json_with_one_space(tmp_path):
    manifest = _corpus(tmp_path / "c", GEN5_FILES)
    text = (tmp_path / "c" / "manifest.json").read_text()
    assert text == json.dumps(manifest, indent=1) + "\n"  # what generator 5 always wrote
    assert not [n for n in os.listdir(tmp_path / "c") if n.startswith(".partial")]
    with pytest.raises(ValueError, match="not a corpus manifest"):
        write_manifest(str(tmp_path), {**fileio.manifest_header("drumaae.report"),
                                       "files": []})
    with pytest.raises(ValueError, match="not a corpus manifest"):
        write_manifest(str(tmp_path), {**fileio.manifest_header(CORPUS_KIND)})
