"""Package a trained run as the bundled default model: weights without optimizer state,
rhythm centroids, and the model card with the measured figures.

    python scripts/bundle_model.py --run /work/data/run --eval eval.json \
        [--trend trend.json] --out drumaae/assets

The card's numbers come only from the files given (history.json, summary.json of the run,
`drumaae evaluate --json` output): nothing is typed in by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil

from drumaae.models import load_model, model_recipe, save_model


def _fmt(x, nd=3):
    return "n/a" if x is None else f"{x:.{nd}f}"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True)
    p.add_argument("--eval", required=True, help="drumaae evaluate --json of the final model")
    p.add_argument("--history-evals", nargs="*", default=[],
                   help="EPOCH=eval.json of intermediate snapshots (how metrics moved)")
    p.add_argument("--corpus-manifest", required=True)
    p.add_argument("--out", default="drumaae/assets")
    args = p.parse_args()

    model = load_model(os.path.join(args.run, "model.keras"), compile=False)
    os.makedirs(args.out, exist_ok=True)
    path = save_model(model, os.path.join(args.out, "default.keras"))  # no optimizer state
    shutil.copy(os.path.join(args.run, "rhythm_centroids.npy"),
                os.path.join(args.out, "rhythm_centroids.npy"))
    summary = json.load(open(os.path.join(args.run, "summary.json")))
    history = json.load(open(os.path.join(args.run, "history.json")))
    ev = json.load(open(args.eval))
    manifest = json.load(open(args.corpus_manifest))
    recipe = model_recipe(model)

    rec, it, pr = ev["reconstruction"], ev["interpolation"], ev["prior"]
    lines = [
        "# drumaae default model",
        "",
        f"`drumaae/assets/default.keras` ({os.path.getsize(path) / 2**20:.1f} MB, "
        f"{model.count_params():,} parameters), the model every command uses when `--model` "
        "is omitted.",
        "",
        "## Data",
        f"{summary['train_bars']} one-bar training loops and {summary['val_bars']} validation "
        f"loops rendered by `drumaae corpus render --bars {manifest['n_files']} --seed "
        f"{manifest['seed']}` from the recorded Hydrogen kits of Debian's `hydrogen-drumkits` "
        f"and `hydrogen-data` ({len(manifest['train_kits'])} training kits; held out for "
        f"validation and every figure below: {', '.join(manifest['val_kits'])}); patterns "
        f"from Hydrogen's demo songs ({manifest['song_patterns']} bars) and the groove "
        f"generator ({', '.join(manifest['genres'])}), tempi "
        f"{manifest['bpm_range'][0]:.0f}-{manifest['bpm_range'][1]:.0f} BPM. Kit licenses: "
        "docs/corpus.md and the corpus manifest (GPL, CC-BY, CC0, CC-BY-SA).",
        f"Data index hash: `{summary['index_hash']}`.",
        "",
        "## Training",
        f"Recipe `recipes/default.yaml` (resolved recipe below), "
        f"`scripts/train_bundled_model.py`, {summary['epochs']} epochs, "
        f"{summary['steps']} steps of batch {recipe.training.batch_size}, "
        f"{summary['train_minutes']:.0f} min wall time on a 2-core CPU (AMD EPYC, no GPU, "
        "float32), shared with other jobs part of the time.",
        "",
        "| epoch | step | train recon/loss | val recon/loss | adv/d_acc | val adv/d_acc |",
        "|---|---|---|---|---|---|",
    ]
    n = len(history["step"])
    for i in sorted(set([0, 1, 2, n // 4, n // 2, 3 * n // 4, n - 1])):
        if 0 <= i < n:
            lines.append(
                f"| {i + 1} | {history['step'][i]} | {history['recon/loss'][i]:.4f} | "
                f"{history['val_recon/loss'][i]:.4f} | {history['adv/d_acc'][i]:.3f} | "
                f"{history['val_adv/d_acc'][i]:.3f} |")
    lines += [
        "",
        "## Held-out-kit metrics",
        f"`drumaae evaluate --data corpus/val --max-bars 200 --pairs 16` "
        f"({ev['settings']['bars_evaluated']} of {ev['settings']['bars_total']} bars, "
        f"{ev['settings'].get('pairs', 'n/a')} pairs, Griffin-Lim "
        f"{ev['settings'].get('gl_iters', 'n/a')} iterations; docs/evaluation.md defines each "
        "figure).",
        "",
        "| reconstruction | model | Griffin-Lim of the true magnitude (ceiling) |",
        "|---|---|---|",
        f"| log-spectral distance (dB) | {_fmt(rec['model']['lsd_db'], 2)} | "
        f"{_fmt(rec['source_gl']['lsd_db'], 2)} |",
        f"| spectral convergence | {_fmt(rec['model']['sc'])} | {_fmt(rec['source_gl']['sc'])} |",
        f"| onset F-measure | {_fmt(rec['model']['onset_f'])} | "
        f"{_fmt(rec['source_gl']['onset_f'])} |",
        f"| feature L1 (mean-bar baseline {_fmt(rec.get('feature_l1_mean_bar'), 4)}) | "
        f"{_fmt(rec.get('feature_l1'), 4)} | |",
        "",
        "| interpolation (alpha = 0 .. 1) | model | spectrogram crossfade |",
        "|---|---|---|",
    ]
    for key, label in (("endpoint_f_source", "onset F, alpha=0 vs source"),
                       ("endpoint_f_target", "onset F, alpha=1 vs target"),
                       ("rho_mean", "rhythm trend rho (+1 ideal)"),
                       ("monotonic_share", "share of monotonic pairs")):
        lines.append(f"| {label} | {_fmt(it['model'].get(key))} | "
                     f"{_fmt(it['crossfade'].get(key))} |")
    lines += [
        "",
        f"Prior fit: MMD of codes to prior samples {_fmt(pr.get('mmd'), 4)} (two prior "
        f"samples, the noise floor: {_fmt(pr.get('mmd_prior_floor'), 4)}); "
        f"{pr.get('components_used')} of 10 components used "
        f"(effective {_fmt(pr.get('effective_components'), 2)}); code spread / prior spread "
        f"{_fmt(pr.get('code_spread'))}.",
        "",
        "How the figures moved with training (intermediate snapshots: 60 bars, 8 pairs; the "
        "final row is the table above):",
        "",
    ]
    for item in args.history_evals:
        epoch, file = item.split("=", 1)
        e = json.load(open(file))
        lines.append(
            f"- after epoch {epoch}: reconstruction LSD {_fmt(e['reconstruction']['model']['lsd_db'], 2)}"
            f" dB, onset F {_fmt(e['reconstruction']['model']['onset_f'])}, trend rho "
            f"{_fmt(e['interpolation']['model'].get('rho_mean'))}")
    lines += ["", "## Resolved recipe", "", "```yaml", recipe.to_yaml().rstrip(), "```", ""]
    with open(os.path.join(args.out, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {path} and MODEL_CARD.md")


if __name__ == "__main__":
    main()
