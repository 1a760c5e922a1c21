"""The groove generator's newer families, the fast-family constants and partial kits."""

import numpy as np
import pytest

from drumaae.data.grooves import (
    DRUM_GENRES,
    DRUM_PARTIALS,
    FAST_BPM_RANGE,
    FAST_GENRES,
    FAST_LOOP_BARS,
    GENRES,
    HAND_GENRES,
    HAND_PARTIALS,
    PARTIAL_SCHEMES,
    STYLES,
    GrooveStyle,
    draw_partial,
    drop_roles,
    generate_groove,
)
from drumaae.data.hydrogen import HAND_ROLES, ROLES

NEW_DRUM = ("dnb", "footwork")
NEW_HAND = ("tabla", "talking_drum", "frame_drum")


def test_new_families_are_appended_to_their_groups():
    assert DRUM_GENRES[-3:] == ("chopped_break",) + NEW_DRUM
    assert HAND_GENRES[-3:] == NEW_HAND
    assert GENRES == DRUM_GENRES + HAND_GENRES
    for genre in NEW_DRUM + NEW_HAND:
        style = STYLES[genre]
        assert style.hand == (genre in NEW_HAND)
        for role, variants in style.parts.items():
            assert (role in HAND_ROLES) if style.hand else (role in ROLES), (genre, role)
            assert len(variants) >= 2, (genre, role)
            assert all(not v or style.steps % len(v) == 0 for v in variants), (genre, role)


@pytest.mark.parametrize("genre", NEW_DRUM + NEW_HAND)
@pytest.mark.parametrize("bars", [1, 2])
def test_new_family_generates_valid_deterministic_patterns(genre, bars):
    for seed in range(5):
        p = generate_groove(genre, np.random.default_rng(seed), bars=bars)
        assert p == generate_groove(genre, np.random.default_rng(seed), bars=bars)
        assert p.genre == genre and p.bars == bars and p.source == f"generator:{genre}"
        assert p.notes
        roles = HAND_ROLES if genre in NEW_HAND else ROLES
        assert all(n.role in roles for n in p.notes)
        assert all(-0.1 < n.time < 4.0 * bars for n in p.notes)
        assert all(0.0 < n.velocity <= 1.0 for n in p.notes)
        if bars == 2:
            assert any(n.time < 4.0 for n in p.notes) and any(n.time > 4.0 for n in p.notes)
    a = generate_groove(genre, np.random.default_rng(0), bars=bars)
    assert any(generate_groove(genre, np.random.default_rng(s), bars=bars) != a
               for s in range(1, 5))


def test_tabla_draws_one_theka_on_one_grid():
    """Linked: every role plays the same theka; 16-step thekas sit on sixteenths, dadra's
    12-step ones on triplet eighths (variants 4 and 5)."""
    grids = set()
    for seed in range(24):
        p = generate_groove("tabla", np.random.default_rng(seed))
        code = p.name.split("-", 1)[1]
        assert len(set(code)) == 1, p.name
        per_beat = 3 if int(code[0]) >= 4 else 4
        grids.add(per_beat)
        assert all(abs(n.time * per_beat - round(n.time * per_beat)) < 0.2 for n in p.notes)
        # teental, keherwa and dadra all have bayan strokes and dayan strokes
        assert {"conga_low", "bongo_high", "conga_high"} <= {n.role for n in p.notes}
    assert grids == {3, 4}


def test_linked_style_and_ghosts_follow_the_drawn_grid(monkeypatch):
    style = GrooveStyle(steps=48, parts={"conga_high": ("X" + "." * 15, "X" + "." * 11),
                                         "conga_low": ("X" * 16, "X" * 12)},
                        ghost_role="conga_high", ghost_rate=1.0, fill_rate=0.0,
                        crash_rate=0.0, humanise=(0.0, 0.0), swing=(0.0, 0.0),
                        hand=True, linked=True)
    monkeypatch.setitem(STYLES, "test_linked", style)
    seen = set()
    for seed in range(8):
        p = generate_groove("test_linked", np.random.default_rng(seed))
        per_beat = 4 if p.name.endswith("00") else 3
        seen.add(per_beat)
        assert p.name[-2] == p.name[-1]
        lows = sorted(n.time for n in p.notes if n.role == "conga_low")
        assert len(lows) == 4 * per_beat
        highs = sorted(n.time for n in p.notes if n.role == "conga_high")
        # the downbeat, then ghosts on every off-beat step of the drawn grid, none between
        grid = [k / per_beat for k in range(4 * per_beat) if k == 0 or k % per_beat]
        assert np.allclose(highs, grid)
    assert seen == {3, 4}
    with pytest.raises(ValueError, match="equally many"):
        GrooveStyle(steps=16, parts={"a": ("x" * 16,), "b": ("x" * 16, "")}, linked=True)


