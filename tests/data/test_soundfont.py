"""Soundfont kits: a tiny SF2 written by the test, read and played with tinysoundfont.

No system soundfont is needed: `make_sf2` writes a valid RIFF ``sfbk`` file (one mono sample
per key) with a few drum presets in bank 128.
"""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from drumaae.data.corpus import KitRenderer, render_pattern
from drumaae.data.hydrogen import Note, Pattern
from drumaae.data.soundfont import (
    SoundfontKitRenderer,
    list_soundfonts,
    render_key,
    soundfont_kits,
)
from drumaae.errors import DataError

pytest.importorskip("tinysoundfont")

SR = 16000


# --- a minimal SF2 writer ---------------------------------------------------------------------


def _chunk(tag: bytes, data: bytes) -> bytes:
    pad = b"\0" if len(data) % 2 else b""
    return tag + struct.pack("<I", len(data)) + data + pad


def _list(kind: bytes, chunks: list[bytes]) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _name(text: str) -> bytes:
    return text.encode("ascii")[:19].ljust(20, b"\0")


def make_sf2(path, instruments: list[dict[int, np.ndarray]],
             presets: list[tuple[int, int, str, int]], rate: int = SR) -> str:
    """Write an SF2 file.

    Args:
        instruments: per instrument, ``{MIDI key: mono float samples}`` (one zone per key,
            played at its recorded pitch).
        presets: ``(bank, preset, name, instrument index)``.
    """
    data = bytearray()
    headers = []
    for inst_index, keys in enumerate(instruments):
        for key, sound in sorted(keys.items()):
            pcm = np.clip(np.round(np.asarray(sound) * 32767), -32768, 32767).astype("<i2")
            start = len(data) // 2
            data += pcm.tobytes() + b"\0\0" * 46  # the spec's 46 zero samples after each
            end = start + len(pcm)
            headers.append((f"s{inst_index}_{key}", start, end, start, end, key))
    smpl = bytes(data)
    shdr = b"".join(_name(n) + struct.pack("<IIIIIBbHH", s, e, ls, le, rate, key, 0, 0, 1)
                    for n, s, e, ls, le, key in headers)
    shdr += _name("EOS") + b"\0" * 26

    inst, ibag, igen = b"", b"", b""
    bag_index, gen_index, sample_id = 0, 0, 0
    for inst_index, keys in enumerate(instruments):
        inst += _name(f"inst{inst_index}") + struct.pack("<H", bag_index)
        for key in sorted(keys):
            ibag += struct.pack("<HH", gen_index, 0)
            gens = [(43, key | (key << 8)),  # keyRange: this key only
                    (58, key),               # overridingRootKey: play at recorded pitch
                    (53, sample_id)]         # sampleID: always last
            for oper, amount in gens:
                igen += struct.pack("<HH", oper, amount)
            gen_index += len(gens)
            bag_index += 1
            sample_id += 1
    inst += _name("EOI") + struct.pack("<H", bag_index)
    ibag += struct.pack("<HH", gen_index, 0)
    igen += struct.pack("<HH", 0, 0)

    phdr, pbag, pgen = b"", b"", b""
    for i, (bank, preset, name, inst_index) in enumerate(presets):
        phdr += _name(name) + struct.pack("<HHHIII", preset, bank, i, 0, 0, 0)
        pbag += struct.pack("<HH", i, 0)
        pgen += struct.pack("<HH", 41, inst_index)  # instrument
    phdr += _name("EOP") + struct.pack("<HHHIII", 0, 0, len(presets), 0, 0, 0)
    pbag += struct.pack("<HH", len(presets), 0)
    pgen += struct.pack("<HH", 0, 0)
    terminal_mod = b"\0" * 10

    info = _list(b"INFO", [_chunk(b"ifil", struct.pack("<HH", 2, 1)),
                           _chunk(b"isng", b"EMU8000\0"), _chunk(b"INAM", b"tiny kit\0")])
    sdta = _list(b"sdta", [_chunk(b"smpl", smpl)])
    pdta = _list(b"pdta", [_chunk(b"phdr", phdr), _chunk(b"pbag", pbag),
                           _chunk(b"pmod", terminal_mod), _chunk(b"pgen", pgen),
                           _chunk(b"inst", inst), _chunk(b"ibag", ibag),
                           _chunk(b"imod", terminal_mod), _chunk(b"igen", igen),
                           _chunk(b"shdr", shdr)])
    body = b"sfbk" + info + sdta + pdta
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)
    return str(path)


def _hit(freq: float, decay: float, seed: int, noise: float = 0.0) -> np.ndarray:
    t = np.arange(int(0.12 * SR)) / SR
    rng = np.random.default_rng(seed)
    x = np.sin(2 * np.pi * freq * t) + noise * rng.standard_normal(len(t))
    return (0.8 * x / np.max(np.abs(x)) * np.exp(-t * decay)).astype(np.float32)


def _kit_sounds(seed: int) -> dict[int, np.ndarray]:
    return {36: _hit(60, 30, seed), 38: _hit(200, 40, seed + 1, 2.0),
            42: _hit(5000, 80, seed + 2, 4.0)}


