"""Re-timing against the truth: a held-out loop at another tempo vs the same loop rendered
there.

A rendered corpus (its manifest.json) holds some kit + pattern pairs at two tempi. For such
a pair the second file is what the first should sound like at the second's tempo: the truth
that `drumaae.audio.retime` (and any tempo change) is measured against. Per pair, with the
first file's bar as the target (tempo b) and the second's as the truth (tempo a):

- ``truth``: the truth itself against the target (what a perfect tempo change scores on the
  issue-27 metric "envelope corr / onset F to the target at the source's tempo");
- ``stretched``: the target's code rendered directly at tempo a (every bar 128 frames, so
  decays scale with the tempo ratio; what `interpolate` does without `retime`);
- ``retimed``: rendered at tempo b, then re-timed by slices to tempo a (`retime=True`);
- ``retimed_ring``: the same, each slice that plays out early ringing on with the stretched
  rendering's samples (`retime(..., tail=stretched)`) instead of grains of its own tail;
- ``faster_only`` / ``faster_only_ring``: re-timed where the output is faster, stretched
  (or re-timed with the stretched ring) where it is slower;
- ``own``: rendered at tempo b against the target (the model's own ceiling);
- ``audio_retimed``: the target's recording itself re-timed (the slicer without the model).

Each against the target (envelope corr, onset F; bar-relative, `drumaae.evaluation.metrics`)
and against the truth (envelope corr, mel distance, onset F), per tempo-ratio bucket and per
direction (output faster / slower). Also Griffin-Lim from the target's own phase vs random
phases at tempo b (spectral convergence of the target's features, onset F).

    nice -n 19 python scripts/retime_truth_check.py --corpus /work/corpus_v6 --per-bucket 24 \\
        --out retime_truth.json

Only clean files (no chain, voicing, partial or realism stage); one pair per kit + pattern per
bucket; each file's first bar. Model: the bundled default (or --model), refinement as the CLI.
"""

from __future__ import annotations

import argparse
import collections
import json
import os

import numpy as np

BUCKETS = ((1.0, 1.25), (1.25, 1.6), (1.6, 2.0), (2.0, 2.8))


def truth_pairs(corpus: str, per_bucket: int, seed: int = 0) -> list[dict]:
    """Per bucket up to `per_bucket` (target, truth) manifest entries: the same kit and
    pattern at two tempi whose ratio falls in the bucket (ratios under 1.03 skipped)."""
    with open(os.path.join(corpus, "manifest.json")) as f:
        files = json.load(f)["files"]
    clean = [e for e in files if e["split"] == "val" and e["chain"] is None
             and e["voicing"] is None and e["partial"] is None and e["realism"] is None]
    groups = collections.defaultdict(list)
    for e in clean:
        groups[(e["kit"], e["pattern"])].append(e)
    rng = np.random.default_rng(seed)
    out = []
    for lo, hi in BUCKETS:
        cands = [(x, y) for g in groups.values() for x in g for y in g if x is not y
                 and lo <= max(x["bpm"], y["bpm"]) / min(x["bpm"], y["bpm"]) < hi
                 and max(x["bpm"], y["bpm"]) / min(x["bpm"], y["bpm"]) > 1.03]
        seen: set = set()
        for k in rng.permutation(len(cands)):
            t, a = cands[k]
            if (t["kit"], t["pattern"]) in seen:
                continue
            seen.add((t["kit"], t["pattern"]))
            out.append({"target": t, "truth": a, "bucket": f"{lo}-{hi}"})
            if len(seen) >= per_bucket:
                break
    return out


def first_bar(corpus: str, entry: dict, audio) -> np.ndarray:
    from drumaae.audio import io as audio_io

    x = np.asarray(audio_io.load_audio(os.path.join(corpus, entry["path"]),
                                       audio.sample_rate)[0], np.float32)
    n = audio.bar_samples(entry["bpm"])
    return np.pad(x[:n], (0, max(0, n - x.size)))


