"""train(): rhythm labels fitted once and reused on resume; the feature cache changes nothing."""

from __future__ import annotations

import os

import numpy as np
import pytest

from drumaae.training import train
from drumaae.training.trainer import LABELS_FILE, load_labels


def _quiet(_):
    pass


def test_cache_trains_identically_and_resume_reuses_the_labels(tmp_path, loops_dir,
                                                                tiny_recipe, monkeypatch):
    plain = train(tiny_recipe, [loops_dir], tmp_path / "plain", epochs=1, progress=False,
                  log=_quiet)
    cache = tmp_path / "features"
    first = train(tiny_recipe, [loops_dir], tmp_path / "cached", epochs=1, progress=False,
                  log=_quiet, feature_cache=cache)
    assert first.labelled
    # Same features, same batches, same seeds: the same losses, bit for bit.
    assert first.history == plain.history
    entries = sorted(n for n in os.listdir(cache) if n.endswith(".npy"))
    assert len(entries) == 2  # the training bars and the validation bars

    saved = load_labels(tmp_path / "cached" / LABELS_FILE)
    assert saved["index_hash"] == first.index_hash
    assert saved["train_labels"].shape == (first.train_bars,)
    assert saved["val_labels"].shape == (first.val_bars,)
    np.testing.assert_array_equal(
        saved["train_labels"], load_labels(tmp_path / "plain" / LABELS_FILE)["train_labels"])

    # Resuming never clusters again: the run's labels are read back.
    from drumaae.data import rhythm

    def no_refit(*a, **k):
        raise AssertionError("k-means fitted again on resume")

    monkeypatch.setattr(rhythm, "rhythm_labels", no_refit)
    logs: list[str] = []
    second = train(tiny_recipe, [loops_dir], tmp_path / "cached", epochs=2, resume=True,
                   progress=False, log=logs.append, feature_cache=cache)
    assert second.epochs_run == 1 and second.labelled
    assert any("the run's own" in m for m in logs)
    again = load_labels(tmp_path / "cached" / LABELS_FILE)
    np.testing.assert_array_equal(again["train_labels"], saved["train_labels"])
    np.testing.assert_array_equal(again["centroids"], saved["centroids"])


def test_changed_data_on_resume_keeps_the_runs_centroids(tmp_path, loops_dir, tiny_recipe,
                                                         monkeypatch):
    from drumaae.data.dataset import build_index
    from drumaae.data.rhythm import assign_rhythms, onset_grid
    from drumaae.training.trainer import TrainData, _label

    index = build_index(loops_dir, tiny_recipe.audio)
    data = TrainData(index, index.select_files([]), None, None, index.hash(), "test")
    _label(data, tiny_recipe, _quiet)
    from drumaae.training.trainer import save_labels

    path = tmp_path / LABELS_FILE
    save_labels(data, path)
    part = index.select_files(index.file_paths[:4])
    changed = TrainData(part, part.select_files([]), None, None, part.hash(), "test")
    from drumaae.data import rhythm

    monkeypatch.setattr(rhythm, "rhythm_labels", lambda *a, **k: pytest.fail("refit"))
    logs: list[str] = []
    _label(changed, tiny_recipe, logs.append, labels_file=path)
    np.testing.assert_array_equal(changed.centroids, data.centroids)
    from drumaae.data.dataset import iterate_bars

    grids = np.stack([onset_grid(f, tiny_recipe.audio)
                      for _, f in iterate_bars(part, tiny_recipe.audio)])
    np.testing.assert_array_equal(changed.train_labels, assign_rhythms(grids, data.centroids))
    assert any("data changed" in m for m in logs)


def test_damaged_labels_file_is_one_clear_error(tmp_path):
    from drumaae.errors import DataError

    bad = tmp_path / LABELS_FILE
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="remove it"):
        load_labels(bad)
    assert load_labels(tmp_path / "missing.npz") is None
