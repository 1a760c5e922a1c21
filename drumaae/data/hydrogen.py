"""Hydrogen drum kits (``drumkit.xml``) and songs (``.h2song``): parsing, no audio.

Hydrogen's XML changed over the years; everything here reads all the layouts found in the
Debian ``hydrogen-drumkits`` / ``hydrogen-data`` packages:

* the oldest kits name one sample per instrument (``<instrument><filename>``);
* 0.9.x kits list velocity layers directly (``<instrument><layer>``);
* 1.x kits wrap them in components (``<instrument><instrumentComponent><layer>``);
* newer files put everything in an XML namespace (``xmlns="http://www.hydrogen-music.org/..."``),
  older ones use none; tag names are matched without their namespace.

Instruments get a *role* (kick, snare, hat_closed, ...) from keywords in their names, so that a
pattern written for roles plays on any kit. Songs give patterns whose notes are mapped to roles
through the song's own instrument list.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from drumaae.errors import DataError

__all__ = [
    "DEFAULT_KITS_DIR",
    "DEFAULT_SONGS_DIR",
    "INSTALL_HINT",
    "DEBIAN_COPYRIGHT",
    "ROLES",
    "HAND_ROLES",
    "KIT_FAMILIES",
    "TICKS_PER_QUARTER",
    "Layer",
    "Instrument",
    "Kit",
    "Note",
    "Pattern",
    "role_for_name",
    "kit_family",
    "is_hand_kit",
    "list_kits",
    "load_kit",
    "list_songs",
    "read_song_patterns",
    "read_all_song_patterns",
]

DEFAULT_KITS_DIR = "/usr/share/hydrogen/data/drumkits"
DEFAULT_SONGS_DIR = "/usr/share/hydrogen/data/demo_songs"
INSTALL_HINT = ("sudo apt-get install --no-install-recommends hydrogen-drumkits "
                "hydrogen-drumkits-effects hydrogen-data")
DEBIAN_COPYRIGHT = "see /usr/share/doc/hydrogen-drumkits/copyright"
# Hydrogen's fixed resolution: a 4/4 bar is 192 ticks.
TICKS_PER_QUARTER = 48

ROLES = (
    "kick",
    "snare",
    "hat_closed",
    "hat_open",
    "ride",
    "crash",
    "tom_high",
    "tom_mid",
    "tom_low",
    "clap",
    "rim",
    "perc",
    "conga_high",
    "conga_low",
    "bongo_high",
    "bongo_low",
    "shaker",
    "tambourine",
    "cowbell",
    "clave",
)
#: The roles of hand percussion (a kit with three of them and no kick/snare is a hand kit).
HAND_ROLES = ROLES[12:]
#: Kit families: how a kit sounds. Held-out kits are drawn from each family; rendered bars
#: passed through a processing chain form a fourth family, "processed" (see corpus.py).
KIT_FAMILIES = ("acoustic", "electronic", "hand_percussion")

_AUDIO_EXTENSIONS = (".wav", ".flac", ".aif", ".aiff", ".ogg")


# --- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One recorded sample of an instrument, played for velocities in [min_velocity, max_velocity].

    Velocities are Hydrogen's, in 0..1. `gain` is the layer's linear gain.
    """

    path: str
    min_velocity: float = 0.0
    max_velocity: float = 1.0
    gain: float = 1.0


@dataclass(frozen=True)
class Instrument:
    """A kit instrument: its name, the role its name implies (or None) and its layers."""

    id: str
    name: str
    role: str | None
    layers: tuple[Layer, ...]
    gain: float = 1.0
    volume: float = 1.0


