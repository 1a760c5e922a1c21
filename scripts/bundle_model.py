"""Package a trained run as the bundled default model: weights without optimizer state,
rhythm centroids, and the model card with the measured figures.

    drumaae train --recipe default --data corpus/ --out runs/v2 --cache-dir fcache/ --no-mlflow
    drumaae evaluate --data corpus/val --model runs/v2/model.keras --max-bars 240 --pairs 24 \
        --json-out eval_v2.json                      # the defaults (limits.DEFAULT_REFINE steps)
    drumaae evaluate --data corpus/val --model runs/v1.keras --max-bars 240 --pairs 24 \
        --json-out eval_v1.json
    drumaae evaluate ... --model runs/v2/model.keras --refine 0 --pairs 0 \
        --json-out eval_refine0.json                 # the encoder's codes alone
    python scripts/bundle_model.py --run runs/v2 --model runs/v2/model.keras --name v2.1 \
        --eval eval_v2.json --baseline "v1 (previous default)=eval_v1.json" \
        --refine-eval eval_refine0.json --corpus-manifest corpus/manifest.json \
        --wall-minutes 132 --out drumaae/assets

The card's numbers come only from the files given (the run's history.json and recipe, the
`drumaae evaluate --json` outputs, the corpus manifest): nothing is typed in by hand except
the wall time, which the caller measured.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from drumaae.models import load_model, model_recipe, save_model

FAMILIES = ("acoustic", "electronic", "hand_percussion", "processed", "realism")


def _machine() -> str:
    """This machine, in words: its CPU count and model name (no GPU assumed)."""
    name = "CPU"
    try:
        with open("/proc/cpuinfo") as f:
            name = next((ln.split(":", 1)[1].strip() for ln in f
                         if ln.startswith("model name")), name)
    except OSError:
        pass
    return f"a {os.cpu_count()}-core CPU ({name}, no GPU)"


def _fmt(x, nd=3):
    return "n/a" if x is None else f"{x:.{nd}f}"


def _row(name: str, q: dict | None) -> str:
    q = q or {}
    return (f"| {name} | {_fmt(q.get('env_corr'))} | {_fmt(q.get('onset_f'))} | "
            f"{_fmt(q.get('mel_db'), 2)} | {_fmt(q.get('lsd_db'), 2)} | "
            f"{_fmt(q.get('lsd_env_db'), 2)} | {_fmt(q.get('sc'))} |")


def _recon_table(name: str, ev: dict, baselines: list[tuple[str, dict]],
                 refined: dict | None) -> list[str]:
    rec = ev["reconstruction"]
    other = f"{name} --refine {refined['reconstruction'].get('refine_steps')}" if refined else ""
    lines = ["| reconstruction | envelope corr | onset F | mel distance (dB) | LSD (dB) | "
             "LSD 9x3-smoothed (dB) | spectral conv. |",
             "|---|---:|---:|---:|---:|---:|---:|",
             _row(f"**{name} (this model, --refine {rec.get('refine_steps', 0)}), all held-out "
                  "bars**", rec["model"])]
    if refined:
        lines.append(_row(other, refined["reconstruction"]["model"]))
    for label, base in baselines:
        lines.append(_row(label, base["reconstruction"]["model"]))
    lines.append(_row("Griffin-Lim of the true magnitude (ceiling)", rec["source_gl"]))
    fams = rec.get("per_family") or {}
    for fam in [f for f in FAMILIES if f in fams] + [f for f in fams if f not in FAMILIES]:
        g = fams[fam]
        lines.append(_row(f"{name}, {fam} ({g['bars']} bars)", g["model"]))
        if refined and fam in (refined["reconstruction"].get("per_family") or {}):
            lines.append(_row(f"{other}, {fam}",
                              refined["reconstruction"]["per_family"][fam]["model"]))
        for label, base in baselines:
            if fam in (base["reconstruction"].get("per_family") or {}):
                lines.append(_row(f"{label.split(' (')[0]}, {fam}",
                                  base["reconstruction"]["per_family"][fam]["model"]))
        lines.append(_row(f"ceiling, {fam}", g["source_gl"]))
    return lines


def _interp_table(name: str, ev: dict, baselines: list[tuple[str, dict]]) -> list[str]:
    it = ev["interpolation"]
    cols = ([(name, it.get("model") or {})]
            + [(label.split(" (")[0], base["interpolation"].get("model") or {})
               for label, base in baselines]
            + [("crossfade", it.get("crossfade") or {})])
    lines = ["| interpolation | " + " | ".join(c for c, _ in cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for key, label in (("endpoint_f_source", "onset F, alpha=0 vs source"),
                       ("endpoint_f_target", "onset F, alpha=1 vs target"),
                       ("endpoint_env_source", "envelope corr, alpha=0 vs source"),
                       ("endpoint_env_target", "envelope corr, alpha=1 vs target"),
                       ("rho_mean", "rhythm trend rho (+1 ideal)"),
                       ("rho_ge_0.9_share", "share of pairs with rho >= 0.9"),
                       ("monotonic_share", "share of monotonic pairs"),
                       ("mid_mix_share", "alpha=0.5: share explained by a mix of the endpoints"),
                       ("mid_onset_ratio", "alpha=0.5: onsets / larger endpoint's")):
        lines.append(f"| {label} | " + " | ".join(_fmt(c.get(key)) for _, c in cols) + " |")
    return lines


def _prior_lines(name: str, ev: dict, baselines: list[tuple[str, dict]]) -> list[str]:
    def one(name, p):
        return (f"| {name} | {_fmt(p.get('d_real_share_codes'), 2)} "
                f"(prior samples {_fmt(p.get('d_real_share_prior'), 2)}) | "
                f"{_fmt(p.get('log_prob_codes_median'), 1)} | "
                f"{_fmt(p.get('log_prob_prior_median'), 1)} | "
                f"{_fmt(p.get('log_prob_path_min_median'), 1)} | {_fmt(p.get('mmd'), 4)} | "
                f"{p.get('components_used')} ({_fmt(p.get('effective_components'), 2)}) |")
    lines = ["| codes on the prior | called real by D | median log p codes | "
             "median log p prior samples | median lowest log p on code-to-code paths | "
             "MMD^2 | components used (effective) |", "|---|---:|---:|---:|---:|---:|---:|",
             one(name, ev["prior"])]
    for label, base in baselines:
        lines.append(one(label.split(" (")[0], base["prior"]))
    return lines


def _history(run: str) -> dict:
    """The run's per-epoch history: history.json of a finished run, else the last
    checkpoint's (a run stopped after an epoch, as the bundled one was)."""
    path = os.path.join(run, "history.json")
    if os.path.isfile(path):
        return json.load(open(path))
    return json.load(open(os.path.join(run, "checkpoints", "state.json")))["history"]