def check(corpus: str, per_bucket: int, model: str | None, seed: int = 0) -> dict:
    from drumaae import limits
    from drumaae.audio.features import stft_magnitude
    from drumaae.audio.retime import retime
    from drumaae.evaluation import metrics as m
    from drumaae.inference import load_backend
    from drumaae.inference.render import native_codes

    backend = load_backend(model)
    audio = backend.audio
    sr, iters = audio.sample_rate, audio.griffin_lim_iters
    rows = []
    for p in truth_pairs(corpus, per_bucket, seed):
        tgt, truth = first_bar(corpus, p["target"], audio), first_bar(corpus, p["truth"], audio)
        bt, ba = float(p["target"]["bpm"]), float(p["truth"]["bpm"])
        z = backend.encode_bars(tgt[None], refine=limits.DEFAULT_REFINE)

        def at(bpm, **kw):
            return native_codes(z, model=backend, native_bpms=bpm, iters=iters, seed=seed,
                                **kw)[0]

        own, stretched = at(bt), at(ba)
        own_phase = at(bt, phase_from=[tgt])
        faster = truth.size < tgt.size
        retimed = retime(own, truth.size, sr)
        ringing = retime(own, truth.size, sr, tail=stretched)
        ways = {"truth": truth, "stretched": stretched, "retimed": retimed,
                "retimed_ring": ringing,
                "faster_only": retimed if faster else stretched,
                "faster_only_ring": retimed if faster else ringing,
                "audio_retimed": retime(tgt, truth.size, sr)}
        row = {"bucket": p["bucket"], "ratio": max(bt, ba) / min(bt, ba), "bpm_target": bt,
               "bpm_truth": ba, "faster": truth.size < tgt.size,
               "target": p["target"]["path"], "truth": p["truth"]["path"]}
        for name, w in ways.items():
            row[name] = {"env_target": m.envelope_correlation(tgt, w, sr),
                         "f_target": m.onset_f_measure(tgt, w, sr),
                         "env_truth": m.envelope_correlation(truth, w, sr),
                         "mel_truth": m.mel_distance(truth, w, sr),
                         "f_truth": m.onset_f_measure(truth, w, sr)}
        hop = tgt.size // audio.bar_frames
        ref = stft_magnitude(tgt, audio.n_fft, hop)
        for name, w in (("own", own), ("own_input_phase", own_phase)):
            row[name] = {"env_target": m.envelope_correlation(tgt, w, sr),
                         "f_target": m.onset_f_measure(tgt, w, sr),
                         "mel_target": m.mel_distance(tgt, w, sr),
                         "sc_target": m.spectral_convergence(
                             ref, stft_magnitude(w[: tgt.size], audio.n_fft, hop))}
        rows.append(row)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                          for k, v in row.items() if not isinstance(v, dict)})
              + " " + " ".join(f"{n} {row[n]['env_truth']:.3f}" for n in ways), flush=True)
    return {"corpus": corpus, "model": backend.ref, "pairs": rows, "summary": summarise(rows)}


def summarise(rows: list[dict]) -> dict:
    ways = [k for k in rows[0] if isinstance(rows[0][k], dict)]

    def mean(sel):
        return {"pairs": len(sel), **{w: {k: round(float(np.mean([r[w][k] for r in sel])), 3)
                                          for k in sel[0][w]} for w in ways}}

    out = {b: mean([r for r in rows if r["bucket"] == b])
           for b in dict.fromkeys(r["bucket"] for r in rows)}
    out["output faster"] = mean([r for r in rows if r["faster"]])
    out["output slower"] = mean([r for r in rows if not r["faster"]])
    out["all"] = mean(rows)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True, help="a rendered corpus (manifest.json, val/)")
    p.add_argument("--per-bucket", type=int, default=24)
    p.add_argument("--model", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the figures as JSON here")
    args = p.parse_args(argv)
    result = check(args.corpus, args.per_bucket, args.model, args.seed)
    print(json.dumps(result["summary"], indent=1))
    if args.out:
        from drumaae import fileio

        fileio.write_json(args.out, result, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
