"""Fine-tune a drumaae model on a GPU machine that has PyTorch but no TensorFlow.

The lent GPU machines of this workplace have no TensorFlow (and its wheel is far over what a
call may carry), and a call carries at most 64 MiB, while the corpus's features are 7.9 GB.
So the model is trained there on Keras's torch backend (`DrumAAE.train_step` runs on both
backends), on a random subset of the training run's own cached features, packed here as
6-bit, bz2-compressed shards with the run's rhythm labels:

    # here (TensorFlow side): shards of the run's training bars, plus a few of its validation
    # bars (for a run trained on a corpus folder: the corpus's held-out kits)
    python scripts/gpu_finetune.py pack --cache fcache_v2 --labels runs/v2/rhythm_labels.npz \\
        --out .ft --shards 5 --bars-per-shard 1700 --val-bars 256
    # there (one shard per call; the machine keeps them while warm), then:
    KERAS_BACKEND=torch python scripts/gpu_finetune.py train --model drumaae/assets/default.keras \\
        --data .ft --out $OUT --seconds 330 --batch 128
    # here: the snapshots' weights into a model file (and `drumaae evaluate` it)
    python scripts/gpu_finetune.py assemble --model drumaae/assets/default.keras \\
        --weights snap3.npz --out ft.keras --extra-steps 7628

Quantizing the features (values in [0, 1] spanning min_db..ref_db, 100 dB in the default
recipe) to 6 bits is a step of 1.59 dB: the training target's rounding error is at most
0.79 dB (0.008 in feature units, against the model's mean L1 error of ~0.06).

`train` runs the recipe's three-phase `train_step`. From a trained model (``--model``): its own
recipe, loss weights and rates, no adversarial warm-up (its discriminator is trained
already) and fresh Adam state. From scratch (``--recipe``): a new model of that recipe, with
its warm-up (the adversarial optimizers are reset where it ends, as `DrumAAE.fit` does). The
rates follow one cosine (`decay_scale`) over the last ``--decay-share`` of a step count
sized from the measured speed to fit `--seconds`. It writes the weights at each snapshot
(``snapK.npz``: the parts' arrays, no optimizer state, ~10 MB) and ``history.json``.
"""

from __future__ import annotations

import argparse
import bz2
import dataclasses
import glob
import io
import json
import os
import sys
import time

import numpy as np

LEVELS = 63  # 6 bits
FORMAT = "drumaae-finetune-shard"


# --- pack (TensorFlow side) -----------------------------------------------------------------

def _cache_arrays(cache_dir: str, rows: int) -> np.ndarray:
    """The cached features array with `rows` bars (the run's train or validation index)."""
    for meta in glob.glob(os.path.join(cache_dir, "*.json")):
        with open(meta, encoding="utf-8") as f:
            info = json.load(f)
        if info.get("bars") == rows:
            return np.load(meta[:-5] + ".npy", mmap_mode="r")
    raise SystemExit(f"Error: no feature cache of {rows} bars in {cache_dir}")


def _write_shard(path: str, features: np.ndarray, labels: np.ndarray) -> int:
    q = np.round(np.clip(features, 0.0, 1.0) * LEVELS).astype(np.uint8)
    buf = io.BytesIO()
    np.save(buf, q)
    data = bz2.compress(buf.getvalue(), 9)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    np.save(path[:-len(".npy.bz2")] + ".labels.npy", labels.astype(np.int32))
    return len(data)


def pack(args) -> int:
    labels = np.load(args.labels)
    train_y, val_y = labels["train_labels"], labels["val_labels"]
    train_x = _cache_arrays(args.cache, len(train_y))
    val_x = _cache_arrays(args.cache, len(val_y))
    rng = np.random.default_rng(args.seed)
    n = args.shards * args.bars_per_shard
    if n > len(train_y):
        raise SystemExit(f"Error: {n} bars asked, the run has {len(train_y)}")
    pick = rng.permutation(len(train_y))[:n]
    os.makedirs(args.out, exist_ok=True)
    total = 0
    for k in range(args.shards):
        rows = np.sort(pick[k * args.bars_per_shard:(k + 1) * args.bars_per_shard])
        size = _write_shard(os.path.join(args.out, f"train{k}.npy.bz2"), train_x[rows],
                            train_y[rows])
        total += size
        print(f"train{k}: {len(rows)} bars, {size / 2 ** 20:.1f} MiB", flush=True)
    vrows = np.sort(rng.permutation(len(val_y))[:args.val_bars])
    size = _write_shard(os.path.join(args.out, "val.npy.bz2"), val_x[vrows], val_y[vrows])
    print(f"val: {len(vrows)} bars, {size / 2 ** 20:.1f} MiB; train {total / 2 ** 20:.1f} MiB")
    with open(os.path.join(args.out, "pack.json"), "w", encoding="utf-8") as f:
        json.dump({"format": FORMAT, "levels": LEVELS, "seed": args.seed, "cache": args.cache,
                   "train_rows": pick.tolist(), "val_rows": vrows.tolist()}, f)
    return 0


