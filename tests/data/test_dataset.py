"""drumaae.data.dataset: index, split, tf.data pipeline (tiny recipe: 8 kHz, 64 frames)."""

from __future__ import annotations

import importlib
import json
import sys
import types
from dataclasses import dataclass

import numpy as np
import pytest
import soundfile as sf

from drumaae.errors import DataError, TooShortError


@dataclass
class _BarCut:
    bars: np.ndarray
    starts: np.ndarray
    bpm: float
    bar_length: int


def _stand_in_cut_bars(samples, sample_rate, audio, *, bpm=None, bars=None):
    """Stand-in for drumaae.audio.bars.cut_bars while it is being written: whole bars only."""
    bpm = float(bpm or audio.reference_bpm)
    length = audio.grid_samples(bpm)
    n = len(samples) // length if bars is None else bars
    if n == 0:
        raise TooShortError("shorter than one bar: give a longer loop")
    starts = np.arange(n) * length
    return _BarCut(np.stack([samples[s:s + length] for s in starts]).astype(np.float32),
                   starts, bpm, length)


@pytest.fixture(scope="module", autouse=True)
def cut_bars_available():
    with pytest.MonkeyPatch.context() as mp:
        try:
            importlib.import_module("drumaae.audio.bars")
        except ImportError:
            fake = types.ModuleType("drumaae.audio.bars")
            fake.cut_bars = _stand_in_cut_bars
            mp.setitem(sys.modules, "drumaae.audio.bars", fake)
        yield


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, make_loop):
    """Four 2-bar loops in several formats and rates, with a manifest of their tempi."""
    from drumaae.data import dataset  # noqa: F401  (import cost paid once)

    root = tmp_path_factory.mktemp("corpus")
    (root / "sub").mkdir()
    specs = [("a.wav", 8000, 128.0, "rock", "PCM_16"),
             ("b.flac", 11025, 120.0, "funk", "PCM_24"),
             ("sub/c.ogg", 22050, 132.0, "house", "VORBIS"),
             ("d.wav", 8000, 128.0, "halftime", "PCM_32")]  # PCM_32: the soundfile path
    manifest = {"files": []}
    for i, (name, sr, bpm, pattern, subtype) in enumerate(specs):
        loop = make_loop(sr, bpm, bars=2, seed=i, pattern=pattern)
        sf.write(root / name, np.stack([loop, 0.5 * loop], 1), sr, subtype=subtype)
        # The corpus renderer's shape: paths relative to the corpus folder.
        manifest["files"].append({"path": name, "bpm": bpm, "kit": "synthetic"})
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "notes.txt").write_text("not audio, not an audio extension: ignored")
    return root


@pytest.fixture(scope="module")
def index(corpus, tiny_recipe):
    from drumaae.data.dataset import build_index

    return build_index(corpus, tiny_recipe.audio)


def test_index_has_one_record_per_bar(index, tiny_recipe):
    audio = tiny_recipe.audio
    names = [f.name for f in index.files]
    assert names == ["a.wav", "b.flac", "d.wav", "sub/c.ogg"]
    assert len(index) == 8
    assert {f.name: f.bpm for f in index.files} == {
        "a.wav": 128.0, "b.flac": 120.0, "d.wav": 128.0, "sub/c.ogg": 132.0}
    for r in index.records:
        assert r.length == audio.grid_samples(r.bpm) and r.length % audio.bar_frames == 0
    assert [r.bar for r in index.records] == [0, 1] * 4
    decoders = {f.name: f.decoder for f in index.files}
    assert decoders["d.wav"] == "soundfile" and decoders["a.wav"] == "tfio"
    assert index.skipped == ()