def _centroids(run: str) -> np.ndarray:
    """The rhythm centroids the run's labels came from."""
    path = os.path.join(run, "rhythm_centroids.npy")
    if os.path.isfile(path):
        return np.load(path)
    return np.load(os.path.join(run, "rhythm_labels.npz"))["centroids"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True, help="the training run's folder")
    p.add_argument("--model", default=None,
                   help="model file [default: RUN/model.keras; a stopped run: "
                        "RUN/checkpoints/last.keras]")
    p.add_argument("--eval", required=True, help="drumaae evaluate --json of the model")
    p.add_argument("--name", default="v2", help="the model's version name in the card")
    p.add_argument("--baseline", action="append", default=[], metavar="LABEL=FILE",
                   help="drumaae evaluate --json of an earlier model, shown beside it "
                        "(repeatable; e.g. 'v1 (previous default)=eval_v1.json')")
    p.add_argument("--refine-eval", default=None,
                   help="... of the model with other refinement steps (e.g. --refine 0)")
    p.add_argument("--corpus-manifest", required=True)
    p.add_argument("--wall-minutes", type=float, required=True,
                   help="measured wall time of the training run")
    p.add_argument("--machine", default=_machine(),
                   help="where the run trained (default: this machine's CPU)")
    p.add_argument("--note", default=None, help="a paragraph on how the run went (Training)")
    p.add_argument("--out", default="drumaae/assets")
    args = p.parse_args()

    model = load_model(args.model or os.path.join(args.run, "model.keras"), compile=False)
    os.makedirs(args.out, exist_ok=True)
    path = save_model(model, os.path.join(args.out, "default.keras"))  # no optimizer state
    np.save(os.path.join(args.out, "rhythm_centroids.npy"), _centroids(args.run))
    history = _history(args.run)
    ev = json.load(open(args.eval))
    baselines = [(b.split("=", 1)[0], json.load(open(b.split("=", 1)[1])))
                 for b in args.baseline]
    refined = json.load(open(args.refine_eval)) if args.refine_eval else None
    manifest = json.load(open(args.corpus_manifest))
    recipe = model_recipe(model)
    files = manifest.get("files", [])
    n_train = sum(1 for f in files if f.get("split") == "train")
    revoice = manifest.get("revoice_share")  # absent from corpora rendered before it
    synth = manifest.get("synth_kits")  # generator 5 on
    n_bars = sum(int(f.get("bars", 1)) for f in files)
    n_val = sum(1 for f in files if f.get("split") == "val")
    steps = history["step"][-1]
    bars_per_s = steps * recipe.training.batch_size / (args.wall_minutes * 60.0)
    s = ev["settings"]
    lines = [
        f"# drumaae default model ({args.name})",
        "",
        f"`drumaae/assets/default.keras` ({os.path.getsize(path) / 2**20:.1f} MB, "
        f"{model.count_params():,} parameters), the model every command uses when `--model` "
        "is omitted.",
        "",
        "## Data",
        f"`drumaae corpus render --bars {manifest['n_files']} --seed {manifest['seed']}"
        + (f" --revoice-share {revoice}" if revoice else "") + "`, with `--val-kit` and "
        "`--val-family` naming the held-out kits and pattern families listed below "
        f"(generator version {manifest.get('generator_version')}): {n_train:,} training and "
        f"{n_val:,} validation files ({n_bars:,} bars), one 4/4 bar each at "
        f"{manifest['bpm_range'][0]:.0f}-{manifest['bpm_range'][1]:.0f} BPM"
        + (" (the fast families as 2-bar loops at 160-200 BPM)" if manifest.get("fast_loops")
           else "") + ", from "
        f"{len(manifest['kits'])} recorded kits (Debian's Hydrogen kits and the drum kits of its "
        "GM/GS soundfonts and AVL drums; licenses per kit in the corpus manifest and "
        "docs/corpus.md)"
        + (f" and {synth['train']:,} procedurally synthesized kits in training "
           f"({synth['val']:,} more held out; `drumaae.data.synth`, one kit per file)"
           if synth else "") + ". "
        f"A share ({manifest.get('process_share')}) of the training bars went through a "
        "processing chain (reverb, EQ, compression, saturation, bit/rate reduction, gain)"
        + (f"; a share ({revoice}) played their kit re-voiced role by role (tuning, decay, EQ "
           "shelves; docs/corpus.md)" if revoice else "")
        + (f"; a share ({manifest.get('realism_share')}) was 'recorded' (tails over the bar "
           "line, mic bleed, room, tape, noise floor, codec: family `realism`) and a share "
           f"({manifest.get('partial_share')}) of all files kept only some roles (partial "
           "kits)." if synth else "."),
        f"Held out (never trained on; every figure below): the kits "
        f"{', '.join(manifest['val_kits'])}; the pattern families "
        f"{', '.join(manifest.get('val_pattern_families', []))}; processed versions of "
        "held-out bars (family `processed`)"
        + ("; and the `realism` family: held-out synth kits (odd seeds) or held-out kits "
           "'recorded' the same way as the training bars." if synth else "."),
        "",
        "## Training",
        "Recipe `recipes/default.yaml` (resolved recipe below), `drumaae train --recipe default "
        "--data corpus/ --cache-dir ...`, "
        f"{len(history['step'])} epochs of {recipe.training.steps_per_epoch or 'all'} steps, "
        f"{steps:,} steps of batch {recipe.training.batch_size} "
        f"({steps * recipe.training.batch_size:,} bars), {args.wall_minutes:.0f} min wall time "
        f"({bars_per_s:.0f} bars/s) on {args.machine} (float32; what ran beside it: below).",
        "",
        "| epoch | step | train recon/loss | val recon/loss | adv/d_acc | val adv/d_acc |",
        "|---|---|---|---|---|---|",
    ]
    n = len(history["step"])
    for i in sorted(set([0, 1, 2, n // 4, n // 2, 3 * n // 4, n - 1])):
        if 0 <= i < n:
            lines.append(
                f"| {history['epoch'][i]} | {history['step'][i]} | "
                f"{history['recon/loss'][i]:.4f} | {history['val_recon/loss'][i]:.4f} | "
                f"{history['adv/d_acc'][i]:.3f} | {history['val_adv/d_acc'][i]:.3f} |")
    t = recipe.training
    weighted = ((t.sc_weight, "spectral convergence"), (t.transient_weight, "transient term"),
                (t.onset_weight, "onset-flux term"))
    terms = [t.recon_loss.upper()] + [name if w == 1 else f"{w:g} x {name}"
                                      for w, name in weighted if w]
    lines += [
        "",
        f"(recon/loss is {' + '.join(terms)}, so it is not comparable with v1's plain L1.)",
    ]
    if args.note:
        lines += ["", args.note]
    lines += [
        "",
        "## Held-out metrics",
        f"`drumaae evaluate --data corpus/val --max-bars {s['bars_evaluated']} --pairs "
        f"{s.get('pairs')}` (the default {ev['reconstruction'].get('refine_steps', 0)} "
        "refinement steps, for reconstruction and interpolation alike; "
        f"{s['bars_evaluated']} of {s['bars_total']} held-out bars, seed "
        f"{s['seed']}, Griffin-Lim {s.get('gl_iters')} iterations; docs/evaluation.md defines "
        "each figure). Targets (issue 26, checked on real recordings outside the project): "
        "envelope corr >= 0.90, onset F >= 0.90, mel distance <= 4.5 dB; the synthetic "
        "held-out families must not regress. LSD is reported, no longer a target.",
        "",
    ]
    lines += _recon_table(args.name, ev, baselines, refined)
    if refined:
        a, b = ev["reconstruction"], refined["reconstruction"]
        lines += ["", f"Encoding time per bar: {_fmt(a.get('encode_seconds_per_bar'), 3)} s with "
                  f"{a.get('refine_steps', 0)} refinement steps, "
                  f"{_fmt(b.get('encode_seconds_per_bar'), 3)} s with {b.get('refine_steps')} "
                  "(batches of up to 64 bars, same loaded machine; per command: docs/model.md, "
                  "\"Code refinement\")."]
    lines += ["", f"Interpolation: {s.get('pairs')} pairs, steps rendered at "
              f"{s.get('interpolation_tempo', 'the source')!s} tempo (docs/evaluation.md: each "
              "endpoint at its own bar's tempo under blend)."]
    lines += [""] + _interp_table(args.name, ev, baselines) + [""]
    lines += _prior_lines(args.name, ev, baselines)
    lines += ["", "## Resolved recipe", "", "```yaml", recipe.to_yaml().rstrip(), "```", ""]
    with open(os.path.join(args.out, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {path} and MODEL_CARD.md")


if __name__ == "__main__":
    main()
