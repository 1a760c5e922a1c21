"""`drumaae corpus render`'s skipped-kits lines (cli/corpus.py): a summary by default, every kit
with --verbose (the CLI run itself: tests/data/test_corpus.py::test_cli_render_and_info)."""

from __future__ import annotations

from drumaae_cli.corpus import skipped_kits_lines

SKIPPED = ([{"kit": f"Dup {i}", "reason": "same sounds as\n  Standard"} for i in range(5)]
           + [{"kit": "Kick Only", "reason": "no snare"},
              {"kit": "Empty", "reason": "no samples"},
              {"kit": "Odd", "reason": "wrong format"}])


def test_nothing_skipped_prints_nothing():
    assert skipped_kits_lines([]) == [] and skipped_kits_lines([], verbose=True) == []


def test_summary_is_one_line_with_the_most_common_reasons():
    (line,) = skipped_kits_lines(SKIPPED)
    assert line.startswith("Skipped 8 kits (5 x same sounds as Standard; 1 x ")
    assert "; 2 other reasons)" in line and "--verbose" in line and "skipped_kits" in line
    assert "\n" not in line
    (long,) = skipped_kits_lines([{"kit": "Odd", "reason": "y" * 200}])
    assert "y" * 60 in long and "y" * 61 not in long  # a reason is cut to 60 characters
    assert skipped_kits_lines(SKIPPED[:1]) == [
        "Skipped 1 kit (1 x same sounds as Standard); the manifest lists them (skipped_kits), "
        "--verbose prints them"]


def test_verbose_lists_every_kit_with_its_reason():
    lines = skipped_kits_lines(SKIPPED, verbose=True)
    assert len(lines) == len(SKIPPED)
    assert lines[5] == "Skipped kit Kick Only: no snare"
    assert lines[0].startswith("Skipped kit Dup 0: same sounds as")