def test_index_reads_files_as_the_eager_decode_does(index, tiny_recipe):
    """build_index reads lossless files with soundfile (prefer_soundfile): the same samples,
    decoder, dtype, rate, channels and length as an eager tensorflow-io decode, for every
    encoding of the corpus (PCM_16 WAV, resampled PCM_24 FLAC, Vorbis, PCM_32 WAV)."""
    from drumaae.audio.io import decode_audio

    rate = tiny_recipe.audio.sample_rate
    for entry in index.files:
        eager = decode_audio(entry.path, rate)
        fast = decode_audio(entry.path, rate, prefer_soundfile=True)
        assert (entry.decoder, entry.tfio_dtype, entry.source_rate, entry.channels,
                entry.samples) == (eager.decoder, eager.tfio_dtype, eager.source_rate,
                                   eager.channels, len(eager.samples))
        assert (fast.decoder, fast.tfio_dtype) == (eager.decoder, eager.tfio_dtype)
        assert fast.samples.tobytes() == eager.samples.tobytes()


def test_index_saves_loads_and_hashes(index, tmp_path):
    from drumaae.data.dataset import BarIndex

    path = index.save(tmp_path / "bars.json")
    again = BarIndex.load(path)
    assert again == index and again.hash() == index.hash()
    data = json.loads(open(path).read())
    assert data["bars"][0] == {"file": index.files[0].path, "bar": 0, "start": 0,
                               "length": index.records[0].length, "bpm": 128.0}
    data["bars"][1]["start"] += 1
    (tmp_path / "edited.json").write_text(json.dumps(data))
    with pytest.raises(DataError, match="edited.json"):
        BarIndex.load(tmp_path / "edited.json")
    with pytest.raises(DataError, match="missing.json"):
        BarIndex.load(tmp_path / "missing.json")
    assert len(index.hash()) == 64
    assert index.select_files(index.file_paths[:2]).hash() != index.hash()


def test_bad_files_are_skipped_with_one_warning(corpus, tiny_recipe, tmp_path, make_loop):
    from drumaae.data.dataset import SkippedFilesWarning, build_index

    (tmp_path / "broken.wav").write_text("definitely not RIFF")
    sf.write(tmp_path / "silent.wav", np.zeros(20000, np.float32), 8000)
    sf.write(tmp_path / "short.wav", make_loop(8000, 128.0, bars=1)[:1000], 8000)  # < a beat
    with pytest.warns(SkippedFilesWarning) as caught:
        idx = build_index([corpus / "a.wav", tmp_path], tiny_recipe.audio,
                          bpm_lookup={"a.wav": 128.0})
    assert len(caught) == 1
    message = str(caught[0].message)
    for name in ("broken.wav", "silent.wav", "short.wav"):
        assert name in message
    assert "not an audio file" in message and "silent" in message
    assert [f.name for f in idx.files] == ["a.wav"]
    assert {p.rsplit("/", 1)[-1] for p, _ in idx.skipped} == {"broken.wav", "silent.wav",
                                                              "short.wav"}


def test_no_usable_file_is_a_data_error(tmp_path, tiny_recipe):
    from drumaae.data.dataset import build_index

    (tmp_path / "x.wav").write_text("nope")
    with pytest.warns(UserWarning, match="x.wav"):
        with pytest.raises(DataError, match="gave a bar"):
            build_index(tmp_path, tiny_recipe.audio)
    with pytest.raises(DataError, match="does not exist"):
        build_index(tmp_path / "nowhere", tiny_recipe.audio)
    (tmp_path / "x.wav").unlink()
    with pytest.raises(DataError, match="no audio files"):
        build_index(tmp_path, tiny_recipe.audio)


