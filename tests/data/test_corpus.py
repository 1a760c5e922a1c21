"""The drum corpus: Hydrogen kit/song parsing, the groove generator, corpus rendering and
its held-out design.

Everything runs on tiny kits and songs written here, so the tests need no Debian package
(soundfont kits are tested in test_soundfont.py with an SF2 the test writes); the one check
against the installed kits is marked slow.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from drumaae.config import bar_samples
from drumaae.data.corpus import (
    GENRES,
    KitRenderer,
    PROCESSED,
    summarize,
    generate_groove,
    list_kits,
    load_kit,
    read_manifest,
    read_song_patterns,
    render_corpus,
    render_pattern,
    _draw_pattern,
)
from drumaae.data.grooves import (CHOP_SOURCES, CHOPPED_BREAK, FAST_BPM_RANGE, FAST_GENRES,
                                   FAST_LOOP_BARS, HAND_GENRES, STYLES)
from drumaae.data.hydrogen import (
    HAND_ROLES,
    ROLES,
    Instrument,
    Kit,
    Layer,
    kit_family,
    role_for_name,
)
from drumaae.data.layout import Corpus
from drumaae.errors import DataError, OutputExistsError
from drumaae_cli.main import cli

SR = 8000  # output rate of the tests' corpora: small and fast
KIT_SR = 16000  # the tiny kits' samples, so rendering resamples


# --- tiny kits and songs ---------------------------------------------------------------------


def _sound(kind: str, seed: int = 0) -> np.ndarray:
    t = np.arange(int(0.15 * KIT_SR)) / KIT_SR
    rng = np.random.default_rng(seed)
    if kind == "kick":
        x = np.sin(2 * np.pi * (50 + 80 * np.exp(-t * 40)) * t) * np.exp(-t * 20)
    elif kind == "snare":
        x = rng.standard_normal(len(t)) * np.exp(-t * 25) * 0.5
    else:
        x = np.diff(rng.standard_normal(len(t)), prepend=0.0) * np.exp(-t * 60) * 0.3
    return x.astype(np.float32)


def _layer_xml(filename: str, lo: float, hi: float, gain: float = 1.0) -> str:
    return (f"<layer><filename>{filename}</filename><min>{lo}</min><max>{hi}</max>"
            f"<gain>{gain}</gain><pitch>0</pitch></layer>")


def make_kit(root, name: str, *, layout: str = "layers", namespace: bool = False,
             license_text: str | None = "CC0", with_snare: bool = True,
             hand: bool = False) -> str:
    """A Hydrogen kit folder with 3-4 instruments; the kick has two velocity layers.

    layout: "layers" (0.9.x: <instrument><layer>), "components" (1.x:
    <instrument><instrumentComponent><layer>) or "flat" (oldest: <instrument><filename>).
    hand: a hand-percussion kit instead (conga high/low, shaker, clave).
    """
    kit_dir = os.path.join(str(root), name)
    os.makedirs(kit_dir)
    sf.write(os.path.join(kit_dir, "kick_soft.wav"), 0.5 * _sound("kick"), KIT_SR)
    sf.write(os.path.join(kit_dir, "kick_hard.flac"), _sound("kick"), KIT_SR)
    sf.write(os.path.join(kit_dir, "snare.wav"), _sound("snare", 1), KIT_SR)
    sf.write(os.path.join(kit_dir, "hat.wav"), _sound("hat", 2), KIT_SR)
    sf.write(os.path.join(kit_dir, "hat_open.wav"), _sound("hat", 3), KIT_SR)
    instruments = [("Kick", [("kick_soft.wav", 0, 0.5, 1.0), ("kick_hard.flac", 0.5, 1, 0.9)]),
                   ("Closed HH", [("hat.wav", 0, 1, 1.0)]),
                   ("Open Hi-Hat", [("hat_open.wav", 0, 1, 1.0)])]
    if with_snare:
        instruments.insert(1, ("Snare Rock", [("snare.wav", 0, 1, 1.0)]))
    if hand:
        instruments = [("Conga Hi", [("hat.wav", 0, 1, 1.0)]),
                       ("Conga Low", [("kick_soft.wav", 0, 1, 1.0)]),
                       ("Maraca", [("hat_open.wav", 0, 1, 1.0)]),
                       ("Clave", [("snare.wav", 0, 1, 1.0)])]
    body = []
    for i, (inst_name, layers) in enumerate(instruments):
        if layout == "flat":
            inner = f"<filename>{layers[-1][0]}</filename>"
        else:
            inner = "".join(_layer_xml(*ly) for ly in layers)
            if layout == "components":
                inner = (f"<instrumentComponent><component_id>0</component_id><gain>1</gain>"
                         f"{inner}</instrumentComponent>")
        body.append(f"<instrument><id>{i}</id><name>{inst_name}</name><volume>1</volume>"
                    f"<gain>1</gain>{inner}</instrument>")
    ns = ' xmlns="http://www.hydrogen-music.org/drumkit"' if namespace else ""
    lic = f"<license>{license_text}</license>" if license_text else ""
    with open(os.path.join(kit_dir, "drumkit.xml"), "w", encoding="utf-8") as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<drumkit_info{ns}><name>{name}</name>'
                f"<author>Test Author</author>{lic}<instrumentList>{''.join(body)}"
                "</instrumentList></drumkit_info>\n")
    return kit_dir


def _note(pos: int, inst: int, vel: float = 0.8) -> str:
    return (f"<note><position>{pos}</position><leadlag>0</leadlag><velocity>{vel}</velocity>"
            f"<probability>1</probability><instrument>{inst}</instrument></note>")


def make_song(path) -> str:
    """A song whose ids map Kick=3, Snare=7, Hat=9; a 1-bar pattern, its duplicate, a 2-bar
    pattern and a 3/4 one."""
    rock = "".join(_note(p, 3) for p in (0, 96)) + "".join(_note(p, 7) for p in (48, 144)) + \
        "".join(_note(p, 9, 0.5) for p in range(0, 192, 24))
    two_bars = _note(0, 3) + _note(240, 7) + _note(192 + 96, 3, 0.6)
    waltz = _note(0, 3) + _note(48, 7) + _note(96, 7)
    patterns = [("verse", 192, rock), ("verse copy", 192, rock), ("long", 384, two_bars),
                ("waltz", 144, waltz)]
    pats = "".join(f"<pattern><name>{n}</name><size>{s}</size><denominator>4</denominator>"
                   f"<noteList>{notes}</noteList></pattern>" for n, s, notes in patterns)
    insts = "".join(f"<instrument><id>{i}</id><name>{n}</name></instrument>"
                    for i, n in ((3, "Kick"), (7, "Snare"), (9, "Closed Hat"), (11, "Whistle")))
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"<?xml version='1.0' encoding='UTF-8'?>\n<song><version>1.2.0</version>"
                f"<bpm>120</bpm><instrumentList>{insts}</instrumentList>"
                f"<patternList>{pats}</patternList></song>\n")
    return str(path)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Two acoustic kits (both XML layouts), two electronic and two hand-percussion kits,
    one kit without a snare, and a songs folder."""
    root = tmp_path_factory.mktemp("hydrogen")
    kits = root / "drumkits"
    kits.mkdir()
    make_kit(kits, "Alpha Kit", layout="layers")
    make_kit(kits, "Beta Kit", layout="components", namespace=True, license_text=None)
    make_kit(kits, "Electro One")
    make_kit(kits, "TR-909 Two")
    make_kit(kits, "Hand One", hand=True)
    make_kit(kits, "Hand Two", hand=True, license_text="CC-BY 3.0")
    make_kit(kits, "Kick Only", with_snare=False)
    songs = root / "songs"
    songs.mkdir()
    make_song(songs / "demo.h2song")
    return {"kits": str(kits), "songs": str(songs), "root": root}


