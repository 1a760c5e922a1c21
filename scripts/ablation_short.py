"""Short-run quality ablation of the v2 changes, cumulative in the order of
`bench/model_variants.py` (v1 shape, + loss terms, + conditioning, + 64-D codes / bottleneck /
residual, + leaner convolutions = the v2 default): each variant trains `--steps` steps (two
epochs) of batch 32 on CORPUS/train with the default recipe's optimizer settings (warm-up 150 steps, no
learning-rate decay) and is evaluated on `--bars` held-out bars of CORPUS/val (8 pairs).
Prints one JSON line per variant and writes them all to `--out`.

    drumaae corpus render --out corpus_a --bars 6000 --seed 2
    python scripts/ablation_short.py corpus_a --steps 400 --out ablation.json

docs/model.md ("Short-run ablation") has the measured table and what it does and does not say.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from drumaae import fileio
from drumaae.config import load_recipe
from drumaae.evaluation.evaluate import evaluate, load_eval_data
from drumaae.training.trainer import train
from drumaae_bench.model_variants import V1, VARIANTS, _merge


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", help="a folder made by drumaae corpus render")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--bars", type=int, default=96)
    p.add_argument("--out", required=True)
    p.add_argument("--runs", default=None, help="where the runs go [default: a temp folder]")
    args = p.parse_args()
    runs = args.runs or tempfile.mkdtemp(prefix="drumaae-ablation-")
    cache = os.path.join(runs, "feature_cache")
    val = os.path.join(args.corpus, "val")
    results, overrides, eval_data = {}, V1, None
    for k, (name, extra) in enumerate(VARIANTS):
        overrides = _merge(overrides, extra)
        recipe = load_recipe("default", _merge(overrides, {"training": {
            "epochs": 2, "steps_per_epoch": args.steps // 2, "adv_warmup_steps": 150,
            "lr_decay_epochs": 0, "log_every_epochs": 100}}))
        t0 = time.time()
        run = train(recipe, [args.corpus], os.path.join(runs, str(k)), feature_cache=cache,
                    progress=False, log=lambda s: None)
        train_s = time.time() - t0
        if eval_data is None:
            eval_data = load_eval_data([val], recipe.audio, max_bars=args.bars, seed=0)
        ev = evaluate(run.model_path, [val], eval_data=eval_data, pairs=8, seed=0)
        interp = ev["interpolation"]["model"]
        results[name] = {
            "train_s": train_s, "steps": run.train_iterations,
            "recon": ev["reconstruction"]["model"], "ceiling": ev["reconstruction"]["source_gl"],
            "per_family": {f: v["model"] for f, v in
                           ev["reconstruction"].get("per_family", {}).items()},
            "interp": {key: interp.get(key) for key in
                       ("rho_mean", "rho_ge_0.9_share", "mid_mix_share", "endpoint_env_target")},
            "mmd": ev["prior"]["mmd"]}
        print(json.dumps({name: results[name]}), flush=True)
        fileio.write_json(args.out, results, indent=1)  # atomic: a kill keeps the last


if __name__ == "__main__":
    main()
