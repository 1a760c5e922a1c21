"""train(): outputs, refusal to overwrite, resume after a kill, NaN stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from drumaae.errors import OutputExistsError, TrainingError
from drumaae.models import DrumAAE, load_model
from drumaae.training import train

DRUMAAE = os.path.join(os.path.dirname(sys.executable), "drumaae")


def test_outputs_and_continuous_resume_in_process(tmp_path, loops_dir, tiny_recipe):
    out = tmp_path / "run"
    first = train(tiny_recipe, [loops_dir], out, epochs=1, progress=False, log=lambda m: None)
    steps = -(-first.train_bars // tiny_recipe.training.batch_size)
    assert first.train_iterations == steps and first.epochs_run == 1
    for name in ("model.keras", "recipe.yaml", "history.json", "checkpoints/last.keras",
                 "checkpoints/state.json"):
        assert (out / name).is_file(), name
    assert yaml.safe_load((out / "recipe.yaml").read_text())["training"]["epochs"] == 1
    second = train(tiny_recipe, [loops_dir], out, epochs=2, resume=True, progress=False,
                   log=lambda m: None)
    assert second.initial_epoch == 1 and second.epochs_run == 1
    assert second.train_iterations == 2 * steps  # the optimizers continue, not restart
    assert second.history["epoch"] == [1, 2]
    assert second.history["recon/loss"][0] == first.history["recon/loss"][0]
    model = load_model(second.model_path)
    assert model.train_iterations == 2 * steps
    assert int(model.d_optimizer.iterations.numpy()) == 2 * steps
    assert int(model.e_optimizer.iterations.numpy()) == 2 * steps


def test_learning_rate_decay_over_the_last_epochs_and_after_resume(tmp_path, loops_dir,
                                                                   tiny_recipe):
    from drumaae.training.callbacks import decay_scale

    assert [decay_scale(e, 4, 2, 0.1) for e in (0, 1, 3)] == [1.0, 1.0, pytest.approx(0.1)]
    assert 0.1 < decay_scale(2, 4, 2, 0.1) < 1.0
    recipe = tiny_recipe.replace(training={"lr_decay_epochs": 1, "lr_decay_floor": 0.1})
    out = tmp_path / "run"
    train(recipe, [loops_dir], out, epochs=2, progress=False, log=lambda m: None)
    # extended by two epochs: the saved optimizers carry epoch 2's low rate, epoch 3 is
    # back at the recipe's rate and epoch 4 (the new last) decays again
    result = train(recipe, [loops_dir], out, epochs=4, resume=True, progress=False,
                   log=lambda m: None)
    assert result.history["lr_scale"] == [1.0, pytest.approx(0.1), 1.0, pytest.approx(0.1)]
    model = load_model(result.model_path)
    t = recipe.training
    for name, rate in (("ae_optimizer", t.ae_learning_rate), ("d_optimizer", t.d_learning_rate),
                       ("e_optimizer", t.e_learning_rate)):
        assert float(getattr(model, name).learning_rate.numpy()) == pytest.approx(rate * 0.1)


def test_refuses_non_empty_out_and_resume_without_checkpoint(tmp_path, loops_dir, tiny_recipe):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="use --resume to continue.*another --out"):
        train(tiny_recipe, [loops_dir], tmp_path / "run", epochs=1, progress=False)
    with pytest.raises(TrainingError, match="nothing to resume"):
        train(tiny_recipe, [loops_dir], tmp_path / "empty", resume=True, progress=False)


def test_nan_stops_with_a_clear_error(tmp_path, loops_dir, tiny_recipe, monkeypatch):
    from keras import ops

    def nan_loss(self, x, x_hat):
        diff = ops.cast(x, "float32") - ops.cast(x_hat, "float32")
        return ops.mean(ops.abs(diff)) + float("nan")

    monkeypatch.setattr(DrumAAE, "_reconstruction", nan_loss)
    with pytest.raises(TrainingError) as info:
        train(tiny_recipe, [loops_dir], tmp_path / "run", epochs=2, progress=False,
              log=lambda m: None)
    text = str(info.value)
    assert "loss became NaN at epoch 1 step 1" in text
    assert "lower the learning rates" in text and "--precision float32" in text
    assert not (tmp_path / "run" / "model.keras").exists()


def test_killed_subprocess_resumes_with_every_epoch(tmp_path, loops_dir):
    epochs = 30
    recipe = tmp_path / "slow.yaml"
    recipe.write_text(yaml.safe_dump({"base": "tiny", "name": "killme",
                                      "training": {"epochs": epochs}}))
    out = tmp_path / "run"
    state = out / "checkpoints" / "state.json"
    cmd = [DRUMAAE, "train", "--recipe", str(recipe), "--data", loops_dir, "--out", str(out),
           "--no-mlflow", "--quiet"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 300
        while not state.exists():
            assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
            assert time.time() < deadline, "no checkpoint within 300 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    done = json.loads(state.read_text())["epochs_done"]
    assert 1 <= done < epochs, f"killed after {done} epochs: make the run longer"
    assert not (out / "model.keras").exists()
    killed_losses = json.loads(state.read_text())["history"]["recon/loss"]

    run = subprocess.run(cmd + ["--resume"], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "resumed at step" in run.stderr
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == list(range(1, epochs + 1))
    assert history["recon/loss"][:done] == killed_losses[:done]
    assert all(len(v) == epochs for v in history.values())
    model = load_model(out / "model.keras")
    steps = history["step"][0]
    assert history["step"] == [steps * e for e in range(1, epochs + 1)]
    assert model.train_iterations == epochs * steps


def test_cli_without_data_is_one_error_line(tmp_path):
    run = subprocess.run([DRUMAAE, "train", "--recipe", "tiny", "--out", str(tmp_path / "r")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: no training data: pass --data with audio files or folders "
                      "(e.g. a corpus made by 'drumaae corpus render')"]
    run = subprocess.run([DRUMAAE, "train", "--recipe", "tiny", "--data",
                          str(tmp_path / "missing")], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 1 and "does not exist" in run.stderr


def test_corpus_folder_uses_its_held_out_kits(tmp_path, make_loop, tiny_recipe):
    from drumaae.audio.io import save_wav
    from drumaae.training.trainer import prepare_data

    sr = tiny_recipe.audio.sample_rate
    files = []
    for part, kits in (("train", ["kitA", "kitB"]), ("val", ["kitC"])):
        (tmp_path / part).mkdir()
        for i, kit in enumerate(kits):
            for j, (bpm, pattern) in enumerate(((100, "rock"), (125, "funk"))):
                name = f"{part}/{i}{j}_{kit}_{pattern}.wav"
                save_wav(tmp_path / name, make_loop(sr, bpm, bars=1, seed=i * 2 + j,
                                                    pattern=pattern), sr)
                files.append({"path": name, "bpm": bpm, "kit": kit, "split": part})
    (tmp_path / "manifest.json").write_text(json.dumps({"files": files}))
    data = prepare_data(tiny_recipe, [tmp_path], log=lambda m: None)
    assert "held-out kits" in data.split
    assert {os.path.basename(os.path.dirname(f.path)) for f in data.val_index.files} == {"val"}
    assert len(data.train_index.files) == 4 and len(data.val_index.files) == 2
    assert sorted({f.bpm for f in data.train_index.files}) == [100.0, 125.0]  # from manifest
    assert data.train_labels is not None and data.val_labels is not None


def test_recipe_yaml_is_written_when_training_starts(tmp_path, loops_dir, tiny_recipe,
                                                     monkeypatch):
    """The resume command a killed run prints (``--recipe RUN/recipe.yaml``) reads a file
    that exists from the start, not only once training finished."""
    from drumaae.config import load_recipe
    from drumaae.training import trainer

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # stands for a kill while the data is prepared

    monkeypatch.setattr(trainer, "prepare_data", killed)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(tiny_recipe, [loops_dir], out, epochs=3)
    saved = load_recipe(str(out / "recipe.yaml"))
    assert saved.training.epochs == 3
    assert saved.model == tiny_recipe.model and saved.audio == tiny_recipe.audio


def test_progress_off_a_terminal_is_plain_lines_one_per_epoch(tmp_path, loops_dir, tiny_recipe,
                                                             capfd, monkeypatch):
    """Where stdout/stderr go to a log file, Keras's bar (carriage returns, ANSI codes) stays
    off and `PlainProgress` writes one plain line per finished epoch through `log`."""
    from drumaae.training.callbacks import PlainProgress
    from drumaae.training.trainer import _fit_verbosity

    lines = []
    result = train(tiny_recipe, [loops_dir], tmp_path / "run", epochs=2, progress=True,
                   log=lines.append)
    captured = capfd.readouterr()
    text = captured.out + captured.err + "\n".join(lines)
    assert "\r" not in text and "\x1b" not in text
    done = [line for line in lines if " done" in line]
    assert [line.split(":")[0] for line in done] == ["epoch 1/2 done", "epoch 2/2 done"]
    loss = result.history["recon/loss"][1]
    assert f"recon/loss {loss:.4g}" in done[1]
    # within an epoch: a step line at most every interval_s seconds
    out = []
    cb = PlainProgress(out.append, total_epochs=3, steps=40, interval_s=0.0)
    cb.on_epoch_begin(1)
    cb.on_train_batch_end(9)
    assert out == ["epoch 2/3: step 10/40"]
    slow = PlainProgress(out.append, total_epochs=3, steps=None, interval_s=3600.0)
    slow.on_epoch_begin(0)
    slow.on_train_batch_end(0)
    slow.on_epoch_end(0, {"recon/loss": 0.5, "note": "not a number"})
    assert out[1:] == ["epoch 1/3 done: recon/loss 0.5"]
    # Keras's own bar only where both streams are a terminal, never when progress is off
    assert _fit_verbosity(True) == 0 and _fit_verbosity(False) == 0
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert _fit_verbosity(True) == 1 and _fit_verbosity(False) == 0