def _render(library, out, **kwargs):
    # Generator 5's additions off unless a test asks for them: the tests of the kit,
    # pattern and hold-out logic see only recorded kits and one-bar files.
    args = dict(kits_dir=library["kits"], songs_dir=library["songs"], soundfont_dirs=(),
                n_bars=12, seed=3, val_kits=1, val_share=0.5, sample_rate=SR, synth_share=0.0,
                partial_share=0.0, realism_share=0.0, val_realism_share=0.0, fast_loops=False)
    args.update(kwargs)
    return render_corpus(str(out), **args)


@pytest.fixture(scope="module")
def corpus(library, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "c"
    calls = []
    manifest = _render(library, out, progress=lambda d, t: calls.append((d, t)))
    return {"dir": str(out), "manifest": manifest, "calls": calls}


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layout,namespace", [("layers", False), ("components", True),
                                              ("flat", False)])
def test_load_kit_layouts(tmp_path, layout, namespace):
    make_kit(tmp_path, "K", layout=layout, namespace=namespace)
    kit = load_kit(str(tmp_path / "K"))
    assert kit.name == "K" and kit.author == "Test Author" and kit.license == "CC0"
    assert kit.usable
    roles = kit.roles
    assert set(roles) == {"kick", "snare", "hat_closed", "hat_open"}
    kick = roles["kick"][0]
    if layout == "flat":
        assert len(kick.layers) == 1 and kick.layers[0].path.endswith("kick_hard.flac")
    else:
        assert [os.path.basename(ly.path) for ly in kick.layers] == ["kick_soft.wav",
                                                                      "kick_hard.flac"]
        assert (kick.layers[1].min_velocity, kick.layers[1].max_velocity) == (0.5, 1.0)
        assert kick.layers[1].gain == pytest.approx(0.9)
    # load_kit takes the xml file too
    assert load_kit(str(tmp_path / "K" / "drumkit.xml")).roles.keys() == roles.keys()


