"""A real drum corpus: bar-length patterns rendered with recorded kits and soundfont kits.

`render_corpus` writes one WAV file per bar (or per loop of `loop_bars` bars) into a folder,
with a ``manifest.json`` that records, per file, the kit, its family and license, the pattern
and its family, the processing chain, the tempo and the split. Whole kits (of each family) and
whole pattern families are held out for validation, and some held-out bars go through
processing chains, so validation measures how a model copes with drums, rhythms and
production it never met. The same seed gives byte-identical files and manifest.
docs/corpus.md is the user guide; the folder's layout and its manifest are read through
`drumaae.data.layout.Corpus`.

Patterns come from Hydrogen's demo songs (`read_song_patterns`) and from a groove generator
(`generate_groove`, 28 pattern families); sounds from Hydrogen's multi-sample kits
(`load_kit`) and the General MIDI kits of soundfonts (`soundfont_kits`), with the velocity
layer chosen by each note's velocity; processing chains from `drumaae.data.processing`.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
from typing import Callable, Sequence

import numpy as np
import soundfile as sf

from drumaae import fileio
from drumaae.config import bar_samples
from drumaae.data.grooves import (
    CHOP_SOURCES,
    DRUM_GENRES,
    FAST_BPM_RANGE,
    FAST_GENRES,
    FAST_LOOP_BARS,
    GENRES,
    HAND_GENRES,
    draw_partial,
    drop_roles,
    generate_groove,
    vary_pattern,
)
from drumaae.data.hydrogen import (
    DEFAULT_KITS_DIR,
    DEFAULT_SONGS_DIR,
    KIT_FAMILIES,
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
from drumaae.data.layout import (  # read_manifest, summarize: the CLI's names for them
    CORPUS_KIND,
    FORMAT,
    PROCESSED,
    REALISM,
    SPLITS,
    SYNTH_SOURCE,
    read_manifest,
    summarize,
    write_manifest,
)
from drumaae.data.processing import apply_chain, draw_chain, resample
from drumaae.data.realism import apply_bleed, apply_realism, draw_bleed, draw_realism
from drumaae.data.soundfont import (
    DEFAULT_SOUNDFONT_DIRS,
    SoundfontKitRenderer,
    list_soundfonts,
    soundfont_kits,
)
from drumaae.data.synth import SynthVoiceLoader, synth_kit
from drumaae.data.voicing import draw_voicing, voice_sample
from drumaae.errors import DataError
from drumaae.version import __version__

__all__ = [
    "GENERATOR_VERSION",
    "DEFAULT_KITS_DIR",
    "DEFAULT_SONGS_DIR",
    "DEFAULT_SOUNDFONT_DIRS",
    "FAMILY_WEIGHTS",
    "GENRES",
    "INSTALL_HINT",
    "KIT_FAMILIES",
    "PROCESSED",
    "REALISM",
    "SYNTH_FAMILY_WEIGHTS",
    "Kit",
    "Note",
    "Pattern",
    "KitRenderer",
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
GENERATOR_VERSION = "5"
#: The one command that installs every kit source the corpus reads.
INSTALL_HINT = (
    "sudo apt-get install --no-install-recommends hydrogen-drumkits hydrogen-drumkits-effects "
    "hydrogen-data fluid-soundfont-gm fluid-soundfont-gs musescore-general-soundfont "
    "timgm6mb-soundfont avldrums.lv2-soundfont"
)
#: How often each kit family is drawn for a file (kits are then drawn uniformly within it).
FAMILY_WEIGHTS = {"acoustic": 0.45, "electronic": 0.33, "hand_percussion": 0.22}
#: How often each family is drawn for a procedurally synthesized kit (`drumaae.data.synth`):
#: electronic and hand kits are the ones the recorded sets have few of.
SYNTH_FAMILY_WEIGHTS = {"acoustic": 0.2, "electronic": 0.45, "hand_percussion": 0.35}
#: Synth kit seeds: training files draw even seeds, held-out (validation) files odd ones,
#: so no held-out synth kit is ever heard in training.
_SYNTH_SEEDS = 2 ** 30
#: The pattern family of a Hydrogen song bar.
SONG_FAMILY = "song"
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
    "perc": ("cowbell", "clave"),
    "conga_high": ("bongo_low", "bongo_high", "conga_low", "tom_high"),
    "conga_low": ("conga_high", "bongo_low", "tom_low"),
    "bongo_high": ("bongo_low", "conga_high", "perc"),
    "bongo_low": ("bongo_high", "conga_high", "conga_low"),
    "shaker": ("tambourine", "hat_closed", "perc"),
    "tambourine": ("shaker", "hat_open", "perc"),
    "cowbell": ("perc", "clave", "rim"),
    "clave": ("rim", "cowbell", "perc"),
}
# Velocity scale for a note played by a stand-in (a rim click played on the snare is softer).
_FALLBACK_GAIN = {"rim": 0.5, "clap": 0.9}
_CHOKE_FADE_S = 0.01
# Share of drum-kit training bars drawn from the songs' patterns when there are any.
SONG_SHARE = 0.1

ProgressFn = Callable[[int, int], None]


class KitRenderer:
    """Plays patterns on one kit at one sample rate, loading each sample once.

    Samples are read with soundfile, mixed to mono and resampled (soxr, high quality) to
    `sample_rate` on first use, then cached.

    Args:
        kit: a parsed `Kit`.
        sample_rate: output rate in Hz.
        loader: where layers' samples come from when they are not files: called with a
            layer's `path`, returns mono float32 samples at `sample_rate` (a soundfont kit's
            `SoundfontKitRenderer`).
    """

    def __init__(self, kit: Kit, sample_rate: int,
                 loader: Callable[[str], np.ndarray] | None = None):
        self.kit = kit
        self.sample_rate = sample_rate
        self.loader = loader
        self._roles = kit.roles
        self._cache: dict[str, np.ndarray] = {}
        # Each role the kit lacks -> its first own role among the stand-ins (`_FALLBACK`).
        self._stand_in = {role: next(o for o in stand_ins if o in self._roles)
                          for role, stand_ins in _FALLBACK.items()
                          if role not in self._roles and any(o in self._roles for o in stand_ins)}
        #: The roles this kit sounds: its own and those a stand-in plays; a note of any
        #: other role is silent on it.
        self.playable_roles = frozenset(set(self._roles) | set(self._stand_in))

    def sample(self, path: str) -> np.ndarray:
        """The mono float32 samples of a layer at the renderer's rate (rendered once)."""
        if path not in self._cache and self.loader is not None:
            self._cache[path] = np.ascontiguousarray(self.loader(path), dtype=np.float32)
        if path not in self._cache:
            try:
                data, sr = sf.read(path, dtype="float32", always_2d=True)
            except (RuntimeError, sf.LibsndfileError) as exc:
                raise DataError(f"cannot read kit sample {path}: {exc}") from exc
            mono = data.mean(axis=1)
            if sr != self.sample_rate:
                mono = resample(mono, sr, self.sample_rate)
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
        for role, other in self._stand_in.items():
            chosen[role] = (chosen[other][0], _FALLBACK_GAIN.get(role, 1.0))
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
                   rng: np.random.Generator,
                   voicing: dict[str, dict] | None = None, *, wrap: bool = False,
                   bleed: dict | None = None) -> np.ndarray:
    """Render `pattern` at `bpm` on the renderer's kit, peak-normalised to -1 dBFS.

    Each note plays the layer picked by its velocity, scaled by velocity and the layer's and
    instrument's gains, starting at its (humanised) time. An open hat is choked (10 ms fade)
    by the next closed or open hat. Sounds still ringing at the end are cut. With a
    `voicing` (`drumaae.data.voicing.draw_voicing`), each note's sample is first re-voiced
    by its role's settings (roles without settings play as they are). With `wrap`, the
    pattern is a loop: what still rings at the end sounds again from the start (the tail of
    the bar before, as in a bar cut from a recorded loop). With `bleed`
    (`drumaae.data.realism.draw_bleed`), the roles are rendered apart and mixed as a multi-mic
    recording (`apply_bleed`).

    Returns:
        float32 mono samples, exactly ``config.bar_samples(bpm, sample_rate, 4,
        pattern.bars)`` long.
    """
    sr = renderer.sample_rate
    n = bar_samples(bpm, sr, bars=pattern.bars)
    out = np.zeros(n, dtype=np.float64)
    sec_per_beat = 60.0 / bpm
    instruments = renderer.pick_instruments(rng)
    starts = [max(0, int(round(note.time * sec_per_beat * sr))) for note in pattern.notes]
    # Every hat hit chokes the open hat before it (Hydrogen's hi-hat mute group).
    hat_times = sorted(s for s, note in zip(starts, pattern.notes)
                       if note.role in ("hat_closed", "hat_open") and s < n)
    fade = max(1, int(_CHOKE_FADE_S * sr))
    voiced: dict[tuple[str, str], np.ndarray] = {}
    stems: dict[str, np.ndarray] = {}
    for start, note in zip(starts, pattern.notes):
        if start >= n or note.role not in instruments:
            continue
        inst, role_gain = instruments[note.role]
        layer = renderer.pick_layer(inst, note.velocity, rng)
        sample = renderer.sample(layer.path)
        if voicing and note.role in voicing:
            key = (note.role, layer.path)
            if key not in voiced:
                voiced[key] = voice_sample(sample, sr, voicing[note.role])
            sample = voiced[key]
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
        target = out
        if bleed is not None:
            target = stems.setdefault(note.role, np.zeros(n, dtype=np.float64))
        target[start:end] += gain * seg
        if wrap and note.role != "hat_open" and start + len(sample) > n:
            tail = sample[n - start:][:n].astype(np.float64)
            target[: len(tail)] += gain * tail
    if bleed is not None and stems:
        out = np.asarray(apply_bleed(stems, sr, bleed), dtype=np.float64)
    peak = float(np.max(np.abs(out))) if n else 0.0
    if peak > 0:
        out *= 10.0 ** (PEAK_DBFS / 20.0) / peak
    return out.astype(np.float32)


