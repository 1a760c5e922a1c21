"""Train the bundled default model (drumaae/assets/default.keras) on the rendered corpus.

    drumaae corpus render --out /work/data/corpus --bars 4000 --seed 0
    python scripts/train_bundled_model.py --corpus /work/data/corpus --out /work/data/run \
        --minutes 60

Library calls only (the same ones `drumaae train` makes): bar index from the corpus
manifest's tempi, held-out kits (val/) for validation, rhythm-cluster labels, the default
recipe's model and optimizers. Stops after --minutes of training or --epochs; saves the model
and history after every epoch, so it can be stopped at any time.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import keras
import numpy as np

from drumaae.config import load_recipe
from drumaae.data.corpus import bpm_lookup, read_manifest
from drumaae.data.dataset import build_index, iterate_bars, make_dataset
from drumaae.data.rhythm import assign_rhythms, onset_grid, rhythm_labels
from drumaae.models import build_model, compile_model, save_model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--recipe", default="default")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()

    recipe = load_recipe(args.recipe)
    audio, t = recipe.audio, recipe.training
    keras.utils.set_random_seed(t.seed)
    os.makedirs(args.out, exist_ok=True)
    manifest = read_manifest(args.corpus)
    lookup = bpm_lookup(manifest, args.corpus)
    start = time.time()
    train_index = build_index(os.path.join(args.corpus, "train"), audio, bpm_lookup=lookup)
    val_index = build_index(os.path.join(args.corpus, "val"), audio, bpm_lookup=lookup)
    print(f"index: {len(train_index)} train bars, {len(val_index)} val bars "
          f"({time.time() - start:.0f} s)", flush=True)

    start = time.time()
    train_feats = np.stack([f for _, f in iterate_bars(train_index, audio)])
    labels, centroids = rhythm_labels(train_feats, audio, recipe.model.num_components, t.seed)
    val_feats = np.stack([f for _, f in iterate_bars(val_index, audio)])
    val_labels = assign_rhythms(onset_grid(val_feats, audio), centroids)
    np.save(os.path.join(args.out, "rhythm_centroids.npy"), centroids)
    print(f"labels: {np.bincount(labels).tolist()} ({time.time() - start:.0f} s)", flush=True)

    train_ds = make_dataset(train_index, audio, batch_size=t.batch_size, shuffle=True,
                            seed=t.seed, labels=labels, drop_remainder=True)
    val_ds = make_dataset(val_index, audio, batch_size=t.batch_size, shuffle=False,
                          seed=t.seed, labels=val_labels)
    model = compile_model(build_model(recipe), recipe)
    history: dict[str, list[float]] = {}
    epochs = args.epochs or t.epochs
    train_start = time.time()
    for epoch in range(epochs):
        t0 = time.time()
        hist = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
        for key, values in hist.history.items():
            history.setdefault(key, []).extend(float(v) for v in values)
        history.setdefault("epoch_seconds", []).append(time.time() - t0)
        history.setdefault("step", []).append(model.train_iterations)
        save_model(model, os.path.join(args.out, "model.keras"))
        with open(os.path.join(args.out, "history.json"), "w") as f:
            json.dump(history, f, indent=1)
        elapsed = (time.time() - train_start) / 60
        print(f"epoch {epoch + 1}: step {model.train_iterations}, {elapsed:.1f} min", flush=True)
        if elapsed >= args.minutes:
            break
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump({"epochs": len(history["step"]), "steps": model.train_iterations,
                   "train_minutes": (time.time() - train_start) / 60,
                   "train_bars": len(train_index), "val_bars": len(val_index),
                   "index_hash": train_index.hash(), "recipe": recipe.to_dict()}, f, indent=1)


if __name__ == "__main__":
    main()
