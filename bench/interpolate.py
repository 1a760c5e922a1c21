"""`drumaae interpolate` rows: in-process (warm library call vs model alone), and cold child
processes: the whole command against a bare ``import tensorflow``, its phases, many pairs in
one process, peak memory.

The phases child (``python -m drumaae_bench.interpolate SRC TGT MODEL OUT STEPS``) runs the
command's steps one by one through the public API and prints their seconds as JSON: imports,
model load, decode + tempo, encode, render (the first Griffin-Lim call, tracing included),
writing (WAVs, loudness, manifest) and the figure (the spectrogram PNG, drawn as
`save_interpolation` draws it; its first call pays matplotlib's drawing code).
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

from .harness import BenchConfig, Row, failed_row, measure_process, timed

__all__ = ["bench_interpolate", "bench_cold_start", "model_file", "write_inputs"]

PHASES = ("imports", "model load", "decode + tempo", "encode", "render", "writing",
          "figure")


def write_inputs(tmp: str, sr: int) -> tuple[str, str]:
    """Two loops as WAV files: a 2-bar funk loop at 100 BPM and a 1-bar rock loop at 120."""
    import soundfile as sf

    from drumaae.testing import synthetic_loop

    src, tgt = os.path.join(tmp, "src.wav"), os.path.join(tmp, "tgt.wav")
    if not os.path.exists(src):
        sf.write(src, synthetic_loop(sr, 100.0, 2, seed=0, pattern="funk"), sr)
        sf.write(tgt, synthetic_loop(sr, 120.0, 1, seed=1, pattern="rock"), sr)
    return src, tgt


def _drumaae_exe() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "drumaae")
    return [exe] if os.path.exists(exe) else [sys.executable, "-c",
                                               "from drumaae_cli.main import main; main()"]


def model_file(cfg: BenchConfig, tmp: str) -> tuple[str, str]:
    """A model to time: --model, else the bundled default, else an untrained one of the
    recipe (speed does not depend on the weights)."""
    if cfg.model:
        return cfg.model, cfg.model
    from drumaae.registry import BUNDLED_MODEL

    if cfg.recipe == "default" and os.path.isfile(BUNDLED_MODEL):
        return BUNDLED_MODEL, "bundled default"
    from drumaae.config import load_recipe
    from drumaae.models import build_model, save_model

    path = os.path.join(tmp, f"{cfg.recipe}.keras")
    save_model(build_model(load_recipe(cfg.recipe)), path)
    return path, f"untrained {cfg.recipe} recipe"


def bench_interpolate(cfg: BenchConfig, model_path: str, tmp: str) -> list[Row]:
    """In-process rows: the warm library call vs the model alone, per step count."""
    import soundfile as sf

    from drumaae.testing import synthetic_loop

    from drumaae import inference, limits
    from drumaae.models import model_audio
    from drumaae.registry import load_model_ref

    model = load_model_ref(model_path)
    audio = model_audio(model)
    sr = audio.sample_rate
    src, tgt = write_inputs(tmp, sr)
    rows: list[Row] = []

    # model only: encode (and refine, as the library does by default) the two bars,
    # interpolate, decode (features, no Griffin-Lim)
    from drumaae.audio.features import bar_features

    bars = np.stack([synthetic_loop(sr, audio.reference_bpm, 1, seed=s)[: audio.grid_samples()]
                     for s in (0, 1)])
    backend = inference.load_backend(model)
    backend_refine = limits.resolve_refine(None, backend.can_refine)
    for steps in cfg.interp_steps:
        alphas = np.linspace(0.0, 1.0, steps)

        def model_only():
            feats = bar_features(bars, audio)
            z = model.refine(feats, model.encode(feats), steps=backend_refine)
            return np.asarray(model.decode(model.interpolate(z[0], z[1], alphas)))

        def library():
            return inference.interpolate(src, tgt, steps=steps, model=backend, src_bpm=100.0,
                                         tgt_bpm=120.0)

        model_only()
        library()
        mo_s, _ = timed(model_only, cfg.repeats)
        lib_s, _ = timed(library, cfg.repeats)
        rows.append(Row("interpolate", f"in-process, {steps} steps: library call vs model only",
                        lib_s, mo_s, "s", None,
                        f"model only (encode + decode, no Griffin-Lim) {mo_s * 1e3:.0f} ms = "
                        f"{mo_s / lib_s:.0%} of the warm library call "
                        f"({lib_s / steps * 1e3:.0f} ms per output bar)"))
    return rows


def bench_cold_start(cfg: BenchConfig, model_path: str, tmp: str) -> list[Row]:
    """Cold child processes: bare TensorFlow import (the baseline), the whole command, its
    phases, and `--pairs` with one and with `cfg.pairs` pairs (the cost per extra pair).

    The baseline, the command and the phases child run in turn, `cfg.repeats` times: on a
    shared machine the load moves within minutes, so the ratio is the median of each round's
    ratio (a baseline and a command measured next to each other), beside the medians."""
    import statistics

    from drumaae.config import load_recipe

    sr = load_recipe(cfg.recipe).audio.sample_rate
    src, tgt = write_inputs(tmp, sr)
    rows: list[Row] = []
    steps = cfg.e2e_steps[0]
    bases, ratios, runs = [], [], []
    walls: dict = {n: [] for n in cfg.e2e_steps}
    rss: dict = {n: [] for n in cfg.e2e_steps}
    for _ in range(max(1, cfg.repeats)):
        base = measure_process([sys.executable, "-c", "import tensorflow"])["wall_s"]
        bases.append(base)
        for n in cfg.e2e_steps:
            res = measure_process(_drumaae_exe() + [
                "interpolate", src, tgt, "--steps", str(n), "--out",
                os.path.join(tmp, f"morph{n}"), "--model", model_path, "--force"])
            walls[n].append(res["wall_s"])
            rss[n].append(res["maxrss_kb"] / 1024.0)
            if n == steps:
                ratios.append(res["wall_s"] / base)
        res = measure_process([sys.executable, "-m", f"{__package__}.interpolate", src, tgt,
                               model_path, os.path.join(tmp, "phases"), str(steps)])
        runs.append(json.loads(res["stdout"].strip().splitlines()[-1]))
    base = statistics.median(bases)
    rows.append(Row("cold start", "bare `python -c \"import tensorflow\"`", base, None, "s",
                    None, f"the baseline of the cold-start target (whole command <= 1.5x); "
                          f"median of {len(bases)}: {', '.join(f'{b:.2f}' for b in bases)}"))
    for n in cfg.e2e_steps:
        wall = statistics.median(walls[n])
        note = (f"**{statistics.median(ratios):.2f}x** a bare TensorFlow import, median of "
                f"the rounds' ratios {', '.join(f'{r:.2f}' for r in ratios)} (target <= "
                f"1.5x)" if n == steps else f"{wall / base:.2f}x the median bare import")
        rows.append(Row("cold start", f"`drumaae interpolate --steps {n}`, cold process",
                        wall, base, "s", base / wall,
                        f"{note}; peak RSS {max(rss[n]):.0f} MiB"))
        rows.append(Row("memory", f"peak RSS, drumaae interpolate --steps {n}", max(rss[n]),
                        None, "MiB"))
    phases = {name: statistics.median(r[name] for r in runs) for name in PHASES}
    total = sum(phases.values())
    for name in PHASES:
        rows.append(Row("cold start", f"phase: {name} ({steps} steps)", phases[name], None, "s",
                        None, f"{phases[name] / total:.0%} of the phases' {total:.2f} s; "
                              f"{phases[name] / base:.2f}x a bare TensorFlow import (medians "
                              f"of {len(runs)})"))
    try:
        rows += _bench_pairs(cfg, model_path, tmp, src, tgt, steps)
    except Exception as exc:  # a benchmark row must not end the run
        rows.append(failed_row("cold start", "`drumaae interpolate --pairs FILE`", exc))
    return rows


def _bench_pairs(cfg: BenchConfig, model_path: str, tmp: str, src: str, tgt: str,
                 steps: int) -> list[Row]:
    """`drumaae interpolate --pairs FILE` with 1 and with `cfg.pairs` pairs."""
    walls = {}
    for n in sorted({1, max(2, cfg.pairs)}):
        listing = os.path.join(tmp, f"pairs{n}.txt")
        with open(listing, "w", encoding="utf-8") as f:
            for i in range(n):
                a, b = (src, tgt) if i % 2 == 0 else (tgt, src)
                f.write(f"{a} {b}\n")
        res = measure_process(_drumaae_exe() + [
            "interpolate", "--pairs", listing, "--steps", str(steps), "--model", model_path,
            "--out", os.path.join(tmp, f"pairs{n}"), "--force"])
        walls[n] = res["wall_s"]
    n = max(walls)
    per_pair = (walls[n] - walls[1]) / (n - 1)
    return [Row("cold start", f"`drumaae interpolate --pairs FILE`, {n} pairs ({steps} steps)",
                walls[n], walls[1] * n, "s", walls[1] * n / walls[n],
                f"vs {n} separate runs (1 pair: {walls[1]:.2f} s); each extra pair "
                f"{per_pair:.2f} s = {per_pair / walls[1]:.0%} of a cold single run")]


def main(argv: list[str] | None = None) -> None:
    """The phases child: SRC TGT MODEL OUT STEPS -> one JSON line of seconds per phase."""
    t0 = time.perf_counter()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    src, tgt, model, out, steps = (sys.argv[1:] if argv is None else argv)[:5]
    import tensorflow  # noqa: F401  (the import every command pays)

    from drumaae import inference, limits
    from drumaae.audio.bars import cut_bars
    from drumaae.audio.io import decode_audio

    times = {"imports": time.perf_counter() - t0}

    def phase(name, fn):
        t = time.perf_counter()
        value = fn()
        times[name] = times.get(name, 0.0) + time.perf_counter() - t
        return value

    backend = phase("model load", lambda: inference.load_backend(model))
    audio = backend.audio
    cuts = phase("decode + tempo", lambda: [
        cut_bars(decode_audio(p, audio.sample_rate).samples, audio.sample_rate, audio)
        for p in (src, tgt)])
    refine = limits.resolve_refine(None, backend.can_refine)  # what the command does
    codes = phase("encode", lambda: np.concatenate([backend.encode_bars(c.bars[:1], refine)
                                                    for c in cuts]))
    alphas = np.linspace(0.0, 1.0, int(steps), dtype=np.float32)[:, None]
    z = (1.0 - alphas) * codes[:1] + alphas * codes[-1:]
    phase("render", lambda: backend.decode_codes(z, audio.bar_samples(cuts[0].bpm),
                                                 iters=audio.griffin_lim_iters, seed=0))
    result = inference.interpolate(src, tgt, steps=int(steps), model=backend)  # warm: untimed
    phase("writing", lambda: inference.save_interpolation(result, out, force=True,
                                                         figure=False))

    def figure():
        from drumaae.plotting import interpolation_figure

        return interpolation_figure(result.bars, [float(a) for a in result.alphas],
                                    os.path.join(out, "interpolation.png"), bpms=result.bpms,
                                    sample_rate=audio.sample_rate, title="source -> target")

    phase("figure", figure)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