@dataclass(frozen=True)
class Kit:
    """A drum kit: instruments with sample layers, where its license is stated, its family.

    `family` is one of `KIT_FAMILIES` (see `kit_family`); `source` says where the kit comes
    from (``hydrogen`` or ``soundfont``).
    """

    name: str
    path: str
    author: str
    license: str
    instruments: tuple[Instrument, ...]
    family: str = "acoustic"
    source: str = "hydrogen"

    @property
    def roles(self) -> dict[str, tuple[Instrument, ...]]:
        """Role -> the instruments (with at least one sample) that can play it, in kit order."""
        out: dict[str, list[Instrument]] = {}
        for inst in self.instruments:
            if inst.role is not None and inst.layers:
                out.setdefault(inst.role, []).append(inst)
        return {role: tuple(insts) for role, insts in out.items()}

    @property
    def usable(self) -> bool:
        """A kit can render patterns when it has a kick and a snare (a drum kit), or at least
        three hand-percussion roles (a hand-percussion kit)."""
        roles = self.roles
        return ("kick" in roles and "snare" in roles) or is_hand_kit(roles)


@dataclass(frozen=True)
class Note:
    """One drum hit.

    Args:
        time: onset in quarter-note beats from the start of the pattern (may be fractional or
            slightly negative after humanising).
        role: one of `ROLES`.
        velocity: 0..1 (Hydrogen's scale).
        probability: chance the note is played (Hydrogen's per-note probability).
    """

    time: float
    role: str
    velocity: float
    probability: float = 1.0


@dataclass(frozen=True)
class Pattern:
    """A drum pattern of `bars` 4/4 bars: notes on roles, times in beats.

    `source` says where it came from: a song file name, or ``generator:<genre>``.
    """

    name: str
    source: str
    notes: tuple[Note, ...]
    bars: int = 1
    genre: str | None = None

    @property
    def beats(self) -> float:
        return 4.0 * self.bars


# --- roles -----------------------------------------------------------------------------------

# Sounds that are not the plain hit of a role (rolls, chokes, pedal chicks, effects): no role.
_SKIP = re.compile(
    r"roll|choke|swish|flink|\bzap|\bfx\b|pedal|\bpd\b|rimshot|\bbell\b|cup|hat free|reverse"
)
_HAT = re.compile(r"hat|\bhh\b|hi-?hat|\bchh\b|\bohh\b")
_RULES: tuple[tuple[str, re.Pattern], ...] = (
    ("clap", re.compile(r"clap|snap")),
    ("rim", re.compile(r"stick|rim|click")),
    ("ride", re.compile(r"ride")),
    ("crash", re.compile(r"crash|splash|china|cymbal")),
    ("kick", re.compile(r"kick|bass ?drum|\bbd\b")),
    ("snare", re.compile(r"snare|\bsd\b")),
    ("tom", re.compile(r"\btom|floor")),
    ("cowbell", re.compile(r"cowbell|agogo")),
    ("clave", re.compile(r"clave")),
    ("shaker", re.compile(r"shaker|maraca|cabasa")),
    ("tambourine", re.compile(r"tambourine")),
    ("bongo", re.compile(r"bongo")),
    ("conga", re.compile(r"conga|djembe|cajon|dun(un)?ba|sangban|kenkeni")),
    ("perc", re.compile(r"woodblock|perc|triangle|guiro|timbale|waterglass")),
)
_LOW = re.compile(r"\blow?\b|bass|thump|\b2\b|dun(un)?ba")


def role_for_name(name: str) -> str | None:
    """The drum role an instrument name implies, from keywords; None when none fits.

    >>> role_for_name("Hi-Hat Open (Paiste Alpha Metal edge 14\\")")
    'hat_open'
    >>> role_for_name("Pearl Tom Floor")
    'tom_low'
    """
    n = " " + name.lower().replace("_", " ") + " "
    if not n.strip():
        return None
    # Bells of hand drums (a sangban's bell) are cowbell-like hits, not cymbal bells.
    if re.search(r"dun(un)?ba|sangban|kenkeni", n) and "bell" in n:
        return None if "mute" in n else "cowbell"
    if _SKIP.search(n):
        return None
    if _HAT.search(n):
        if re.search(r"open|\bop\b|semi|\bohh\b", n):
            return "hat_open"
        return "hat_closed"
    for role, rx in _RULES:
        if rx.search(n):
            if role in ("conga", "bongo"):
                return f"{role}_low" if _LOW.search(n) else f"{role}_high"
            if role != "tom":
                return role
            if re.search(r"floor|\blow?\b|\b3\b", n):
                return "tom_low"
            if re.search(r"\bhi(gh)?\b|tom ?hi|\b1\b", n):
                return "tom_high"
            return "tom_mid"
    return None


