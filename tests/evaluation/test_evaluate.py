"""evaluate(): structure of the results, baselines beside the model, seeded sampling."""

from __future__ import annotations

import json
import math

import pytest

from drumaae.evaluation.evaluate import (evaluate, load_eval_data, _interpolation_step,
                                        _pick_pairs)
from drumaae.evaluation.report import format_table, to_json


def test_results_structure(eval_results):
    r = eval_results
    s = r["settings"]
    assert s["bars_total"] == 8 and s["bars_evaluated"] == 6 and s["pairs"] == 2
    rec = r["reconstruction"]
    assert len(rec["per_bar"]) == 6
    for key in ("model", "source_gl"):
        assert set(rec[key]) == {"lsd_db", "lsd_env_db", "mel_db", "sc", "onset_f", "env_corr"}
        assert 0 <= rec[key]["mel_db"] <= 60
        assert rec[key]["lsd_db"] >= 0 and rec[key]["sc"] >= 0
        # The envelope LSD leaves out the fine structure: never above the per-bin LSD here.
        assert 0 <= rec[key]["lsd_env_db"] < rec[key]["lsd_db"]
        assert 0 <= rec[key]["onset_f"] <= 1 and -1 <= rec[key]["env_corr"] <= 1
    # The ceiling (true magnitude) beats an untrained model.
    assert rec["source_gl"]["lsd_db"] < rec["model"]["lsd_db"]
    assert rec["source_gl"]["onset_f"] > 0.5
    it = r["interpolation"]
    assert it["alphas"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    # the CLI's tempo (source) and blended tempi, both beside the crossfade
    assert it["tempo"] == "source" and set(it["at_tempo"]) == {"source", "blend"}
    assert it["at_tempo"]["source"]["model"] == it["model"]
    for summ in it["at_tempo"].values():
        assert summ["crossfade"]["endpoint_mel_source"] >= 0 and -1 <= summ["model"]["rho_min"]
    for key in ("model", "crossfade"):
        summ = it[key]
        assert len(summ["similarity_to_source"]) == len(summ["similarity_to_target"]) == 5
        assert -1 <= summ["rho_mean"] <= 1 and 0 <= summ["monotonic_share"] <= 1
    # A crossfade's endpoints are the true bars: it moves from source to target.
    assert it["crossfade"]["rho_mean"] > 0.3
    # ... and its midpoint is (nearly) a non-negative mix of its endpoints.
    assert it["crossfade"]["mid_mix_share"] > 0.9
    for key in ("model", "crossfade"):
        assert 0 <= it[key]["rho_ge_0.9_share"] <= 1 and it[key]["mid_onset_ratio"] >= 0
    assert it["crossfade"]["endpoint_f_source"] > 0.5
    for pair in it["per_pair"]:
        assert pair["source"]["file"] != pair["target"]["file"]
    p = r["prior"]
    assert len(p["occupancy"]) == 4 and math.isclose(sum(p["occupancy"]), 1.0)
    assert math.isfinite(p["mmd"]) and 1 <= p["effective_components"] <= 4
    for key in ("d_real_share_codes", "d_real_share_prior"):
        assert 0 <= p[key] <= 1
    assert math.isfinite(p["log_prob_codes_median"])
    assert p["code_spread"] >= 0 and rec["feature_l1_mean_bar"] > 0
    assert len(r["model_identity"]["sha256"]) == 64  # which model file, exactly
    json.loads(to_json(r))  # everything serialises
    text = format_table(r)
    assert "source_GL" in text and "crossfade" in text and "MMD" in text


def test_sampling_and_pairs_are_seeded(tiny_recipe, loop_dir):
    a = load_eval_data([loop_dir], tiny_recipe.audio, max_bars=5, seed=1)
    b = load_eval_data([loop_dir], tiny_recipe.audio, max_bars=5, seed=1)
    assert a.total == 8 and len(a) == 5
    assert list(zip(a.files, a.bars)) == list(zip(b.files, b.bars))
    assert a.bpms and set(a.bpms) <= {100.0, 128.0, 120.0, 90.0}  # from the manifest
    # Bars at 128 BPM are the recipe's bar length; others scale with tempo.
    for w, bpm in zip(a.waves, a.bpms):
        assert w.shape[0] == tiny_recipe.audio.grid_samples(bpm)
    assert _pick_pairs(a, 3, 0) == _pick_pairs(b, 3, 0)
    assert all(a.files[i] != a.files[j] for i, j in _pick_pairs(a, 3, 0))


def test_bars_of_a_corpus_split_carry_their_family(tiny_model, tiny_recipe, make_loop,
                                                    tmp_path):
    """A rendered corpus's split folder: each bar's family comes from the corpus manifest one
    folder up (`drumaae.data.layout`), and the reconstruction is summarised per family."""
    import os

    import soundfile as sf

    from drumaae import fileio

    sr = tiny_recipe.audio.sample_rate
    (tmp_path / "val").mkdir()
    files = []
    for i, (family, bpm) in enumerate((("acoustic", 100.0), ("realism", 120.0),
                                       ("acoustic", 90.0))):
        name = f"val/{i:06d}_kit_rock.wav"
        sf.write(tmp_path / name, make_loop(sr, bpm, bars=1, seed=i), sr)
        files.append({"path": name, "bpm": bpm, "family": family, "split": "val"})
    sf.write(tmp_path / "val" / "unlisted.wav", make_loop(sr, 128.0, bars=1, seed=9), sr)
    fileio.write_json(tmp_path / "manifest.json",
                      {**fileio.manifest_header("drumaae.corpus"), "files": files})
    d = load_eval_data([tmp_path / "val"], tiny_recipe.audio)
    by_file = dict(zip((os.path.basename(f) for f in d.files), d.families))
    assert by_file == {"000000_kit_rock.wav": "acoustic", "000001_kit_rock.wav": "realism",
                       "000002_kit_rock.wav": "acoustic", "unlisted.wav": "other"}
    r = evaluate(tiny_model, [tmp_path / "val"], pairs=0, gl_iters=1, eval_data=d)
    per_family = r["reconstruction"]["per_family"]
    assert {k: v["bars"] for k, v in per_family.items()} == {"acoustic": 2, "other": 1,
                                                            "realism": 1}
    # Loops outside any corpus have no families and no per-family table.
    assert load_eval_data([tmp_path / "val" / "unlisted.wav"], tiny_recipe.audio
                          ).families is None


def test_labels_from_centroids_and_kmeans(tiny_model, tiny_recipe, loop_dir):
    from drumaae.data.rhythm import cluster_rhythms, onset_grid

    d = load_eval_data([loop_dir], tiny_recipe.audio)
    _, cents = cluster_rhythms(onset_grid(d.features, tiny_recipe.audio), 4, seed=0)
    r = evaluate(tiny_model, [loop_dir], pairs=0, gl_iters=1, centroids=cents, eval_data=d)
    lab = r["prior"]["labels"]
    assert lab["source"] == "given" and lab["bars"] == 8
    assert 0 <= lab["nmi"] <= 1 and 0 <= lab["accuracy"] <= 1
    assert r["interpolation"]["pairs"] == 0 and r["interpolation"]["model"] == {}
    r2 = evaluate(tiny_model, [loop_dir], pairs=0, gl_iters=1, eval_data=d)
    assert r2["prior"]["labels"]["source"].startswith("k-means")


def test_report_dir_is_not_overwritten(tiny_model, loop_dir, tmp_path):
    from drumaae.errors import OutputExistsError

    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "notes.txt").write_text("mine")  # an empty folder may be written into
    with pytest.raises(OutputExistsError):
        evaluate(tiny_model, [loop_dir], report=tmp_path / "rep")


