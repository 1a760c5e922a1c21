"""Choose the default number of refinement steps: quality per family against cost.

Quality: each of `--n` held-out files of a family (by default the `realism` family, the
recordings-like one) is reconstructed through the library's `reconstruct` (its first bar, at
the manifest's tempo, output at the model's rate) with each `--refine` setting, and compared
with the input bar: envelope correlation, onset F and mel distance (drumaae.evaluation.metrics).
Cost: a cold `drumaae interpolate` of two files, 5 steps, `--no-figure`, timed in a fresh
process per setting (best of `--repeats`), against `--refine 0`.

    python scripts/refine_budget.py --data corpus_v6 --model runs/v13/model.keras \
        --refine 0 10 20 40 --n 48 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from drumaae.audio.io import decode_audio
from drumaae.data.corpus import read_manifest
from drumaae.evaluation import metrics
from drumaae.inference import load_backend, reconstruct


def _quality(backend, entries, root: str, refine: int) -> dict[str, float]:
    sr = backend.audio.sample_rate
    rows = []
    for e in entries:
        x = decode_audio(os.path.join(root, e["path"]), sr).samples
        n = backend.audio.bar_samples(e["bpm"])
        ref = x[:n]
        out = reconstruct((x, sr), model=backend, bpm=e["bpm"], bar=0, refine=refine,
                          output_rate=sr)
        est = np.asarray(out.audio, np.float32)[:n]
        rows.append((metrics.envelope_correlation(ref, est, sr),
                     metrics.onset_f_measure(ref, est, sr),
                     metrics.mel_distance(ref, est, sr)))
    a = np.asarray(rows)
    return {"env_corr": float(a[:, 0].mean()), "onset_f": float(a[:, 1].mean()),
            "mel_db": float(a[:, 2].mean())}


def _cold(model: str | None, src: str, tgt: str, refine: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [os.path.join(os.path.dirname(sys.executable), "drumaae"), "interpolate", src, tgt,
                   "--steps", "5", "--refine", str(refine), "--no-figure",
                   "--out", os.path.join(tmp, "m")]
            if model:
                cmd += ["--model", model]
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--family", default="realism")
    ap.add_argument("--model", default=None)
    ap.add_argument("--refine", type=int, nargs="+", default=[0, 10, 20, 40])
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()
    files = [e for e in read_manifest(args.data)["files"]
             if e["split"] == "val" and e["family"] == args.family]
    rng = np.random.default_rng(args.seed)
    pick = [files[int(i)] for i in sorted(rng.choice(len(files), min(args.n, len(files)),
                                                     replace=False))]
    backend = load_backend(args.model)
    src = os.path.join(args.data, pick[0]["path"])
    tgt = os.path.join(args.data, pick[1]["path"])
    print(f"model {backend.ref}; {len(pick)} {args.family} files of {args.data}/val")
    print("| --refine | envelope corr | onset F | mel distance (dB) | cold 5-step interpolate "
          "(s) | vs --refine 0 (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    base = None
    for k in args.refine:
        q = _quality(backend, pick, args.data, k)
        cold = float("nan") if args.no_timing else _cold(args.model, src, tgt, k, args.repeats)
        base = cold if base is None else base
        print(f"| {k} | {q['env_corr']:.3f} | {q['onset_f']:.3f} | {q['mel_db']:.2f} | "
              f"{cold:.1f} | {cold - base:+.1f} |", flush=True)


if __name__ == "__main__":
    main()