def is_hand_kit(roles) -> bool:
    """Whether a kit's roles make it a hand-percussion kit: no kick or no snare, and at least
    three hand-percussion roles."""
    drums = "kick" in roles and "snare" in roles
    return not drums and sum(r in roles for r in HAND_ROLES) >= 3


_ELECTRONIC = re.compile(
    r"electr|\b[0-9]{3}\b|tr-?\s?[0-9]|808|909|techno|dance|rave|synth|hard ?electro|"
    r"\bhouse\b|\bhip ?hop\b|emulation"
)


def kit_family(name: str, roles) -> str:
    """A kit's family (one of `KIT_FAMILIES`) from its roles and name.

    A hand-percussion kit (`is_hand_kit`) is ``hand_percussion``; a kit whose name marks a
    drum machine or electronic kit (808, 909, electro, techno, ...) is ``electronic``; every
    other kit is ``acoustic``.

    >>> kit_family("TR808EmulationKit", {"kick": (), "snare": ()})
    'electronic'
    """
    if is_hand_kit(roles):
        return "hand_percussion"
    return "electronic" if _ELECTRONIC.search(name.lower()) else "acoustic"


# --- XML helpers -----------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _strip_namespaces(root: ET.Element) -> ET.Element:
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = _local(el.tag)
    return root


def _parse_xml(path: str) -> ET.Element:
    try:
        return _strip_namespaces(ET.parse(path).getroot())
    except (ET.ParseError, OSError) as exc:
        raise DataError(f"cannot read {path}: {exc}; is it a Hydrogen file?") from exc


def _text(el: ET.Element, tag: str, default: str = "") -> str:
    child = el.find(tag)
    if child is None or child.text is None:
        return default
    return child.text.strip()


def _float(el: ET.Element, tag: str, default: float) -> float:
    try:
        return float(_text(el, tag, str(default)))
    except ValueError:
        return default


def _find_sample(kit_dir: str, filename: str) -> str | None:
    """The sample's path, tolerating a different letter case; None when it is not there."""
    if not filename:
        return None
    path = filename if os.path.isabs(filename) else os.path.join(kit_dir, filename)
    if os.path.isfile(path):
        return path
    folder, base = os.path.split(path)
    try:
        for entry in os.listdir(folder):
            if entry.lower() == base.lower():
                return os.path.join(folder, entry)
    except OSError:
        pass
    return None


# --- kits ------------------------------------------------------------------------------------


def _kit_xml(path: str) -> str:
    if os.path.isdir(path):
        path = os.path.join(path, "drumkit.xml")
    return path


def list_kits(kits_dir: str = DEFAULT_KITS_DIR) -> list[str]:
    """The kit folders (each holding a ``drumkit.xml``) directly under `kits_dir`, sorted.

    Raises:
        DataError: the folder is missing or holds no kit, with the command that installs them.
    """
    if not os.path.isdir(kits_dir):
        raise DataError(
            f"no Hydrogen drum kits at {kits_dir}: install them with '{INSTALL_HINT}' "
            "or pass --kits-dir"
        )
    kits = sorted(
        os.path.join(kits_dir, entry)
        for entry in os.listdir(kits_dir)
        if os.path.isfile(os.path.join(kits_dir, entry, "drumkit.xml"))
    )
    if not kits:
        raise DataError(
            f"no drumkit.xml under {kits_dir}: install the kits with '{INSTALL_HINT}' "
            "or pass --kits-dir"
        )
    return kits