def test_fast_constants():
    assert set(FAST_GENRES) <= set(DRUM_GENRES)
    assert {"jungle", "dnb", "footwork", "rave"} == set(FAST_GENRES)
    low, high = FAST_BPM_RANGE
    assert 160.0 <= low < high <= 200.0
    assert isinstance(FAST_LOOP_BARS, int) and FAST_LOOP_BARS == 2


def test_fast_family_shapes():
    for seed in range(6):
        dnb = generate_groove("dnb", np.random.default_rng(seed))
        kicks = [round(n.time * 4) for n in dnb.notes if n.role == "kick"]
        assert 0 in kicks and ({10, 11} & set(kicks))  # 1 and the 'and' of 3 (or after)
        snares = {round(n.time * 4) for n in dnb.notes if n.role == "snare" and n.velocity > 0.4}
        assert {4, 12} <= snares
        fw = generate_groove("footwork", np.random.default_rng(seed))
        hats = sorted(n.time for n in fw.notes if n.role == "hat_closed")
        assert min(np.diff(hats)) < 0.15  # 32nd-note rolls
        kick_steps = [n.time * 4 for n in fw.notes if n.role == "kick"]
        # dotted or triplet kicks: some kick off the eighth-note grid
        assert any(abs(s / 2 - round(s / 2)) > 0.2 for s in kick_steps), fw.name


def test_partial_schemes_are_valid():
    assert set(DRUM_PARTIALS) | set(HAND_PARTIALS) == set(PARTIAL_SCHEMES)
    for name, kept in PARTIAL_SCHEMES.items():
        assert kept and kept <= set(ROLES), name
    assert "kick" not in PARTIAL_SCHEMES["tops"] and "conga_low" not in PARTIAL_SCHEMES["tops"]
    assert PARTIAL_SCHEMES["hats_only"] == {"hat_closed", "hat_open"}
    for scheme in HAND_PARTIALS:
        assert PARTIAL_SCHEMES[scheme] & set(HAND_ROLES), scheme


def test_draw_partial_is_seeded_and_kind_specific():
    drawn = [draw_partial(np.random.default_rng(s), hand=False) for s in range(60)]
    assert drawn == [draw_partial(np.random.default_rng(s), hand=False) for s in range(60)]
    assert set(drawn) == set(DRUM_PARTIALS)
    hand = {draw_partial(np.random.default_rng(s), hand=True) for s in range(60)}
    assert hand == set(HAND_PARTIALS)


def test_drop_roles_keeps_exactly_the_scheme_roles():
    for genre in GENRES:
        schemes = HAND_PARTIALS if genre in HAND_GENRES else DRUM_PARTIALS
        for seed in range(3):
            p = generate_groove(genre, np.random.default_rng(seed), bars=2)
            for scheme in schemes:
                kept = PARTIAL_SCHEMES[scheme]
                expected = tuple(n for n in p.notes if n.role in kept)
                q = drop_roles(p, scheme)
                if not expected:
                    assert q is None, (genre, scheme)
                    continue
                assert q is not None and q.notes == expected, (genre, scheme)
                assert q.name == f"{p.name}+{scheme}"
                assert (q.genre, q.source, q.bars) == (p.genre, p.source, p.bars)
                if genre not in HAND_GENRES:
                    # every drum pattern has notes for every drum scheme
                    assert q.notes, (genre, scheme)
    rock = generate_groove("rock", np.random.default_rng(0))
    tops = drop_roles(rock, "tops")
    assert tops.notes and not any(n.role == "kick" for n in tops.notes)
    hats = drop_roles(rock, "hats_only")
    assert hats.notes and {n.role for n in hats.notes} <= {"hat_closed", "hat_open"}
    kh = drop_roles(rock, "kick_hats")
    assert {n.role for n in kh.notes} >= {"kick", "hat_closed"} and "snare" not in {
        n.role for n in kh.notes}


def test_drop_roles_nothing_kept_and_unknown_scheme():
    rock = generate_groove("rock", np.random.default_rng(0))
    assert drop_roles(rock, "perc_only") is None  # a plain kit pattern has no small perc
    tabla = generate_groove("tabla", np.random.default_rng(0))
    assert drop_roles(tabla, "perc_only") is None
    with pytest.raises(ValueError, match="unknown partial scheme"):
        drop_roles(rock, "bass_only")