# --- weights of the parts --------------------------------------------------------------------

PARTS = ("encoder", "generator", "discriminator", "prior")


def save_part_weights(model, path: str) -> None:
    """The parts' weights as NumPy arrays (`model.save_weights` would also write the three
    optimizers' state, ~50 MB, over what a call may bring back)."""
    import keras

    arrays = {f"{part}/{i}": keras.ops.convert_to_numpy(w)
              for part in PARTS for i, w in enumerate(getattr(model, part).weights)}
    np.savez(path, **arrays)


def load_part_weights(model, path: str) -> None:
    with np.load(path) as z:
        for part in PARTS:
            layer = getattr(model, part)
            layer.set_weights([z[f"{part}/{i}"] for i in range(len(layer.weights))])


# --- train (torch side) ---------------------------------------------------------------------

def _read_shard(path: str) -> tuple[np.ndarray, np.ndarray]:
    with open(path, "rb") as f:
        q = np.load(io.BytesIO(bz2.decompress(f.read())))
    return q, np.load(path[:-len(".npy.bz2")] + ".labels.npy")


def train(args) -> int:
    import keras

    from drumaae.config import load_recipe
    from drumaae.models import build_model, compile_model, load_model, model_recipe
    from drumaae.training.callbacks import decay_scale, recipe_rates, set_rates

    if args.precision != "float32":
        keras.config.set_dtype_policy(args.precision)
    shards = sorted(glob.glob(os.path.join(args.data, "**", "train*.npy.bz2"), recursive=True))
    if not shards:
        raise SystemExit(f"Error: no train*.npy.bz2 shards in {args.data}")
    parts = [_read_shard(p) for p in shards]
    xs = np.concatenate([p[0] for p in parts])
    ys = np.concatenate([p[1] for p in parts])
    vx, vy = _read_shard(glob.glob(os.path.join(args.data, "**", "val.npy.bz2"),
                                  recursive=True)[0])
    print(f"data: {len(xs)} training bars from {len(shards)} shards, {len(vx)} validation",
          flush=True)

    if args.model:
        model = load_model(args.model, compile=False)
        recipe = model_recipe(model)
        t = dataclasses.replace(recipe.training, adv_warmup_steps=0)
        recipe = dataclasses.replace(recipe, training=t)
    else:
        recipe = load_recipe(args.recipe)
        t = recipe.training
        model = build_model(recipe)
    compile_model(model, recipe)
    rates = {name: rate * args.lr_scale for name, rate in recipe_rates(t).items()}

    X = keras.ops.convert_to_tensor(xs)  # uint8 on the device
    Y = keras.ops.convert_to_tensor(ys.astype(np.int32))
    VX = keras.ops.convert_to_tensor(vx.astype(np.float32) / LEVELS)
    VY = keras.ops.convert_to_tensor(vy.astype(np.int32))
    rng = np.random.default_rng(args.seed)

    def batch():
        idx = keras.ops.convert_to_tensor(rng.integers(0, len(xs), args.batch).astype(np.int32))
        x = keras.ops.cast(keras.ops.take(X, idx, axis=0), "float32") / float(LEVELS)
        return x, keras.ops.take(Y, idx, axis=0)

    def validate():
        out = [model.test_on_batch(VX[i:i + 128], VY[i:i + 128], return_dict=True)
               for i in range(0, len(vx), 128)]
        return {k: float(np.mean([o[k] for o in out])) for k in out[0]}

    history = {"step": [], "seconds": [], "lr_scale": [], "val": [], "train": []}
    start_val = validate()
    print(f"before: val {start_val}", flush=True)
    history["before"] = start_val

    # Speed first: `probe` steps at the peak rate, then the step count that fits.
    set_rates(model, rates, 1.0)
    t0 = time.perf_counter()
    for _ in range(args.probe):
        model.train_on_batch(*batch())
    rate = args.probe / (time.perf_counter() - t0)
    total = args.steps or max(args.snapshots,
                              int(rate * max(1.0, args.seconds - (time.perf_counter() - t0))))
    print(f"{rate:.1f} steps/s at batch {args.batch}: {total} steps "
          f"({total * args.batch} bars)", flush=True)
    marks = {int(round(total * (k + 1) / args.snapshots)) for k in range(args.snapshots)}
    logs, t_start = {}, time.perf_counter()
    decay = max(1, int(round(total * args.decay_share)))
    warm = t.adv_warmup_steps > 0  # read the step counter only until the warm-up is over
    for step in range(1, total + 1):
        scale = decay_scale(step - 1, total, decay, args.floor)
        set_rates(model, rates, scale)
        if warm and model.train_iterations >= t.adv_warmup_steps:
            model.reset_adversarial_optimizers()
            warm = False
        logs = model.train_on_batch(*batch(), return_dict=True)
        if step % args.log_every == 0 or step in marks:
            val = validate()
            history["step"].append(step)
            history["seconds"].append(round(time.perf_counter() - t_start, 1))
            history["lr_scale"].append(scale)
            history["train"].append({k: float(v) for k, v in logs.items()})
            history["val"].append(val)
            print(f"step {step}/{total} lr x{scale:.3f} recon {float(logs['recon/loss']):.4f} "
                  f"d_acc {float(logs['adv/d_acc']):.2f} | val recon {val['recon/loss']:.4f} "
                  f"d_acc {val['adv/d_acc']:.2f}", flush=True)
        if step in marks:
            k = sorted(marks).index(step) + 1
            save_part_weights(model, os.path.join(args.out, f"snap{k}.npz"))
            with open(os.path.join(args.out, "history.json"), "w", encoding="utf-8") as f:
                json.dump({**history, "args": vars(args), "bars": len(xs),
                           "steps_per_s": rate}, f)
    return 0


