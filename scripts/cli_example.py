"""Regenerate docs/cli.md's `drumaae interpolate` example from a real run, so it cannot go stale.

Runs README's command on the bundled examples with the bundled default model:

    drumaae interpolate examples/funk_127bpm.wav examples/house_83bpm.wav --tgt-bars 1 \
        --steps 5 --out TMP

and rewrites the blocks of docs/cli.md between ``<!-- cli_example:NAME -->`` and
``<!-- /cli_example:NAME -->``: ``summary`` (what the command prints on stdout), ``manifest``
(its manifest.json, abridged: hashes and codes cut, one step of five shown) and ``numbers``
(the loudness figures of the first and last steps, in words). The temporary folder is written
as ``morph/`` and input paths as ``/.../NAME``.

    python scripts/cli_example.py            # rewrite docs/cli.md
    python scripts/cli_example.py --check    # exit 1 if docs/cli.md differs from a fresh run
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "cli.md")
INPUTS = ("examples/funk_127bpm.wav", "examples/house_83bpm.wav")
STEPS = 5
#: README's option: the house loop is one bar (the model alone reads it as two at 165.8 BPM).
OPTIONS = ("--tgt-bars", "1")


def run_example(folder: str) -> tuple[str, dict]:
    """The command's stdout (the temporary folder shown as ``morph/``) and its manifest."""
    out = os.path.join(folder, "morph")
    drumaae = os.path.join(os.path.dirname(sys.executable), "drumaae")
    done = subprocess.run([drumaae, "interpolate", *INPUTS, *OPTIONS, "--steps", str(STEPS),
                           "--out", out],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if done.returncode != 0:
        sys.exit(f"drumaae interpolate failed:\n{done.stderr[-3000:]}")
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    return done.stdout.replace(os.path.realpath(out), "morph").replace(out, "morph"), manifest


def _short(value):
    """Hashes to 8 hex digits, long lists of numbers to their first two."""
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value):
        return value[:8] + "..."
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v) for v in value]
    return value


def _line(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _code(code: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in code[:2]) + ", ...]"


def _fields(entry: dict, indent: str, width: int = 92) -> str:
    """``"key": value`` pairs of a dict wrapped at `width`, values already JSON text; every
    line (the first too) starts at column ``len(indent)``."""
    lines, line = [], ""
    for key, text in entry.items():
        item = f"{_line(key)}: {text}"
        if line and len(indent) + len(line) + len(item) + 2 > width:
            lines.append(line + ",")
            line = item
        else:
            line = f"{line}, {item}" if line else item
    lines.append(line)
    return ("\n" + indent).join(lines)


def abridged_manifest(manifest: dict) -> str:
    """manifest.json as docs/cli.md shows it: every key, one step and one input in full."""
    m = _short(manifest)
    parts = []
    for key, value in m.items():
        if key == "out_dir":
            continue
        if key == "inputs":
            first = {k: (_code(v) if k == "code" else _line(v)) for k, v in value[0].items()}
            first["path"] = _line("/.../" + os.path.basename(value[0]["path"]))
            second = {"role": _line(value[1]["role"]), "name": _line(value[1]["name"])}
            text = ("[\n    {" + _fields(first, " " * 5) + "},\n    {"
                    + _fields(second, " " * 5) + ", ...}\n  ]")
        elif key == "files":
            step = {k: _line(v) for k, v in value[0].items() if k != "loudness"}
            loud = _fields({k: _line(v) for k, v in value[0]["loudness"].items()},
                           " " * 26)
            text = ("[{" + _fields(step, " " * 13) + ",\n" + " " * 13 + "\"loudness\": {"
                    + loud + "}}, ...]")
        elif key == "codes":
            text = "[" + ", ".join(["[...]"] * len(value)) + "]"
        elif isinstance(value, dict) and len(_line(value)) + len(key) + 6 > 92:
            text = "{" + _fields({k: _line(v) for k, v in value.items()},
                                 " " * (len(key) + 7)) + "}"
        else:
            text = _line(value)
        parts.append(f"  {_line(key)}: {text}")
    return "```json\n{\n" + ",\n".join(parts) + "\n}\n```"


def numbers(manifest: dict) -> str:
    """The first and last steps' loudness in words."""
    first, last = manifest["files"][0]["loudness"], manifest["files"][-1]["loudness"]
    src, tgt = manifest["inputs"]

    def moved(gain: float) -> str:
        return f"{'raised' if gain >= 0 else 'lowered'} {abs(gain):.2f} dB"

    text = (
        f"The numbers above are from that command with the bundled default model, written by "
        f"`python scripts/cli_example.py` (drumaae {manifest['drumaae_version']}): the "
        f"source bar measures {src['lufs']:.2f} LUFS, the model's reconstruction of it came out "
        f"at {first['lufs_before']:.2f} LUFS and was {moved(first['gain_db'])} (the "
        f"limiter took at most {first['limited_db']:.2f} dB off its peaks; it reads "
        f"{first['lufs']:.2f} LUFS, true peak {first['true_peak_dbtp']:.1f} dBTP). The "
        f"α = 1 step was {moved(last['gain_db'])} toward the target's "
        f"{tgt['lufs']:.2f} LUFS; its peaks needed up to {last['limited_db']:.2f} dB of "
        f"limiting, so it reads {last['lufs']:.2f} LUFS")
    text += (": the ceiling wins over the loudness target." if last["limited_db"] > 1.0
             else ".")
    if (manifest.get("loudness") or {}).get("note"):
        text += (" Where the limiter took more than 1 dB, the manifest's `loudness.note` says "
                 "which steps (the summary prints it as `note:`).")
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > 95:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join(lines + [line])


def rewrite(doc: str, blocks: dict[str, str]) -> str:
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- cli_example:{name} -->\n).*?(\n<!-- /cli_example:{name} -->)",
                             re.S)
        if not pattern.search(doc):
            sys.exit(f"{DOC} has no <!-- cli_example:{name} --> ... <!-- /cli_example:{name} --> "
                     "block")
        doc = pattern.sub(lambda m: m.group(1) + body + m.group(2), doc)
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="reuse", metavar="DIR", default=None,
                    help="format the run in DIR (its morph/ and stdout.txt) instead of running")
    ap.add_argument("--check", action="store_true",
                    help="compare instead of writing; exit 1 when docs/cli.md is stale")
    args = ap.parse_args()
    if args.reuse:
        with open(os.path.join(args.reuse, "stdout.txt"), encoding="utf-8") as f:
            stdout = f.read().replace(os.path.join(args.reuse, "morph"), "morph")
        with open(os.path.join(args.reuse, "morph", "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
    else:
        with tempfile.TemporaryDirectory() as folder:
            stdout, manifest = run_example(folder)
    blocks = {"summary": "```\n" + stdout.rstrip("\n") + "\n```",
              "manifest": abridged_manifest(manifest), "numbers": numbers(manifest)}
    with open(DOC, encoding="utf-8") as f:
        doc = f.read()
    new = rewrite(doc, blocks)
    if args.check:
        if new != doc:
            sys.exit("docs/cli.md's example differs from a fresh run: "
                     "run python scripts/cli_example.py")
        print("docs/cli.md's example matches a fresh run")
        return
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(new)
    print(f"rewrote {', '.join(blocks)} in {os.path.relpath(DOC, ROOT)}")


if __name__ == "__main__":
    main()
