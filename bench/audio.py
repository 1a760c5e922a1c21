"""Audio front-end rows: Griffin-Lim and tempo reading against librosa, the feature pipeline
in three forms; and (``python -m bench.audio --bar-methods``) the round-trip quality of the
time normalisations.

    python -m bench.audio                # Griffin-Lim, tempo, feature pipeline throughput
    python -m bench.audio --bar-methods  # variable_hop vs resample_frames vs time_stretch

Everything in one run is measured on the same generated inputs. First calls (tracing,
compilation) are timed separately and excluded from the timed runs (median of `repeats`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time

import numpy as np

from .harness import Row, timed

__all__ = ["bench_griffin_lim", "bench_tempo", "bench_features", "bench_bar_methods"]


# --- Griffin-Lim ----------------------------------------------------------------------------

def bench_griffin_lim(audio, iters: int, n_bars: int, repeats: int) -> list[Row]:
    import librosa
    import tensorflow as tf

    from drumaae.audio.features import stft_magnitude
    from drumaae.audio.griffinlim import griffin_lim, spectral_convergence

    from drumaae.testing import PATTERNS, synthetic_loop

    length, hop = audio.grid_samples(), audio.hop_length
    x = np.stack([synthetic_loop(audio.sample_rate, audio.reference_bpm, seed=i,
                                 pattern=PATTERNS[i % 4])[:length] for i in range(n_bars)])
    mag = stft_magnitude(x, audio.n_fft, hop)
    run = tf.function(lambda m: griffin_lim(m, audio.n_fft, hop, iters=iters, momentum=0.99,
                                            length=length, seed=0))
    t0 = time.perf_counter()
    run(mag).numpy()
    trace = time.perf_counter() - t0
    spec = np.abs(librosa.stft(x, n_fft=audio.n_fft, hop_length=hop, center=True,
                               pad_mode="reflect"))

    def theirs():
        return np.stack([librosa.griffinlim(s, n_iter=iters, hop_length=hop, n_fft=audio.n_fft,
                                            window="hann", center=True, length=length,
                                            pad_mode="reflect", momentum=0.99, init="random",
                                            random_state=0) for s in spec])

    # Ours and librosa's in turn, round by round: on a shared machine the load moves within
    # a minute, so the ratio is the median of the rounds' ratios (beside the medians).
    ours_t, lib_t = [], []
    for _ in range(max(1, repeats)):
        t, ours = timed(lambda: run(mag).numpy(), 1)
        ours_t.append(t)
        t, lib = timed(theirs, 1)
        lib_t.append(t)
    ours_s, lib_s = statistics.median(ours_t), statistics.median(lib_t)
    ratio = statistics.median(b / a for a, b in zip(ours_t, lib_t))
    # render_bars called eagerly (how a plain library call runs it) vs inside one tf.function.
    from drumaae.audio.features import bar_features, render_bars

    from drumaae.audio.render import traced_render

    feats = bar_features(x, audio)
    eager_s, _ = timed(lambda: render_bars(feats, audio, length, iters=iters).numpy(), repeats)
    graph = traced_render(audio, iters, 0)
    t0 = time.perf_counter()
    graph(feats, np.int32(length))
    render_trace = time.perf_counter() - t0
    graph_s, _ = timed(lambda: graph(feats, np.int32(length)).numpy(), repeats)
    sc = lambda y: float(spectral_convergence(mag, stft_magnitude(y, audio.n_fft, hop)))  # noqa
    return [
        Row("griffin-lim", f"{n_bars} bars x {iters} iterations", ours_s, lib_s, "s",
            ratio, f"vs librosa.griffinlim; ratio: median of {len(ours_t)} rounds' "
                   f"({', '.join(f'{b / a:.2f}' for a, b in zip(ours_t, lib_t))}); first "
                   f"call (trace) {trace:.2f} s excluded"),
        Row("griffin-lim", "spectral convergence reached (lower is better)", sc(ours), sc(lib),
            "", None, "same iterations, momentum 0.99"),
        Row("griffin-lim", f"render_bars, {n_bars} bars: traced render vs eager", graph_s,
            eager_s, "s", eager_s / graph_s,
            f"drumaae.audio.render.traced_render (what LocalBackend uses) vs render_bars called "
            f"eagerly; the traced render's first call (trace + graph optimisation) "
            f"{render_trace:.2f} s"),
    ]


# --- tempo ----------------------------------------------------------------------------------

def bench_tempo(audio, repeats: int) -> list[Row]:
    """Tempo reading of one-bar and two-bar loops: `cut_bars` (onset envelope in tf.signal,
    circular autocorrelation) vs librosa's onset strength + `librosa.feature.tempo` on the
    loop tiled to 16 s (what drumaae used before), both warm (librosa's numba compiled)."""
    import librosa

    from drumaae.audio.bars import cut_bars
    from drumaae.testing import synthetic_loop

    sr = audio.sample_rate
    loops = [synthetic_loop(sr, 127.0, 1, pattern="funk"), synthetic_loop(sr, 83.0, 1,
             pattern="house"), synthetic_loop(sr, 100.0, 2, pattern="rock")]

    def ours():
        return [cut_bars(x, sr, audio).bpm for x in loops]

    def theirs():
        out = []
        for x in loops:
            tiled = np.tile(x, int(np.ceil(16.0 * sr / x.size)))
            env = librosa.onset.onset_strength(y=tiled, sr=sr, hop_length=128)
            out.append(float(librosa.feature.tempo(onset_envelope=env, sr=sr, hop_length=128,
                                                   ac_size=16.0)[0]))
        return out

    t0 = time.perf_counter()
    ours()
    first = time.perf_counter() - t0
    theirs()
    ours_s, bpms = timed(ours, repeats)
    lib_s, _ = timed(theirs, repeats)
    return [Row("tempo", f"tempo + bar count of {len(loops)} loops (1-2 bars)", ours_s, lib_s,
                "s", lib_s / ours_s,
                f"cut_bars vs librosa onset_strength + feature.tempo (16 s tiling), warm; read "
                f"{', '.join(f'{b:.1f}' for b in bpms)} BPM (true 127, 83, 100); our first "
                f"call {first:.2f} s")]


# --- features -------------------------------------------------------------------------------

def librosa_bar_features(bar: np.ndarray, audio) -> np.ndarray:
    """The baseline the feature pipelines are measured against: one bar's features
    `(n_bins, bar_frames)` computed with librosa (centred STFT, hop = bar / bar_frames, the
    recipe's dB range), as `drumaae.audio.features.bar_features` defines them."""
    import librosa

    hop = bar.size // audio.bar_frames
    mag = np.abs(librosa.stft(bar, n_fft=audio.n_fft, hop_length=hop, center=True,
                              pad_mode="reflect"))
    db = librosa.amplitude_to_db(mag[: audio.n_bins, : audio.bar_frames], ref=1.0,
                                 amin=10 ** (audio.min_db / 20), top_db=None)
    return np.clip((db - audio.min_db) / (audio.ref_db - audio.min_db), 0, 1)


def bench_features(audio, n_files: int, repeats: int) -> list[Row]:
    """The training input pipeline (`make_dataset`, uncached, built once: its construction
    and tracing are reported, not timed) against a librosa loop (load + STFT + dB per bar),
    on 4-bar loops at 100/128/150 BPM."""
    import soundfile as sf

    from drumaae.data.dataset import build_index, make_dataset
    from drumaae.testing import PATTERNS, synthetic_loop

    tempi = (100.0, 128.0, 150.0)
    with tempfile.TemporaryDirectory() as tmp:
        lookup = {}
        for i in range(n_files):
            name = f"loop{i:03d}.wav"
            lookup[name] = tempi[i % len(tempi)]
            sf.write(os.path.join(tmp, name), synthetic_loop(
                audio.sample_rate, lookup[name], bars=4, seed=i, pattern=PATTERNS[i % 4]),
                audio.sample_rate)
        index = build_index(tmp, audio, bpm_lookup=lookup)
        t0 = time.perf_counter()
        ds = make_dataset(index, audio, batch_size=32, shuffle=False, seed=0, cache=False)
        n_first = sum(len(b) for b in ds)
        first = time.perf_counter() - t0
        ours_s, n = timed(lambda: sum(len(b) for b in ds), repeats)
        _librosa_loop(index.select_files(index.file_paths[:1]), audio)  # imports, FFT plans
        lib_s, n_lib = timed(lambda: _librosa_loop(index, audio), repeats)
        assert n == n_lib == n_first == len(index)
    return [Row("features", f"training pipeline (make_dataset, uncached), {n} bars / "
                f"{n_files} files", n / ours_s, n / lib_s, "bars/s", lib_s / ours_s,
                f"vs librosa loop (load + STFT + dB per bar); building and tracing the "
                f"pipeline + first pass {first:.2f} s excluded")]


def _librosa_loop(index, audio) -> int:
    """The baseline loop over an index: librosa.load each file, `librosa_bar_features` of
    each of its bars (zero-padded past the end, as the pipeline does); returns bars done."""
    import librosa

    count = 0
    bars_of: dict[str, list] = {}
    for r in index.records:
        bars_of.setdefault(r.file, []).append(r)
    for entry in index.files:
        y, _ = librosa.load(entry.path, sr=audio.sample_rate)
        for r in bars_of.get(entry.path, []):
            bar = y[r.start:r.start + r.length]
            librosa_bar_features(np.pad(bar, (0, r.length - len(bar))), audio)
            count += 1
    return count


# --- time normalisations ----------------------------------------------------------------------

def _lsd(ref, est, amin=1e-5):
    a = 20 * np.log10(np.maximum(ref, amin))
    b = 20 * np.log10(np.maximum(est, amin))
    return float(np.mean(np.sqrt(np.mean((a - b) ** 2, axis=-1))))


def _onset_f(ref, est, sr):
    import librosa
    import mir_eval

    r = librosa.onset.onset_detect(y=ref, sr=sr, units="time")
    e = librosa.onset.onset_detect(y=est, sr=sr, units="time")
    return mir_eval.onset.f_measure(r, e, window=0.05)[0]


def bench_bar_methods(audio, loops, tempi, iters):
    """Round trip of three time normalisations per tempo: SC, LSD and onset F-measure."""
    import librosa

    from drumaae.audio.features import bar_features, render_bars, stft_magnitude
    from drumaae.audio.griffinlim import spectral_convergence
    from drumaae.testing import PATTERNS

    rows = []
    ref_len = audio.bar_samples()
    for bpm in tempi:
        length = audio.bar_samples(bpm)
        x = np.stack([np.pad(y, (0, max(0, length - y.size)))[:length] for y in
                      (loops(audio.sample_rate, bpm, seed=i, pattern=p)
                       for i, p in enumerate(PATTERNS[:3]))])
        outs = {}
        for method in ("variable_hop", "resample_frames"):
            cfg = dataclasses.replace(audio, bar_method=method)
            outs[method] = render_bars(bar_features(x, cfg), cfg, length, iters=iters).numpy()
        # librosa time_stretch baseline: stretch to the reference bar, fixed hop, stretch back.
        cfg = dataclasses.replace(audio, bar_method="variable_hop")
        stretched = np.stack([librosa.util.fix_length(
            librosa.effects.time_stretch(b, rate=length / ref_len), size=ref_len) for b in x])
        back = render_bars(bar_features(stretched, cfg), cfg, ref_len, iters=iters).numpy()
        outs["time_stretch"] = np.stack([librosa.util.fix_length(
            librosa.effects.time_stretch(b, rate=ref_len / length), size=length) for b in back])
        ref_mag = stft_magnitude(x, audio.n_fft, audio.hop_length).numpy()
        for method, y in outs.items():
            est_mag = stft_magnitude(y, audio.n_fft, audio.hop_length).numpy()
            rows.append(dict(
                bpm=bpm, method=method,
                sc=float(spectral_convergence(ref_mag, est_mag)),
                lsd=_lsd(ref_mag, est_mag),
                onset_f=float(np.mean([_onset_f(a, b, audio.sample_rate)
                                       for a, b in zip(x, y)]))))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="default")
    parser.add_argument("--iters", type=int, default=64)
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bar-methods", action="store_true",
                        help="compare the time normalisations instead")
    args = parser.parse_args(argv)
    from drumaae.config import load_recipe
    from drumaae.testing import synthetic_loop

    from .harness import format_rows, load_average, machine

    audio = load_recipe(args.recipe).audio
    loops = synthetic_loop
    m = machine()
    print(f"machine: {m['cores']} cores, {m['cpu']}; load {load_average()}")
    print(f"recipe: {args.recipe} (sr {audio.sample_rate}, n_fft {audio.n_fft}, "
          f"{audio.bar_frames} frames/bar)")
    if args.bar_methods:
        rows = bench_bar_methods(audio, loops, (70, 100, 128, 160, 180), args.iters)
        print(f"\nround trip, {args.iters} Griffin-Lim iterations, 3 loops per tempo "
              "(SC / LSD on the STFT at the reference hop; onset F at 50 ms)")
        print("| BPM | method | spectral conv. | LSD (dB) | onset F |")
        print("|---:|---|---:|---:|---:|")
        for r in rows:
            print(f"| {r['bpm']} | {r['method']} | {r['sc']:.3f} | {r['lsd']:.2f} | "
                  f"{r['onset_f']:.3f} |")
        print("\nmean over tempi:")
        for method in ("variable_hop", "resample_frames", "time_stretch"):
            sel = [r for r in rows if r["method"] == method]
            print(f"| all | {method} | {np.mean([r['sc'] for r in sel]):.3f} | "
                  f"{np.mean([r['lsd'] for r in sel]):.2f} | "
                  f"{np.mean([r['onset_f'] for r in sel]):.3f} |")
        return
    rows = (bench_griffin_lim(audio, args.iters, 5, args.repeats)
            + bench_tempo(audio, args.repeats) + bench_features(audio, args.files, args.repeats))
    result = {"machine": m, "load_before": load_average(), "load_after": load_average(),
              "date": "", "seconds": 0.0, "model": "-", "config": {"recipe": args.recipe},
              "rows": [dataclasses.asdict(r) for r in rows]}
    print(format_rows(result))


if __name__ == "__main__":
    main()
