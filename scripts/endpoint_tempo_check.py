"""The morph at the source's tempo (issue 27), measured through `drumaae.inference.render`:
held-out pairs chosen to span tempo ratios (max / min of the two tempi) of 1 to ~2.8.

Per pair, the alpha = 1 step (the target's code) against the target bar, output at the
source's tempo, rendered three ways from random phases: ``stretched`` (rendered directly at
the source's bar length: `interpolate`'s default), ``retimed`` (rendered at the target's
tempo, then re-timed by slices: `interpolate(retime=True)`) and ``own`` (at the target's own
tempo, the upper bound). Envelope correlation and onset F per tempo-ratio bucket. Then the
whole morph (5 steps, re-timed) with the generator's label p(k | z(a)) vs blended between the
endpoints' (`drumaae.inference.render.path_labels`): trend rho (min, mean), monotonic share,
mix share at alpha = 0.5; and Griffin-Lim from the input bar's phase vs random phases at
alpha = 0 / 1: spectral convergence and onset F.

    nice -n 19 python scripts/endpoint_tempo_check.py --data /tmp/c27/val --pairs 16 \\
        --out tempo_check.json

Model: the bundled default (or --model); refinement as the CLI (20 steps); 64 Griffin-Lim
iterations. docs/evaluation.md has the measured tables.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

BUCKETS = ((1.0, 1.25), (1.25, 1.6), (1.6, 2.0), (2.0, 3.0))


def pick_pairs(bpms, n: int, seed: int = 0) -> list[tuple[int, int]]:
    """`n` pairs spread evenly over `BUCKETS` of tempo ratio max/min (seeded)."""
    rng = np.random.default_rng(seed)
    out: list[tuple[int, int]] = []
    per = int(np.ceil(n / len(BUCKETS)))
    for lo, hi in BUCKETS:
        got, tries = 0, 0
        while got < per and tries < 20000:
            tries += 1
            i, j = (int(v) for v in rng.choice(len(bpms), 2, replace=False))
            r = max(bpms[i], bpms[j]) / min(bpms[i], bpms[j])
            if lo <= r < hi and (i, j) not in out:
                out.append((i, j))
                got += 1
    return out[:n] if len(out) > n else out


def check(data: str, pairs: int, model: str | None, seed: int = 0, max_bars: int = 240
          ) -> dict:
    from drumaae import limits
    from drumaae.audio.features import stft_magnitude
    from drumaae.audio.loudness import integrated_loudness, target_loudness
    from drumaae.evaluation import metrics
    from drumaae.evaluation.evaluate import load_eval_data
    from drumaae.inference import load_backend
    from drumaae.inference.operations import step_tempos
    from drumaae.inference.render import endpoint_phases, finish, native_codes, path_labels
    from drumaae.latent import latent_path

    backend = load_backend(model)
    audio = backend.audio
    sr = audio.sample_rate
    iters = audio.griffin_lim_iters
    d = load_eval_data([data], audio, max_bars=max_bars, seed=seed)
    chosen = pick_pairs(d.bpms, pairs, seed)
    used = sorted({k for p in chosen for k in p})
    codes = {k: backend.encode_bars(d.waves[k][None], refine=limits.DEFAULT_REFINE)[0]
             for k in used}
    alphas = np.linspace(0, 1, 5).astype(np.float32)
    rows = []
    for i, j in chosen:
        src, tgt = d.waves[i], d.waves[j]
        bs, bt = d.bpms[i], d.bpms[j]
        z = latent_path(codes[i], codes[j], alphas).astype(np.float32)
        native = step_tempos(alphas, "blend", bs, bt)
        out_bpms = [bs] * len(alphas)
        lufs = [target_loudness(integrated_loudness(src, sr), integrated_loudness(tgt, sr), a)
                for a in alphas]
        ph = endpoint_phases(alphas, src, tgt)
        row = {"ratio": max(bs, bt) / min(bs, bt), "bpm_src": bs, "bpm_tgt": bt}
        # alpha = 1, three renderings from random phases (only the tempo handling differs;
        # ``retimed`` is the morph's last step below, whose label is the target's own)
        one = z[-1:]
        ways = {
            "stretched": finish(native_codes(one, model=backend, native_bpms=bs, iters=iters,
                                             seed=seed), audio, bpms=bs,
                                native_bpms=bs, lufs=lufs[-1:]).bars[0],
            "own": finish(native_codes(one, model=backend, native_bpms=bt, iters=iters,
                                       seed=seed), audio, bpms=bt,
                          native_bpms=bt, lufs=lufs[-1:]).bars[0],
        }
        for labels_name, blend in (("code_labels", False), ("blended_labels", True)):
            for phase_name, phases in (("random_phase", None), ("input_phase", ph)):
                if labels_name == "code_labels" and phase_name == "input_phase":
                    continue
                raw = native_codes(z, model=backend, native_bpms=native, iters=iters,
                                   seed=seed, phase_from=phases,
                                   labels=path_labels(backend, z, alphas) if blend else None)
                waves = finish(raw, audio, bpms=out_bpms, native_bpms=native, lufs=lufs).bars
                key = f"{labels_name}/{phase_name}"
                e_s, e_t = metrics.onset_envelope(src, sr), metrics.onset_envelope(tgt, sr)
                envs = [metrics.onset_envelope(w, sr) for w in waves]
                tr = metrics.trend(alphas, [metrics.envelope_similarity(e, e_s) for e in envs],
                                   [metrics.envelope_similarity(e, e_t) for e in envs])
                mags = [metrics.bar_magnitude(waves[k], audio.n_fft, audio.bar_frames)
                        for k in (0, 2, 4)]
                row[key] = {"rho": tr["rho"], "monotonic": tr["monotonic"],
                            "mix_share": metrics.mix_share(mags[1], mags[0], mags[2]),
                            "env_src": metrics.envelope_correlation(src, waves[0], sr),
                            "env_tgt": metrics.envelope_correlation(tgt, waves[-1], sr),
                            "f_src": metrics.onset_f_measure(src, waves[0], sr),
                            "f_tgt": metrics.onset_f_measure(tgt, waves[-1], sr)}
                if key == "blended_labels/random_phase":
                    ways["retimed"] = waves[-1]
                if blend:  # spectral convergence of alpha = 0 (at the source's own tempo)
                    ref = stft_magnitude(src, audio.n_fft, src.size // audio.bar_frames)
                    est = stft_magnitude(waves[0][: src.size], audio.n_fft,
                                         src.size // audio.bar_frames)
                    row[key]["sc_src"] = metrics.spectral_convergence(ref, est)
        for name, w in ways.items():
            row[name] = {"env": metrics.envelope_correlation(tgt, w, sr),
                         "f": metrics.onset_f_measure(tgt, w, sr)}
        rows.append(row)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                          for k, v in row.items() if not isinstance(v, dict)})
              + " " + " ".join(f"{n} env {row[n]['env']:.3f}" for n in ways), flush=True)
    return {"data": data, "model": backend.ref, "pairs": rows, "summary": summarise(rows)}


def summarise(rows: list[dict]) -> dict:
    out: dict = {"alpha1_at_source_tempo": {}}
    for lo, hi in BUCKETS:
        sel = [r for r in rows if lo <= r["ratio"] < hi]
        if sel:
            out["alpha1_at_source_tempo"][f"{lo}-{hi}"] = {
                "pairs": len(sel), **{f"{w}_{m}": float(np.mean([r[w][m] for r in sel]))
                                      for w in ("stretched", "retimed", "own")
                                      for m in ("env", "f")}}
    out["alpha1_at_source_tempo"]["all"] = {
        "pairs": len(rows), **{f"{w}_{m}": float(np.mean([r[w][m] for r in rows]))
                               for w in ("stretched", "retimed", "own") for m in ("env", "f")}}
    keys = [k for k in rows[0] if "/" in k]
    out["morph"] = {k: {"rho_min": float(np.min([r[k]["rho"] for r in rows])),
                        "rho_mean": float(np.mean([r[k]["rho"] for r in rows])),
                        "rho_ge_0.9_share": float(np.mean([r[k]["rho"] >= 0.9 for r in rows])),
                        "monotonic_share": float(np.mean([r[k]["monotonic"] for r in rows])),
                        **{m: float(np.mean([r[k][m] for r in rows if m in r[k]]))
                           for m in ("mix_share", "env_src", "env_tgt", "f_src", "f_tgt",
                                     "sc_src") if m in rows[0][k]}}
                    for k in keys}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="held-out bars (a corpus's val/ folder)")
    p.add_argument("--pairs", type=int, default=16)
    p.add_argument("--model", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the figures as JSON here")
    args = p.parse_args(argv)
    result = check(args.data, args.pairs, args.model, args.seed)
    print(json.dumps(result["summary"], indent=1))
    if args.out:
        from drumaae import fileio

        fileio.write_json(args.out, result, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
