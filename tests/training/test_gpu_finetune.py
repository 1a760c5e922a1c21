"""scripts/gpu_finetune.py: packing a run's cached features into 6-bit shards, fine-tuning on
them (here on TensorFlow; on the GPU machine on torch) and assembling a model file from the
weights it writes."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def ft():
    spec = importlib.util.spec_from_file_location(
        "gpu_finetune", os.path.join(ROOT, "scripts", "gpu_finetune.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_cache(path, rows, frames, bins, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((rows, frames, bins), dtype=np.float32)
    np.save(path / f"key{rows}.npy", x)
    (path / f"key{rows}.json").write_text(json.dumps({"bars": rows}))
    return x


def test_pack_train_assemble(ft, tmp_path, tiny_recipe):
    from drumaae.models import build_model, load_model, save_model

    a = tiny_recipe.audio
    cache = tmp_path / "cache"
    cache.mkdir()
    train_x = _fake_cache(cache, 12, a.bar_frames, a.n_bins, 0)
    _fake_cache(cache, 5, a.bar_frames, a.n_bins, 1)
    k = tiny_recipe.model.num_components
    np.savez(tmp_path / "labels.npz", train_labels=np.arange(12) % k,
             val_labels=np.arange(5) % k)
    shards = tmp_path / "shards"
    assert ft.main(["pack", "--cache", str(cache), "--labels", str(tmp_path / "labels.npz"),
                    "--out", str(shards), "--shards", "2", "--bars-per-shard", "4",
                    "--val-bars", "3"]) == 0
    q, labels = ft._read_shard(str(shards / "train0.npy.bz2"))
    rows = json.loads((shards / "pack.json").read_text())["train_rows"][:4]
    assert q.dtype == np.uint8 and q.shape == (4, a.bar_frames, a.n_bins)
    # 6 bits: at most half a step (1/126) from the cached features, labels kept with their bars
    assert np.abs(q / ft.LEVELS - train_x[sorted(rows)]).max() <= 0.5 / ft.LEVELS + 1e-6
    assert list(labels) == [r % k for r in sorted(rows)]

    model_path = save_model(build_model(tiny_recipe), str(tmp_path / "start.keras"))
    out = tmp_path / "out"
    out.mkdir()
    assert ft.main(["train", "--model", model_path, "--data", str(shards), "--out", str(out),
                    "--seconds", "1", "--batch", "2", "--probe", "2", "--snapshots", "2",
                    "--log-every", "1000"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["bars"] == 8 and len(history["val"]) == 2
    assert history["lr_scale"][-1] == pytest.approx(0.05)  # the cosine ends at the floor

    done = str(tmp_path / "done.keras")
    assert ft.main(["assemble", "--model", model_path, "--weights", str(out / "snap2.npz"),
                    "--out", done, "--extra-steps", "7"]) == 0
    before, after = load_model(model_path, compile=False), load_model(done, compile=False)
    changed = [not np.array_equal(x, y) for x, y in zip(before.encoder.get_weights(),
                                                         after.encoder.get_weights())]
    assert any(changed)
    assert after.trained_steps == (before.trained_steps or 0) + 7


def test_train_from_a_recipe_resets_the_adversaries_after_the_warm_up(ft, tmp_path, monkeypatch):
    from drumaae.config import load_recipe
    from drumaae.models import DrumAAE

    recipe = load_recipe("tiny", {"training": {"adv_warmup_steps": 3}})
    path = tmp_path / "tiny.yaml"
    path.write_text(recipe.to_yaml())
    a = recipe.audio
    shards = tmp_path / "shards"
    shards.mkdir()
    rng = np.random.default_rng(0)
    for name, n in (("train0", 6), ("val", 2)):
        ft._write_shard(str(shards / f"{name}.npy.bz2"),
                        rng.random((n, a.bar_frames, a.n_bins), dtype=np.float32),
                        np.zeros(n, np.int32))
    resets = []
    original = DrumAAE.reset_adversarial_optimizers
    monkeypatch.setattr(DrumAAE, "reset_adversarial_optimizers",
                        lambda self: (resets.append(self.train_iterations), original(self)))
    out = tmp_path / "out"
    out.mkdir()
    assert ft.main(["train", "--recipe", str(path), "--data", str(shards), "--out", str(out),
                    "--steps", "5", "--batch", "2", "--probe", "2", "--snapshots", "1",
                    "--decay-share", "0.5"]) == 0
    assert resets == [3]  # once, at the step the warm-up ends
    assert (out / "snap1.npz").exists()
