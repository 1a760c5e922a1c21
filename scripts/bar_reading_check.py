"""How often the bar reading is right: the tempo reader's own choice against the reading the
model fits best (`drumaae.inference.operations.best_reading`), on a rendered corpus whose
manifest knows every file's tempo and bar count.

Fast files (the 2-bar loops of the fast pattern families at 160-200 BPM, the loops that
half-tempo readings hit) and slow files (1-bar files under 90 BPM, which double-tempo
readings hit) are scored apart, and every file whose reader named alternatives is counted.

    python scripts/bar_reading_check.py --data corpus_v6 --split val --n 120
    python scripts/bar_reading_check.py --data corpus_v6 --model runs/v13/model.keras
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from drumaae.audio.bars import cut_bars
from drumaae.audio.io import decode_audio
from drumaae.data.corpus import read_manifest
from drumaae.data.grooves import FAST_GENRES
from drumaae.inference import load_backend
from drumaae.inference.operations import best_reading


def _right(bpm: float, truth: float) -> bool:
    return abs(bpm - truth) / truth < 0.02


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a folder made by 'drumaae corpus render'")
    ap.add_argument("--split", default="val")
    ap.add_argument("--model", default=None, help="model reference (default: bundled)")
    ap.add_argument("--n", type=int, default=120, help="files per group (fast, slow)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    files = [e for e in read_manifest(args.data)["files"] if e["split"] == args.split]
    groups = {
        "fast (2-bar, 160-200 BPM)": [e for e in files if e["pattern_family"] in FAST_GENRES
                                      and e["bars"] == 2],
        "slow (1-bar, < 90 BPM)": [e for e in files if e["bars"] == 1 and e["bpm"] < 90],
        "other (1-bar, 90-160 BPM)": [e for e in files if e["bars"] == 1
                                      and 90 <= e["bpm"] < 160],
    }
    backend = load_backend(args.model)
    audio = backend.audio
    rng = np.random.default_rng(args.seed)
    print(f"model {backend.ref}; corpus {args.data} ({args.split})")
    print("| files | n | open readings | reader right | model fit right | changed |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, entries in groups.items():
        if not entries:
            continue
        pick = rng.choice(len(entries), size=min(args.n, len(entries)), replace=False)
        n = ambiguous = reader = fit = changed = 0
        for k in sorted(pick):
            e = entries[int(k)]
            samples = decode_audio(os.path.join(args.data, e["path"]), audio.sample_rate).samples
            cut = cut_bars(samples, audio.sample_rate, audio)
            best = best_reading(backend, samples, cut)
            n += 1
            ambiguous += bool(cut.tempo.alternatives)
            reader += _right(cut.bpm, e["bpm"])
            fit += _right(best.bpm, e["bpm"])
            changed += abs(best.bpm - cut.bpm) > 1e-6
        print(f"| {name} | {n} | {ambiguous} | {reader} ({reader / n:.0%}) | "
              f"{fit} ({fit / n:.0%}) | {changed} |")


if __name__ == "__main__":
    main()