def test_kit_without_license_or_snare(tmp_path):
    make_kit(tmp_path, "NoLic", license_text=None, with_snare=False)
    kit = load_kit(str(tmp_path / "NoLic"))
    assert kit.license == "unknown" and not kit.usable


@pytest.mark.parametrize("name,role", [
    ("Kick (Tama Superstar 22\")", "kick"), ("BassDrum", "kick"), ("c3 - bass drum 1", "kick"),
    ("Snare (Pearl Free Floating Maple 14x3.5)", "snare"), ("Sabian Hat Closed", "hat_closed"),
    ("Hat Op Dirty", "hat_open"), ("Hi Hat Opened", "hat_open"), ("Ride Jazz", "ride"),
    ("Sabian Crash", "crash"), ("Pearl Tom Floor", "tom_low"), ("Tom Hi", "tom_high"),
    ("Tom 2", "tom_mid"), ("Hand Clap", "clap"), ("Pearl Side Stick", "rim"),
    ("Cowbell", "cowbell"), ("Snare Roll", None), ("Hat Pedal", None), ("23", None), ("", None),
    ("Conga 1", "conga_high"), ("Conga Lo", "conga_low"), ("Djembe1 Bass", "conga_low"),
    ("Djembe2 Slap", "conga_high"), ("Bongo Hi", "bongo_high"), ("Bongo Lo", "bongo_low"),
    ("Maraca", "shaker"), ("Shaker", "shaker"), ("Tambourine", "tambourine"),
    ("Clave", "clave"), ("Woodblock Hi", "perc"), ("Sangban1 Bell Hit", "cowbell"),
    ("Sangban1 Bell Mute", None), ("Dununba1 Head Hit", "conga_low"), ("Ride Bell", None),
])
def test_role_for_name(name, role):
    assert role_for_name(name) == role


def test_kit_families(library):
    kits = {os.path.basename(p): load_kit(p) for p in list_kits(library["kits"])}
    assert {n: k.family for n, k in kits.items() if k.usable} == {
        "Alpha Kit": "acoustic", "Beta Kit": "acoustic", "Electro One": "electronic",
        "TR-909 Two": "electronic", "Hand One": "hand_percussion",
        "Hand Two": "hand_percussion"}
    assert not kits["Kick Only"].usable
    assert set(kits["Hand One"].roles) <= set(HAND_ROLES)
    assert kit_family("FluidR3_GM TR-808", {"kick": 1, "snare": 1}) == "electronic"
    assert kit_family("Jazz", {"kick": 1, "snare": 1}) == "acoustic"


def test_read_song_patterns(library):
    patterns = read_song_patterns(os.path.join(library["songs"], "demo.h2song"))
    names = [p.name for p in patterns]
    # the copy is deduplicated, the 2-bar pattern split, the 3/4 one left out
    assert names == ["demo:verse", "demo:long:bar1", "demo:long:bar2"]
    verse = patterns[0]
    assert verse.source == "demo.h2song" and verse.bars == 1
    kicks = [n.time for n in verse.notes if n.role == "kick"]
    snares = [n.time for n in verse.notes if n.role == "snare"]
    hats = [n for n in verse.notes if n.role == "hat_closed"]
    assert kicks == [0.0, 2.0] and snares == [1.0, 3.0] and len(hats) == 8
    assert all(n.velocity == pytest.approx(0.5) for n in hats)
    bar2 = patterns[2]
    assert [(n.time, n.role) for n in bar2.notes] == [(1.0, "snare"), (2.0, "kick")]


