"""drumaae.data.feature_cache: computed once, bit-identical to the pipeline, keyed by content."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture(scope="module")
def index(tmp_path_factory, make_loop, tiny_recipe):
    """Six 2-bar loops at two tempi and two rates (16-bit WAV and 24-bit FLAC)."""
    from drumaae.data.dataset import build_index

    root = tmp_path_factory.mktemp("cache_corpus")
    patterns = ("rock", "funk", "house")
    tempi = {}
    for i in range(6):
        sr, bpm = (8000, 11025)[i % 2], (120.0, 132.0)[i // 3]
        name = f"{i}.wav" if i % 2 == 0 else f"{i}.flac"
        loop = make_loop(sr, bpm, bars=2, seed=i, pattern=patterns[i % 3])
        sf.write(root / name, loop, sr, subtype="PCM_16" if i % 2 == 0 else "PCM_24")
        tempi[name] = bpm
    return build_index(root, tiny_recipe.audio, bpm_lookup=tempi)


def _all(ds):
    """A dataset's batches joined: ``(features, labels or None)``."""
    out = list(ds.as_numpy_iterator())
    if isinstance(out[0], tuple):
        return np.concatenate([f for f, _ in out]), np.concatenate([lab for _, lab in out])
    return np.concatenate(out), None


def test_cache_holds_the_pipelines_features_bit_for_bit(index, tiny_recipe, tmp_path,
                                                         monkeypatch):
    from drumaae.data import feature_cache
    from drumaae.data.dataset import cached_bar_features, make_dataset

    audio = tiny_recipe.audio
    logs = []
    cached = cached_bar_features(index, audio, tmp_path / "c", log=logs.append)
    assert cached.shape == (len(index), audio.bar_frames, audio.n_bins)
    assert cached.dtype == np.float32 and not cached.flags.writeable
    computed, _ = _all(make_dataset(index, audio, batch_size=5, shuffle=False, seed=0,
                                    cache=False))
    assert cached.tobytes() == computed.tobytes()
    assert any("computing" in m for m in logs)
    key = feature_cache.cache_key(index, audio)
    assert sorted(os.listdir(tmp_path / "c")) == [f"{key}.json", f"{key}.npy"]

    # A second use reads the entry: nothing is computed again.
    def fail(*a, **k):
        raise AssertionError("recomputed a cached entry")

    monkeypatch.setattr(feature_cache, "_compute_into", fail)
    again = cached_bar_features(index, audio, tmp_path / "c")
    assert again.tobytes() == cached.tobytes()


def test_cached_dataset_gives_the_same_batches(index, tiny_recipe, tmp_path):
    """Shuffled, labelled, augmented: with the cache the batches are the same, bit for bit."""
    from drumaae.data.dataset import make_dataset

    audio = tiny_recipe.audio
    labels = np.arange(len(index), dtype=np.int32) % 3
    kw = dict(batch_size=4, shuffle=True, seed=7, labels=labels, augment=True,
              shuffle_buffer=8)
    plain = make_dataset(index, audio, **kw)
    cached = make_dataset(index, audio, feature_cache=tmp_path / "c", **kw)
    assert cached.cardinality().numpy() == plain.cardinality().numpy()
    for _ in range(2):  # two epochs: reshuffled the same way
        (fa, la), (fb, lb) = _all(plain), _all(cached)
        assert fa.tobytes() == fb.tobytes()
        np.testing.assert_array_equal(la, lb)
    assert cached.element_spec[0].shape.as_list() == [None, audio.bar_frames, audio.n_bins]
    # Unlabelled, repeated, remainder dropped: still the same stream.
    kw = dict(batch_size=3, shuffle=True, seed=1, repeat=True, drop_remainder=True)
    a = make_dataset(index, audio, **kw).take(7)
    b = make_dataset(index, audio, feature_cache=tmp_path / "c", **kw).take(7)
    assert _all(a)[0].tobytes() == _all(b)[0].tobytes()


def test_key_follows_content_and_settings(index, tiny_recipe, tmp_path):
    from drumaae.data.feature_cache import cache_key

    audio = tiny_recipe.audio
    key = cache_key(index, audio)
    assert key == cache_key(index, dataclasses.replace(audio))
    assert key != cache_key(index, dataclasses.replace(audio, min_db=audio.min_db - 1))
    fewer = index.select_files(index.file_paths[1:])
    assert key != cache_key(fewer, audio)


def test_damaged_entry_is_recomputed(index, tiny_recipe, tmp_path):
    from drumaae.data.dataset import cached_bar_features
    from drumaae.data.feature_cache import cache_key

    audio = tiny_recipe.audio
    good = np.array(cached_bar_features(index, audio, tmp_path))
    entry = tmp_path / f"{cache_key(index, audio)}.npy"
    entry.write_bytes(entry.read_bytes()[:1000])  # truncated, as by a full disk elsewhere
    again = cached_bar_features(index, audio, tmp_path, log=lambda m: None)
    assert again.tobytes() == good.tobytes()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".partial-")]


def test_the_cache_does_not_import_the_pipeline():
    """No import cycle: the cache stores what its `compute` gives (dataset passes the
    pipeline in), so drumaae.data.feature_cache never imports drumaae.data.dataset."""
    import ast
    import inspect

    from drumaae.data import feature_cache

    tree = ast.parse(inspect.getsource(feature_cache))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("drumaae.data")}