def test_interpolation_steps_at_blended_or_source_tempo(tiny_model, tiny_recipe, loop_dir):
    import numpy as np

    from drumaae.inference import load_backend, reconstruct

    audio = tiny_recipe.audio
    backend = load_backend(tiny_model)
    d = load_eval_data([loop_dir], audio)
    i = d.bpms.index(90.0)
    j = d.bpms.index(128.0)
    codes = np.asarray(tiny_model.encode(d.features), np.float32)
    alphas = [0.0, 0.5, 1.0]
    lengths = {}
    for tempo in ("blend", "source"):
        it, examples = _interpolation_step(backend, d, codes, [(i, j)], audio, 1, 0, alphas,
                                           1, tempo)
        lengths[tempo] = [w.shape[-1] for w in examples[0]["model"]]
        assert lengths[tempo] == [w.shape[-1] for w in examples[0]["crossfade"]]
        assert examples[0]["bpms"] == it["per_pair"][0]["bpms"]
    # exactly what users get: bar_samples at each step's tempo (blend: between the two)
    assert lengths["blend"] == [audio.bar_samples(90.0), audio.bar_samples(109.0),
                                audio.bar_samples(128.0)]
    assert lengths["source"] == [audio.bar_samples(90.0)] * 3
    # alpha = 1 at the source's tempo is the target's render re-timed: the same at blend
    # and at source tempo only where the tempi agree (alpha = 0)
    ex = {t: _interpolation_step(backend, d, codes, [(i, j)], audio, 1, 0, alphas, 1, t)[1][0]
          for t in ("blend", "source")}
    np.testing.assert_array_equal(ex["blend"]["model"][0], ex["source"]["model"][0])