def test_missing_kits_dir_says_how_to_install(tmp_path):
    for kits_dir in (tmp_path / "nope", tmp_path):
        with pytest.raises(DataError, match="sudo apt-get install --no-install-recommends "
                                            "hydrogen-drumkits"):
            list_kits(str(kits_dir))
    with pytest.raises(DataError) as err:
        render_corpus(str(tmp_path / "out"), kits_dir=str(tmp_path / "nope"),
                      soundfont_dirs=(str(tmp_path / "nosf"),), n_bars=1)
    message = str(err.value)
    assert "no soundfont" in message and "no Hydrogen drum kits" in message
    assert ("sudo apt-get install --no-install-recommends hydrogen-drumkits "
            "hydrogen-drumkits-effects hydrogen-data fluid-soundfont-gm fluid-soundfont-gs "
            "musescore-general-soundfont timgm6mb-soundfont avldrums.lv2-soundfont") in message
    assert not (tmp_path / "out").exists()


# --- grooves ---------------------------------------------------------------------------------


def test_templates_fit_their_grids():
    for genre, style in STYLES.items():
        for role, variants in style.parts.items():
            assert role in ROLES, (genre, role)
            for v in variants:
                assert not v or style.steps % len(v) == 0, (genre, role, v)
                assert set(v) <= set("Xxog."), (genre, role, v)
            if style.hand:
                assert role in HAND_ROLES, (genre, role)


@pytest.mark.parametrize("genre", GENRES)
def test_every_genre_generates_a_valid_groove(genre):
    for seed in range(4):
        p = generate_groove(genre, np.random.default_rng(seed))
        assert p.genre == genre and p.source == f"generator:{genre}" and p.bars == 1
        assert p.notes and all(n.role in ROLES for n in p.notes)
        assert all(0.0 < n.velocity <= 1.0 for n in p.notes)
        assert all(-0.5 < n.time < 4.5 for n in p.notes)
        if genre in HAND_GENRES:
            assert all(n.role in HAND_ROLES for n in p.notes)
            assert len({n.role for n in p.notes}) >= 2
            continue
        assert any(n.role in ("kick", "snare", "rim", "clap") for n in p.notes)
        if genre == "fill":  # a whole-bar fill has toms instead of cymbals
            assert any(n.role.startswith("tom") for n in p.notes)
            continue
        assert sum(n.role == "hat_closed" or n.role == "ride" or n.role == "hat_open"
                   for n in p.notes) >= 2
    a = generate_groove(genre, np.random.default_rng(7), bars=2)
    b = generate_groove(genre, np.random.default_rng(7), bars=2)
    assert a == b and a.bars == 2 and max(n.time for n in a.notes) > 4.0


def test_groove_shapes():
    rng = np.random.default_rng(0)
    house = generate_groove("house", rng)
    kicks = sorted(round(n.time) for n in house.notes if n.role == "kick")
    assert kicks == [0, 1, 2, 3]
    reggae = generate_groove("reggae", rng)
    assert [round(n.time) for n in reggae.notes if n.role == "kick"] == [2]
    with pytest.raises(ValueError, match="unknown genre"):
        generate_groove("polka", rng)
    # trap: 32nd-note hat rolls; shuffle and triplet: hits on the triplet grid only
    trap = generate_groove("trap", np.random.default_rng(1))
    hats = sorted(n.time for n in trap.notes if n.role == "hat_closed")
    assert min(np.diff(hats)) < 0.15
    for genre in ("triplet", "afro"):
        p = generate_groove(genre, np.random.default_rng(2))
        steps = [n.time * 3 for n in p.notes]
        assert all(abs(s - round(s)) < 0.25 for s in steps), genre
    fill = generate_groove("fill", np.random.default_rng(3))
    assert any(n.role.startswith("tom") or n.time >= 2 and n.role == "snare"
               for n in fill.notes)


def test_hand_family_shapes():
    """The hand families play their defining figures (times rounded to the sixteenth)."""
    def sixteenths(p, role):
        return sorted({round(n.time * 4) for n in p.notes if n.role == role})

    for seed in range(6):
        maqsum = generate_groove("maqsum", np.random.default_rng(seed))
        doums = sixteenths(maqsum, "conga_low")
        assert doums[0] == 0 and 8 in doums  # doum on 1 and 3
        assert {2, 6, 12} <= set(sixteenths(maqsum, "bongo_high"))  # tek between
        cajon = generate_groove("cajon", np.random.default_rng(seed))
        assert {4, 12} <= set(sixteenths(cajon, "bongo_high"))  # slap on 2 and 4
        dembow = generate_groove("dembow", np.random.default_rng(seed))
        assert {3, 6, 11, 14} <= set(sixteenths(dembow, "bongo_high"))
        baiao = generate_groove("baiao", np.random.default_rng(seed))
        assert {0, 3, 8} <= set(sixteenths(baiao, "conga_low"))  # the dotted zabumba
        pop = generate_groove("pop_perc", np.random.default_rng(seed))
        assert {4, 12} <= set(sixteenths(pop, "tambourine"))  # backbeat tambourine
        djembe = generate_groove("djembe", np.random.default_rng(seed))
        assert {0, 8} <= set(sixteenths(djembe, "conga_low"))
        assert len(sixteenths(djembe, "conga_high")) >= 6


