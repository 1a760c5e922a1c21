"""scripts/cli_example.py: docs/cli.md's interpolate example is written from a real run between
markers; a manifest field the doc does not show means the example is stale."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import re

from click.testing import CliRunner

from drumaae_cli.main import cli
from tests.cli import GL_ITERS, SRC_BPM, TGT_BPM

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("cli_example", ROOT / "scripts" / "cli_example.py")
cli_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cli_example)


def _block(doc: str, name: str) -> str:
    found = re.search(rf"<!-- cli_example:{name} -->\n(.*?)\n<!-- /cli_example:{name} -->",
                      doc, re.S)
    assert found, f"docs/cli.md has no cli_example:{name} block"
    return found.group(1)


def test_the_doc_shows_every_field_a_manifest_has(model, loops, tmp_path):
    out = tmp_path / "morph"
    res = CliRunner().invoke(cli, ["interpolate", loops["src"], loops["tgt"], "--steps", "5",
                                   "--out", str(out), "--model", model, "--src-bpm", SRC_BPM,
                                   "--tgt-bpm", TGT_BPM, "--gl-iters", GL_ITERS])
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    shown = _block(doc, "manifest")
    fields = set(manifest) - {"out_dir"}
    fields |= set(manifest["inputs"][0]) | set(manifest["files"][0])
    fields |= set(manifest["files"][0]["loudness"]) | set(manifest["loudness"])
    missing = sorted(f for f in fields if f'"{f}"' not in shown)
    assert not missing, f"docs/cli.md's example lacks {missing}: run scripts/cli_example.py"
    summary = _block(doc, "summary")
    assert "wrote 5 steps to morph/ at " in summary and "manifest.json" in summary
    assert "drumaae" in _block(doc, "numbers")
    # the script formats this run as it formats the bundled model's
    text = cli_example.abridged_manifest(manifest)
    assert all(f'"{f}"' in text for f in fields)
    sha = manifest["model_identity"]["sha256"]
    assert sha not in text and f'"{sha[:8]}..."' in text
    assert '"code": [' in text and text.count("[...]") == 5


def test_rewrite_replaces_only_between_markers():
    doc = ("intro\n<!-- cli_example:summary -->\nold\n<!-- /cli_example:summary -->\n"
           "middle\n<!-- cli_example:numbers -->\nold too\n<!-- /cli_example:numbers -->\nend\n")
    new = cli_example.rewrite(doc, {"summary": "```\nnew\n```", "numbers": "fresh"})
    assert new == doc.replace("old\n", "```\nnew\n```\n", 1).replace("old too", "fresh")
