"""A real drum corpus: bar-length patterns rendered with the recorded Hydrogen kits.

`render_corpus` writes one WAV file per bar (or per loop of `loop_bars` bars) into a folder,
with a ``manifest.json`` that records, per file, the kit and its license, the pattern and where
it came from, the tempo and the split. Whole kits are held out for validation, so validation
measures how a model copes with drums it never heard. The same seed gives byte-identical files
and manifest. docs/corpus.md is the user guide.

Patterns come from Hydrogen's demo songs (`read_song_patterns`) and from a groove generator
(`generate_groove`, ten genres); sounds from multi-sample kits (`load_kit`), with the velocity
layer chosen by each note's velocity.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from typing import Callable, Sequence

import numpy as np
import soundfile as sf

from drumaae.data.grooves import GENRES, generate_groove, vary_pattern
from drumaae.data.hydrogen import (
    DEFAULT_KITS_DIR,
    DEFAULT_SONGS_DIR,
    INSTALL_HINT,
    Instrument,
    Kit,
    Note,
    Pattern,
    list_kits,
    list_songs,
    load_kit,
    read_all_song_patterns,
    read_song_patterns,
)
from drumaae.errors import DataError, OutputExistsError
from drumaae.version import __version__

__all__ = [
    "GENERATOR_VERSION",
    "MANIFEST_NAME",
    "DEFAULT_KITS_DIR",
    "DEFAULT_SONGS_DIR",
    "GENRES",
    "Kit",
    "Note",
    "Pattern",
    "KitRenderer",
    "bar_samples",
    "bpm_lookup",
    "generate_groove",
    "list_kits",
    "load_kit",
    "read_manifest",
    "read_song_patterns",
    "render_corpus",
    "render_pattern",
    "summarize",
]

#: Bumped whenever the same seed would render different audio.
GENERATOR_VERSION = "1"
MANIFEST_NAME = "manifest.json"
PEAK_DBFS = -1.0
# Roles a kit may lack, and what plays them instead (None: the note is dropped).
_FALLBACK = {
    "hat_closed": ("ride", "hat_open"),
    "hat_open": ("hat_closed",),
    "ride": ("hat_closed",),
    "crash": ("ride",),
    "clap": ("snare",),
    "rim": ("snare",),
    "tom_high": ("tom_mid", "tom_low", "snare"),
    "tom_mid": ("tom_high", "tom_low", "snare"),
    "tom_low": ("tom_mid", "tom_high", "snare"),
    "perc": (),
}
# Velocity scale for a note played by a stand-in (a rim click played on the snare is softer).
_FALLBACK_GAIN = {"rim": 0.5, "clap": 0.9}
_CHOKE_FADE_S = 0.01
# Share of bars drawn from the songs' patterns when there are any; the rest are generated.
SONG_SHARE = 0.3

ProgressFn = Callable[[int, int], None]


def bar_samples(bars: int, bpm: float, sample_rate: int) -> int:
    """Samples in `bars` bars of 4/4 at `bpm`: ``round(bars * 4 * 60 / bpm * sample_rate)``."""
    return int(round(bars * 4 * 60.0 / bpm * sample_rate))


class KitRenderer:
    """Plays patterns on one kit at one sample rate, loading each sample once.

    Samples are read with soundfile, mixed to mono and resampled (soxr) to `sample_rate` on
    first use, then cached.

    Args:
        kit: a parsed `Kit`.
        sample_rate: output rate in Hz.
    """

    def __init__(self, kit: Kit, sample_rate: int):
        self.kit = kit
        self.sample_rate = sample_rate
        self._roles = kit.roles
        self._cache: dict[str, np.ndarray] = {}

    def sample(self, path: str) -> np.ndarray:
        """The mono float32 samples of a layer's file at the renderer's rate."""
        if path not in self._cache:
            try:
                data, sr = sf.read(path, dtype="float32", always_2d=True)
            except (RuntimeError, sf.LibsndfileError) as exc:
                raise DataError(f"cannot read kit sample {path}: {exc}") from exc
            mono = data.mean(axis=1)
            if sr != self.sample_rate:
                import librosa  # heavy import, only when a kit needs resampling

                mono = librosa.resample(mono, orig_sr=sr, target_sr=self.sample_rate,
                                        res_type="soxr_hq")
            self._cache[path] = np.ascontiguousarray(mono, dtype=np.float32)
        return self._cache[path]

    def pick_instruments(self, rng: np.random.Generator) -> dict[str, tuple[Instrument, float]]:
        """For each role, the instrument that plays it in this bar and a gain factor.

        A kit with several instruments for a role (three kicks) gets one drawn at random;
        a role the kit lacks borrows a stand-in (`_FALLBACK`).
        """
        chosen: dict[str, tuple[Instrument, float]] = {}
        for role, insts in sorted(self._roles.items()):
            chosen[role] = (insts[int(rng.integers(len(insts)))], 1.0)
        for role, stand_ins in _FALLBACK.items():
            if role in chosen:
                continue
            for other in stand_ins:
                if other in self._roles:
                    chosen[role] = (chosen[other][0], _FALLBACK_GAIN.get(role, 1.0))
                    break
        return chosen

    @staticmethod
    def pick_layer(inst: Instrument, velocity: float, rng: np.random.Generator):
        """The layer whose velocity range holds `velocity` (random among overlapping ones,
        which is how kits do round robin), else the nearest."""
        layers = inst.layers
        hits = [ly for ly in layers if ly.min_velocity <= velocity <= ly.max_velocity]
        if not hits:
            dist = [min(abs(velocity - ly.min_velocity), abs(velocity - ly.max_velocity))
                    for ly in layers]
            return layers[int(np.argmin(dist))]
        return hits[int(rng.integers(len(hits)))] if len(hits) > 1 else hits[0]


def render_pattern(renderer: KitRenderer, pattern: Pattern, bpm: float,
                   rng: np.random.Generator) -> np.ndarray:
    """Render `pattern` at `bpm` on the renderer's kit, peak-normalised to -1 dBFS.

    Each note plays the layer picked by its velocity, scaled by velocity and the layer's and
    instrument's gains, starting at its (humanised) time. An open hat is choked (10 ms fade)
    by the next closed or open hat. Sounds still ringing at the end are cut.

    Returns:
        float32 mono samples, exactly `bar_samples(pattern.bars, bpm, sample_rate)` long.
    """
    sr = renderer.sample_rate
    n = bar_samples(pattern.bars, bpm, sr)
    out = np.zeros(n, dtype=np.float64)
    sec_per_beat = 60.0 / bpm
    instruments = renderer.pick_instruments(rng)
    starts = [max(0, int(round(note.time * sec_per_beat * sr))) for note in pattern.notes]
    # Every hat hit chokes the open hat before it (Hydrogen's hi-hat mute group).
    hat_times = sorted(s for s, note in zip(starts, pattern.notes)
                       if note.role in ("hat_closed", "hat_open") and s < n)
    fade = max(1, int(_CHOKE_FADE_S * sr))
    for start, note in zip(starts, pattern.notes):
        if start >= n or note.role not in instruments:
            continue
        inst, role_gain = instruments[note.role]
        layer = renderer.pick_layer(inst, note.velocity, rng)
        sample = renderer.sample(layer.path)
        end = min(n, start + len(sample))
        if note.role == "hat_open":
            later = [t for t in hat_times if t > start]
            if later and later[0] < end:
                end = later[0]
        seg = sample[: end - start].astype(np.float64)
        if note.role == "hat_open" and end < min(n, start + len(sample)):
            k = min(fade, len(seg))
            seg = seg.copy()
            seg[len(seg) - k:] *= np.linspace(1.0, 0.0, k)
        gain = note.velocity * role_gain * layer.gain * inst.gain * inst.volume
        out[start:end] += gain * seg
    peak = float(np.max(np.abs(out))) if n else 0.0
    if peak > 0:
        out *= 10.0 ** (PEAK_DBFS / 20.0) / peak
    return out.astype(np.float32)


# --- the corpus ------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _prepare_out_dir(out_dir: str, force: bool) -> str:
    out_dir = os.path.abspath(out_dir)
    if os.path.lexists(out_dir) and not force:
        if not os.path.isdir(out_dir) or os.listdir(out_dir):
            raise OutputExistsError(
                f"{out_dir} already exists and is not empty; pass --force to replace it "
                "or choose another --out"
            )
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    return out_dir


def _move_into_place(tmp: str, out_dir: str) -> None:
    old = None
    if os.path.lexists(out_dir):
        old = tempfile.mkdtemp(prefix=".drumaae-corpus-old-", dir=os.path.dirname(out_dir))
        os.rename(out_dir, os.path.join(old, "old"))
    os.rename(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _load_kits(kits_dir: str) -> tuple[list[Kit], list[dict]]:
    kits, skipped = [], []
    for path in list_kits(kits_dir):
        try:
            kit = load_kit(path)
        except DataError as exc:
            skipped.append({"kit": os.path.basename(path), "reason": str(exc)})
            continue
        if kit.usable:
            kits.append(kit)
        else:
            missing = [r for r in ("kick", "snare") if r not in kit.roles]
            skipped.append({"kit": kit.name,
                            "reason": f"no {' or '.join(missing)} instrument"})
    names = [k.name for k in kits]
    if len(set(names)) != len(names):
        raise DataError(f"two kits under {kits_dir} share a name: {sorted(names)}")
    return kits, skipped


def _choose_val(kits: list[Kit], val_kits: int | Sequence[str], rng: np.random.Generator
                ) -> list[str]:
    names = [k.name for k in kits]
    if isinstance(val_kits, (int, np.integer)):
        k = int(val_kits)
        if k < 0 or k >= len(kits):
            raise DataError(
                f"cannot hold out {k} of {len(kits)} usable kits: at least one kit must be "
                f"left for training; pass a smaller --val-kits (usable: {', '.join(names)})"
            )
        return sorted(str(x) for x in rng.choice(names, size=k, replace=False))
    chosen = list(dict.fromkeys(val_kits))
    unknown = [v for v in chosen if v not in names]
    if unknown:
        raise DataError(f"unknown --val-kit {', '.join(unknown)}; usable kits: "
                        f"{', '.join(names)}")
    if len(chosen) >= len(kits):
        raise DataError("every usable kit was held out; leave at least one for training")
    return sorted(chosen)


def render_corpus(
    out_dir: str,
    *,
    kits_dir: str = DEFAULT_KITS_DIR,
    songs_dir: str | None = DEFAULT_SONGS_DIR,
    n_bars: int = 1000,
    seed: int = 0,
    bpm_range: tuple[float, float] = (70.0, 180.0),
    val_kits: int | Sequence[str] = 2,
    loop_bars: int = 1,
    sample_rate: int = 22050,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> dict:
    """Render `n_bars` drum files with the Hydrogen kits under `kits_dir` into `out_dir`.

    For each file: a kit (files spread evenly over the kits), a pattern (from the songs in
    `songs_dir` and the kits' folders with probability `SONG_SHARE`, else a fresh groove of
    a random genre) and a tempo uniform in `bpm_range` (rounded to 0.01 BPM) are drawn; the
    file holds `loop_bars` bars, i.e. `bar_samples(loop_bars, bpm, sample_rate)` samples,
    16-bit PCM mono WAV. Everything is drawn from `seed`: the same arguments give
    byte-identical files and manifest. Output is written to a temporary folder beside
    `out_dir` and moved into place when complete.

    Args:
        out_dir: folder to create (refused if it exists and is not empty, unless `force`).
        kits_dir: folder of kit folders (each with a drumkit.xml).
        songs_dir: folder of ``.h2song`` files (None: only songs shipped inside kit folders).
        n_bars: files to render.
        seed: the seed of everything.
        bpm_range: (low, high) tempo in BPM.
        val_kits: how many kits to hold out for validation (drawn by seed), or their names.
        loop_bars: bars per file.
        sample_rate: output rate in Hz.
        force: replace an existing `out_dir`.
        progress: called as ``progress(done, total)`` after each file.

    Returns:
        The manifest (also written to ``out_dir/manifest.json``); see docs/corpus.md.

    Raises:
        DataError: no kits (with the apt-get command that installs them), no usable kit,
            impossible hold-out, bad arguments.
        OutputExistsError: `out_dir` exists and is not empty, without `force`.
    """
    low, high = (float(b) for b in bpm_range)
    if not 0 < low <= high:
        raise DataError(f"bad BPM range {low}-{high}: need 0 < low <= high")
    if n_bars < 1 or loop_bars < 1 or sample_rate < 1000:
        raise DataError("n_bars and loop_bars must be >= 1 and sample_rate >= 1000 Hz")
    out_dir = _prepare_out_dir(out_dir, force)
    kits, skipped = _load_kits(kits_dir)
    if not kits:
        raise DataError(
            f"none of the kits under {kits_dir} has both a kick and a snare; install the "
            f"Hydrogen kits with '{INSTALL_HINT}'"
        )
    song_files = list_songs(songs_dir, kits_dir)
    song_patterns = read_all_song_patterns(song_files)

    rng = np.random.default_rng(seed)
    val = set(_choose_val(kits, val_kits, rng))
    order = [kits[i % len(kits)] for i in range(n_bars)]
    rng.shuffle(order)
    renderers = {k.name: KitRenderer(k, sample_rate) for k in kits}

    tmp = tempfile.mkdtemp(prefix=".drumaae-corpus-", dir=os.path.dirname(out_dir))
    files = []
    try:
        for split in ("train", "val"):
            os.makedirs(os.path.join(tmp, split))
        for i, kit in enumerate(order):
            file_seed = int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
            bar_rng = np.random.default_rng(file_seed)
            if song_patterns and bar_rng.random() < SONG_SHARE:
                base = song_patterns[int(bar_rng.integers(len(song_patterns)))]
                pattern = vary_pattern(base, bar_rng, bars=loop_bars)
            else:
                genre = GENRES[int(bar_rng.integers(len(GENRES)))]
                pattern = generate_groove(genre, bar_rng, bars=loop_bars)
            bpm = round(float(bar_rng.uniform(low, high)), 2)
            audio = render_pattern(renderers[kit.name], pattern, bpm, bar_rng)
            split = "val" if kit.name in val else "train"
            rel = f"{split}/{i:06d}_{_slug(kit.name)}_{_slug(pattern.genre or 'song')}.wav"
            sf.write(os.path.join(tmp, rel), audio, sample_rate, subtype="PCM_16", format="WAV")
            files.append({
                "path": rel,
                "kit": kit.name,
                "license": kit.license,
                "pattern": pattern.name,
                "source": pattern.source,
                "genre": pattern.genre,
                "bpm": bpm,
                "bars": loop_bars,
                "samples": int(len(audio)),
                "seed": file_seed,
                "split": split,
            })
            if progress is not None:
                progress(i + 1, n_bars)
        manifest = {
            "format": "drumaae-corpus",
            "generator_version": GENERATOR_VERSION,
            "drumaae_version": __version__,
            "seed": seed,
            "n_files": n_bars,
            "loop_bars": loop_bars,
            "sample_rate": sample_rate,
            "bpm_range": [low, high],
            "kits_dir": os.path.abspath(kits_dir),
            "kits": [
                {"name": k.name, "license": k.license, "author": k.author,
                 "split": "val" if k.name in val else "train",
                 "roles": {r: [i.name for i in insts] for r, insts in sorted(k.roles.items())}}
                for k in kits
            ],
            "train_kits": sorted(k.name for k in kits if k.name not in val),
            "val_kits": sorted(val),
            "skipped_kits": skipped,
            "songs": [os.path.basename(p) for p in song_files],
            "song_patterns": len(song_patterns),
            "genres": list(GENRES),
            "files": files,
        }
        with open(os.path.join(tmp, MANIFEST_NAME), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=False)
            f.write("\n")
        _move_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def read_manifest(corpus_dir: str) -> dict:
    """The manifest of a rendered corpus folder.

    Raises:
        DataError: no readable manifest.json there.
    """
    path = os.path.join(corpus_dir, MANIFEST_NAME)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError as exc:
        raise DataError(f"no {MANIFEST_NAME} in {corpus_dir}; is it a folder made by "
                        "'drumaae corpus render'?") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise DataError(f"{path} is not a drumaae corpus manifest (no 'files' list)")
    return manifest


def bpm_lookup(manifest: dict, corpus_dir: str | None = None) -> dict[str, float]:
    """``{path: bpm}`` for every file of a manifest, for the dataset's bar cutter.

    Keys are the manifest's paths, relative to the corpus folder (``train/000000_....wav``);
    with `corpus_dir`, absolute paths instead, which also match when only a split's
    subfolder (``corpus/train``) is indexed.
    """
    root = os.path.abspath(corpus_dir) if corpus_dir is not None else None
    return {
        (os.path.join(root, *entry["path"].split("/")) if root else entry["path"]):
            float(entry["bpm"])
        for entry in manifest["files"]
    }


def summarize(manifest: dict) -> dict:
    """Counts per kit, genre/source and split, and the tempo range, of a manifest."""
    files = manifest["files"]
    def count(key):
        out: dict[str, int] = {}
        for e in files:
            k = str(e.get(key) or "song")
            out[k] = out.get(k, 0) + 1
        return dict(sorted(out.items()))
    bpms = [float(e["bpm"]) for e in files]
    return {
        "files": len(files),
        "seconds": round(sum(e.get("samples", 0) for e in files)
                         / float(manifest.get("sample_rate", 22050)), 1),
        "per_split": count("split"),
        "per_kit": count("kit"),
        "per_genre": count("genre"),
        "bpm_min": min(bpms) if bpms else None,
        "bpm_max": max(bpms) if bpms else None,
        "val_kits": manifest.get("val_kits", []),
        "skipped_kits": manifest.get("skipped_kits", []),
    }