def test_chopped_break_reorders_sixteenth_slices_of_a_break():
    a = generate_groove(CHOPPED_BREAK, np.random.default_rng(5))
    assert a == generate_groove(CHOPPED_BREAK, np.random.default_rng(5))
    order = [int(c, 16) for c in a.name.split("-", 1)[1]]
    assert len(order) == 16 and order[0] == 0 and order != list(range(16))
    assert a.genre == CHOPPED_BREAK and a.source == f"generator:{CHOPPED_BREAK}"
    # the break it was cut from: replay the draws of chop_break
    rng = np.random.default_rng(5)
    source = CHOP_SOURCES[0] if rng.random() < 2 / 3 else CHOP_SOURCES[1]
    base = generate_groove(source, rng)
    slices = {}
    for n in base.notes:
        slices.setdefault(min(15, max(0, int(np.floor(n.time / 0.25 + 0.5)))), []).append(n)
    expected = sorted((round(n.time + (k - j) * 0.25, 6), n.role)
                      for k, j in enumerate(order) for n in slices.get(j, []))
    assert sorted((round(n.time, 6), n.role) for n in a.notes) == expected
    two = generate_groove(CHOPPED_BREAK, np.random.default_rng(6), bars=2)
    assert two.bars == 2 and max(n.time for n in two.notes) > 4.0


# --- rendering -------------------------------------------------------------------------------


def test_render_corpus_files(corpus):
    m, d = corpus["manifest"], corpus["dir"]
    assert len(m["files"]) == 12
    for entry in m["files"]:
        path = os.path.join(d, entry["path"])
        info = sf.info(path)
        assert info.channels == 1 and info.samplerate == SR and info.subtype == "PCM_16"
        x, _ = sf.read(path, dtype="float32")
        fast = m["fast_loops"] and entry["pattern_family"] in FAST_GENRES
        assert entry["bars"] == (FAST_LOOP_BARS if fast else 1)
        assert len(x) == entry["samples"] == bar_samples(entry["bpm"], SR, bars=entry["bars"])
        assert len(x) == round(SR * 60 * 4 * entry["bars"] / entry["bpm"])
        peak_db = 20 * np.log10(float(np.max(np.abs(x))))
        # a recorded (realism) file is peak-normalised last; a chain's gain stage sets the rest
        gains = [s["gain_db"] for s in entry["chain"] or [] if s["stage"] == "gain"]
        assert peak_db == pytest.approx(-1.0 + (0 if entry["realism"] else sum(gains)),
                                        abs=0.05)
        low, high = FAST_BPM_RANGE if fast else (60, 200)
        assert low <= entry["bpm"] <= high
    assert corpus["calls"][-1] == (12, 12) and len(corpus["calls"]) == 12


def test_generator_5_range_of_recordings(library, tmp_path):
    """Synth kits (even seeds in training, odd held out), partial kits, the realism family,
    fast loops; two workers render the same manifest as one."""
    m = _render(library, tmp_path / "g5", n_bars=60, seed=11, synth_share=0.5,
                partial_share=0.5, realism_share=0.5, val_realism_share=0.6, val_share=0.3,
                fast_loops=True, workers=2)
    files = m["files"]
    synth = [e for e in files if e["kit_source"] == "synth"]
    assert synth and all(int(e["kit"].rsplit(" ", 1)[1]) % 2 == (e["split"] == "val")
                         for e in synth)
    assert all(e["split"] == "train" or e["holdout"] == "realism" for e in synth)
    realism = [e for e in files if e["realism"]]
    assert realism and all(e["family"] == "realism" for e in realism)
    assert {e["split"] for e in realism} == {"train", "val"}
    val_realism = [e for e in files if e["split"] == "val" and e["holdout"] == "realism"]
    assert val_realism and all(e["kit"] in m["val_kits"] or e["kit_source"] == "synth"
                               for e in val_realism)
    partial = [e for e in files if e["partial"]]
    assert partial and all(e["pattern"].endswith("+" + e["partial"]) for e in partial)
    assert m["synth_kits"]["train"] + m["synth_kits"]["val"] == len(synth)
    one = _render(library, tmp_path / "g5one", n_bars=60, seed=11, synth_share=0.5,
                  partial_share=0.5, realism_share=0.5, val_realism_share=0.6, val_share=0.3,
                  fast_loops=True)
    assert one["files"] == files
    fast = [e for e in files if e["pattern_family"] in FAST_GENRES]
    assert all(e["bars"] == FAST_LOOP_BARS and 160 <= e["bpm"] <= 200 for e in fast)