# --- the corpus ------------------------------------------------------------------------------

def _worker(fn: Callable[[int], dict], indices: list[int], queue) -> None:
    try:
        for i in indices:
            queue.put((i, fn(i), None))
    except BaseException as exc:  # reported to the parent, which raises it
        queue.put((None, None, f"{type(exc).__name__}: {exc}"))


def _in_workers(fn: Callable[[int], dict], n: int, workers: int,
                progress: ProgressFn | None) -> list[dict]:
    """``[fn(0), ..., fn(n - 1)]`` in `workers` forked processes (`fn` is a closure over the
    loaded kits, so the processes are forked rather than spawned). The assignment is static
    (blocks of 8 files in turn) and each process renders its files in index order, so a
    corpus depends on the worker count but never on timing: tinysoundfont voices carry a
    little state from one rendered key to the next."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(fn, [i for i in range(n) if (i // 8) % workers == w],
                                               queue), daemon=True)
             for w in range(workers)]
    for proc in procs:
        proc.start()
    out: dict[int, dict] = {}
    try:
        while len(out) < n:
            try:
                i, entry, error = queue.get(timeout=5.0)
            except Exception:  # queue.Empty: check the workers are alive
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise DataError("a corpus rendering process died (out of memory?)")
                continue
            if error is not None:
                raise DataError(f"rendering a corpus file failed: {error}")
            out[i] = entry
            if progress is not None:
                progress(len(out), n)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
    return [out[i] for i in range(n)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _prepare_out_dir(out_dir: str, force: bool) -> str:
    out_dir = os.path.abspath(out_dir)
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    fileio.check_out_dir(out_dir, force, CORPUS_KIND)
    return out_dir


def _load_kits(kits_dir: str | None, soundfont_dirs: Sequence[str], sample_rate: int
               ) -> tuple[list[Kit], list[dict], list[str], list[str]]:
    """All usable kits: Hydrogen kits, then soundfont kits. Also the kits left out (with why),
    the soundfonts read and the sources that are not installed."""
    kits, skipped, missing = [], [], []
    if kits_dir:
        try:
            paths = list_kits(kits_dir)
        except DataError as exc:
            paths = []
            missing.append(str(exc))
        for path in paths:
            try:
                kit = load_kit(path)
            except DataError as exc:
                skipped.append({"kit": os.path.basename(path), "reason": str(exc)})
                continue
            if kit.usable:
                kits.append(kit)
            else:
                skipped.append({"kit": kit.name, "reason": "no kick and snare, and fewer than "
                                "three hand-percussion instruments"})
    fonts = list_soundfonts(soundfont_dirs) if soundfont_dirs else []
    if soundfont_dirs and not fonts:
        missing.append(f"no soundfont (.sf2/.sf3) in {', '.join(soundfont_dirs)}")
    for font in fonts:
        try:
            font_kits, font_skipped = soundfont_kits(font, sample_rate)
        except DataError as exc:
            if "tinysoundfont" in str(exc):
                raise
            skipped.append({"kit": os.path.basename(font), "reason": str(exc)})
            continue
        kits.extend(font_kits)
        skipped.extend(font_skipped)
    names = [k.name for k in kits]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"two kits share a name: {', '.join(dupes)}")
    return kits, skipped, fonts, missing


def _known(given: Sequence[str], known: Sequence[str], option: str, what: str) -> list[str]:
    """The names `given` (duplicates dropped, in order), each one of `known`.

    Raises:
        DataError: naming the unknown ones and listing `known`.
    """
    chosen = list(dict.fromkeys(given))
    unknown = [v for v in chosen if v not in known]
    if unknown:
        raise DataError(f"unknown {option} {', '.join(unknown)}; {what}: {', '.join(known)}")
    return chosen


def _choose_val(kits: list[Kit], val_kits: int | Sequence[str], rng: np.random.Generator
                ) -> list[str]:
    """Held-out kits: `val_kits` per kit family (at most half of a family, none from a
    family of one kit), drawn by `rng`; or the kits named."""
    names = [k.name for k in kits]
    if isinstance(val_kits, (int, np.integer)):
        k = int(val_kits)
        if k < 0:
            raise DataError(f"--val-kits must be >= 0, not {k}")
        chosen: list[str] = []
        for family in KIT_FAMILIES:
            members = sorted(kit.name for kit in kits if kit.family == family)
            take = min(k, len(members) // 2)
            if take:
                chosen += [str(x) for x in rng.choice(members, size=take, replace=False)]
        return sorted(chosen)
    chosen = _known(val_kits, names, "--val-kit", "usable kits")
    if len(chosen) >= len(kits):
        raise DataError("every usable kit was held out; leave at least one for training")
    return sorted(chosen)


def _choose_val_families(val_families: int | Sequence[str], rng: np.random.Generator
                         ) -> list[str]:
    """Held-out pattern families: `val_families` drum-kit families and, when that is >= 1,
    one hand-percussion family, drawn by `rng`; or the families named. The families chopped
    breaks are cut from (breakbeat, jungle) are not drawn: chopped breaks in training would
    carry them."""
    if isinstance(val_families, (int, np.integer)):
        k = int(val_families)
        candidates = [g for g in DRUM_GENRES if g not in CHOP_SOURCES]
        if not 0 <= k < len(candidates):
            raise DataError(f"--val-families must be 0-{len(candidates) - 1}, not {k}")
        chosen = [str(x) for x in rng.choice(candidates, size=k, replace=False)]
        if k:
            chosen.append(str(HAND_GENRES[int(rng.integers(len(HAND_GENRES)))]))
        return sorted(chosen)
    chosen = sorted(_known(val_families, GENRES, "--val-family", "pattern families"))
    for group in (DRUM_GENRES, HAND_GENRES):
        if set(group) <= set(chosen):
            raise DataError("every pattern family of a kind was held out; leave at least "
                            "one drum and one hand-percussion family for training")
    return chosen


def _pattern_families(kit: Kit, held_out: set[str], songs: bool, val: bool) -> list[str]:
    """The pattern families a kit may play in a split: hand-percussion kits play the hand
    families, drum kits the drum families (and Hydrogen's songs, never held out)."""
    group = HAND_GENRES if kit.family == "hand_percussion" else DRUM_GENRES
    fams = [g for g in group if (g in held_out) == val]
    if songs and not val and kit.family != "hand_percussion":
        fams.append(SONG_FAMILY)
    return fams


#: Draws of a pattern a kit can play before `_draw_pattern` gives up.
_PATTERN_DRAWS = 16


def _draw_pattern(family: str, rng: np.random.Generator, bars: int,
                  song_patterns: Sequence[Pattern], renderer: KitRenderer) -> Pattern:
    """A pattern of `family` with at least one note the renderer's kit sounds.

    A sparse variant can consist only of roles a small kit lacks (a pop-percussion bar of
    shaker and tambourine on a kit of congas and a cowbell): that draw would render a silent
    file, so it is drawn again from the same stream. A draw the kit can play is kept as it is,
    so every other file is what the same seed rendered before.
    """
    for _ in range(_PATTERN_DRAWS):
        if family == SONG_FAMILY:
            base = song_patterns[int(rng.integers(len(song_patterns)))]
            pattern = vary_pattern(base, rng, bars=bars)
        else:
            pattern = generate_groove(family, rng, bars=bars)
        if any(note.role in renderer.playable_roles for note in pattern.notes):
            return pattern
    raise DataError(f"kit {renderer.kit.name!r} sounds none of the notes of {_PATTERN_DRAWS} "
                    f"{family!r} patterns (it plays only "
                    f"{', '.join(sorted(renderer.playable_roles)) or 'nothing'})")


def _draw_family(rng: np.random.Generator, families: Sequence[str],
                 table: dict[str, float] = FAMILY_WEIGHTS) -> str:
    """One of `families`, drawn with their weights in `table`."""
    weights = np.array([table[f] for f in families], dtype=np.float64)
    return families[int(rng.choice(len(families), p=weights / weights.sum()))]


def render_corpus(
    out_dir: str,
    *,
    kits_dir: str | None = DEFAULT_KITS_DIR,
    songs_dir: str | None = DEFAULT_SONGS_DIR,
    soundfont_dirs: Sequence[str] = DEFAULT_SOUNDFONT_DIRS,
    n_bars: int = 1000,
    seed: int = 0,
    bpm_range: tuple[float, float] = (60.0, 200.0),
    val_kits: int | Sequence[str] = 2,
    val_families: int | Sequence[str] = 2,
    val_share: float = 0.12,
    process_share: float = 0.3,
    val_process_share: float = 0.25,
    revoice_share: float = 0.0,
    synth_share: float = 0.3,
    partial_share: float = 0.22,
    realism_share: float = 0.35,
    val_realism_share: float = 0.3,
    fast_loops: bool = True,
    loop_bars: int = 1,
    sample_rate: int = 22050,
    workers: int = 1,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> dict:
    """Render `n_bars` drum files with Hydrogen and soundfont kits into `out_dir`.

    Kits: every usable Hydrogen kit under `kits_dir` and every distinct drum kit of the
    soundfonts in `soundfont_dirs` (`soundfont_kits`), each with a family (acoustic,
    electronic, hand_percussion).

    Held-out design: `val_kits` kits of each family and `val_families` pattern families
    (plus one hand-percussion family) never appear in ``train/``. A file is a validation
    file with probability `val_share`; it then plays a held-out kit, a held-out pattern
    family, or both (drawn), and with probability `val_process_share` goes through a
    processing chain (its family is then ``processed``). Training files play training kits
    and families; a share `process_share` of them goes through a processing chain as
    augmentation. Kit families are drawn with `FAMILY_WEIGHTS`, kits uniformly within one.

    Each file: a pattern of the chosen family (a fresh groove, or a humanised Hydrogen song
    bar with probability `SONG_SHARE` on drum kits), a tempo uniform in `bpm_range` (0.01 BPM),
    `loop_bars` bars = ``config.bar_samples(bpm, sample_rate, bars=loop_bars)`` samples,
    16-bit PCM mono WAV; the fast families (`grooves.FAST_GENRES`) are `FAST_LOOP_BARS`-bar
    loops at a tempo in `FAST_BPM_RANGE` instead (`fast_loops`). Everything is drawn from
    `seed`: the same arguments give byte-identical files and manifest.

    The range of real recordings (generator version 5): a share `synth_share` of training
    files plays a procedurally synthesized kit (`drumaae.data.synth`, a new kit per file,
    even seeds); a share `partial_share` of all files drops roles (`grooves.drop_roles`:
    hats only, tops without kick, ...); a share `realism_share` of training files is
    "recorded" (`drumaae.data.realism`: rendered as a loop so tails cross the bar line,
    mic bleed in half of them, then room, tape, noise floor, codec stages; family
    ``realism``). A share `val_realism_share` of validation files forms the held-out
    ``realism`` family: the same recording treatment on a held-out synth kit (odd seed) or a
    held-out recorded kit, playing any pattern family. Output is written to a temporary folder beside `out_dir` and moved into place
    when complete.

    Args:
        out_dir: folder to create (refused if it exists and is not empty, unless `force`).
        kits_dir: folder of Hydrogen kit folders (each with a drumkit.xml); None for none.
        songs_dir: folder of ``.h2song`` files (None: only songs shipped inside kit folders).
        soundfont_dirs: folders of ``.sf2``/``.sf3`` files; empty for none.
        n_bars: files to render.
        seed: the seed of everything.
        bpm_range: (low, high) tempo in BPM.
        val_kits: kits held out per kit family (drawn by seed), or their names.
        val_families: drum pattern families held out (drawn by seed), or their names.
        val_share: share of files that are validation files.
        process_share: share of training files passed through a processing chain.
        val_process_share: share of validation files passed through a processing chain.
        revoice_share: share of training files whose kit is re-voiced role by role
            (`drumaae.data.voicing`: tuning, decay, shelves); validation files never are.
            With 0 (the default) the corpus is what earlier versions rendered from the seed.
        synth_share: share of training files played on a procedural synth kit.
        partial_share: share of files whose pattern keeps only some roles.
        realism_share: share of training files given the recording treatment.
        val_realism_share: share of validation files in the held-out ``realism`` family.
        fast_loops: render the fast families as 2-bar loops at 160-200 BPM.
        loop_bars: bars per file (other than fast-family files with `fast_loops`).
        sample_rate: output rate in Hz.
        workers: processes rendering files in parallel (forked after the kits are loaded).
            The manifest is the same for any number; soundfont-kit files can differ in their
            last bits between worker counts (`_in_workers`), so the same seed and worker
            count give byte-identical files.
        force: replace an existing `out_dir`.
        progress: called as ``progress(done, total)`` after each file.

    Returns:
        The manifest (also written to ``out_dir/manifest.json``); see docs/corpus.md.

    Raises:
        DataError: no kits (with the apt-get command that installs them), impossible
            hold-out, bad arguments.
        OutputExistsError: `out_dir` exists and is not empty, without `force`.
    """
    low, high = (float(b) for b in bpm_range)
    if not 0 < low <= high:
        raise DataError(f"bad BPM range {low}-{high}: need 0 < low <= high")
    if workers < 1:
        raise DataError(f"workers must be >= 1, not {workers}")
    if n_bars < 1 or loop_bars < 1 or sample_rate < 1000:
        raise DataError("n_bars and loop_bars must be >= 1 and sample_rate >= 1000 Hz")
    for name, share in (("val_share", val_share), ("process_share", process_share),
                        ("val_process_share", val_process_share),
                        ("revoice_share", revoice_share), ("synth_share", synth_share),
                        ("partial_share", partial_share), ("realism_share", realism_share),
                        ("val_realism_share", val_realism_share)):
        if not 0.0 <= share <= 1.0:
            raise DataError(f"{name} must be in 0..1, not {share}")
    out_dir = _prepare_out_dir(out_dir, force)
    soundfont_dirs = tuple(d for d in soundfont_dirs if d)
    kits, skipped, fonts, missing = _load_kits(kits_dir, soundfont_dirs, sample_rate)
    if not kits:
        where = "; ".join(missing) or "none of the kits found is usable"
        raise DataError(f"no usable drum kit ({where}); install the kits with "
                        f"'{INSTALL_HINT}'")
    song_files = list_songs(songs_dir, kits_dir)
    song_patterns = read_all_song_patterns(song_files)

    rng = np.random.default_rng(seed)
    val = set(_choose_val(kits, val_kits, rng))
    val_fams = set(_choose_val_families(val_families, rng))
    train_by_family = {f: [k for k in kits if k.family == f and k.name not in val]
                       for f in KIT_FAMILIES}
    val_by_family = {f: [k for k in kits if k.family == f and k.name in val]
                     for f in KIT_FAMILIES}
    train_families = [f for f in KIT_FAMILIES if train_by_family[f]]
    if not train_families:
        raise DataError("every usable kit was held out; leave at least one for training")
    all_families = [f for f in KIT_FAMILIES if train_by_family[f] or val_by_family[f]]
    has_val = bool(val or val_fams) and val_share > 0
    renderers: dict[str, KitRenderer] = {}
    loader = SoundfontKitRenderer(sample_rate)
    synth_loader = SynthVoiceLoader(sample_rate)
    val_sample_kits = [k for k in kits if k.name in val]

    def synth_renderer(draw: np.random.Generator, held_out: bool) -> KitRenderer:
        """A fresh procedural kit (not cached: each is heard once): even seeds for
        training, odd ones held out."""
        family = _draw_family(draw, list(SYNTH_FAMILY_WEIGHTS), SYNTH_FAMILY_WEIGHTS)
        kit_seed = 2 * int(draw.integers(_SYNTH_SEEDS)) + int(held_out)
        return KitRenderer(synth_kit(kit_seed, family), sample_rate, synth_loader)

    def renderer(kit: Kit) -> KitRenderer:
        if kit.name not in renderers:
            renderers[kit.name] = KitRenderer(
                kit, sample_rate, loader if kit.source == "soundfont" else None)
        return renderers[kit.name]

    def val_choice(bar_rng: np.random.Generator) -> tuple[Kit, str, str]:
        """A validation (kit, pattern family, what is held out)."""
        family = _draw_family(bar_rng, all_families)
        options = []
        for kit_pool, held in ((val_by_family[family], "kit"),
                               (train_by_family[family], "pattern"),
                               (val_by_family[family], "kit+pattern")):
            if not kit_pool:
                continue
            if held == "kit":
                options.append((kit_pool, False, held))
            elif any(_pattern_families(k, val_fams, False, True) for k in kit_pool):
                options.append((kit_pool, True, held))
        if not options:  # this family has nothing held out: fall back to any family's
            family = next(f for f in all_families if val_by_family[f])
            options = [(val_by_family[family], False, "kit")]
        pool, held_pattern, held = options[int(bar_rng.integers(len(options)))]
        kit = pool[int(bar_rng.integers(len(pool)))]
        fams = _pattern_families(kit, val_fams, bool(song_patterns), held_pattern)
        if not fams:
            fams = _pattern_families(kit, val_fams, bool(song_patterns), False)
            held = "kit"
        return kit, fams[int(bar_rng.integers(len(fams)))], held

    def render_file(i: int) -> dict:
        """Render file `i` into the staging folder; its manifest entry. Depends only on
        (seed, i), so files render alike in any process and order."""
        file_seed = int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
        bar_rng = np.random.default_rng(file_seed)
        split = "val" if has_val and bar_rng.random() < val_share else "train"
        # Generator 5's draws (synth kits, partial kits, recording realism) come from their
        # own stream, so they never shift the pattern, tempo and chain draws.
        extra = np.random.default_rng([file_seed, 2])
        rend = None
        realism = False
        if split == "val" and extra.random() < val_realism_share:
            realism, holdout = True, REALISM
            if val_sample_kits and extra.random() < 0.5:
                kit = val_sample_kits[int(extra.integers(len(val_sample_kits)))]
            else:
                rend = synth_renderer(extra, held_out=True)
                kit = rend.kit
            group = HAND_GENRES if kit.family == "hand_percussion" else DRUM_GENRES
            pattern_family = group[int(extra.integers(len(group)))]
        elif split == "val":
            kit, pattern_family, holdout = val_choice(bar_rng)
        else:
            holdout = None
            realism = extra.random() < realism_share
            if extra.random() < synth_share:
                rend = synth_renderer(extra, held_out=False)
                kit = rend.kit
            else:
                pool = train_by_family[_draw_family(bar_rng, train_families)]
                kit = pool[int(bar_rng.integers(len(pool)))]
            fams = _pattern_families(kit, val_fams, bool(song_patterns), False)
            if song_patterns and kit.family != "hand_percussion":
                # Songs keep their share of the drum-kit bars, whatever the family count.
                fams.remove(SONG_FAMILY)
                if bar_rng.random() < SONG_SHARE:
                    fams = [SONG_FAMILY]
            pattern_family = fams[int(bar_rng.integers(len(fams)))]
        if rend is None:
            rend = renderer(kit)
        fast = fast_loops and pattern_family in FAST_GENRES
        pattern = _draw_pattern(pattern_family, bar_rng, FAST_LOOP_BARS if fast else loop_bars,
                                song_patterns, rend)
        partial = None
        if extra.random() < partial_share:
            scheme = draw_partial(extra, kit.family == "hand_percussion")
            kept = drop_roles(pattern, scheme)
            if kept is not None and any(n.role in rend.playable_roles for n in kept.notes):
                pattern, partial = kept, scheme
        bpm = round(float(bar_rng.uniform(*(FAST_BPM_RANGE if fast else (low, high)))), 2)
        voicing = None
        if split == "train" and revoice_share > 0:
            # Its own stream: a re-voiced file keeps the pattern, tempo and chain that
            # the same seed renders without re-voicing.
            voice_rng = np.random.default_rng([file_seed, 1])
            if voice_rng.random() < revoice_share:
                voicing = draw_voicing(voice_rng, set(kit.roles) | set(_FALLBACK))
        stages = draw_realism(extra) if realism else None
        bleed = draw_bleed(extra) if realism and extra.random() < 0.5 else None
        audio = render_pattern(rend, pattern, bpm, bar_rng, voicing, wrap=realism,
                               bleed=bleed)
        chance = val_process_share if split == "val" else process_share
        chain = draw_chain(bar_rng) if bar_rng.random() < chance else None
        if chain is not None:
            audio = apply_chain(audio, sample_rate, chain)
        if stages:
            audio = apply_realism(audio, sample_rate, stages)
        rel = f"{split}/{i:06d}_{_slug(kit.name)}_{_slug(pattern_family)}.wav"
        sf.write(os.path.join(tmp, rel), audio, sample_rate, subtype="PCM_16", format="WAV")
        return {
            "path": rel,
            "kit": kit.name,
            "kit_family": kit.family,
            "kit_source": kit.source,
            "license": kit.license,
            "pattern": pattern.name,
            "pattern_family": pattern_family,
            "source": pattern.source,
            "genre": pattern.genre,
            "chain": chain,
            "voicing": voicing,
            "partial": partial,
            "realism": ((stages or []) + ([bleed] if bleed else [])) if realism else None,
            "family": (REALISM if realism else
                       PROCESSED if chain is not None else kit.family),
            "bpm": bpm,
            "bars": pattern.bars,
            "samples": int(len(audio)),
            "seed": file_seed,
            "split": split,
            "holdout": holdout,
        }

    # Claimed until the corpus is in place: a second run to --out fails at once. The new
    # corpus is staged beside it and swapped in whole (`fileio.commit_folder`).
    held = fileio.claim(out_dir, force=force, folder=True, kind=CORPUS_KIND)
    tmp = os.path.join(os.path.dirname(out_dir), fileio.partial_name(os.path.basename(out_dir)))
    files = []
    try:
        for split in SPLITS:
            os.makedirs(os.path.join(tmp, split))
        if workers > 1 and n_bars > 1:
            files.extend(_in_workers(render_file, n_bars, workers, progress))
        else:
            for i in range(n_bars):
                files.append(render_file(i))
                if progress is not None:
                    progress(i + 1, n_bars)
        synth_counts = {split: sum(1 for e in files if e["split"] == split
                                   and e["kit_source"] == SYNTH_SOURCE)
                        for split in SPLITS}
        manifest = {
            **fileio.manifest_header(CORPUS_KIND),
            "format": FORMAT,
            "generator_version": GENERATOR_VERSION,
            "drumaae_version": __version__,
            "seed": seed,
            "n_files": n_bars,
            "loop_bars": loop_bars,
            "sample_rate": sample_rate,
            "bpm_range": [low, high],
            "val_share": val_share,
            "process_share": process_share,
            "val_process_share": val_process_share,
            "revoice_share": revoice_share,
            "synth_share": synth_share,
            "partial_share": partial_share,
            "realism_share": realism_share,
            "val_realism_share": val_realism_share,
            "fast_loops": fast_loops,
            "synth_kits": synth_counts,
            "kits_dir": os.path.abspath(kits_dir) if kits_dir else None,
            "soundfonts": fonts,
            "missing_sources": missing,
            "kits": [
                {"name": k.name, "family": k.family, "source": k.source, "path": k.path,
                 "license": k.license, "author": k.author,
                 "split": "val" if k.name in val else "train",
                 "roles": {r: [i.name for i in insts] for r, insts in sorted(k.roles.items())}}
                for k in kits
            ],
            "train_kits": sorted(k.name for k in kits if k.name not in val),
            "val_kits": sorted(val),
            "val_pattern_families": sorted(val_fams),
            "skipped_kits": skipped,
            "songs": [os.path.basename(p) for p in song_files],
            "song_patterns": len(song_patterns),
            "genres": list(GENRES),
            "files": files,
        }
        write_manifest(tmp, manifest)
        fileio.commit_folder(tmp, out_dir, force=force, kind=CORPUS_KIND)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        held.release()
    return manifest