def _layers(inst: ET.Element, kit_dir: str) -> list[Layer]:
    layer_elements = list(inst.findall("layer"))
    for comp in inst.findall("instrumentComponent"):
        # Several components mix several mics of one hit; the first with samples is enough.
        if comp.findall("layer"):
            comp_gain = _float(comp, "gain", 1.0)
            layer_elements = [(el, comp_gain) for el in comp.findall("layer")]
            break
    else:
        layer_elements = [(el, 1.0) for el in layer_elements]
    layers = []
    for el, comp_gain in layer_elements:
        path = _find_sample(kit_dir, _text(el, "filename"))
        if path is None or not path.lower().endswith(_AUDIO_EXTENSIONS):
            continue
        layers.append(
            Layer(
                path=path,
                min_velocity=_float(el, "min", 0.0),
                max_velocity=_float(el, "max", 1.0),
                gain=_float(el, "gain", 1.0) * comp_gain,
            )
        )
    if not layers:
        # The oldest kits: one sample per instrument, no layers.
        path = _find_sample(kit_dir, _text(inst, "filename"))
        if path is not None and path.lower().endswith(_AUDIO_EXTENSIONS):
            layers.append(Layer(path=path))
    layers.sort(key=lambda layer: (layer.min_velocity, layer.max_velocity))
    return layers


def load_kit(path: str) -> Kit:
    """Parse a Hydrogen kit: a folder holding ``drumkit.xml``, or that file itself.

    Instruments keep only layers whose sample file exists. The license comes from the kit's
    ``<license>`` (or ``<licence>``); when it states none, from the Debian package's copyright
    file for the packaged kits.

    Raises:
        DataError: no drumkit.xml there, or it is not Hydrogen XML.
    """
    xml_path = _kit_xml(path)
    if not os.path.isfile(xml_path):
        raise DataError(f"no drumkit.xml at {path}; install the kits with '{INSTALL_HINT}'")
    root = _parse_xml(xml_path)
    if root.tag != "drumkit_info":
        raise DataError(f"{xml_path} is not a Hydrogen drum kit (root <{root.tag}>)")
    kit_dir = os.path.dirname(os.path.abspath(xml_path))
    license_text = _text(root, "license") or _text(root, "licence")
    if not license_text or license_text.lower() in ("undefined license", "unknown license"):
        license_text = DEBIAN_COPYRIGHT if kit_dir.startswith("/usr/share/") else "unknown"
    instruments = []
    inst_list = root.find("instrumentList")
    for inst in inst_list.findall("instrument") if inst_list is not None else []:
        name = _text(inst, "name")
        instruments.append(
            Instrument(
                id=_text(inst, "id"),
                name=name,
                role=role_for_name(name),
                layers=tuple(_layers(inst, kit_dir)),
                gain=_float(inst, "gain", 1.0),
                volume=_float(inst, "volume", 1.0),
            )
        )
    name = _text(root, "name") or os.path.basename(kit_dir)
    kit = Kit(
        name=name,
        path=kit_dir,
        author=_text(root, "author"),
        license=" ".join(license_text.split()),
        instruments=tuple(instruments),
    )
    return replace(kit, family=kit_family(name, kit.roles))


# --- songs -----------------------------------------------------------------------------------


def list_songs(*folders: str | None) -> list[str]:
    """The ``.h2song`` files in `folders` and one level below them (kits ship demo songs)."""
    found = set()
    for folder in folders:
        if not folder or not os.path.isdir(folder):
            continue
        for entry in os.listdir(folder):
            full = os.path.join(folder, entry)
            if entry.endswith(".h2song") and os.path.isfile(full):
                found.add(full)
            elif os.path.isdir(full):
                for sub in os.listdir(full):
                    if sub.endswith(".h2song"):
                        found.add(os.path.join(full, sub))
    return sorted(found)