def test_render_corpus_manifest(corpus):
    m, d = corpus["manifest"], corpus["dir"]
    assert read_manifest(d) == json.loads(json.dumps(m))
    assert m["seed"] == 3 and m["generator_version"] and m["sample_rate"] == SR
    assert len(m["kits"]) == 6
    assert [s["kit"] for s in m["skipped_kits"]] == ["Kick Only"]
    # one kit held out of each family
    families = {k["name"]: k["family"] for k in m["kits"]}
    assert sorted(families[v] for v in m["val_kits"]) == ["acoustic", "electronic",
                                                          "hand_percussion"]
    assert len(m["train_kits"]) == 3
    licenses = {k["name"]: k["license"] for k in m["kits"]}
    assert licenses["Alpha Kit"] == "CC0" and licenses["Beta Kit"] == "unknown"
    for e in m["files"]:
        assert set(e) >= {"path", "kit", "kit_family", "license", "pattern",
                          "pattern_family", "source", "chain", "family", "bpm", "bars",
                          "seed", "split", "holdout"}
        assert e["license"] == licenses[e["kit"]] and e["kit_family"] == families[e["kit"]]
        assert e["path"].startswith(e["split"] + "/")
        assert e["source"] == "demo.h2song" or e["source"] == f"generator:{e['genre']}"
    assert {e["split"] for e in m["files"]} == {"train", "val"}
    corpus = Corpus.open(d)
    assert corpus.manifest == read_manifest(d) and corpus.generator_version == "5"
    assert corpus.tempi(absolute=False) == {e["path"]: e["bpm"] for e in m["files"]}
    absolute = corpus.tempi()
    assert absolute == {os.path.join(os.path.abspath(d), e["path"]): e["bpm"]
                        for e in m["files"]}
    assert all(os.path.isfile(p) for p in absolute)
    assert corpus.has_splits and {e["path"] for e in corpus.entries("val")} == {
        e["path"] for e in m["files"] if e["split"] == "val"}
    # nothing but the corpus is left beside it
    assert os.listdir(os.path.dirname(d)) == ["c"]


def test_held_out_design(library, tmp_path):
    m = _render(library, tmp_path / "design", n_bars=60, seed=11, val_share=0.4,
                process_share=0.5, val_process_share=0.5, val_families=2)
    val_kits, val_fams = set(m["val_kits"]), set(m["val_pattern_families"])
    assert len(val_fams) == 3 and len(val_fams & set(HAND_GENRES)) == 1
    assert not val_fams & set(CHOP_SOURCES)  # chopped breaks in training would carry them
    train = [e for e in m["files"] if e["split"] == "train"]
    val = [e for e in m["files"] if e["split"] == "val"]
    assert train and val
    for e in train:
        assert e["kit"] not in val_kits and e["pattern_family"] not in val_fams
        assert e["holdout"] is None
    for e in val:
        held = ((["kit"] if e["kit"] in val_kits else [])
                + (["pattern"] if e["pattern_family"] in val_fams else []))
        assert e["holdout"] == "+".join(held)
    for e in m["files"]:
        assert e["family"] == (PROCESSED if e["chain"] else e["kit_family"])
        hand_kit = e["kit_family"] == "hand_percussion"
        assert (e["pattern_family"] in HAND_GENRES) == hand_kit
    assert {e["holdout"] for e in val} == {"kit", "pattern", "kit+pattern"}
    assert any(e["chain"] for e in train) and any(not e["chain"] for e in train)
    summary = summarize(m)
    assert summary["per_split"] == {"train": len(train), "val": len(val)}
    assert sum(summary["per_family"].values()) == 60
    assert summary["per_split_family"]["val"].get(PROCESSED, 0) == sum(
        1 for e in val if e["chain"])
    assert summary["processed"] == sum(1 for e in m["files"] if e["chain"])


def test_render_is_deterministic(library, corpus, tmp_path):
    _render(library, tmp_path / "again")
    for name in ["manifest.json"] + [e["path"] for e in corpus["manifest"]["files"]]:
        with open(os.path.join(corpus["dir"], name), "rb") as a, \
                open(tmp_path / "again" / name, "rb") as b:
            assert a.read() == b.read(), name
    other = _render(library, tmp_path / "other", seed=4)
    assert [e["bpm"] for e in other["files"]] != [e["bpm"] for e in corpus["manifest"]["files"]]