@pytest.fixture(scope="module")
def tiny_font(tmp_path_factory):
    """Presets: Standard (kit A + hand keys), Room (kit A again: a duplicate), TR-808
    (kit B), SFX (not a kit), Hats (no kick or snare)."""
    root = tmp_path_factory.mktemp("sf2")
    kit_a = _kit_sounds(0)
    kit_a.update({60: _hit(500, 25, 10), 62: _hit(300, 20, 11), 64: _hit(180, 20, 12),
                  70: _hit(8000, 60, 13, 5.0)})
    kit_b = _kit_sounds(20)
    hats = {42: _hit(6000, 90, 30, 4.0)}
    path = make_sf2(root / "Tiny.sf2", [kit_a, kit_b, hats],
                    [(128, 0, "Standard", 0), (128, 8, "Room", 0), (128, 25, "TR-808", 1),
                     (128, 56, "SFX", 1), (128, 40, "Hats", 2)])
    return path


def test_soundfont_kits_finds_distinct_kits_and_families(tiny_font):
    kits, skipped = soundfont_kits(tiny_font, SR)
    names = [k.name for k in kits]
    assert names == ["Tiny Standard", "Tiny TR-808", "Tiny Percussion"]
    families = {k.name: k.family for k in kits}
    assert families == {"Tiny Standard": "acoustic", "Tiny TR-808": "electronic",
                        "Tiny Percussion": "hand_percussion"}
    reasons = {s["kit"]: s["reason"] for s in skipped}
    assert "Tiny Standard" in reasons["Tiny Room"]
    assert "not a drum kit" in reasons["Tiny SFX"]
    assert "no kick or snare" in reasons["Tiny Hats"]
    standard = kits[0]
    assert set(standard.roles) == {"kick", "snare", "hat_closed"}
    assert set(kits[2].roles) == {"bongo_high", "conga_high", "conga_low", "shaker"}
    assert all(k.source == "soundfont" and k.license == "unknown" for k in kits)
    # every role plays three velocity layers covering 0..1
    layers = standard.roles["kick"][0].layers
    assert [(ly.min_velocity, ly.max_velocity) for ly in layers] == [
        (0.0, 0.5), (0.5, 0.8), (0.8, 1.0)]


def test_render_key_plays_the_sample(tiny_font):
    kick = render_key(tiny_font, 128, 0, 36, 124, SR)
    hat = render_key(tiny_font, 128, 0, 42, 124, SR)
    assert 0 < len(kick) <= 2 * SR and kick.dtype == np.float32
    # the kick's energy sits low, the hat's high: the keys play their own samples
    def centroid(x):
        spec = np.abs(np.fft.rfft(x, 4096))
        return float((spec * np.fft.rfftfreq(4096, 1 / SR)).sum() / spec.sum())
    assert centroid(kick) < 500 < 3000 < centroid(hat)
    soft = render_key(tiny_font, 128, 0, 36, 50, SR)
    assert np.max(np.abs(soft)) < np.max(np.abs(kick))
    assert len(render_key(tiny_font, 128, 0, 50, 124, SR)) == 0  # no zone: silent
    # same key, same samples, whatever was played before
    render_key(tiny_font, 128, 25, 38, 90, SR)
    assert np.array_equal(render_key(tiny_font, 128, 0, 42, 124, SR), hat)


def test_soundfont_kit_plays_patterns_with_a_sample_cache(tiny_font):
    kit = soundfont_kits(tiny_font, SR)[0][0]
    calls = []
    source = SoundfontKitRenderer(SR)

    def loader(path):
        calls.append(path)
        return source(path)

    renderer = KitRenderer(kit, SR, loader=loader)
    pattern = Pattern(name="p", source="test", notes=tuple(
        Note(time=t, role=r, velocity=v) for t, r, v in
        [(0, "kick", 0.9), (1, "snare", 0.9), (2, "kick", 0.9), (3, "snare", 0.3),
         (0.5, "hat_closed", 0.9), (1.5, "hat_closed", 0.9)]))
    a = render_pattern(renderer, pattern, 120.0, np.random.default_rng(0))
    b = render_pattern(renderer, pattern, 120.0, np.random.default_rng(0))
    assert len(a) == 2 * SR and np.array_equal(a, b)
    assert np.max(np.abs(a)) == pytest.approx(10 ** (-1 / 20), rel=1e-4)
    # each (key, velocity) was rendered once: kick loud, snare loud and soft, hat loud
    assert len(calls) == len(set(calls)) == 4
    onset = int(0.5 * SR)  # the first snare: beat 1 = 0.5 s at 120 BPM
    assert np.max(np.abs(a[onset - 400: onset - 40])) < 0.05  # the kick has died away
    assert np.max(np.abs(a[onset: onset + 400])) > 0.1


def test_list_soundfonts_drops_links_and_other_files(tiny_font, tmp_path):
    folder = tmp_path / "fonts"
    folder.mkdir()
    real = folder / "Real.sf2"
    real.write_bytes(open(tiny_font, "rb").read())
    os.symlink(real, folder / "default-GM.sf2")
    (folder / "notes.txt").write_text("x")
    assert list_soundfonts([str(folder), str(tmp_path / "missing")]) == [str(real)]


def test_bad_soundfont_is_a_data_error(tmp_path):
    bad = tmp_path / "Bad.sf2"
    bad.write_bytes(b"RIFF\0\0\0\0junk")
    with pytest.raises(DataError, match="cannot load soundfont"):
        soundfont_kits(str(bad), SR)


def test_missing_tinysoundfont_names_the_install_command(tiny_font, monkeypatch):
    import sys

    from drumaae.data import soundfont

    monkeypatch.setitem(sys.modules, "tinysoundfont", None)  # import now fails
    monkeypatch.setattr(soundfont, "_FONTS", {})
    with pytest.raises(DataError, match=r"pip install --no-deps tinysoundfont==0\.3\.7"):
        soundfont_kits(tiny_font, SR)