def _song_notes(pattern: ET.Element) -> Iterable[ET.Element]:
    # 1.x: <pattern><noteList><note>; 0.9.x: <pattern><sequenceList><sequence><noteList><note>.
    for note_list in pattern.iter("noteList"):
        yield from note_list.findall("note")


def read_song_patterns(
    path: str, ticks_per_quarter: int = TICKS_PER_QUARTER
) -> list[Pattern]:
    """The one-bar 4/4 patterns of a Hydrogen song, notes mapped to roles.

    Song instrument ids become roles through the names in the song's own instrument list.
    Patterns longer than a bar are split into bars; patterns not in 4/4 (size not a whole
    number of 192-tick bars, or a denominator other than 4) are left out, as are bars with
    neither kick nor snare and exact duplicates (same hits, same velocities).

    Args:
        path: a ``.h2song`` file.
        ticks_per_quarter: Hydrogen's resolution (48).

    Returns:
        Patterns named ``<song>:<pattern>`` (``:bar<k>`` for split ones), ``source`` the file
        name.
    """
    root = _parse_xml(path)
    if root.tag != "song":
        raise DataError(f"{path} is not a Hydrogen song (root <{root.tag}>)")
    song = os.path.splitext(os.path.basename(path))[0]
    roles: dict[str, str | None] = {}
    inst_list = root.find("instrumentList")
    for inst in inst_list.findall("instrument") if inst_list is not None else []:
        roles[_text(inst, "id")] = role_for_name(_text(inst, "name"))
    bar_ticks = 4 * ticks_per_quarter
    out: list[Pattern] = []
    seen: set = set()
    pattern_list = root.find("patternList")
    for pat in pattern_list.findall("pattern") if pattern_list is not None else []:
        size = int(_float(pat, "size", bar_ticks))
        denominator = int(_float(pat, "denominator", 4))
        if denominator != 4 or size <= 0 or size % bar_ticks:
            continue
        n_bars = size // bar_ticks
        bars: list[list[Note]] = [[] for _ in range(n_bars)]
        for note in _song_notes(pat):
            if _text(note, "note_off") == "true":
                continue
            role = roles.get(_text(note, "instrument"))
            pos = _float(note, "position", -1)
            if role is None or not 0 <= pos < size:
                continue
            # Hydrogen's lead/lag moves a note by up to 5 ticks either way.
            ticks = pos + 5.0 * _float(note, "leadlag", 0.0)
            bar = int(pos // bar_ticks)
            bars[bar].append(
                Note(
                    time=(ticks - bar * bar_ticks) / ticks_per_quarter,
                    role=role,
                    velocity=min(1.0, max(0.0, _float(note, "velocity", 0.8))),
                    probability=min(1.0, max(0.0, _float(note, "probability", 1.0))),
                )
            )
        name = _text(pat, "name") or "pattern"
        for k, notes in enumerate(bars):
            notes.sort(key=lambda n: (n.time, n.role))
            if not any(n.role in ("kick", "snare") for n in notes):
                continue
            key = tuple((round(n.time, 3), n.role, round(n.velocity, 2)) for n in notes)
            if key in seen:
                continue
            seen.add(key)
            label = f"{song}:{name}" + (f":bar{k + 1}" if n_bars > 1 else "")
            out.append(
                Pattern(name=label, source=os.path.basename(path), notes=tuple(notes))
            )
    return out


def read_all_song_patterns(paths: Sequence[str]) -> list[Pattern]:
    """Patterns of several songs, deduplicated across songs; unreadable songs are skipped."""
    out, seen = [], set()
    for path in paths:
        try:
            patterns = read_song_patterns(path)
        except DataError:
            continue
        for p in patterns:
            key = tuple((round(n.time, 3), n.role, round(n.velocity, 2)) for n in p.notes)
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out
