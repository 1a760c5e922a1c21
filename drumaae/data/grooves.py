"""A generator of common drum grooves, for rendering a training corpus.

Each genre (pattern family) is a small set of step-grid templates (16 steps a bar, 32 for
trap hat rolls and talking-drum rolls, 12 triplet steps for the shuffle and 12/8 feels, 48 for
tabla thekas on a 16- or 12-step grid, 96 for footwork's triplet kicks under 32nd-note hats) per
drum role, with accents written in the template itself. A call draws one
variant per role, then varies it: ghost notes, a fill in the last beat(s), an opening crash,
open-hat lifts, per-note velocity, swing and humanised timing. All randomness comes from the
numpy `Generator` passed in, so a seed gives the same groove. docs/corpus.md describes each
genre.

`drop_roles` turns a pattern into a partial kit (a stem or a sparse loop: hats only, tops
without kick, percussion only, ...) after one of `PARTIAL_SCHEMES`; `draw_partial` draws a
scheme for drum or hand patterns.

Template characters: ``X`` accent (velocity ~0.95), ``x`` normal (~0.75), ``o`` soft
(~0.5), ``g`` ghost (~0.25), ``.`` rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drumaae.data.hydrogen import ROLES, Note, Pattern

__all__ = ["GENRES", "HAND_GENRES", "DRUM_GENRES", "CHOPPED_BREAK", "CHOP_SOURCES",
           "FAST_GENRES", "FAST_BPM_RANGE", "FAST_LOOP_BARS", "PARTIAL_SCHEMES",
           "DRUM_PARTIALS", "HAND_PARTIALS", "GrooveStyle", "STYLES", "generate_groove",
           "chop_break", "vary_pattern", "draw_partial", "drop_roles"]

_LEVELS = {"X": 0.95, "x": 0.75, "o": 0.5, "g": 0.25}


@dataclass(frozen=True)
class GrooveStyle:
    """How one genre grooves.

    Args:
        steps: grid steps per bar (16 = sixteenths, 12 = eighth-note triplets).
        parts: role -> template variants (one string of `steps` characters each); one variant
            per role is drawn per bar. A role may list "" as a variant meaning "not played".
        ghost_role / ghost_rate: role and per-empty-step chance of ghost notes.
        fill_rate: chance that the last bar ends with a fill (toms and snare).
        crash_rate: chance of a crash on the downbeat of the first bar.
        open_hat_rate: chance that a closed-hat hit on an off-beat becomes an open hat.
        swing: range of swing, as a fraction of a step by which off-beat steps are late.
        humanise: range of the timing jitter's standard deviation, as a fraction of a step.
        hand: a hand-percussion style (played on hand-percussion kits, no tom fills).
        fill_beats: how many beats a fill may take (drawn uniformly).
        linked: one variant index is drawn for all roles, so variant k of every role forms
            one composite pattern (a tabla theka: its strokes share one grid and one cycle);
            every role then lists equally many variants.

    A template may be shorter than `steps` when `steps` is a multiple of its length (a
    16-step kick in a 32-step trap bar): its hits are spread over the bar. Ghost notes fall
    on the grid of the ghost role's drawn template.
    """

    steps: int
    parts: dict[str, tuple[str, ...]]
    ghost_role: str = "snare"
    ghost_rate: float = 0.0
    fill_rate: float = 0.12
    crash_rate: float = 0.15
    open_hat_rate: float = 0.05
    swing: tuple[float, float] = (0.0, 0.05)
    humanise: tuple[float, float] = (0.01, 0.06)
    description: str = ""
    hand: bool = False
    fill_beats: tuple[int, ...] = (1, 2)
    linked: bool = False

    def __post_init__(self):
        if self.linked and len({len(v) for v in self.parts.values()}) != 1:
            raise ValueError("a linked style lists equally many variants for every role")


_HATS_8 = "X.x.X.x.X.x.X.x."
_HATS_16 = "XoxoXoxoXoxoXoxo"


def _hand_style(parts: dict[str, tuple[str, ...]], description: str, steps: int = 16,
                **kwargs) -> GrooveStyle:
    """A hand-percussion style: no fills, crashes or hi-hat lifts (hand kits have none)."""
    return GrooveStyle(steps=steps, parts=parts, fill_rate=0.0, crash_rate=0.0,
                       open_hat_rate=0.0, hand=True, description=description, **kwargs)


STYLES: dict[str, GrooveStyle] = {
    "rock": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X.......X.......", "X.......X.x.....", "X.....x.X.......",
                     "X.x.....X.......", "X......xX.x....."),
            "snare": ("....X.......X...", "....X.......X..x"),
            "hat_closed": (_HATS_8, "X.x.X.x.X.x.X.xx", "XxxxXxxxXxxxXxxx"),
        },
        ghost_rate=0.03,
        swing=(0.0, 0.04),
        description="kick on 1 and 3 (with pushes on the 'and'), snare on 2 and 4, "
        "eighth-note hats accented on the beat",
    ),
    "funk": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X..x..x...x..x..", "X.x...x.X..x....", "X..x......xX....",
                     "X.....x.x.x..x.."),
            "snare": ("....X..g.g..X..g", "....X.g..g..X.g.", "....X.......X..."),
            "hat_closed": (_HATS_16, "XgxgXgxgXgxgXgxg", "X.xxX.xxX.xxX.xx"),
        },
        ghost_rate=0.25,
        open_hat_rate=0.12,
        swing=(0.0, 0.15),
        description="syncopated sixteenth-note kick, backbeat with many ghost snares, "
        "sixteenth hats with off-beat open-hat lifts",
    ),
    "hiphop": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X......xX.x.....", "X.........X.x...", "X.x.......X..x..",
                     "X......x..X....."),
            "snare": ("....X.......X...", "....X.......X..g"),
            "hat_closed": (_HATS_8, _HATS_16, "X.xoX.xoX.xoX.xo"),
        },
        ghost_rate=0.06,
        swing=(0.1, 0.33),
        humanise=(0.02, 0.08),
        description="boom-bap: heavy kick on 1 with lazy pickups, hard snare on 2 and 4, "
        "strongly swung eighth or sixteenth hats",
    ),
    "house": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X...X...X...X...",),
            "clap": ("....X.......X...", "....X.......X..."),
            "hat_open": ("..x...x...x...x.",),
            "hat_closed": ("o.o.o.o.o.o.o.o.", "ogogogogogogogog", ""),
        },
        fill_rate=0.03,
        crash_rate=0.1,
        swing=(0.0, 0.15),
        humanise=(0.0, 0.02),
        description="four-on-the-floor kick, clap on 2 and 4, open hat on every off-beat "
        "eighth, soft closed hats",
    ),
    "breakbeat": GrooveStyle(
        steps=16,
        parts={
            # The amen break's first two bars: kick 1, 1&, 3&, 3a; snare 2, 2a, 3e, 4, 4a.
            "kick": ("X.x.......xX....", "X.x.......x....."),
            "snare": ("....X..x.x..X..x", "....X..x.x..X..."),
            "ride": ("X.x.X.x.X.x.X.x.", ""),
            "hat_closed": ("o.o.o.o.o.o.o.o.", "X.x.X.x.X.x.X.x."),
        },
        ghost_rate=0.12,
        swing=(0.0, 0.1),
        description="amen-like break: kick on 1 and 1&, pushed kicks before 4, snare on 2 and "
        "4 with syncopated hits around them, eighth-note ride or hats",
    ),
    "jungle": GrooveStyle(
        steps=16,
        parts={
            # Two-step drum & bass, and chopped-break variants.
            "kick": ("X.........X.....", "X.........x.....", "X.x.......x.....",
                     "X.........XX...."),
            "snare": ("....X.......X...", "....X..x.x..X...", "....X....x..X..x"),
            "hat_closed": (_HATS_8, "XoXoXoXoXoXoXoXo", "..x...x...x...x."),
        },
        ghost_rate=0.15,
        fill_rate=0.18,
        swing=(0.0, 0.06),
        description="drum & bass two-step: kick on 1 and the 'and' of 3, snare on 2 and 4, "
        "chopped-break snare variants and busy hats",
    ),
    "halftime": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X.........X.....", "X.....x...x.....", "X..x......x....."),
            "snare": ("........X.......", "........X......g"),
            "hat_closed": (_HATS_8, _HATS_16),
        },
        ghost_rate=0.05,
        description="half-time feel: snare only on beat 3, sparse kick, eighth or sixteenth "
        "hats",
    ),
    "shuffle": GrooveStyle(
        steps=12,
        parts={
            "kick": ("X.....X.....", "X....xX.....", "X.....X....x"),
            "snare": ("...X.....X..", "...X.g...X.g"),
            "hat_closed": ("X.xX.xX.xX.x",),
        },
        ghost_rate=0.12,
        swing=(0.0, 0.0),
        description="triplet shuffle: hats on the first and third triplet of each beat, kick "
        "on 1 and 3 with triplet pickups, snare on 2 and 4 with ghosted middle triplets",
    ),
    "disco": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X...X...X...X...",),
            "snare": ("....X.......X...",),
            "hat_open": ("..x...x...x...x.",),
            "hat_closed": ("x.o.x.o.x.o.x.o.", "xoooxoooxoooxooo"),
        },
        ghost_rate=0.04,
        fill_rate=0.06,
        crash_rate=0.2,
        swing=(0.0, 0.05),
        humanise=(0.0, 0.03),
        description="four-on-the-floor kick, snare on 2 and 4, open hat on the off-beats "
        "between closed sixteenths",
    ),
    "reggae": GrooveStyle(
        steps=16,
        parts={
            # One drop: nothing on 1, kick and cross-stick together on 3.
            "kick": ("........X.......",),
            "rim": ("........X.......", "....o...X.......", "........X.....o."),
            "hat_closed": (_HATS_8, "X.xxX.xxX.xxX.xx"),
        },
        ghost_role="rim",
        ghost_rate=0.03,
        fill_rate=0.08,
        crash_rate=0.05,
        swing=(0.05, 0.3),
        description="one drop: no kick on the downbeat, kick and cross-stick together on "
        "beat 3, swung eighth hats",
    ),
    "trap": GrooveStyle(
        steps=32,
        parts={
            "kick": ("X......X..X.....", "X.....X...X..X..", "X......X.X......",
                     "X.........X...x."),
            "clap": ("........X.......",),
            "snare": ("........X.......", ""),
            "hat_closed": ("x.x.x.x.x.x.x.x.x.x.x.x.xxxxx.x.",
                           "x.x.x.x.xxx.x.x.x.x.x.x.x.xxxxxx",
                           "x...x...x...x...x...x...xxx.x.x.",
                           "x.x.x.xxxx..x.x.x.x.x.x.xxxxxxxx"),
            "hat_open": ("", "", "..............x................."),
        },
        fill_rate=0.0,
        crash_rate=0.1,
        open_hat_rate=0.0,
        swing=(0.0, 0.0),
        humanise=(0.0, 0.02),
        description="half-time 808 trap: syncopated kick, clap and snare on beat 3, sixteenth "
        "hats with 32nd-note rolls",
    ),
    "rave": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X...X...X...X...", "X.x...x.X.x...x.", "X...X...X...X.x."),
            "snare": ("....X..x.x..X..x", "....X.......X...", "....X..x.x..X..."),
            "hat_open": ("..X...X...X...X.", ""),
            "hat_closed": ("XxXxXxXxXxXxXxXx", "X.x.X.x.X.x.X.x."),
        },
        ghost_rate=0.08,
        fill_rate=0.1,
        crash_rate=0.2,
        humanise=(0.0, 0.02),
        description="early-90s rave / hardcore: four-on-the-floor or broken kick under a "
        "chopped-break snare, open-hat off-beats, busy sixteenth hats",
    ),
    "electro": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X......X..X.....", "X.....X...X.X...", "X..X......X....."),
            "clap": ("....X.......X...",),
            "snare": ("....X.......X...", ""),
            "hat_closed": ("x.x.x.x.x.x.x.x.", "xxxxxxxxxxxxxxxx", "x.xxx.xxx.xxx.xx"),
            "cowbell": ("..x..x....x..x..", "", ""),
            "clave": ("", "x......x..x.....", ""),
        },
        fill_rate=0.05,
        crash_rate=0.05,
        open_hat_rate=0.08,
        humanise=(0.0, 0.01),
        description="808 electro-funk: syncopated kick, clap and snare on 2 and 4, straight "
        "hats, cowbell or clave accents",
    ),
    "triplet": GrooveStyle(
        steps=12,
        parts={
            "kick": ("X.....X.....", "X..x..X.....", "X.....X..x.."),
            "snare": ("......X.....", "...X.....X..", "...X.....X.g"),
            "hat_closed": ("XxxXxxXxxXxx", "X.xX.xX.xX.x"),
            "ride": ("", "X.xX.xX.xX.x"),
        },
        ghost_rate=0.1,
        swing=(0.0, 0.0),
        description="12/8 and half-time triplet feels: every triplet or shuffled hats, kick "
        "on 1 and 3 with triplet pickups, snare on 3 (half time) or 2 and 4",
    ),
    "ghost": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X.....x...X.....", "X.x.......X..x..", "X......x..X....."),
            "snare": ("....X..g.gg.X.g.", "g.g.X.ggg.g.X.gg", ".g..X.g..g.gX..g"),
            "hat_closed": ("X.x.X.x.X.x.X.x.", "XxxxXxxxXxxxXxxx"),
        },
        ghost_rate=0.4,
        open_hat_rate=0.08,
        swing=(0.0, 0.12),
        description="ghost-note grooves: backbeat surrounded by many soft snare strokes",
    ),
    "fill": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X.......X.......", "X.x.....X.x....."),
            "snare": ("....X.......X...",),
            "hat_closed": (_HATS_8, _HATS_16),
        },
        fill_rate=1.0,
        crash_rate=0.5,
        fill_beats=(2, 3, 4),
        description="fill bars: a groove broken by a tom/snare fill over the last 2-4 beats",
    ),
    "hats": GrooveStyle(
        steps=16,
        parts={
            "kick": ("X.......X.......", "X..x....X.x.....", "X...X...X...X..."),
            "snare": ("....X.......X...",),
            "hat_closed": ("XxXoXxXoXxXoXxXo", "X.X.X.X.X.X.X.X.", "XxxxXxxxXxxxXxxx"),
            "hat_open": ("..x.......x.....", "......x.......x.", "..x...x...x...x."),
        },
        open_hat_rate=0.25,
        description="open/closed hi-hat interplay: open-hat barks on off-beats, choked by the "
        "next closed hat",
    ),
    "dnb": GrooveStyle(
        steps=16,
        parts={
            # Modern two-step: a tight, quantised kit, not jungle's chopped break.
            "kick": ("X.........X.....", "X.........X..x..", "X.x.......X.....",
                     "X......x..X.....", "X.........x.x..."),
            "snare": ("....X.......X...", "....X.......X..x", "....X..g....X.g."),
            "hat_closed": ("x.x.x.x.x.x.x.x.", "XoxoXoxoXoxoXoxo", "..x...x...x...x."),
            "ride": ("", "", "X.x.X.x.X.x.X.x."),
            "hat_open": ("", "", "......x.......x."),
        },
        ghost_rate=0.06,
        fill_rate=0.1,
        crash_rate=0.15,
        open_hat_rate=0.04,
        swing=(0.0, 0.03),
        humanise=(0.0, 0.02),
        description="modern drum & bass two-step: tight kick on 1 and the 'and' of 3 (with "
        "pickups), hard snare on 2 and 4, straight hats or ride with off-beat open hats",
    ),
    "footwork": GrooveStyle(
        # 96 steps hold 16ths (16-step templates), triplet eighths (12) and 32nds (32).
        steps=96,
        parts={
            "kick": ("X..X..X..X..X...", "X..X..X...X..X..", "X.....X..X..X...",
                     "X.X.X.X.X...", "X..X.X..X.X."),
            "clap": ("....X.......X...", "...X.....X..", "...X.....X.X", "....X..x.x..X..."),
            "snare": ("", "", "......X.......X.", "...x.....x.."),
            "hat_closed": ("x.x.x.x.x.x.x.x.x.x.x.x.xxxxx.x.",
                           "x.x.x.x.xxxxx.x.x.x.x.x.xxxxxxxx",
                           "..x...x...x...xx..x...x...x.xxxx",
                           "x.xxx.xxx.xxx.xxx.xxx.xxx.xxxxxx"),
            "hat_open": ("", "", "..x...x...x...x."),
        },
        fill_rate=0.0,
        crash_rate=0.1,
        open_hat_rate=0.0,
        swing=(0.0, 0.0),
        humanise=(0.0, 0.1),
        description="160 BPM juke / footwork: dotted (3-3-2) or triplet kicks, clap and snare "
        "stabs on or around 2 and 4, 32nd-note hat rolls",
    ),
    "conga": _hand_style(
        parts={
            "conga_high": ("..x.X...x.x.X...", "x.x.X.x.x.x.X.x.", "..o.X.o...o.X.o."),
            "conga_low": ("......X.......X.", "......XX......XX", "..............X."),
            "clave": ("X..X...X..X.X...", "X..X..X...X.X...", ""),
            "shaker": ("xoxoxoxoxoxoxoxo", ""),
        },
        ghost_role="conga_high",
        ghost_rate=0.1,
        swing=(0.0, 0.08),
        description="conga tumbao: slaps and tones on the high drum, open tones on the low "
        "drum on 4 and its 'and', son or rumba clave, shaker",
    ),
    "bongo": _hand_style(
        parts={
            "bongo_high": ("XoxoXoxoXoxoXoxo", "X.x.X.x.X.x.X.x.", "Xox.Xox.Xox.Xox."),
            "bongo_low": ("...x.......x....", "...x...x...x...x"),
            "cowbell": ("X.x.X.x.X.x.X.x.", "X...X...X...X...", ""),
            "conga_low": ("", "......X.......X."),
        },
        ghost_role="bongo_high",
        ghost_rate=0.05,
        swing=(0.0, 0.06),
        description="bongo martillo: steady sixteenths on the high bongo with open tones on "
        "the low, bongo bell on the beats",
    ),
    "afro": _hand_style(
        steps=12,
        parts={
            "cowbell": ("X.X.XX.X.X.X", "X.X.X.XX.X.X"),
            "conga_low": ("X.....X.....", "X..x..X..x.."),
            "conga_high": ("..x..x..x..x", ".xx.xx.xx.xx", "...x.....x.."),
            "shaker": ("xxxxxxxxxxxx", "X.xX.xX.xX.x", ""),
        },
        ghost_role="conga_high",
        ghost_rate=0.05,
        swing=(0.0, 0.0),
        description="12/8 hand drumming: the standard bell pattern, bass tones on 1 and 3, "
        "high-drum tones between, shaker triplets",
    ),
    "samba": _hand_style(
        parts={
            "shaker": ("XxxxXxxxXxxxXxxx", "Xxx.Xxx.Xxx.Xxx."),
            "tambourine": ("..x...x...x...x.", "x.xxx.xxx.xxx.xx", ""),
            "conga_low": ("X.......X.......", "......X.......X."),
            "clave": ("X..X..X...X..X..", ""),
            "bongo_high": ("", "..x...x...x...x."),
        },
        swing=(0.0, 0.1),
        description="samba / bossa hand percussion: sixteenth shakers, tambourine, surdo-like "
        "low drum on 2 and 4, bossa clave",
    ),
    "djembe": _hand_style(
        parts={
            "conga_high": ("X.xoX.x.X.xoX.x.", "x.X.xxX.x.X.xxX.", "X..xX.x.X..xX.x."),
            "conga_low": ("X.......X.......", "X.....X.X.......", "X......xX.....x."),
            "cowbell": ("X.X.X.X.X.X.X.X.", "X...X...X...X...", ""),
            "bongo_low": ("..x...x...x...x.", "x..x..x...x..x..", ""),
        },
        ghost_role="conga_high",
        ghost_rate=0.08,
        swing=(0.0, 0.12),
        description="djembe ensemble in four: slaps and tones on the high drum, bass tones on "
        "the low, a bell and a dunun-like low drum on a steady pulse",
    ),
    "maqsum": _hand_style(
        parts={
            "conga_low": ("X.......X.......", "X.....X.X.......", "X.......X..x...."),
            "bongo_high": ("..X...X.....X...", "..X.x.X.x.x.X.x.", "..Xo..X.o...X.o."),
            "tambourine": ("x.o.x.o.x.o.x.o.", "xoooxoooxoooxooo", ""),
        },
        ghost_role="bongo_high",
        ghost_rate=0.06,
        swing=(0.0, 0.06),
        description="doum-tek (maqsum, saidi): low doums on 1 and 3 (saidi doubles the "
        "second), high teks between, riq-like tambourine jingles",
    ),
    "baiao": _hand_style(
        parts={
            "conga_low": ("X..x....X..x....", "X..x..x.X..x..x.", "X..x....X......."),
            "bongo_high": ("....x.......x...", "..x.x...x.x.x..."),
            "shaker": ("xoXoxoXoxoXoxoXo", "x.X.x.X.x.X.x.X."),
            "cowbell": ("", "..X...X...X...X."),
        },
        swing=(0.0, 0.05),
        description="baião: the dotted zabumba bass on the low drum, rim answers on the high, "
        "triangle-like sixteenths accented on the off-beats",
    ),
    "cajon": _hand_style(
        parts={
            "conga_low": ("X.....X...X.....", "X.....X.X.......", "X..X..X...X....."),
            "bongo_high": ("....X.......X...", "....X..x....X.x.", "....X.x.....X.xx"),
            "shaker": ("xoxoxoxoxoxoxoxo", "x.x.x.x.x.x.x.x.", ""),
        },
        ghost_role="conga_high",
        ghost_rate=0.2,
        swing=(0.0, 0.1),
        description="cajón-style backbeat: bass tones on the low drum, slaps on 2 and 4 on "
        "the high, ghost taps between, an optional shaker",
    ),
    "dembow": _hand_style(
        parts={
            "conga_low": ("X...X...X...X...", "X.....X.X.....X."),
            "bongo_high": ("...X..X....X..X.", "...X..X.X..X..X."),
            "clave": ("X..X..X.X..X..X.", ""),
            "shaker": ("x.x.x.x.x.x.x.x.", "xxxxxxxxxxxxxxxx", ""),
        },
        swing=(0.0, 0.04),
        description="dembow on hand drums: low drum on the beat, the high drum on the 'a' of 1 "
        "and the 'and' of 2 (tresillo), clave, shaker",
    ),
    "pop_perc": _hand_style(
        parts={
            "tambourine": ("....X.......X...", "..x.X.x...x.X.x.", "xxxxXxxxxxxxXxxx"),
            "shaker": ("xoxoxoxoxoxoxoxo", "XoxoXoxoXoxoXoxo", "x.x.x.x.x.x.x.x."),
            "cowbell": ("", "X...X...X...X...", "X.x.X.x.X.x.X.x."),
            "conga_low": ("", "X.....X.X......."),
            "conga_high": ("", "..x...x...x...x."),
        },
        swing=(0.0, 0.15),
        description="pop percussion overdubs: tambourine on 2 and 4, sixteenth shakers, "
        "cowbell on the beat, sparse conga tones",
    ),
    "tabla": _hand_style(
        # Thekas, one cycle or two per bar: dayan (right hand) strokes on conga_high (tin,
        # dhin, tun: ringing) and bongo_high (na, ta: rim), bayan (left hand) on conga_low
        # (ge: resonant, bent by the wrist) and bongo_low (ke: closed). 48 steps hold both
        # 16-step thekas and 12-step ones; linked, so one theka is drawn whole.
        steps=48,
        linked=True,
        parts={
            #            teental            teental (filled)    keherwa x2
            #            keherwa x2 (filled) dadra x2           dadra (filled)
            "bongo_high": ("X..xx..xX..xx..x", "X..xx.xxX..xx.xx", "X.x.x..xX.x.x..x",
                           "X.xox..xX.xox.xx", "X.xx.xx.xx.x", "X...x.x...x."),
            "conga_high": (".Xx..Xx..xo..Xx.", ".Xxo.Xxo.xoo.Xxo", "...o..x....o..x.",
                           "...o..X....o..X.", ".x..o..x..o.", "..x..g..o..g"),
            "conga_low": ("Xxoxxxoxo....xox", "Xx.xXx.xo....x.x", "Xx....x.Xo....x.",
                          "Xx..x.x.Xx....x.", "Xx.o..xx.o..", "X.x...o....."),
            "bongo_low": ("", "...........g.g..", ".....x.......x..", ".....x.g.....x..",
                          "", "...g.....g.."),
        },
        ghost_role="conga_high",
        ghost_rate=0.12,
        swing=(0.0, 0.0),
        humanise=(0.03, 0.18),
        description="tabla thekas: teental (one 16-matra cycle a bar), keherwa (two 8-matra "
        "cycles) or dadra (6 matras, on a 12-step grid); dense dayan strokes on the high "
        "drums, bayan ge and ke on the low ones, khali without bayan, sam accented",
    ),
    "talking_drum": _hand_style(
        steps=32,
        parts={
            "conga_high": ("X.......x...x...X.......x.x.x...",
                           "X...x.......x.xxX...x.......x.xx",
                           "..x...X...x.....xxxx..X...x....."),
            "conga_low": ("....X.......X.......X..x....X...",
                          "......x.X.......x.....X...xxxx..",
                          "X.......x.xxX.......X.....x.x..."),
            "bongo_high": ("", "x...x...x...x...x...x...x...x...",
                           "..x...x...x...x...x...x...x...x."),
            "cowbell": ("X...X.X...X.X...", "", "X.x.X.x.X.x.X.x."),
            "shaker": ("", "xoxoxoxoxoxoxoxo"),
        },
        ghost_role="conga_high",
        ghost_rate=0.04,
        swing=(0.0, 0.0),
        humanise=(0.02, 0.1),
        description="talking drum (dundun): syncopated calls alternating high (squeezed) and "
        "low (released) tones, 32nd-note rolls, a bell or small drum on a steady pulse",
    ),
    "frame_drum": _hand_style(
        steps=12,
        parts={
            "conga_low": ("X.....X.....", "X....xX.....", "X..x..X..x.."),
            "bongo_high": ("..x.x...x.x.", ".xx.xx.xx.xx", "..X.x...X.xx"),
            "bongo_low": ("", "...x.....x..", ".....x.....x"),
            "tambourine": ("x.xx.xx.xx.x", "", "xxxxxxxxxxxx"),
        },
        ghost_role="bongo_high",
        ghost_rate=0.06,
        swing=(0.0, 0.0),
        description="frame drum (bendir) in 6/8: bent low dums on 1 and mid-bar, rim teks "
        "between, muted slaps, snare-buzz or jingle triplets",
    ),
}

#: The name of the chopped-break family: a breakbeat whose sixteenth slices are re-ordered.
CHOPPED_BREAK = "chopped_break"
#: The families whose bars `chop_break` cuts up.
CHOP_SOURCES = ("breakbeat", "jungle")
# Drum families added after the chopped break: they follow it, so earlier families keep
# their places in DRUM_GENRES.
_LATER_DRUM = ("dnb", "footwork")
#: The genres (pattern families) `generate_groove` knows, in a fixed order (seeds stay
#: meaningful): the drum-kit ones, then the hand-percussion ones. New families are appended
#: to their group.
DRUM_GENRES: tuple[str, ...] = tuple(
    g for g, s in STYLES.items() if not s.hand and g not in _LATER_DRUM) + (
    CHOPPED_BREAK,) + _LATER_DRUM
HAND_GENRES: tuple[str, ...] = tuple(g for g, s in STYLES.items() if s.hand)
GENRES: tuple[str, ...] = DRUM_GENRES + HAND_GENRES

#: Fast families: the corpus renders them as `FAST_LOOP_BARS`-bar loops at a tempo in
#: `FAST_BPM_RANGE`, as real jungle, drum & bass, footwork and rave loops are (two bars at
#: 160-200 BPM), instead of the corpus-wide tempo range and loop length.
FAST_GENRES: tuple[str, ...] = ("jungle", "dnb", "footwork", "rave")
#: Tempo range of the fast families, in BPM (quarter notes per minute).
FAST_BPM_RANGE: tuple[float, float] = (160.0, 200.0)
#: Bars per file of the fast families.
FAST_LOOP_BARS = 2

_HATS = frozenset({"hat_closed", "hat_open"})
_CYMBALS = _HATS | {"ride", "crash"}
_LOWS = frozenset({"kick", "tom_low", "conga_low", "bongo_low"})
_SMALL_PERC = frozenset({"shaker", "tambourine", "cowbell", "clave", "perc"})
_HAND_DRUMS = frozenset({"conga_high", "conga_low", "bongo_high", "bongo_low"})
_ALL_ROLES = frozenset(ROLES)

#: Partial kits: scheme name -> the roles a pattern keeps (`drop_roles`). Real loops include
#: stems and sparse patterns; these make them from full patterns.
PARTIAL_SCHEMES: dict[str, frozenset[str]] = {
    "hats_only": _HATS,                               # a hi-hat stem
    "tops": _ALL_ROLES - _LOWS,                       # no kick, low tom, low conga or bongo
    "kick_hats": _HATS | {"kick"},                    # kick and hats, no backbeat
    "no_snare": _ALL_ROLES - {"snare", "clap", "rim"},  # the backbeat dropped
    "no_cymbals": _ALL_ROLES - _CYMBALS,              # drums without hats, ride or crash
    "perc_only": _SMALL_PERC,                         # shakers, bells, clave, ...
    "hand_drums": _HAND_DRUMS,                        # congas and bongos without the small perc
}
#: The schemes `draw_partial` draws for drum-kit patterns.
DRUM_PARTIALS: tuple[str, ...] = ("hats_only", "tops", "kick_hats", "no_snare", "no_cymbals")
#: The schemes `draw_partial` draws for hand-percussion patterns.
HAND_PARTIALS: tuple[str, ...] = ("tops", "perc_only", "hand_drums")

_FILL_ROLES = ("tom_high", "tom_mid", "tom_low", "snare")


def _hits(template: str, steps: int) -> list[tuple[int, float]]:
    stride = steps // len(template) if template else 1
    return [(i * stride, _LEVELS[c]) for i, c in enumerate(template) if c in _LEVELS]


def _fill(style: GrooveStyle, rng: np.random.Generator, bar: int) -> tuple[int, list[Note]]:
    """A descending tom/snare fill over the last 1 or 2 beats: (first step replaced, notes)."""
    steps_per_beat = style.steps // 4
    if style.fill_beats == (1, 2):
        beats = int(rng.choice([1, 2], p=[0.7, 0.3]))
    else:
        beats = int(style.fill_beats[int(rng.integers(len(style.fill_beats)))])
    start = style.steps - beats * steps_per_beat
    notes = []
    step_beats = 4.0 / style.steps
    for k, step in enumerate(range(start, style.steps)):
        if rng.random() < 0.2:
            continue
        # Walk down the kit as the fill goes on.
        idx = min(len(_FILL_ROLES) - 1, int(k * len(_FILL_ROLES) / (style.steps - start)))
        role = _FILL_ROLES[(idx + int(rng.integers(0, 2))) % len(_FILL_ROLES)]
        notes.append(Note(time=bar * 4.0 + step * step_beats, role=role,
                          velocity=float(rng.uniform(0.6, 0.95))))
    return start, notes


def generate_groove(genre: str, rng: np.random.Generator, bars: int = 1) -> Pattern:
    """One groove of `genre`, `bars` bars long, varied by `rng`.

    The same variant of each part is kept across the bars of a loop; ghost notes, open-hat
    lifts and velocities change per bar, and a fill may end the last bar.

    Args:
        genre: one of `GENRES`.
        rng: numpy Generator; the only source of randomness.
        bars: bars in the pattern (4/4).

    Returns:
        A `Pattern` named ``<genre>-<variant code>``, source ``generator:<genre>``, note times in
        beats (swing and humanising applied).

    Raises:
        ValueError: an unknown genre.
    """
    if genre not in STYLES and genre != CHOPPED_BREAK:
        raise ValueError(f"unknown genre {genre!r}; choose one of {', '.join(GENRES)}")
    if bars < 1:
        raise ValueError("bars must be >= 1")
    if genre == CHOPPED_BREAK:
        return chop_break(rng, bars=bars)
    style = STYLES[genre]
    step_beats = 4.0 / style.steps
    if style.linked:
        k = int(rng.integers(len(next(iter(style.parts.values())))))
        choice = {role: k for role in style.parts}
    else:
        choice = {role: int(rng.integers(len(variants)))
                  for role, variants in style.parts.items()}
    ghost_template = (style.parts[style.ghost_role][choice[style.ghost_role]]
                      if style.ghost_role in style.parts else "")
    ghost_stride = style.steps // len(ghost_template) if ghost_template else 1
    swing = float(rng.uniform(*style.swing))
    jitter = float(rng.uniform(*style.humanise))
    dynamics = float(rng.uniform(0.8, 1.0))
    fill = rng.random() < style.fill_rate
    crash = rng.random() < style.crash_rate

    notes: list[Note] = []
    for bar in range(bars):
        grid: dict[str, list[tuple[int, float]]] = {
            role: _hits(style.parts[role][choice[role]], style.steps) for role in style.parts
        }
        fill_start, fill_notes = (style.steps, [])
        if fill and bar == bars - 1:
            fill_start, fill_notes = _fill(style, rng, bar)
            # The fill replaces everything but the kick in its beats.
            for role in grid:
                if role != "kick":
                    grid[role] = [(s, v) for s, v in grid[role] if s < fill_start]
        if style.ghost_rate > 0:
            busy = {s for s, _ in grid.get(style.ghost_role, [])}
            for s in range(fill_start):
                if (s not in busy and s % (style.steps // 4) and not s % ghost_stride
                        and rng.random() < style.ghost_rate):
                    grid.setdefault(style.ghost_role, []).append(
                        (s, float(rng.uniform(0.12, 0.3))))
        if "hat_closed" in grid and style.open_hat_rate > 0:
            kept = []
            for s, v in grid["hat_closed"]:
                # Lift off-beat hats (the "and"s and sixteenths), never one on the beat.
                if s % (style.steps // 4) and rng.random() < style.open_hat_rate:
                    grid.setdefault("hat_open", []).append((s, v))
                else:
                    kept.append((s, v))
            grid["hat_closed"] = kept
        if crash and bar == 0:
            grid.setdefault("crash", []).append((0, 0.95))
            grid["hat_closed"] = [(s, v) for s, v in grid.get("hat_closed", []) if s]
            grid["ride"] = [(s, v) for s, v in grid.get("ride", []) if s]
        for role, hits in grid.items():
            for s, v in hits:
                notes.append(Note(time=bar * 4.0 + s * step_beats, role=role, velocity=v))
        notes.extend(fill_notes)

    out = []
    swing_steps = 2 if style.steps == 16 else 0  # sixteenth grids swing their off-beat 16ths
    for n in notes:
        step = (n.time % 4.0) / step_beats
        shift = 0.0
        if swing_steps and abs(step - round(step)) < 1e-6 and int(round(step)) % 2:
            shift += swing * step_beats
        shift += float(rng.normal(0.0, jitter)) * step_beats
        velocity = n.velocity * dynamics * float(1.0 + rng.normal(0.0, 0.07))
        out.append(Note(time=n.time + shift, role=n.role,
                        velocity=float(np.clip(velocity, 0.05, 1.0))))
    out.sort(key=lambda n: (n.time, n.role))
    code = "".join(str(choice[r]) for r in style.parts) + ("f" if fill else "")
    return Pattern(name=f"{genre}-{code}", source=f"generator:{genre}", notes=tuple(out),
                   bars=bars, genre=genre)


def chop_break(rng: np.random.Generator, bars: int = 1) -> Pattern:
    """A chopped break: a breakbeat bar cut into sixteen sixteenth-note slices, re-ordered.

    The break is drawn from the ``breakbeat`` (two bars in three) or ``jungle`` genre; each
    output slice then plays a slice of it (its notes moved along), chosen as a jungle
    producer would: mostly in place, sometimes a repeat of the slice before (a stutter),
    sometimes a random slice. The first slice keeps the downbeat. Each bar of a loop is
    chopped anew.

    Returns:
        A `Pattern` named ``chopped_break-<slice order in hex>``, genre ``chopped_break``.
    """
    source_genre = CHOP_SOURCES[0] if rng.random() < 2.0 / 3.0 else CHOP_SOURCES[1]
    notes: list[Note] = []
    codes = []
    for bar in range(bars):
        base = generate_groove(source_genre, rng, bars=1)
        order = [0]
        for k in range(1, 16):
            u = rng.random()
            if u < 0.5:
                order.append(k)
            elif u < 0.7:
                order.append(order[-1])
            else:
                order.append(int(rng.integers(16)))
        slices: dict[int, list[Note]] = {}
        for n in base.notes:
            j = min(15, max(0, int(np.floor(n.time / 0.25 + 0.5))))
            slices.setdefault(j, []).append(n)
        for k, j in enumerate(order):
            for n in slices.get(j, []):
                notes.append(Note(time=bar * 4.0 + n.time + (k - j) * 0.25, role=n.role,
                                  velocity=n.velocity))
        codes.append("".join(f"{j:x}" for j in order))
    notes.sort(key=lambda n: (n.time, n.role))
    return Pattern(name=f"{CHOPPED_BREAK}-{'-'.join(codes)}",
                   source=f"generator:{CHOPPED_BREAK}", notes=tuple(notes), bars=bars,
                   genre=CHOPPED_BREAK)


def vary_pattern(pattern: Pattern, rng: np.random.Generator, *, bars: int = 1,
                 jitter_beats: float = 0.012, velocity_sd: float = 0.06) -> Pattern:
    """A humanised copy of a one-bar (song) pattern, repeated to `bars` bars.

    Each repetition gets its own timing jitter (normal, `jitter_beats` standard deviation),
    velocity variation (relative, `velocity_sd`) and plays each note with its probability.
    """
    notes = []
    for bar in range(bars):
        for n in pattern.notes:
            if n.probability < 1.0 and rng.random() >= n.probability:
                continue
            velocity = float(np.clip(n.velocity * (1.0 + rng.normal(0.0, velocity_sd)),
                                     0.05, 1.0))
            notes.append(Note(time=bar * pattern.beats + n.time
                              + float(rng.normal(0.0, jitter_beats)),
                              role=n.role, velocity=velocity))
    notes.sort(key=lambda n: (n.time, n.role))
    return Pattern(name=pattern.name, source=pattern.source, notes=tuple(notes),
                   bars=bars * pattern.bars, genre=pattern.genre)


def draw_partial(rng: np.random.Generator, hand: bool) -> str:
    """A partial-kit scheme for a drum-kit (`DRUM_PARTIALS`) or hand (`HAND_PARTIALS`) pattern.

    Args:
        rng: numpy Generator; one integer is drawn.
        hand: whether the pattern is a hand-percussion one.

    Returns:
        A key of `PARTIAL_SCHEMES`, uniform among the kind's schemes.
    """
    schemes = HAND_PARTIALS if hand else DRUM_PARTIALS
    return schemes[int(rng.integers(len(schemes)))]


def drop_roles(pattern: Pattern, scheme: str) -> Pattern | None:
    """`pattern` with only the notes of the roles `scheme` keeps (a stem or sparse loop).

    Args:
        pattern: any pattern.
        scheme: a key of `PARTIAL_SCHEMES`.

    Returns:
        A `Pattern` named ``<name>+<scheme>``, with the same source, bars and genre, or None
        when the pattern has no note of a kept role (draw another scheme or pattern).

    Raises:
        ValueError: an unknown scheme.
    """
    if scheme not in PARTIAL_SCHEMES:
        raise ValueError(f"unknown partial scheme {scheme!r}; choose one of "
                         f"{', '.join(PARTIAL_SCHEMES)}")
    kept = PARTIAL_SCHEMES[scheme]
    notes = tuple(n for n in pattern.notes if n.role in kept)
    if not notes:
        return None
    return Pattern(name=f"{pattern.name}+{scheme}", source=pattern.source, notes=notes,
                   bars=pattern.bars, genre=pattern.genre)
