"""Audio front-end benchmark: Griffin-Lim and bar features, ours (tf) vs librosa.

    python -m bench.audio                # (a) Griffin-Lim, (b) feature pipeline throughput
    python -m bench.audio --bar-methods  # variable_hop vs resample_frames vs time_stretch

Everything in one run is measured on the same generated inputs. First tf.function traces
are timed separately and excluded from the timed runs (median of `--repeats`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import librosa  # noqa: E402
import mir_eval  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import tensorflow as tf  # noqa: E402

from drumaae.audio.bars import cut_bars  # noqa: E402
from drumaae.audio.features import bar_features, render_bars, stft_magnitude  # noqa: E402
from drumaae.audio.griffinlim import griffin_lim, spectral_convergence  # noqa: E402
from drumaae.config import load_recipe  # noqa: E402
from drumaae.evaluation.bench import synthetic_loop, timed  # noqa: E402

PATTERNS = ("rock", "funk", "house", "halftime")


def _load(path, sr):
    try:
        from drumaae.audio.io import load_audio
    except ImportError:  # before audio I/O existed
        x, rate = sf.read(path, dtype="float32", always_2d=True)
        return x.mean(axis=1), rate
    return load_audio(path, sr)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores (nproc), {cpu}, {platform.system()} {platform.machine()}, "
            f"TF {tf.__version__}, librosa {librosa.__version__}")


def bench_griffin_lim(audio, loops, iters, repeats):
    length = audio.bar_samples()
    hop = audio.hop_length
    x = np.stack([loops(audio.sample_rate, audio.reference_bpm, seed=i,
                        pattern=PATTERNS[i % 4])[:length] for i in range(5)])
    mag = stft_magnitude(x, audio.n_fft, hop)
    run = tf.function(lambda m: griffin_lim(m, audio.n_fft, hop, iters=iters, momentum=0.99,
                                            length=length, seed=0))
    t0 = time.perf_counter()
    run(mag).numpy()
    trace = time.perf_counter() - t0
    ours_s, ours = timed(lambda: run(mag).numpy(), repeats)
    spec = np.abs(librosa.stft(x, n_fft=audio.n_fft, hop_length=hop, center=True,
                               pad_mode="reflect"))

    def theirs():
        return np.stack([librosa.griffinlim(s, n_iter=iters, hop_length=hop, n_fft=audio.n_fft,
                                            window="hann", center=True, length=length,
                                            pad_mode="reflect", momentum=0.99, init="random",
                                            random_state=0) for s in spec])

    lib_s, lib = timed(theirs, repeats)
    sc = lambda y: float(spectral_convergence(mag, stft_magnitude(y, audio.n_fft, hop)))  # noqa
    return dict(trace=trace, ours_s=ours_s, lib_s=lib_s, ours_sc=sc(ours), lib_sc=sc(lib))


def bench_features(audio, loops, n_files, repeats):
    tempi = (100.0, 128.0, 150.0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n_files):
            bpm = tempi[i % len(tempi)]
            path = os.path.join(tmp, f"loop{i:03d}.wav")
            sf.write(path, loops(audio.sample_rate, bpm, bars=4, seed=i,
                                 pattern=PATTERNS[i % 4]), audio.sample_rate)
            paths.append((path, bpm))

        def bars_of(path, bpm):
            x, sr = _load(path, audio.sample_rate)
            return cut_bars(x, sr, audio, bars=4).bars

        def gen():
            for path, bpm in paths:
                yield bars_of(path, bpm)

        def ours():
            ds = (tf.data.Dataset.from_generator(
                      gen, output_signature=tf.TensorSpec([None, None], tf.float32))
                  .map(lambda b: bar_features(b, audio), num_parallel_calls=tf.data.AUTOTUNE)
                  .unbatch().batch(32).prefetch(tf.data.AUTOTUNE))
            return sum(int(b.shape[0]) for b in ds)

        def theirs():
            count = 0
            for path, _ in paths:
                y, sr = librosa.load(path, sr=audio.sample_rate)
                for bar in cut_bars(y, sr, audio, bars=4).bars:
                    hop = bar.size // audio.bar_frames
                    mag = np.abs(librosa.stft(bar, n_fft=audio.n_fft, hop_length=hop,
                                              center=True, pad_mode="reflect"))
                    db = librosa.amplitude_to_db(mag[: audio.n_bins, : audio.bar_frames],
                                                 ref=1.0, amin=10 ** (audio.min_db / 20),
                                                 top_db=None)
                    np.clip((db - audio.min_db) / (audio.ref_db - audio.min_db), 0, 1)
                    count += 1
            return count

        t0 = time.perf_counter()
        ours()
        trace = time.perf_counter() - t0
        ours_s, n_ours = timed(ours, repeats)
        lib_s, n_lib = timed(theirs, repeats)
        assert n_ours == n_lib == 4 * n_files
        # equal quality: the same features, up to float rounding
        path, bpm = paths[0]
        b = bars_of(path, bpm)
        ref = np.stack([np.clip((librosa.amplitude_to_db(np.abs(librosa.stft(
            bar, n_fft=audio.n_fft, hop_length=bar.size // audio.bar_frames, center=True,
            pad_mode="reflect"))[: audio.n_bins, : audio.bar_frames], ref=1.0,
            amin=10 ** (audio.min_db / 20), top_db=None) - audio.min_db)
            / (audio.ref_db - audio.min_db), 0, 1).T for bar in b])
        err = float(np.max(np.abs(bar_features(b, audio).numpy() - ref)))
    return dict(trace=trace, ours=n_ours / ours_s, lib=n_lib / lib_s, bars=n_ours, max_err=err)


def _lsd(ref, est, amin=1e-5):
    a = 20 * np.log10(np.maximum(ref, amin))
    b = 20 * np.log10(np.maximum(est, amin))
    return float(np.mean(np.sqrt(np.mean((a - b) ** 2, axis=-1))))


def _onset_f(ref, est, sr):
    r = librosa.onset.onset_detect(y=ref, sr=sr, units="time")
    e = librosa.onset.onset_detect(y=est, sr=sr, units="time")
    return mir_eval.onset.f_measure(r, e, window=0.05)[0]


def bench_bar_methods(audio, loops, tempi, iters):
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
    audio = load_recipe(args.recipe).audio
    loops = synthetic_loop
    print(f"machine: {machine()}")
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
    gl = bench_griffin_lim(audio, loops, args.iters, args.repeats)
    ft = bench_features(audio, loops, args.files, args.repeats)
    print(f"\n| task | ours (tf) | librosa | ours / librosa |")
    print("|---|---:|---:|---:|")
    print(f"| (a) Griffin-Lim, 5 bars x {args.iters} it: seconds | {gl['ours_s']:.3f} | "
          f"{gl['lib_s']:.3f} | {gl['lib_s'] / gl['ours_s']:.2f}x faster |")
    print(f"| (a) Griffin-Lim: spectral convergence (lower is better) | {gl['ours_sc']:.4f} | "
          f"{gl['lib_sc']:.4f} | |")
    print(f"| (b) features, {ft['bars']} bars from {args.files} WAV files: bars/s | "
          f"{ft['ours']:.1f} | {ft['lib']:.1f} | {ft['ours'] / ft['lib']:.2f}x faster |")
    print(f"\nfirst-call trace (excluded above): Griffin-Lim {gl['trace']:.2f} s, "
          f"feature pipeline {ft['trace']:.2f} s; max |ours - librosa| feature "
          f"difference {ft['max_err']:.2e}")


if __name__ == "__main__":
    main()