def test_morph_endpoints_start_from_input_phase_only_at_their_own_tempo(
        tiny_model, tiny_recipe, loop_dir, monkeypatch):
    """As `interpolate`: at the source's tempo alpha = 0 starts from the source bar's phase
    and alpha = 1 (the target rendered at another tempo) from random phases; at blended
    tempi both endpoints start from their bars' phases."""
    import numpy as np

    from drumaae.evaluation import evaluate as ev
    from drumaae.inference import load_backend

    seen = []
    real = ev.native_codes

    def spy(*args, **kw):
        seen.append(kw.get("phase_from"))
        return real(*args, **kw)

    monkeypatch.setattr(ev, "native_codes", spy)
    audio = tiny_recipe.audio
    backend = load_backend(tiny_model)
    d = load_eval_data([loop_dir], audio)
    i, j = d.bpms.index(90.0), d.bpms.index(128.0)
    codes = np.asarray(tiny_model.encode(d.features), np.float32)
    _interpolation_step(backend, d, codes, [(i, j)], audio, 1, 0, [0.0, 0.5, 1.0], 0,
                        "source", input_phase=True, retime=False)
    source, blend = seen
    assert source[0] is d.waves[i] and source[1] is None and source[2] is None
    assert blend[0] is d.waves[i] and blend[1] is None and blend[2] is d.waves[j]
    # re-timed (the default): every step is rendered once, at its code's own tempo, so both
    # endpoints start from their bars' phases at every output tempo
    seen.clear()
    _interpolation_step(backend, d, codes, [(i, j)], audio, 1, 0, [0.0, 0.5, 1.0], 0,
                        "source", input_phase=True)
    native = seen[0]
    assert native[0] is d.waves[i] and native[1] is None and native[2] is d.waves[j]


def test_retimed_morph_renders_steps_at_their_codes_tempo(tiny_model, tiny_recipe,
                                                          loop_dir):
    """With `retime`, steps rendered at the blend of the endpoints' tempi are re-timed onto
    the source's tempo (exact bars); alpha = 0, made at the source's tempo, is unchanged."""
    import numpy as np

    from drumaae.inference import load_backend

    audio = tiny_recipe.audio
    backend = load_backend(tiny_model)
    d = load_eval_data([loop_dir], audio)
    i, j = d.bpms.index(128.0), d.bpms.index(90.0)  # output slower than alpha > 0: rings
    codes = np.asarray(tiny_model.encode(d.features), np.float32)
    alphas = [0.0, 0.5, 1.0]
    ex = {r: _interpolation_step(backend, d, codes, [(j, i)], audio, 1, 0, alphas, 1,
                                 "source", retime=r)[1][0] for r in (False, True)}
    for r in (False, True):
        assert [w.shape[-1] for w in ex[r]["model"]] == [audio.bar_samples(90.0)] * 3
    np.testing.assert_array_equal(ex[True]["model"][0], ex[False]["model"][0])
    assert not np.array_equal(ex[True]["model"][2], ex[False]["model"][2])


def test_reconstruction_is_rendered_as_reconstruct_renders(tiny_model_path, tiny_recipe,
                                                            loop_dir):
    """evaluate's model render of a bar is, sample for sample, `render_codes` (the route
    `reconstruct` writes through) of that bar's code at its tempo and loudness: exactly
    `bar_samples` long, leveled and limited."""
    import numpy as np

    from drumaae.audio.loudness import TRUE_PEAK_CEILING_DB, integrated_loudness, true_peak_db
    from drumaae.evaluation.evaluate import _reconstruction_step
    from drumaae.inference import load_backend
    from drumaae.inference.render import render_codes

    audio = tiny_recipe.audio
    backend = load_backend(tiny_model_path)
    d = load_eval_data([loop_dir], audio, max_bars=2, seed=3)
    step = _reconstruction_step(backend, d, audio, 2, 0, refine=0)
    sr = audio.sample_rate
    lufs = [integrated_loudness(w, sr) for w in d.waves]
    again = render_codes(step.codes, model=backend, bpms=d.bpms, lufs=lufs, iters=2, seed=0)
    for k in range(len(d)):
        assert step.model_waves[k].shape == (audio.bar_samples(d.bpms[k]),)
        np.testing.assert_array_equal(again.bars[k], step.model_waves[k])
        assert true_peak_db(step.model_waves[k]) <= TRUE_PEAK_CEILING_DB + 1e-6
        assert step.gl_waves[k].shape == (audio.bar_samples(d.bpms[k]),)
