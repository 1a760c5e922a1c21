"""`evaluate(model, data)`: reconstruction, interpolation and prior fit of a model on held-out bars.

Three parts, each beside a baseline measured in the same run (docs/evaluation.md):

Every bar is rendered through `drumaae.inference.render` (`native_codes` /
`native_features`, then `finish`), the route `reconstruct` and `interpolate` take: exactly
``bar_samples`` long, re-timed by slices where a tempo differs, loudness-matched and true-peak
limited. So every figure measures what users get.

1. **Reconstruction** of every bar (or a seeded sample of `max_bars`): the model's output
   G(E(x)) rendered at the bar's own tempo (Griffin-Lim started from the bar's phase, as
   `reconstruct` does), against the source bar: LSD (dB), mel distance (dB), spectral
   convergence, onset F-measure, envelope correlation. Beside it ``source_gl``: Griffin-Lim
   (random phases) of the bar's own (true) feature magnitude, the ceiling of any model using
   this representation.
2. **Interpolation** over `pairs` seeded pairs of bars (from different files when there are
   several): alpha = 0, .25, .5, .75, 1 decoded from z(alpha) = (1 - alpha) z_src + alpha z_tgt
   as `interpolate` does (each step rendered at the blend of the endpoints' tempi, then
   re-timed onto the output tempo), at `tempo` (default ``source``, the CLI's) and at
   blended tempi. Endpoint fidelity (onset F and envelope correlation of alpha = 0 vs the
   source bar and alpha = 1 vs the target bar) and the rhythm trend (onset-envelope
   similarity to the target should rise and to the source fall along alpha: Spearman rho,
   monotonic share). Beside it ``crossfade``: the two bars' magnitudes mixed linearly by
   alpha, rendered the same way.
3. **Prior fit**: MMD of the codes to prior samples (beside MMD of a second prior sample, the
   noise floor), per-component occupancy, and agreement of components with rhythm labels.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np

from drumaae import limits
from drumaae.data.layout import file_families
from drumaae.evaluation import latent, metrics
from drumaae.inference.render import (code_tails, feature_tails, finish, native_codes,
                                      native_features)
from drumaae.latent import latent_path

__all__ = ["DEFAULT_ALPHAS", "EvalData", "evaluate", "load_eval_data"]

DEFAULT_ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
CENTROIDS_FILE = "rhythm_centroids.npy"


@dataclasses.dataclass
class EvalData:
    """Bars to evaluate: waveforms at the model's rate and their features.

    Attributes:
        waves: one `(length,)` float32 bar per item (lengths differ with tempo).
        features: `(n, bar_frames, n_bins)` model features of the bars.
        files: each bar's file path.
        bars: each bar's number in its file.
        bpms: each bar's tempo.
        total: bars in the data before sampling.
        families: each bar's family where the data is a rendered corpus or its split folder
            (acoustic, electronic, hand_percussion, processed, realism; ``other`` for a file
            the manifest does not list), else None.
    """

    waves: list[np.ndarray]
    features: np.ndarray
    files: list[str]
    bars: list[int]
    bpms: list[float]
    total: int
    families: list[str] | None = None

    def __len__(self) -> int:
        return len(self.waves)


def _log(progress: Any, text: str) -> None:
    if progress is True:  # a callable gets counts instead (`_counter`)
        print(text, file=sys.stderr, flush=True)


def _counter(progress: Any, what: str, total: int) -> Callable[[int], None] | None:
    """For a callable `progress(what, done, total)`: a function adding `k` done items."""
    if not callable(progress):
        return None
    done = [0]

    def tick(k: int) -> None:
        done[0] += k
        progress(what, done[0], total)

    return tick


def load_eval_data(data: str | os.PathLike | Sequence[str | os.PathLike], audio, *,
                   max_bars: int | None = None, seed: int = 0, bpm: float | None = None,
                   progress: bool = False) -> EvalData:
    """Index `data` (files/folders), pick bars (all, or `max_bars` seeded), decode them; each
    bar's family from the corpus layout (`drumaae.data.layout.file_families`) where a folder
    is a rendered corpus or one of its splits."""
    from drumaae.audio import io as audio_io
    from drumaae.audio.features import bar_features
    from drumaae.data.dataset import build_index

    paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    index = build_index(paths, audio, bpm=bpm, progress=progress)
    records = list(index.records)
    total = len(records)
    if max_bars and total > max_bars:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(total, size=int(max_bars), replace=False))
        records = [records[i] for i in keep]
    waves, cache = [], {}
    for rec in records:
        if rec.file not in cache:
            cache.clear()  # records are grouped by file: keep one decoded file at a time
            cache[rec.file] = audio_io.load_audio(rec.file, audio.sample_rate)[0]
        x = np.asarray(cache[rec.file], np.float32)[rec.start: rec.start + rec.length]
        waves.append(np.pad(x, (0, rec.length - x.size)))
    feats = np.zeros((len(waves), audio.bar_frames, audio.n_bins), np.float32)
    lengths = [int(w.shape[-1]) for w in waves]
    for length in sorted(set(lengths)):
        for chunk in _chunks([i for i, n in enumerate(lengths) if n == length], 64):
            feats[chunk] = np.asarray(bar_features(np.stack([waves[i] for i in chunk]), audio))
    families = file_families(paths)
    return EvalData(waves=waves, features=feats, files=[r.file for r in records],
                    bars=[r.bar for r in records], bpms=[r.bpm for r in records], total=total,
                    families=[families.get(os.path.abspath(r.file), "other") for r in records]
                    if families else None)


def _chunks(items: Sequence[int], size: int):
    for k in range(0, len(items), size):
        yield list(items[k: k + size])


def _magnitude(wave: np.ndarray, audio) -> np.ndarray:
    return metrics.bar_magnitude(wave, audio.n_fft, audio.bar_frames)


def _quality(ref: np.ndarray, est: np.ndarray, audio, ref_mag: np.ndarray | None = None
             ) -> dict[str, float]:
    ref_mag = _magnitude(ref, audio) if ref_mag is None else ref_mag
    est_mag = _magnitude(est, audio)
    return {
        "mel_db": metrics.mel_distance(ref, est, audio.sample_rate),
        "lsd_db": metrics.log_spectral_distance(ref_mag, est_mag),
        "lsd_env_db": metrics.log_spectral_distance(ref_mag, est_mag,
                                                    smooth=metrics.ENVELOPE_SMOOTHING),
        "sc": metrics.spectral_convergence(ref_mag, est_mag),
        "onset_f": metrics.onset_f_measure(ref, est, audio.sample_rate),
        "env_corr": metrics.envelope_correlation(ref, est, audio.sample_rate),
    }


def _mean_rows(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    keys = rows[0].keys() if rows else []
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def _pick_pairs(data: EvalData, n: int, seed: int) -> list[tuple[int, int]]:
    if len(data) < 2 or n <= 0:
        return []
    rng = np.random.default_rng(seed + 1)
    several_files = len(set(data.files)) > 1
    pairs: list[tuple[int, int]] = []
    tries = 0
    while len(pairs) < n and tries < 100 * n:
        tries += 1
        i, j = (int(v) for v in rng.choice(len(data), size=2, replace=False))
        if several_files and data.files[i] == data.files[j]:
            continue
        if (i, j) in pairs:
            continue
        pairs.append((i, j))
    return pairs


def _steps_summary(pairs: list[dict], key: str, alphas: Sequence[float]) -> dict[str, Any]:
    rows = [p[key] for p in pairs]
    if not rows:
        return {}
    return {
        "endpoint_f_source": float(np.mean([r["endpoint_f_source"] for r in rows])),
        "endpoint_f_target": float(np.mean([r["endpoint_f_target"] for r in rows])),
        "rho_mean": float(np.mean([r["trend"]["rho"] for r in rows])),
        "monotonic_share": float(np.mean([r["trend"]["monotonic"] for r in rows])),
        "similarity_to_source": np.mean([r["similarity_to_source"] for r in rows], 0).tolist(),
        "similarity_to_target": np.mean([r["similarity_to_target"] for r in rows], 0).tolist(),
        # Targets of docs/evaluation.md: a morph, not a crossfade.
        "rho_ge_0.9_share": float(np.mean([r["trend"]["rho"] >= 0.9 for r in rows])),
        "endpoint_env_source": float(np.mean([r["endpoint_env_source"] for r in rows])),
        "endpoint_env_target": float(np.mean([r["endpoint_env_target"] for r in rows])),
        "endpoint_mel_source": float(np.mean([r["endpoint_mel_source"] for r in rows])),
        "endpoint_mel_target": float(np.mean([r["endpoint_mel_target"] for r in rows])),
        "rho_min": float(np.min([r["trend"]["rho"] for r in rows])),
        "mid_mix_share": float(np.mean([r["mid_mix_share"] for r in rows])),
        "mid_onset_ratio": float(np.mean([r["mid_onset_ratio"] for r in rows])),
        "alphas": [float(a) for a in alphas],
    }


def _centroids_for(model_ref: str | None, centroids: Any) -> tuple[np.ndarray | None, str | None]:
    if centroids is not None:
        if isinstance(centroids, (str, os.PathLike)):
            return np.load(os.fspath(centroids)), os.fspath(centroids)
        return np.asarray(centroids, np.float32), "given"
    if model_ref and os.path.isfile(os.fspath(model_ref)):
        path = os.path.join(os.path.dirname(os.path.abspath(model_ref)), CENTROIDS_FILE)
        if os.path.isfile(path):
            return np.load(path), path
    return None, None


def _model_file(model: Any) -> str | None:
    """The local ``.keras`` file of a model reference, beside which its rhythm centroids are
    looked for: the bundled default's for None, the path itself for a path; None for a model
    object or an MLflow URI."""
    from drumaae.registry import is_mlflow_uri, resolve_model_path

    if model is None:
        return resolve_model_path(None)
    if isinstance(model, (str, os.PathLike)) and not is_mlflow_uri(os.fspath(model)):
        return os.fspath(model)
    return None


def _load_model(model: Any):
    """The local backend (`drumaae.inference.LocalBackend`: the DrumAAE as ``.model``, its
    display name ``.ref`` as every inference output names it, its provenance ``.identity``)."""
    from drumaae.inference import load_backend  # lazily: MLflow is slow to import

    return load_backend(model)


def evaluate(model: Any = None, data: Any = None, *, pairs: int = 8,
             max_bars: int | None = 200, gl_iters: int | None = None, seed: int = 0,
             alphas: Sequence[float] = DEFAULT_ALPHAS, bpm: float | None = None,
             centroids: Any = None, report: str | os.PathLike | None = None,
             report_pairs: int = 4, force: bool = False,
             progress: bool | Callable[[str, int, int], None] = False,
             eval_data: EvalData | None = None, refine: int | None = None,
             tempo: str | float = limits.DEFAULT_TEMPO, input_phase: bool = True,
             blend_labels: bool = limits.DEFAULT_BLEND_LABELS,
             retime: bool = limits.DEFAULT_RETIME) -> dict[str, Any]:
    """Evaluate a model on bars of `data`; everything measured is in the returned dict.

    Args:
        model: a `DrumAAE`, a model reference (``.keras`` path, MLflow URI) or None for the
            bundled default.
        data: audio files and/or folders (a rendered corpus's ``val/`` = held-out kits).
        pairs: interpolation pairs (seeded).
        max_bars: evaluate a seeded sample of this many bars (0 or None: every bar).
        gl_iters: Griffin-Lim iterations (default: the model's recipe).
        seed: seed of bar sampling, pairs, prior samples and Griffin-Lim phases.
        alphas: interpolation steps.
        bpm: one tempo for every file (else manifests, else estimated).
        centroids: rhythm-cluster centroids (array or ``.npy``) giving the labels the model
            was trained with; default ``rhythm_centroids.npy`` beside a model file, else the
            evaluated bars are clustered with k-means (k = components).
        report: write an HTML report to this folder (see `drumaae.evaluation.report`).
        report_pairs: interpolation pairs shown in the report.
        force: replace an existing report folder.
        progress: True prints stages to stderr; a callable ``progress(what, done, total)``
            is called with counts instead (``"reconstruction"``: bars rendered, model and
            source_GL, of 2 x bars; ``"interpolation"``: pairs).
        eval_data: bars already loaded with `load_eval_data` (then `data` is only recorded).
        refine: gradient steps of code refinement after the encoder (`DrumAAE.refine`);
            0 = the encoder's codes; None = the default of `drumaae.inference.encode`
            (`limits.DEFAULT_REFINE` on Keras's TensorFlow backend), so that the figures are
            those of what users get.
        tempo: the interpolation steps' output tempo: ``source`` (default, the CLI's),
            ``target``, ``blend`` or a BPM (`drumaae.inference.operations.step_tempos`);
            measured in ``interpolation``, and beside it at blended tempi in
            ``interpolation["at_tempo"]``.
        input_phase, blend_labels, retime: as `drumaae.inference.interpolate`'s options
            (the same defaults, so that the figures are those of what users get);
            `input_phase` also starts each reconstruction from its bar's phase (as
            `reconstruct(input_phase=True)`).

    Returns:
        ``{"model", "model_identity", "data", "settings", "reconstruction", "interpolation",
        "prior", "timing_s"[, "report"]}``; docs/evaluation.md describes every key.
    """
    from drumaae.models import model_audio

    t_start = time.perf_counter()
    if report is not None:
        from drumaae.evaluation.report import check_report_dir

        check_report_dir(report, force)
    backend = _load_model(model)
    net, ref, identity = backend.model, backend.ref, backend.identity
    refine = limits.resolve_refine(refine, net.can_refine)
    audio = model_audio(net)
    iters = int(gl_iters if gl_iters is not None else audio.griffin_lim_iters)
    alphas = [float(a) for a in alphas]
    if eval_data is None:
        if data is None:
            raise ValueError("give data (audio files or folders) to evaluate on")
        _log(progress, "indexing and decoding bars ...")
        eval_data = load_eval_data(data, audio, max_bars=max_bars, seed=seed, bpm=bpm,
                                   progress=False)
    d = eval_data
    timing: dict[str, float] = {"load": time.perf_counter() - t_start}

    _log(progress, f"reconstructing {len(d)} bars ({iters} Griffin-Lim iterations) ...")
    t0 = time.perf_counter()
    recon = _reconstruction_step(backend, d, audio, iters, seed, refine,
                                 tick=_counter(progress, "reconstruction", 2 * len(d)),
                                 input_phase=input_phase)
    if d.families:
        recon.summary["per_family"] = _by_family(recon.summary["per_bar"], d.families)
    timing["reconstruction"] = time.perf_counter() - t0

    chosen = _pick_pairs(d, pairs, seed)
    _log(progress, f"interpolating {len(chosen)} pairs ...")
    t0 = time.perf_counter()
    interpolation, examples = _interpolation_step(
        backend, d, recon.codes, chosen, audio, iters, seed, alphas, report_pairs, tempo,
        tick=_counter(progress, "interpolation", len(chosen)), input_phase=input_phase,
        blend_labels=blend_labels, retime=retime)
    timing["interpolation"] = time.perf_counter() - t0

    _log(progress, "prior fit ...")
    t0 = time.perf_counter()
    prior = _prior_fit(net, recon.codes, d, audio, _model_file(model), centroids, seed)
    timing["prior"] = time.perf_counter() - t0
    timing["total"] = time.perf_counter() - t_start

    results: dict[str, Any] = {
        "model": ref,
        "model_identity": identity,
        "data": [os.fspath(p) for p in ([data] if isinstance(data, (str, os.PathLike))
                                        else list(data or []))],
        "settings": {"bars_total": d.total, "bars_evaluated": len(d),
                     "files": len(set(d.files)), "pairs": interpolation["pairs"],
                     "gl_iters": iters, "interpolation_tempo": tempo, "seed": seed,
                     "input_phase": bool(input_phase), "blend_labels": bool(blend_labels),
                     "retime": bool(retime),
                     "sample_rate": audio.sample_rate,
                     "onset_window_sixteenths": metrics.DEFAULT_ONSET_WINDOW,
                     "envelope_points": metrics.DEFAULT_ENVELOPE_POINTS,
                     "mel_bands": metrics.MEL_BANDS, "mel_floor_db": metrics.MEL_FLOOR_DB},
        "reconstruction": recon.summary,
        "interpolation": interpolation,
        "prior": prior,
        "timing_s": timing,
    }
    if report is not None:
        _log(progress, f"writing report to {report} ...")
        results["report"] = _report_step(results, report, d, recon, examples, report_pairs,
                                         force)
    return results


@dataclasses.dataclass
class _Reconstruction:
    """What the reconstruction step measured and what later steps reuse.

    Attributes:
        summary: the ``"reconstruction"`` part of the results.
        codes: `(n, latent_dim)` codes of the evaluated bars.
        model_waves: each bar's Griffin-Lim render of G(E(x)), at the bar's length.
        gl_waves: each bar's Griffin-Lim render of its true features (source_GL).
    """

    summary: dict[str, Any]
    codes: np.ndarray
    model_waves: list[np.ndarray]
    gl_waves: list[np.ndarray]


def _ticks(tick: Callable[[int], None] | None):
    """A render's ``progress(what, done, total)`` turned into `tick(newly done)` calls."""
    if tick is None:
        return None
    last = [0]

    def progress(what: str, done: int, total: int) -> None:
        tick(done - last[0])
        last[0] = done

    return progress


def _lufs(waves: Sequence[np.ndarray], sample_rate: int) -> list[float]:
    """Each bar's loudness (BS.1770), the target its render is brought to, as `encode`
    records it for `reconstruct` and `interpolate`."""
    from drumaae.audio.loudness import integrated_loudness

    return [integrated_loudness(w, sample_rate) for w in waves]


def _reconstruction_step(backend, d: EvalData, audio, iters: int, seed: int, refine: int = 0,
                         tick: Callable[[int], None] | None = None, input_phase: bool = False
                         ) -> _Reconstruction:
    """Encode (and refine) every bar, render it and the source_GL ceiling as `reconstruct`
    renders (`drumaae.inference.render`), score both."""
    net = backend.model
    t0 = time.perf_counter()
    codes = np.zeros((len(d), int(backend.latent_dim)), np.float32)
    lengths = [int(w.shape[-1]) for w in d.waves]
    for length in sorted(set(lengths)):
        for c in _chunks([i for i, n in enumerate(lengths) if n == length], 64):
            codes[c] = backend.encode_bars(np.stack([d.waves[i] for i in c]), refine=refine)
    code_seconds = time.perf_counter() - t0
    recon_feats = np.concatenate([np.asarray(net.decode(codes[c]), np.float32)
                                  for c in _chunks(range(len(d)), 64)])
    lufs = _lufs(d.waves, audio.sample_rate)
    model_waves = finish(native_codes(
        codes, model=backend, native_bpms=d.bpms, iters=iters, seed=seed,
        phase_from=list(d.waves) if input_phase else None, progress=_ticks(tick)), audio,
        bpms=d.bpms, native_bpms=d.bpms, lufs=lufs).bars
    gl_waves = finish(native_features(d.features, audio, native_bpms=d.bpms, iters=iters,
                                      seed=seed, progress=_ticks(tick)), audio, bpms=d.bpms,
                      native_bpms=d.bpms, lufs=lufs).bars
    per_bar = []
    for i in range(len(d)):
        ref_mag = _magnitude(d.waves[i], audio)
        per_bar.append({
            "file": d.files[i], "bar": d.bars[i], "bpm": d.bpms[i],
            "model": _quality(d.waves[i], model_waves[i], audio, ref_mag),
            "source_gl": _quality(d.waves[i], gl_waves[i], audio, ref_mag),
            "feature_l1": float(np.mean(np.abs(recon_feats[i] - d.features[i]))),
        })
    summary = {
        "bars": len(d),
        "model": _mean_rows([b["model"] for b in per_bar]),
        "source_gl": _mean_rows([b["source_gl"] for b in per_bar]),
        "feature_l1": float(np.mean([b["feature_l1"] for b in per_bar])),
        "refine_steps": int(refine),
        "encode_seconds_per_bar": code_seconds / max(1, len(d)),
        # Baseline: always answering the evaluated bars' mean feature (what a decoder that
        # ignores its code can at best do).
        "feature_l1_mean_bar": float(np.mean(np.abs(d.features - d.features.mean(0)))),
        "per_bar": per_bar,
    }
    return _Reconstruction(summary, codes, model_waves, gl_waves)


def _interpolation_step(backend, d: EvalData, codes: np.ndarray,
                        chosen: list[tuple[int, int]], audio, iters: int, seed: int,
                        alphas: list[float], report_pairs: int,
                        tempo: str | float = limits.DEFAULT_TEMPO,
                        tick: Callable[[int], None] | None = None, input_phase: bool = False,
                        blend_labels: bool = limits.DEFAULT_BLEND_LABELS,
                        retime: bool = limits.DEFAULT_RETIME
                        ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Morph each chosen pair (model) beside a spectrogram crossfade as `interpolate` does:
    with `retime`, each step rendered once at the blend of the endpoints' tempi
    (`native_codes` / `native_features`), then finished (`finish`: re-timed, leveled) at
    `tempo` and at blended tempi; without, rendered at each tempo directly; the first `report_pairs` pairs' renders at `tempo` come back as report
    examples."""
    from drumaae.audio.features import features_to_magnitude, magnitude_to_features
    from drumaae.audio.loudness import target_loudness
    from drumaae.inference.operations import step_tempos
    from drumaae.inference.render import endpoint_phases, path_labels

    sr = audio.sample_rate
    modes: list[Any] = [tempo] + (["blend"] if tempo != "blend" else [])
    envelopes: dict[int, np.ndarray] = {}

    def env(i: int) -> np.ndarray:
        if i not in envelopes:
            envelopes[i] = metrics.onset_envelope(d.waves[i], sr)
        return envelopes[i]

    rows: dict[Any, list[dict]] = {m: [] for m in modes}
    examples = []
    a = np.asarray(alphas, np.float32)[:, None, None]
    for p, (i, j) in enumerate(chosen):
        native = step_tempos(alphas, "blend", d.bpms[i], d.bpms[j])
        z = latent_path(codes[i], codes[j], np.asarray(alphas, np.float32)).astype(np.float32)
        lufs_i, lufs_j = _lufs([d.waves[i], d.waves[j]], sr)
        targets = [target_loudness(lufs_i, lufs_j, al) for al in alphas]

        def phases(tempi: list[float]) -> list | None:
            # as `interpolate`: an endpoint starts from its bar's phase only where it is
            # rendered at that bar's own tempo
            return endpoint_phases(alphas, d.waves[i], d.waves[j], tempi, d.bpms[i],
                                   d.bpms[j]) if input_phase else None
        mag = np.asarray(features_to_magnitude(d.features[[i, j]], audio))
        mixed = (1.0 - a) * mag[0][None] + a * mag[1][None]
        fade_feats = np.asarray(magnitude_to_features(mixed, audio), np.float32)
        labels = path_labels(backend, z, alphas) if blend_labels else None

        def raw_at(tempi: list[float]) -> dict[str, list[np.ndarray]]:
            return {"model": native_codes(z, model=backend, native_bpms=tempi, iters=iters,
                                          seed=seed, phase_from=phases(tempi), labels=labels),
                    "crossfade": native_features(fade_feats, audio, native_bpms=tempi,
                                                 iters=iters, seed=seed,
                                                 phase_from=phases(tempi))}

        shared = raw_at(native) if retime else None
        for mode in modes:
            bpms = step_tempos(alphas, mode, d.bpms[i], d.bpms[j])
            raw = shared if retime else raw_at(bpms)
            made_at = native if retime else bpms
            row: dict[str, Any] = {
                "source": {"file": d.files[i], "bar": d.bars[i], "bpm": d.bpms[i]},
                "target": {"file": d.files[j], "bar": d.bars[j], "bpm": d.bpms[j]},
                "bpms": bpms}
            renders = {}
            # as `render_codes`: slices of a slower step ring on with its direct render
            tails = {"model": code_tails(z, model=backend, bpms=bpms, native_bpms=made_at,
                                         iters=iters, seed=seed, labels=labels),
                     "crossfade": feature_tails(fade_feats, audio, bpms=bpms,
                                                native_bpms=made_at, iters=iters, seed=seed)
                     } if retime else {"model": None, "crossfade": None}
            for key in ("model", "crossfade"):
                waves = finish(raw[key], audio, bpms=bpms, native_bpms=made_at,
                               lufs=targets, tails=tails[key]).bars
                renders[key] = waves
                envs = [metrics.onset_envelope(w, sr) for w in waves]
                to_src = [metrics.envelope_similarity(e, env(i)) for e in envs]
                to_tgt = [metrics.envelope_similarity(e, env(j)) for e in envs]
                row[key] = {
                    "endpoint_f_source": metrics.onset_f_measure(d.waves[i], waves[0], sr),
                    "endpoint_f_target": metrics.onset_f_measure(d.waves[j], waves[-1], sr),
                    "endpoint_env_source": metrics.envelope_correlation(d.waves[i], waves[0],
                                                                        sr),
                    "endpoint_env_target": metrics.envelope_correlation(d.waves[j], waves[-1],
                                                                        sr),
                    "endpoint_mel_source": metrics.mel_distance(d.waves[i], waves[0], sr),
                    "endpoint_mel_target": metrics.mel_distance(d.waves[j], waves[-1], sr),
                    "similarity_to_source": to_src,
                    "similarity_to_target": to_tgt,
                    "trend": metrics.trend(alphas, to_src, to_tgt),
                    **_midpoint(waves, alphas, audio),
                }
            rows[mode].append(row)
            if mode == tempo and p < report_pairs:
                examples.append({"source": i, "target": j, "bpms": bpms, **renders})
        if tick is not None:
            tick(1)

    def summary(mode) -> dict[str, Any]:
        return {"model": _steps_summary(rows[mode], "model", alphas),
                "crossfade": _steps_summary(rows[mode], "crossfade", alphas)}

    interpolation = {
        "pairs": len(chosen),
        "alphas": alphas,
        "tempo": tempo,
        **summary(tempo),
        "at_tempo": {str(m): summary(m) for m in modes},
        "per_pair": rows[tempo],
    }
    return interpolation, examples


def _midpoint(waves: Sequence[np.ndarray], alphas: Sequence[float], audio) -> dict[str, float]:
    """What a crossfade cannot fake, at the step nearest alpha = 0.5: the share of its
    magnitude explained by a non-negative mix of the two endpoint bars (a crossfade: ~1),
    and its onsets relative to the endpoints' (a crossfade carries both patterns: the
    ratio to the larger endpoint count goes above 1)."""
    mid = int(np.argmin(np.abs(np.asarray(alphas, float) - 0.5)))
    mags = [_magnitude(waves[k], audio) for k in (0, mid, len(waves) - 1)]
    sr = audio.sample_rate
    counts = [len(metrics.onset_times(waves[k], sr)) for k in (0, mid, len(waves) - 1)]
    return {"mid_mix_share": metrics.mix_share(mags[1], mags[0], mags[2]),
            "mid_onset_ratio": counts[1] / max(1, max(counts[0], counts[2]))}


def _by_family(per_bar: list[dict], families: Sequence[str]) -> dict[str, Any]:
    """Reconstruction figures per family (`EvalData.families`: acoustic, electronic,
    hand_percussion, processed, realism for a rendered corpus), beside source_GL: a mean
    over all bars hides the worst case."""
    groups: dict[str, list[dict]] = {}
    for row, family in zip(per_bar, families):
        groups.setdefault(family, []).append(row)
    return {fam: {"bars": len(rows), "model": _mean_rows([r["model"] for r in rows]),
                  "source_gl": _mean_rows([r["source_gl"] for r in rows])}
            for fam, rows in sorted(groups.items())}


def _report_step(results: dict[str, Any], report: str | os.PathLike, d: EvalData,
                 recon: _Reconstruction, examples: list[dict[str, Any]], report_pairs: int,
                 force: bool) -> Any:
    """Write the HTML report: tables, the first bars' renders and the example pairs."""
    from drumaae.evaluation.report import write_report

    recon_examples = [{"index": k, "source": d.waves[k], "source_gl": recon.gl_waves[k],
                       "model": recon.model_waves[k]} for k in range(min(report_pairs, len(d)))]
    return write_report(results, report, data=d, examples=examples,
                        recon_examples=recon_examples, force=force)


def _on_prior(net, codes: np.ndarray, samples: np.ndarray, seed: int, n_paths: int = 64,
              path_points: int = 9) -> dict[str, Any]:
    """Are codes on the prior? The share the discriminator calls real (prior samples: the
    same figure for them), log p of codes against log p of prior samples, and the lowest
    log p along straight paths between random pairs of codes (the morph's path)."""
    out: dict[str, Any] = {}
    log_p = np.asarray(net.prior.log_prob(codes.astype(np.float32)), np.float64)
    out["log_prob_codes_median"] = float(np.median(log_p))
    out["log_prob_prior_median"] = float(np.median(np.asarray(
        net.prior.log_prob(samples.astype(np.float32)), np.float64)))
    if len(codes) >= 2:
        rng = np.random.default_rng(seed + 5)
        i = rng.integers(0, len(codes), size=n_paths)
        j = rng.integers(0, len(codes), size=n_paths)
        a = np.linspace(0.0, 1.0, path_points)[None, :, None]
        path = (1.0 - a) * codes[i][:, None] + a * codes[j][:, None]
        lp = np.asarray(net.prior.log_prob(path.reshape(-1, codes.shape[1]).astype(np.float32)),
                        np.float64).reshape(n_paths, path_points)
        out["log_prob_path_min_median"] = float(np.median(lp.min(axis=1)))
    disc = getattr(net, "discriminator", None)
    if disc is not None and codes.size:
        k = int(net.prior.num_components)
        # Conditioned on each code's own component (the label the prior assigns it).
        lab = latent.assignments(net.prior, codes).astype(np.int32)
        lab_s = latent.assignments(net.prior, samples).astype(np.int32)
        if not getattr(disc, "num_labels", 0):
            lab, lab_s = np.full_like(lab, k), np.full_like(lab_s, k)
        real = np.asarray(disc(codes.astype(np.float32), lab), np.float64).ravel() > 0
        real_s = np.asarray(disc(samples.astype(np.float32), lab_s), np.float64).ravel() > 0
        out["d_real_share_codes"] = float(real.mean())
        out["d_real_share_prior"] = float(real_s.mean())
    return out


def _prior_fit(net, codes: np.ndarray, d: EvalData, audio, ref: str | None, centroids: Any,
               seed: int, max_codes: int = 2000) -> dict[str, Any]:
    k = int(net.prior.num_components)
    sub = codes[:max_codes]
    n = max(len(sub), 50)
    samples = np.asarray(net.prior.sample(n, seed=seed + 2), np.float64)
    floor = np.asarray(net.prior.sample(len(sub), seed=seed + 3), np.float64)
    assign = latent.assignments(net.prior, codes)
    occ = latent.occupancy(assign, k)
    out: dict[str, Any] = {
        "codes": int(len(codes)),
        "mmd": latent.mmd(sub, samples) if len(sub) > 1 else float("nan"),
        "mmd_prior_floor": latent.mmd(floor, samples) if len(sub) > 1 else float("nan"),
        "occupancy": occ.tolist(),
        "components_used": int(np.sum(occ > 0)),
        "effective_components": latent.effective_components(occ),
        "mean_log_prob": float(np.mean(np.asarray(net.prior.log_prob(codes)))),
        # Collapse indicator: spread of the codes per dimension relative to the prior's
        # (about 1 when codes cover the prior; near 0 when every bar gets the same code).
        "code_spread": float(np.mean(np.std(codes, 0)) / max(1e-12, float(np.mean(np.std(
            np.asarray(net.prior.sample(max(len(codes), 200), seed=seed + 4)), 0))))),
        "labels": None,
        **_on_prior(net, sub, samples, seed),
    }
    from drumaae.data.rhythm import assign_rhythms, onset_grid, rhythm_labels

    cents, origin = _centroids_for(ref, centroids)
    labels = None
    if cents is not None:
        try:
            labels = assign_rhythms(onset_grid(d.features, audio), cents)
        except ValueError:
            labels, origin = None, None
    if labels is None and len(d) >= 2 * k:
        labels, _ = rhythm_labels(d.features, audio, k, seed=seed)
        origin = "k-means of the evaluated bars' onset grids"
    if labels is not None:
        out["labels"] = {"source": origin, **latent.label_agreement(assign, labels)}
    return out