def test_split_by_file(index):
    from drumaae.data.dataset import split_by_file

    train, val = split_by_file(index, 0.25, seed=3)
    assert set(train.file_paths).isdisjoint(val.file_paths)
    assert set(train.file_paths) | set(val.file_paths) == set(index.file_paths)
    assert len(val.files) == 1 and len(train) + len(val) == len(index)
    assert split_by_file(index, 0.25, seed=3) == (train, val)
    vals = {tuple(split_by_file(index, 0.25, seed=s)[1].file_paths) for s in range(8)}
    assert len(vals) > 1  # the seed matters
    tiny_share = split_by_file(index, 0.01, seed=0)[1]
    assert len(tiny_share.files) == 1  # at least one file once the fraction is > 0
    assert len(split_by_file(index, 0.0, seed=0)[1]) == 0
    np.testing.assert_array_equal(index.positions(train),
                                  [i for i, r in enumerate(index.records)
                                   if r.file in set(train.file_paths)])


def _reference_features(index, audio):
    """Features computed outside tf.data: load_audio + slice + bar_features."""
    from drumaae.audio.features import bar_features
    from drumaae.audio.io import load_audio

    out = []
    for r in index.records:
        samples, _ = load_audio(r.file, audio.sample_rate)
        out.append(bar_features(samples[r.start:r.start + r.length], audio).numpy())
    return np.stack(out)


def test_dataset_shapes_order_and_values(index, tiny_recipe):
    from drumaae.data.dataset import iterate_bars, make_dataset

    audio = tiny_recipe.audio
    ds = make_dataset(index, audio, batch_size=3, shuffle=False, seed=0, cache=False)
    assert ds.element_spec.shape.as_list() == [None, audio.bar_frames, audio.n_bins]
    batches = list(ds.as_numpy_iterator())
    assert [len(b) for b in batches] == [3, 3, 2]
    feats = np.concatenate(batches)
    assert feats.dtype == np.float32 and 0.0 <= feats.min() and feats.max() <= 1.0
    np.testing.assert_allclose(feats, _reference_features(index, audio), atol=1e-4)
    pairs = list(iterate_bars(index, audio, batch_size=5))
    assert [p[0] for p in pairs] == list(index.records)
    np.testing.assert_allclose(np.stack([p[1] for p in pairs]), feats)


