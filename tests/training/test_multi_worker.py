"""Two worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy, each with its own TF_CONFIG)
train the tiny recipe: same steps on both, and the chief's model matches a one-process run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.training.conftest import free_port

DRUMAAE = os.path.join(os.path.dirname(sys.executable), "drumaae")
STEPS = 4


def _recipe_file(tmp_path, tiny_recipe) -> str:
    """The tiny recipe, made deterministic for a close comparison: a deterministic encoder
    without dropout (random masks differ per replica), no rhythm labels, no random label
    mixing, and only per-bar loss terms (spectral convergence is a ratio over the whole
    batch, so two half batches would not add up to it); global batch 2 (one bar per worker),
    a fixed number of steps over the repeated, shuffled stream.

    The adversarial phases run from the second step on (``adv_warmup_steps: 1``) so that
    the discriminator's and the encoder's distributed updates are compared too. Their
    "real" codes are prior draws, which a one-process run draws for the whole batch and two
    replicas draw one bar each: a prior of one component with spreads of 1e-6 makes every
    draw its mean (to 1e-6), so both runs see the same codes.
    """
    recipe = tiny_recipe.replace(
        model={"stochastic_encoder": False, "use_labels": False, "dropout": 0.0,
               "num_components": 1, "prior_radial_std": 1e-6,
               "prior_tangential_std": 1e-6, "prior_other_std": 1e-6},
        training={"batch_size": 2, "steps_per_epoch": STEPS, "adv_warmup_steps": 1,
                  "precision": "float32", "label_mix": 0.0, "sc_weight": 0.0,
                  "transient_weight": 0.0})
    path = tmp_path / "recipe.yaml"
    path.write_text(recipe.to_yaml())
    return str(path)


def adam_tolerance(training) -> float:
    """How far one weight may end up from the one-process run's after `STEPS` Adam steps,
    when the only difference is the order of float32 additions (a two-replica all-reduce
    sums the halves of a batch; one process sums the batch in one go).

    A gradient far above float32 rounding keeps its sign and nearly its size, and Adam
    moves the weight by nearly the same amount in both runs. A gradient at rounding level
    (a weight the loss barely depends on) may take the opposite sign in the other run, and
    Adam, which divides by the gradient's own running size, still moves the weight by up to
    its learning rate each step (while the first and second moments agree in magnitude):
    the two runs' weights may then differ by up to 2 x steps x the largest learning rate of
    the optimizers that update it. That bound, not the CPU's vector width (AVX2 or AVX-512
    change the order of additions), is the tolerance.
    """
    rates = (training.ae_learning_rate, training.d_learning_rate, training.e_learning_rate)
    return 2.0 * STEPS * max(rates)


def _train_cmd(recipe: str, data: str, out: str, strategy: str) -> list[str]:
    return [DRUMAAE, "train", "--recipe", recipe, "--data", data, "--out", out, "--epochs", "1",
            "--strategy", strategy, "--no-mlflow", "--quiet"]


def _env(tf_config: dict | None) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


@pytest.fixture
def same_bars(tmp_path, make_loop, tiny_recipe):
    """Six copies of one bar played twice: every bar is the same, so every batch is the same
    however tf.data shards it between the workers, so the two-worker run must reach the one-process run's weights
    (the check is of the distributed step, not of the sharding order)."""
    from drumaae.audio.io import save_wav

    folder = tmp_path / "same"
    folder.mkdir()
    sr = tiny_recipe.audio.sample_rate
    loop = np.tile(make_loop(sr, 120.0, bars=1, seed=0, pattern="rock"), 2)
    for i in range(6):
        save_wav(folder / f"copy{i}.wav", loop, sr)
    return str(folder)


@pytest.mark.slow
def test_two_workers_train_like_one_process(tmp_path, same_bars, tiny_recipe):
    from drumaae.models import load_model

    loops_dir = same_bars
    recipe = _recipe_file(tmp_path, tiny_recipe)
    cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
    workers = []
    for i in range(2):
        log = open(tmp_path / f"worker{i}.log", "w")
        workers.append((subprocess.Popen(
            _train_cmd(recipe, loops_dir, str(tmp_path / f"run{i}"), "multi_worker"),
            env=_env({"cluster": cluster, "task": {"type": "worker", "index": i}}),
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path), log))
    single = subprocess.run(_train_cmd(recipe, loops_dir, str(tmp_path / "single"), "default"),
                            env=_env(None), capture_output=True, text=True, cwd=tmp_path,
                            timeout=1200)
    assert single.returncode == 0, single.stderr[-3000:]
    outputs = []
    for proc, log in workers:
        try:
            proc.wait(timeout=1200)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        text = open(log.name).read()
        assert proc.returncode == 0, text[-3000:]
        outputs.append(text)

    # Both workers: two replicas, the same number of steps, the same losses.
    steps = [re.search(r"trained 1 epochs? \(1 now, (\d+) steps\)", t) for t in outputs]
    assert all(steps), outputs[0][-2000:]
    assert [int(s.group(1)) for s in steps] == [STEPS, STEPS]
    assert all("(2 replica(s))" in t for t in outputs)
    finals = [re.search(r"final: (.*)", t).group(1) for t in outputs]
    assert finals[0] == finals[1]

    # The chief (worker 0) wrote the run; worker 1 wrote nothing in its --out.
    assert (tmp_path / "run0" / "model.keras").is_file()
    assert not (tmp_path / "run1" / "model.keras").exists()
    chief = load_model(tmp_path / "run0" / "model.keras")
    alone = load_model(tmp_path / "single" / "model.keras")
    assert chief.train_iterations == alone.train_iterations == STEPS
    # Same batches, the gradient averaged over the two replicas: the same weights up to the
    # order of float32 additions (`adam_tolerance`), reconstruction and adversarial phases.
    from drumaae.config import load_recipe

    tolerance = adam_tolerance(load_recipe(recipe).training)
    for a, b in zip(chief.get_weights(), alone.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=tolerance)
    # What the weights compute: the weights a loss depends on have gradients far above
    # rounding, so the losses and the outputs agree much closer than the weights' bound.
    single_final = re.search(r"final: (.*)", single.stdout).group(1)
    ours, theirs = (dict((k, float(v)) for k, v in (item.rsplit(" ", 1)
                    for item in line.split(", "))) for line in (finals[0], single_final))
    shared = sorted(ours.keys() & theirs.keys())  # validation may run in one of them only
    assert any(k.startswith("adv/") for k in shared), (ours, theirs)
    for key in shared:
        assert abs(ours[key] - theirs[key]) <= 1e-3 * max(1.0, abs(theirs[key])), (key, ours,
                                                                                   theirs)
    x = np.random.default_rng(0).random((3, tiny_recipe.audio.bar_frames,
                                         tiny_recipe.audio.n_bins), dtype=np.float32)
    want = alone.predict(x, verbose=0)
    np.testing.assert_allclose(chief.predict(x, verbose=0), want, rtol=0,
                               atol=1e-3 * max(1.0, float(np.abs(want).max())))
