"""One line on stderr when an input's tempo could be read several ways.

The library returns the reading and its alternatives (`drumaae.audio.bars.TempoReading`, on
`Encoded.tempo`, and to an ``on_tempo`` callback as soon as it is read); this module words them
with the options of the command that picks one. Every command that reads a tempo (encode,
reconstruct, interpolate) passes `tempo_notes()` as ``on_tempo``, so the note comes before the
work and says the same thing in every command.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import click

__all__ = ["tempo_note", "echo_tempo_note", "tempo_notes", "OPTIONS"]

OPTIONS = {"input": ("--bars", "--bpm"), "source": ("--src-bars", "--src-bpm"),
           "target": ("--tgt-bars", "--tgt-bpm")}
"""The options that pick a reading, per input role (`drumaae.inference.encode`'s ``role``)."""


def _bars(count: float) -> str:
    if count == 1:
        return "1 bar"
    if count < 1:
        part = Fraction(count).limit_denominator(16)
        return "half a bar" if part == Fraction(1, 2) else f"{part} of a bar"
    return f"{count:g} bars"


def tempo_note(name: str, reading, bars_option: str, bpm_option: str) -> str | None:
    """The line for an ambiguous `reading` of the input `name`, or None when it is clear.

    Example: ``loop.wav: read as 1 bar at 90.3 BPM; it also fits 2 bars at 180.5 BPM; pick
    one with --src-bars N or --src-bpm BPM``.
    """
    if reading is None or not reading.alternatives:
        return None
    alternatives = []
    for alt in reading.alternatives:
        text = f"{_bars(alt.bars)} at {alt.bpm:.1f} BPM"
        if alt.bars < 1:
            text += f" ({bpm_option} {alt.bpm:.1f} --fill loop)"
        alternatives.append(text)
    return (f"{name}: read as {_bars(reading.bars)} at {reading.bpm:.1f} BPM; it also fits "
            f"{', '.join(alternatives)}; pick one with {bars_option} N or {bpm_option} BPM")


def echo_tempo_note(name: str, reading, bars_option: str, bpm_option: str) -> None:
    """Print `tempo_note` on stderr when there is one."""
    line = tempo_note(name, reading, bars_option, bpm_option)
    if line:
        click.echo(line, err=True)


def tempo_notes() -> Callable[[str, str, object], None]:
    """The library's ``on_tempo(role, name, reading)`` callback: `echo_tempo_note` with the
    options of the input's role (`OPTIONS`: ``--bars``/``--bpm``, or ``--src-*``/``--tgt-*``
    for interpolate), printed as soon as the tempo is read, before any encoding."""
    def on_tempo(role: str, name: str, reading) -> None:
        bars_option, bpm_option = OPTIONS.get(role, OPTIONS["input"])
        echo_tempo_note(name, reading, bars_option, bpm_option)

    return on_tempo