def test_revoiced_training_files_keep_their_pattern_tempo_and_chain(library, corpus,
                                                                   tmp_path):
    m = _render(library, tmp_path / "revoiced", revoice_share=1.0)
    plain = corpus["manifest"]
    assert plain["revoice_share"] == 0.0 and m["revoice_share"] == 1.0
    assert all(e["voicing"] is None for e in plain["files"])
    train = 0
    for e, p in zip(m["files"], plain["files"]):
        # everything but the voicing is what the same seed renders without it
        assert {k: v for k, v in e.items() if k != "voicing"} == {
            k: v for k, v in p.items() if k != "voicing"}
        with open(tmp_path / "revoiced" / e["path"], "rb") as a, \
                open(os.path.join(corpus["dir"], p["path"]), "rb") as b:
            same = a.read() == b.read()
        if e["split"] == "val":  # held-out kits are measured as they are
            assert e["voicing"] is None and same
        else:
            train += 1
            assert e["voicing"] and not same
            # every role the kit has, and those stand-ins play (a clap on the snare)
            roles = next(k["roles"] for k in m["kits"] if k["name"] == e["kit"])
            assert set(roles) | {"clap", "shaker"} <= set(e["voicing"])
    assert train and summarize(m)["revoiced"] == train
    half = _render(library, tmp_path / "half", n_bars=40, revoice_share=0.5)
    revoiced = [e for e in half["files"] if e["voicing"]]
    trained = [e for e in half["files"] if e["split"] == "train"]
    assert 0 < len(revoiced) < len(trained)
    with pytest.raises(DataError, match="revoice_share"):
        _render(library, tmp_path / "bad", revoice_share=1.5)


def test_named_val_kit_and_loops(library, tmp_path):
    m = _render(library, tmp_path / "loops", n_bars=2, val_kits=["Beta Kit"], loop_bars=2,
                bpm_range=(120, 120))
    assert m["val_kits"] == ["Beta Kit"]
    for e in m["files"]:
        x, _ = sf.read(tmp_path / "loops" / e["path"])
        assert e["bars"] == 2 and len(x) == bar_samples(120.0, SR, bars=2) == 32000
        held = e["kit"] == "Beta Kit" or e["pattern_family"] in m["val_pattern_families"]
        assert e["split"] == ("val" if held else "train")
    with pytest.raises(DataError, match="unknown --val-kit"):
        _render(library, tmp_path / "x", val_kits=["Gamma"])
    with pytest.raises(DataError, match="at least one"):
        _render(library, tmp_path / "y", val_kits=[k for k in m["train_kits"] + m["val_kits"]])
    with pytest.raises(DataError, match="unknown --val-family"):
        _render(library, tmp_path / "z", val_families=["polka"])
    with pytest.raises(DataError, match="every pattern family"):
        _render(library, tmp_path / "w", val_families=list(HAND_GENRES))
    assert not any(p.name in ("x", "y", "z", "w") for p in tmp_path.iterdir())