# --- assemble (TensorFlow side) -------------------------------------------------------------

def assemble(args) -> int:
    from drumaae.models import load_model, save_model

    model = load_model(args.model, compile=False)
    load_part_weights(model, args.weights)
    # The steps trained on the GPU count with those the start model was saved with.
    model.saved_steps = (model.saved_steps or 0) + args.extra_steps
    print(save_model(model, args.out))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pack")
    a.add_argument("--cache", required=True)
    a.add_argument("--labels", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--shards", type=int, default=5)
    a.add_argument("--bars-per-shard", type=int, default=1700)
    a.add_argument("--val-bars", type=int, default=256)
    a.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("train")
    start = t.add_mutually_exclusive_group(required=True)
    start.add_argument("--model", help="fine-tune this trained model")
    start.add_argument("--recipe", help="train a new model of this recipe (name or YAML)")
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--seconds", type=float, default=300.0,
                   help="training time the step count is sized to (after the probe)")
    t.add_argument("--steps", type=int, default=0, help="a fixed step count instead")
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--lr-scale", type=float, default=1.0, help="peak rate x the recipe's")
    t.add_argument("--floor", type=float, default=0.05, help="last rate share")
    t.add_argument("--decay-share", type=float, default=1.0,
                   help="share of the steps the cosine spans (the last ones)")
    t.add_argument("--snapshots", type=int, default=2)
    t.add_argument("--probe", type=int, default=30)
    t.add_argument("--log-every", type=int, default=500)
    t.add_argument("--precision", default="float32",
                   choices=["float32", "mixed_float16", "mixed_bfloat16"])
    t.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("assemble")
    s.add_argument("--model", required=True)
    s.add_argument("--weights", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--extra-steps", type=int, default=0,
                   help="steps the weights were trained beyond the start model's")
    args = p.parse_args(argv)
    return {"pack": pack, "train": train, "assemble": assemble}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
