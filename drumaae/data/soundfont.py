"""Drum kits from SF2/SF3 soundfonts: the General MIDI percussion kits, rendered with tinysoundfont.

A General MIDI soundfont holds its drum kits as presets of bank 128 (Standard, Room, Power,
Electronic, TR-808, Jazz, Brush, Orchestra, ...); every key is one drum sound (36 kick,
38 snare, 42 closed hat, ...). `soundfont_kits` turns each distinct kit of a soundfont into a
`Kit` whose instruments are GM keys and whose velocity layers are the key played at three
velocities, so `SoundfontKitRenderer` plays patterns on it exactly as the corpus plays the
recorded Hydrogen kits: each (key, velocity) is rendered once, cached, and mixed.

The hand-percussion keys of a font's first kit (congas, bongos, shakers, clave, cowbell,
tambourine, ...) form a separate hand-percussion kit; the drum-kit presets keep only the
drum-kit keys, so a held-out hand kit shares no sound with a training drum kit of its font.

Soundfonts whose kits sit in bank 0 (the avldrums.lv2 kits: one kit, GM key layout) are read
as one kit per file.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from drumaae.data.hydrogen import Instrument, Kit, Layer, kit_family
from drumaae.errors import DataError

__all__ = [
    "DEFAULT_SOUNDFONT_DIRS",
    "SOUNDFONT_INSTALL_HINT",
    "GM_DRUM_KEYS",
    "GM_HAND_KEYS",
    "LAYER_VELOCITIES",
    "SoundfontKit",
    "SoundfontKitRenderer",
    "list_soundfonts",
    "soundfont_kits",
    "soundfont_license",
    "render_key",
]

DEFAULT_SOUNDFONT_DIRS = ("/usr/share/sounds/sf2", "/usr/share/sounds/sf3",
                          "/usr/lib/lv2/avldrums.lv2")
SOUNDFONT_INSTALL_HINT = (
    "sudo apt-get install --no-install-recommends fluid-soundfont-gm fluid-soundfont-gs "
    "musescore-general-soundfont timgm6mb-soundfont avldrums.lv2-soundfont"
)
TINYSOUNDFONT_HINT = "pip install --no-deps tinysoundfont==0.3.7"

#: Role -> General MIDI percussion keys that play it (each key is one instrument of the kit).
GM_DRUM_KEYS: dict[str, tuple[int, ...]] = {
    "kick": (36, 35),
    "snare": (38, 40),
    "rim": (37,),
    "clap": (39,),
    "hat_closed": (42,),
    "hat_open": (46,),
    "tom_low": (41, 43),
    "tom_mid": (45, 47),
    "tom_high": (48, 50),
    "crash": (49, 57),
    "ride": (51, 59),
}
#: Role -> General MIDI hand-percussion keys.
GM_HAND_KEYS: dict[str, tuple[int, ...]] = {
    "bongo_high": (60,),
    "bongo_low": (61,),
    "conga_high": (62, 63),
    "conga_low": (64,),
    "cowbell": (56, 67, 68),
    "tambourine": (54,),
    "shaker": (70, 69, 82),
    "clave": (75,),
    "perc": (65, 66, 76, 77),
}
#: The MIDI velocities each key is rendered at, and the note-velocity range (0..1) each
#: rendering plays.
LAYER_VELOCITIES: tuple[tuple[int, float, float], ...] = (
    (50, 0.0, 0.5),
    (90, 0.5, 0.8),
    (124, 0.8, 1.0),
)
# Longest rendered hit (crashes ring longest; bars are 1.3-3.4 s) and the level, relative to
# the hit's peak, below which its tail is cut.
_MAX_SECONDS = 2.0
_TAIL_DB = -60.0
_SILENT = 1e-4  # a key whose rendering never exceeds this peak is absent from the kit
# Presets that are not drum kits.
_NOT_KITS = re.compile(r"sfx|metronome|marching", re.IGNORECASE)
_CHANNEL = 9  # GM's drum channel
# A preset is a distinct kit unless two of these (kick, snare, closed hat) are sounds of a
# kit already kept: GS variation kits (Room, Jazz 1, ...) often only swap the kick.
_CORE_KEYS = (36, 38, 42)
# Where each packaged font's license is stated (read from the Debian copyright files).
_LICENSES = {
    "FluidR3_GM.sf2": "MIT (see /usr/share/doc/fluid-soundfont-gm/copyright)",
    "FluidR3_GS.sf2": "MIT (see /usr/share/doc/fluid-soundfont-gs/copyright)",
    "MuseScore_General.sf3": "MIT (see /usr/share/doc/musescore-general-soundfont/copyright)",
    "MuseScore_General_Full.sf3":
        "MIT (see /usr/share/doc/musescore-general-soundfont/copyright)",
    "TimGM6mb.sf2": "GPL-2 (see /usr/share/doc/timgm6mb-soundfont/copyright)",
    "Black_Pearl_4_LV2.sf2": "GPL-2+ (see /usr/share/doc/avldrums.lv2-soundfont/copyright)",
    "Red_Zeppelin_4_LV2.sf2": "GPL-2+ (see /usr/share/doc/avldrums.lv2-soundfont/copyright)",
}


def _tinysoundfont():
    try:
        import tinysoundfont
    except ImportError as exc:
        raise DataError(f"soundfont kits need tinysoundfont: {TINYSOUNDFONT_HINT}") from exc
    return tinysoundfont


@dataclass(frozen=True)
class SoundfontKit(Kit):
    """A kit of a soundfont preset: `path` is the font file, `bank`/`preset` the preset."""

    bank: int = 128
    preset: int = 0


def soundfont_license(font_path: str) -> str:
    """The license of a packaged font (from its Debian copyright file), else "unknown"."""
    return _LICENSES.get(os.path.basename(font_path), "unknown")


def list_soundfonts(dirs: Sequence[str] = DEFAULT_SOUNDFONT_DIRS) -> list[str]:
    """The ``.sf2``/``.sf3`` files in `dirs`, sorted, one per real file (links such as
    ``default-GM.sf2`` that point at a listed font are dropped)."""
    found: dict[str, str] = {}
    for folder in dirs:
        if not folder or not os.path.isdir(folder):
            continue
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if entry.lower().endswith((".sf2", ".sf3")) and os.path.isfile(path):
                real = os.path.realpath(path)
                # Prefer the file's own name over a link's (default-GM.sf2 -> FluidR3_GM.sf2).
                if real not in found or not os.path.islink(path):
                    found[real] = path
    return sorted(found.values(), key=lambda p: (os.path.basename(p).lower(), p))


class _Font:
    """One loaded soundfont at one output rate (loading an SF3 decodes it: seconds)."""

    def __init__(self, path: str, sample_rate: int):
        tsf = _tinysoundfont()
        self.path = path
        self.sample_rate = sample_rate
        self.synth = tsf.Synth(samplerate=sample_rate)
        try:
            self.sfid = self.synth.sfload(path)
        except Exception as exc:  # tinysoundfont raises plain Exceptions for bad files
            raise DataError(f"cannot load soundfont {path}: {exc}") from exc

    def preset_names(self, bank: int) -> dict[int, str]:
        out = {}
        for preset in range(128):
            name = self.synth.sfpreset_name(self.sfid, bank, preset)
            if name:
                out[preset] = name
        return out

    def render(self, bank: int, preset: int, key: int, velocity: int) -> np.ndarray:
        """Mono float32 samples of one key hit, its silent tail cut."""
        synth = self.synth
        synth.program_select(_CHANNEL, self.sfid, bank, preset, is_drums=bank == 128)
        synth.noteon(_CHANNEL, key, velocity)
        n = int(_MAX_SECONDS * self.sample_rate)
        stereo = np.frombuffer(synth.generate(n), dtype=np.float32).reshape(-1, 2)
        synth.sounds_off()
        synth.generate(64)  # let the voice end before the next key
        return _trim(stereo.mean(axis=1))


def _trim(x: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak < _SILENT:
        return np.zeros(0, dtype=np.float32)
    loud = np.flatnonzero(np.abs(x) > peak * 10.0 ** (_TAIL_DB / 20.0))
    end = int(loud[-1]) + 1
    out = np.array(x[:end], dtype=np.float32)
    fade = min(len(out), 64)
    out[len(out) - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return out


_FONTS: dict[tuple[str, int], _Font] = {}


def _font(path: str, sample_rate: int) -> _Font:
    key = (os.path.realpath(path), sample_rate)
    if key not in _FONTS:
        _FONTS[key] = _Font(path, sample_rate)
    return _FONTS[key]


def _layer_key(font: str, bank: int, preset: int, key: int, velocity: int) -> str:
    return f"{font}#{bank}:{preset}:{key}@{velocity}"


def _parse_layer_key(path: str) -> tuple[str, int, int, int, int]:
    font, rest = path.rsplit("#", 1)
    where, velocity = rest.split("@")
    bank, preset, key = (int(v) for v in where.split(":"))
    return font, bank, preset, key, int(velocity)


def render_key(font_path: str, bank: int, preset: int, key: int, velocity: int,
               sample_rate: int) -> np.ndarray:
    """One key of a soundfont preset played at MIDI `velocity` (1-127): mono float32 samples
    at `sample_rate`, at most 2 s, the tail below -60 dB of the peak cut (empty if silent)."""
    return _font(font_path, sample_rate).render(bank, preset, key, velocity)


def _kit_from_keys(font_path: str, name: str, bank: int, preset: int,
                   keys: dict[str, tuple[int, ...]], present: Callable[[int], bool],
                   family: str | None) -> SoundfontKit:
    instruments = []
    for role, role_keys in keys.items():
        for key in role_keys:
            if not present(key):
                continue
            layers = tuple(
                Layer(path=_layer_key(font_path, bank, preset, key, vel), min_velocity=lo,
                      max_velocity=hi, gain=1.0 / (vel / 127.0))
                for vel, lo, hi in LAYER_VELOCITIES
            )
            instruments.append(Instrument(id=str(key), name=f"{role} (GM key {key})",
                                          role=role, layers=layers))
    kit = SoundfontKit(name=name, path=font_path, author="",
                       license=soundfont_license(font_path), instruments=tuple(instruments),
                       source="soundfont", bank=bank, preset=preset)
    return replace(kit, family=family or kit_family(name, kit.roles))


def soundfont_kits(font_path: str, sample_rate: int = 22050) -> tuple[list[SoundfontKit],
                                                                      list[dict]]:
    """The distinct drum kits of one soundfont, and the presets left out (with why).

    Every preset of bank 128 (or, for a font without bank 128, of bank 0) whose name is not
    SFX/metronome/marching is a candidate drum kit playing the `GM_DRUM_KEYS`; it is kept
    when it has a kick and a snare and no two of its kick, snare and closed hat are the very
    same sounds (bit-identical renderings) as those of one kit kept before: GS variation kits
    often only swap the kick. In a bank-128 font, the first kit's `GM_HAND_KEYS` give one
    hand-percussion kit, when three hand roles sound.

    Kit names are ``<font stem> <preset name>``, e.g. ``FluidR3_GM Standard``.

    Raises:
        DataError: the font cannot be loaded, or tinysoundfont is missing.
    """
    font = _font(font_path, sample_rate)
    stem = os.path.splitext(os.path.basename(font_path))[0]
    bank = 128
    presets = font.preset_names(128)
    if not presets:
        bank, presets = 0, font.preset_names(0)
        if len(presets) > 1:
            # A melodic GM font without drum kits.
            return [], [{"kit": stem, "reason": "no drum kit (bank 128) in the soundfont"}]
    kits: list[SoundfontKit] = []
    skipped: list[dict] = []
    kept_sounds: list[tuple[str, str, str]] = []  # (kick, snare, hat) digests of kept kits
    reference_velocity = LAYER_VELOCITIES[-1][0]

    def sound(preset: int, key: int) -> np.ndarray:
        return font.render(bank, preset, key, reference_velocity)

    for preset, preset_name in sorted(presets.items()):
        name = f"{stem} {preset_name}".strip()
        if _NOT_KITS.search(preset_name):
            skipped.append({"kit": name, "reason": "not a drum kit (effects/marching/metronome)"})
            continue
        rendered = {key: sound(preset, key) for keys in GM_DRUM_KEYS.values() for key in keys}
        kit = _kit_from_keys(font_path, name, bank, preset, GM_DRUM_KEYS,
                             lambda k: len(rendered[k]) > 0, None)
        if not kit.usable:
            skipped.append({"kit": name, "reason": "no kick or snare key"})
            continue
        digests = tuple(hashlib.sha1(rendered[k].tobytes()).hexdigest() for k in _CORE_KEYS)
        twin = next((kits[i].name for i, other in enumerate(kept_sounds)
                     if sum(a == b for a, b in zip(digests, other)) >= 2), None)
        if twin is not None:
            skipped.append({"kit": name, "reason": f"two of kick/snare/closed hat are the same "
                                                  f"sounds as in {twin}"})
            continue
        kept_sounds.append(digests)
        kits.append(kit)
    if kits and bank == 128:
        first = kits[0]
        hand = _kit_from_keys(
            font_path, f"{stem} Percussion", bank, first.preset, GM_HAND_KEYS,
            lambda k: len(sound(first.preset, k)) > 0, "hand_percussion")
        if hand.usable:
            kits.append(hand)
        else:
            skipped.append({"kit": hand.name, "reason": "fewer than three hand-percussion keys"})
    return kits, skipped


class SoundfontKitRenderer:
    """The sample source of a `SoundfontKit` for `KitRenderer`: renders each layer (a key at
    one velocity) once with tinysoundfont and caches it."""

    def __init__(self, sample_rate: int):
        self.sample_rate = sample_rate

    def __call__(self, path: str) -> np.ndarray:
        font, bank, preset, key, velocity = _parse_layer_key(path)
        return render_key(font, bank, preset, key, velocity, self.sample_rate)