def test_refuses_existing_output_unless_force(library, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(OutputExistsError, match="--force"):
        _render(library, out, n_bars=1)
    assert (out / "mine.txt").read_text() == "keep me"
    _render(library, out, n_bars=1, force=True)
    # --force replaces drumaae's files only: the user's file stays (drumaae.fileio)
    assert (out / "mine.txt").read_text() == "keep me" and (out / "manifest.json").exists()
    assert sorted(os.listdir(tmp_path)) == ["out"]
    empty = tmp_path / "empty"
    empty.mkdir()
    _render(library, empty, n_bars=1)  # an empty folder is fine
    assert (empty / "manifest.json").exists()


# --- CLI -------------------------------------------------------------------------------------


def test_cli_render_and_info(library, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(cli, ["corpus", "render", "--out", str(out), "--kits-dir",
                                 library["kits"], "--songs-dir", library["songs"],
                                 "--no-soundfonts", "--bars", "4", "--val-kit", "Alpha Kit",
                                 "--val-family", "trap", "--val-share", "0.5",
                                 "--process-share", "1", "--revoice-share", "1",
                                 "--sample-rate", str(SR)])
    assert result.exit_code == 0, result.output
    assert "Wrote 4 files" in result.output
    # skipped kits: one summary line by default, one line per kit with --verbose
    skipped = [ln for ln in result.output.splitlines() if ln.startswith("Skipped")]
    assert len(skipped) == 1 and skipped[0].startswith("Skipped 1 kit (1 x ")
    assert "--verbose" in skipped[0] and "Kick Only" not in skipped[0]
    verbose = runner.invoke(cli, ["corpus", "render", "--out", str(tmp_path / "v"),
                                  "--kits-dir", library["kits"], "--no-soundfonts", "--bars",
                                  "1", "--sample-rate", str(SR), "--verbose"])
    assert verbose.exit_code == 0, verbose.output
    assert "Skipped kit Kick Only: " in verbose.output
    m = read_manifest(str(out))
    assert m["val_kits"] == ["Alpha Kit"] and m["val_pattern_families"] == ["trap"]
    assert all(e["chain"] and e["voicing"] for e in m["files"] if e["split"] == "train")
    info = runner.invoke(cli, ["corpus", "info", str(out), "--json"])
    assert info.exit_code == 0, info.output
    assert json.loads(info.output)["files"] == 4
    text = runner.invoke(cli, ["corpus", "info", str(out)])
    assert text.exit_code == 0 and "per family:" in text.output
    revoiced = sum(1 for e in m["files"] if e["split"] == "train")
    assert f"{revoiced} re-voiced" in text.output
    assert "held-out pattern families: trap" in text.output
    again = runner.invoke(cli, ["corpus", "render", "--out", str(out), "--kits-dir",
                                library["kits"], "--bars", "1"])
    assert again.exit_code == 1 and "--force" in again.output


def test_cli_missing_kits_is_one_error_line(tmp_path):
    result = CliRunner().invoke(cli, ["corpus", "render", "--out", str(tmp_path / "o"),
                                      "--kits-dir", str(tmp_path / "none"),
                                      "--soundfont-dir", str(tmp_path / "nosf")])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:")
    assert ("sudo apt-get install --no-install-recommends hydrogen-drumkits "
            "hydrogen-drumkits-effects hydrogen-data fluid-soundfont-gm") in lines[0]
    bad = CliRunner().invoke(cli, ["corpus", "info", str(tmp_path)])
    assert bad.exit_code == 1 and bad.output.startswith("Error:")


# --- the real kits ---------------------------------------------------------------------------


@pytest.mark.slow
def test_render_with_installed_kits(tmp_path):
    """Needs the Debian kit packages (docs/corpus.md); about a minute (fonts load)."""
    if not os.path.isdir("/usr/share/sounds/sf2"):
        pytest.skip("the soundfont packages are not installed")
    m = render_corpus(str(tmp_path / "real"), n_bars=4, seed=0, val_kits=1)
    assert len(m["kits"]) >= 40 and m["song_patterns"] > 20 and not m["missing_sources"]
    assert {k["family"] for k in m["kits"]} == {"acoustic", "electronic", "hand_percussion"}
    for e in m["files"]:
        x, sr = sf.read(tmp_path / "real" / e["path"])
        assert sr == 22050 and len(x) == bar_samples(e["bpm"], sr)
        assert 0.05 < np.max(np.abs(x)) <= 0.9


def _memory_kit(roles) -> KitRenderer:
    """A hand kit of in-memory clicks, one instrument per role (circAfrique's roles)."""
    insts = tuple(Instrument(str(i), r, r, (Layer(f"mem:{r}"),)) for i, r in enumerate(roles))
    kit = Kit("Small Hand", "", "", "CC0", insts, family="hand_percussion")
    click = np.zeros(2000, np.float32)
    click[:50] = 0.8
    return KitRenderer(kit, SR, loader=lambda path: click)


def test_a_pattern_the_kit_cannot_sound_is_drawn_again():
    renderer = _memory_kit(("conga_high", "conga_low", "cowbell"))
    assert "shaker" not in renderer.playable_roles and "clave" in renderer.playable_roles
    silent_seeds = []
    for seed in range(120):
        first = generate_groove("pop_perc", np.random.default_rng(seed), bars=1)
        drawn = _draw_pattern("pop_perc", np.random.default_rng(seed), 1, [], renderer)
        audio = render_pattern(renderer, drawn, 120.0, np.random.default_rng(0))
        assert np.abs(audio).max() > 0.5               # every file has sound
        if not any(n.role in renderer.playable_roles for n in first.notes):
            silent_seeds.append(seed)
            assert not np.abs(render_pattern(renderer, first, 120.0,
                                             np.random.default_rng(0))).any()
            assert drawn.name != first.name
        else:                                           # a playable draw is kept as it was
            assert drawn.name == first.name and drawn.notes == first.notes
    assert silent_seeds                                 # the case the redraw is for happens


def test_a_kit_that_sounds_no_role_of_a_family_is_an_error():
    renderer = _memory_kit(("kick",))
    with pytest.raises(DataError, match="sounds none of the notes of 16 'pop_perc'"):
        _draw_pattern("pop_perc", np.random.default_rng(0), 1, [], renderer)