def test_labels_stay_with_their_bars_and_seed_is_deterministic(index, tiny_recipe):
    from drumaae.data.dataset import make_dataset

    audio = tiny_recipe.audio
    plain = np.concatenate(list(make_dataset(index, audio, batch_size=8, shuffle=False, seed=0,
                                             cache=False).as_numpy_iterator()))
    labels = np.arange(len(index), dtype=np.int64) * 10

    def run(seed):
        ds = make_dataset(index, audio, batch_size=4, shuffle=True, seed=seed, labels=labels)
        x, y = zip(*ds.as_numpy_iterator())
        return np.concatenate(x), np.concatenate(y)

    x1, y1 = run(7)
    assert y1.dtype == np.int32 and sorted(y1.tolist()) == labels.tolist()
    np.testing.assert_allclose(x1, plain[y1 // 10], atol=1e-6)  # each label with its bar
    x2, y2 = run(7)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(x1, x2)
    assert run(8)[1].tolist() != y1.tolist()  # another seed, another order
    with pytest.raises(ValueError, match="labels"):
        make_dataset(index, audio, batch_size=4, shuffle=False, seed=0, labels=labels[:3])


def test_augment_masks_deterministically(index, tiny_recipe):
    from drumaae.data.dataset import make_dataset

    audio = tiny_recipe.audio
    sub = index.select_files(index.file_paths[:1])

    def run(augment):
        ds = make_dataset(sub, audio, batch_size=2, shuffle=False, seed=5, cache=False,
                          augment=augment)
        return next(ds.as_numpy_iterator())

    plain, masked, again = run(False), run(True), run(True)
    assert masked.shape == plain.shape
    np.testing.assert_array_equal(masked, again)
    changed = masked != plain
    assert changed.any() and np.all(masked[changed] == 0.0)


def test_index_at_another_rate_is_refused(index, tiny_recipe):
    from drumaae.data.dataset import make_dataset

    other = tiny_recipe.replace(audio={"sample_rate": 16000}).audio
    with pytest.raises(DataError, match="rebuild the index"):
        make_dataset(index, other, batch_size=2, shuffle=False, seed=0)


def test_folder_manifest_shapes(tmp_path):
    from drumaae.data.dataset import read_folder_manifest

    assert read_folder_manifest(tmp_path) == {}
    for data in ({"files": [{"file": "a.wav", "bpm": 90}]},
                 {"files": {"a.wav": {"bpm": 90}}},
                 {"a.wav": 90, "b.wav": "fast"}):
        (tmp_path / "manifest.json").write_text(json.dumps(data))
        assert read_folder_manifest(tmp_path) == {"a.wav": 90.0}
    (tmp_path / "manifest.json").write_text("{oops")
    with pytest.raises(DataError, match="manifest.json"):
        read_folder_manifest(tmp_path)


@pytest.fixture(scope="module")
def many_files(tmp_path_factory, make_loop, tiny_recipe):
    """40 one-bar 16-bit WAVs at two rates (tensorflow-io decodes them) and their index."""
    from drumaae.data.dataset import build_index

    root = tmp_path_factory.mktemp("many")
    patterns = ("rock", "funk", "house", "halftime")
    for i in range(40):
        sr = (8000, 11025)[i % 2]
        loop = make_loop(sr, 128.0, bars=1, seed=100 + i, pattern=patterns[i % 4])
        sf.write(root / f"{i:02d}.wav", np.stack([loop, 0.7 * loop], 1), sr, subtype="PCM_16")
    return build_index(root, tiny_recipe.audio, bpm=128.0)


def test_two_passes_give_bit_identical_features(many_files, tiny_recipe):
    """Regression: tensorflow-io's AudioIOTensor shared one file resource between parallel
    map calls, so a file sometimes came back with the next file's samples (1-6 bars of 258
    per pass on a rendered corpus). Every pass must equal every other, bit for bit, and each
    bar must be its own file's."""
    from drumaae.audio.features import bar_features
    from drumaae.audio.io import decode_audio
    from drumaae.data.dataset import iterate_bars

    audio = tiny_recipe.audio
    assert {f.decoder for f in many_files.files} == {"tfio"}
    passes = [np.stack([f for _, f in iterate_bars(many_files, audio, batch_size=16)])
              for _ in range(3)]
    for other in passes[1:]:
        assert other.tobytes() == passes[0].tobytes()
    # Each bar is its own file's (decoded eagerly, one file at a time).
    bars = []
    for record in many_files.records:
        x = decode_audio(record.file, audio.sample_rate).samples[record.start:][:record.length]
        bars.append(np.pad(x, (0, record.length - len(x))))
    np.testing.assert_allclose(passes[0], bar_features(np.stack(bars), audio).numpy(),
                               atol=1e-5)


def test_a_corpus_split_folder_takes_its_tempi_from_the_corpus_manifest(tmp_path, tiny_recipe):
    """`build_index(corpus/train)`: the corpus's manifest one folder up names the file as
    ``train/NAME``; its tempo wins over estimation (here twice the loop's, which estimation
    would not give)."""
    import soundfile as sf

    from drumaae.data.dataset import build_index
    from drumaae.testing import synthetic_loop

    a = tiny_recipe.audio
    (tmp_path / "train").mkdir()
    sf.write(tmp_path / "train" / "a.wav", synthetic_loop(a.sample_rate, 120.0, bars=1, seed=0),
             a.sample_rate, subtype="PCM_16")
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"files": [{"path": "train/a.wav", "bpm": 240.0}]}))
    index = build_index(str(tmp_path / "train"), a)
    assert [f.bpm for f in index.files] == [240.0] and len(index.records) == 2
    # Someone else's broken manifest.json above a folder is not an error, just not a source.
    (tmp_path / "manifest.json").write_text("{oops")
    index = build_index(str(tmp_path / "train"), a)
    assert index.files[0].bpm != 240.0 and len(index.records) == 1
