"""The speed benchmark behind `drumaae bench` (and `python bench/run.py`).

One run measures every row on the same machine, so its ratios compare like with like:

- Griffin-Lim, ours (`drumaae.audio.griffinlim`, tf) vs `librosa.griffinlim`, equal
  iterations and momentum, with the spectral convergence each reaches;
- the feature pipeline (decode a file, cut bars, bar features) in three forms: the current one
  (`tf.data.Dataset.from_generator` + `bar_features` per file, as in bench/audio.py), a
  *bucketed XLA* one (bars grouped by length, one `jit_compile` function per hop, fixed
  batch shape), and a librosa loop (``librosa.load`` + ``librosa.stft`` per bar);
- training steps/s and bars/s of a recipe on the CPU at batch 1, 8 and 32 (float32 vs
  mixed_float16 on a GPU when TensorFlow sees one);
- `drumaae interpolate` end to end (a subprocess: Python + TensorFlow import, model load,
  decode, encode, decode, Griffin-Lim, files) vs in-process: the warm library call and the
  model alone (encode + decode, no Griffin-Lim), at 3, 5 and 9 steps;
- SavedModel latency per bar (``drumaae.serving.export``; ``interpolate`` signature);
- peak resident memory (``ru_maxrss`` of a child process) of interpolate and of training.

Timed runs are medians of `repeats` after an untimed warm-up (tracing, XLA compilation),
whose cost is reported separately. The machine's load average is printed with the table:
other jobs on a shared CPU change every absolute number and some ratios.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Iterator, Sequence

import numpy as np

__all__ = ["Row", "BenchConfig", "run_bench", "format_rows", "synthetic_loop",
           "BucketedFeatures", "machine", "load_average"]

PATTERNS = ("rock", "funk", "house", "halftime")


@dataclasses.dataclass
class Row:
    """One measurement: ours beside a baseline where there is one.

    `ratio` is always "how many times better ours is" (baseline time / our time, or our
    throughput / the baseline's), so > 1 favours ours; None where there is no baseline.
    """

    group: str
    task: str
    ours: float | None
    baseline: float | None = None
    unit: str = ""
    ratio: float | None = None
    note: str = ""


@dataclasses.dataclass
class BenchConfig:
    """What to measure. `quick()` is the small version used by the tests."""

    recipe: str = "default"
    gl_iters: int = 64
    gl_bars: int = 5
    files: int = 24
    repeats: int = 3
    train_batches: tuple[int, ...] = (1, 8, 32)
    train_steps: int = 5
    interp_steps: tuple[int, ...] = (3, 5, 9)
    e2e_steps: tuple[int, ...] = (3, 5, 9)
    subprocess: bool = True
    savedmodel: bool = True
    model: str | None = None

    @classmethod
    def quick(cls, **kw) -> "BenchConfig":
        base = dict(recipe="tiny", gl_iters=8, gl_bars=2, files=4, repeats=1,
                    train_batches=(1, 8), train_steps=2, interp_steps=(3, 5), e2e_steps=(5,),
                    subprocess=True, savedmodel=True)
        base.update(kw)
        return cls(**base)


# --- machine ------------------------------------------------------------------------------

def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"
    except OSError:
        return "unknown"


def machine() -> dict[str, Any]:
    import librosa
    import tensorflow as tf

    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpus = tf.config.list_physical_devices("GPU")
    return {"cores": os.cpu_count(), "cpu": cpu, "os": f"{platform.system()} {platform.machine()}",
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "librosa": librosa.__version__, "gpus": [g.name for g in gpus]}


# --- inputs -------------------------------------------------------------------------------

def synthetic_loop(sr: int, bpm: float, bars: int = 1, seed: int = 0, pattern: str = "rock"
                   ) -> np.ndarray:
    """A synthetic drum loop (kick thump, snare and hat noise on a 16-step grid), float32.

    Exactly `bars` bars of 4/4 at `bpm`; patterns ``rock``, ``funk``, ``house``,
    ``halftime``. Used by the benchmarks and, as ``make_loop``, by the tests.
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    n = int(round(bars * 4 * beat * sr))
    out = np.zeros(n)
    grids = {"rock": ({0, 8}, {4, 12}, set(range(0, 16, 2))),
             "funk": ({0, 3, 10}, {4, 12, 15}, set(range(16))),
             "house": ({0, 4, 8, 12}, {4, 12}, {2, 6, 10, 14}),
             "halftime": ({0, 11}, {8}, set(range(0, 16, 2)))}
    kicks, snares, hats = grids[pattern]
    length = int(0.12 * sr)
    t = np.arange(length) / sr
    for s in range(16 * bars):
        i0 = int(round(s * beat / 4 * sr))
        end = min(n, i0 + length)
        step = s % 16
        sig = np.zeros(length)
        if step in kicks:
            sig += np.sin(2 * np.pi * (55 + 60 * np.exp(-t * 30)) * t) * np.exp(-t * 25)
        if step in snares:
            sig += rng.standard_normal(length) * np.exp(-t * 30) * 0.6
        if step in hats:
            sig += np.diff(rng.standard_normal(length), prepend=0.0) * np.exp(-t * 80) * 0.25
        out[i0:end] += sig[: end - i0]
    return (0.8 * out / (np.max(np.abs(out)) or 1.0)).astype(np.float32)


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# --- Griffin-Lim ----------------------------------------------------------------------------

def bench_griffin_lim(audio, iters: int, n_bars: int, repeats: int) -> list[Row]:
    import librosa
    import tensorflow as tf

    from drumaae.audio.features import stft_magnitude
    from drumaae.audio.griffinlim import griffin_lim, spectral_convergence

    length, hop = audio.bar_samples(), audio.hop_length
    x = np.stack([synthetic_loop(audio.sample_rate, audio.reference_bpm, seed=i,
                                 pattern=PATTERNS[i % 4])[:length] for i in range(n_bars)])
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
    # render_bars called eagerly (how a plain library call runs it) vs inside one tf.function.
    from drumaae.audio.features import bar_features, render_bars

    feats = bar_features(x, audio)
    eager_s, _ = timed(lambda: render_bars(feats, audio, length, iters=iters).numpy(), repeats)
    graph = tf.function(lambda f: render_bars(f, audio, length, iters=iters))
    graph(feats)
    graph_s, _ = timed(lambda: graph(feats).numpy(), repeats)
    sc = lambda y: float(spectral_convergence(mag, stft_magnitude(y, audio.n_fft, hop)))  # noqa
    return [
        Row("griffin-lim", f"{n_bars} bars x {iters} iterations", ours_s, lib_s, "s",
            lib_s / ours_s, f"vs librosa.griffinlim; first call (trace) {trace:.2f} s excluded"),
        Row("griffin-lim", "spectral convergence reached (lower is better)", sc(ours), sc(lib),
            "", None, "same iterations, momentum 0.99"),
        Row("griffin-lim", f"render_bars, {n_bars} bars: in a tf.function vs eager", graph_s,
            eager_s, "s", eager_s / graph_s,
            "eager = how a plain Python call (e.g. inference's LocalBackend) runs it"),
    ]


# --- features -------------------------------------------------------------------------------

class BucketedFeatures:
    """`bar_features` for many bars, fast: bars grouped by length, one XLA-compiled function
    per length (its hop is a Python int, so `tf.signal.frame` gets static shapes and
    ``jit_compile=True`` works), called on fixed-size batches (the last one padded) so each
    length compiles once. Same numbers as `drumaae.audio.features.bar_features` (variable_hop).

    Args:
        audio: the recipe's AudioConfig (``bar_method: variable_hop``).
        batch: bars per call.
        jit: compile with XLA (False: plain tf.function, for comparison).
    """

    def __init__(self, audio, batch: int = 32, jit: bool = True):
        if audio.bar_method != "variable_hop":
            raise ValueError("BucketedFeatures implements bar_method: variable_hop only")
        self.audio = audio
        self.batch = int(batch)
        self.jit = bool(jit)
        self._fns: dict[int, Callable] = {}
        self.compile_s = 0.0

    def _fn(self, length: int):
        import tensorflow as tf

        from drumaae.audio.features import magnitude_to_features, stft_magnitude

        if length not in self._fns:
            a, hop = self.audio, length // self.audio.bar_frames

            def features(bars):
                mag = stft_magnitude(bars, a.n_fft, hop)[..., : a.bar_frames, :]
                return magnitude_to_features(mag, a)

            fn = tf.function(features, jit_compile=self.jit,
                             input_signature=[tf.TensorSpec([self.batch, length], tf.float32)])
            t0 = time.perf_counter()
            fn(np.zeros((self.batch, length), np.float32))
            self.compile_s += time.perf_counter() - t0
            self._fns[length] = fn
        return self._fns[length]

    def stream(self, bar_lists) -> "Iterator[np.ndarray]":
        """Features of bars arriving in lists (e.g. one list per decoded file), computed as
        soon as a length's bucket holds a full batch; the rest at the end. Order is by
        bucket, not by arrival."""
        pending: dict[int, list[np.ndarray]] = {}
        for bars in bar_lists:
            for b in bars:
                bucket = pending.setdefault(int(len(b)), [])
                bucket.append(np.asarray(b, np.float32))
                if len(bucket) == self.batch:
                    yield from self._run(len(b), bucket)
                    bucket.clear()
        for length, bucket in pending.items():
            if bucket:
                yield from self._run(length, bucket)

    def _run(self, length: int, bars: list[np.ndarray]):
        x = np.zeros((self.batch, length), np.float32)
        x[: len(bars)] = np.stack(bars)
        return list(self._fn(length)(x).numpy()[: len(bars)])

    def __call__(self, bars: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Features `(bar_frames, n_bins)` of each bar, in order."""
        out: list[np.ndarray | None] = [None] * len(bars)
        groups: dict[int, list[int]] = {}
        for i, b in enumerate(bars):
            groups.setdefault(int(len(b)), []).append(i)
        for length, idx in groups.items():
            fn = self._fn(length)
            for k in range(0, len(idx), self.batch):
                chunk = idx[k: k + self.batch]
                x = np.zeros((self.batch, length), np.float32)
                x[: len(chunk)] = np.stack([bars[i] for i in chunk])
                y = fn(x).numpy()
                for j, i in enumerate(chunk):
                    out[i] = y[j]
        return out  # type: ignore[return-value]


def bench_features(audio, n_files: int, repeats: int) -> list[Row]:
    import librosa
    import soundfile as sf
    import tensorflow as tf

    from drumaae.audio.bars import cut_bars
    from drumaae.audio.features import bar_features
    from drumaae.audio.io import load_audio

    tempi = (100.0, 128.0, 150.0)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n_files):
            bpm = tempi[i % len(tempi)]
            path = os.path.join(tmp, f"loop{i:03d}.wav")
            sf.write(path, synthetic_loop(audio.sample_rate, bpm, bars=4, seed=i,
                                          pattern=PATTERNS[i % 4]), audio.sample_rate)
            paths.append((path, bpm))

        def bars_of(path, bpm):
            x, sr = load_audio(path, audio.sample_rate)
            return cut_bars(x, sr, audio, bpm=bpm, bars=4).bars

        def gen():
            for path, bpm in paths:
                yield bars_of(path, bpm)

        def current():
            ds = (tf.data.Dataset.from_generator(
                      gen, output_signature=tf.TensorSpec([None, None], tf.float32))
                  .map(lambda b: bar_features(b, audio), num_parallel_calls=tf.data.AUTOTUNE)
                  .unbatch().batch(32).prefetch(tf.data.AUTOTUNE))
            return sum(int(b.shape[0]) for b in ds)

        if audio.bar_method != "variable_hop":
            bucketed = None
        else:
            bucketed = BucketedFeatures(audio, batch=32, jit=True)

        from concurrent.futures import ThreadPoolExecutor

        def fast():
            # Files are decoded and cut in two threads while XLA computes full buckets.
            with ThreadPoolExecutor(2) as pool:
                files = pool.map(lambda pb: bars_of(*pb), paths)
                return sum(1 for _ in bucketed.stream(files))

        def theirs():
            count = 0
            for path, bpm in paths:
                y, sr = librosa.load(path, sr=audio.sample_rate)
                for bar in cut_bars(y, sr, audio, bpm=bpm, bars=4).bars:
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
        current()
        trace = time.perf_counter() - t0
        cur_s, n_cur = timed(current, repeats)
        lib_s, n_lib = timed(theirs, repeats)
        assert n_cur == n_lib
        if bucketed is not None:
            fast()  # compiles one function per bar length (3 tempi here)
            fast_s, n_fast = timed(fast, repeats)
            assert n_fast == n_lib
            # Equal results: the bucketed XLA path against bar_features on one file's bars.
            b = bars_of(*paths[0])
            err = float(np.max(np.abs(np.stack(bucketed(list(b)))
                                      - bar_features(b, audio).numpy())))
    n = n_cur
    rows.append(Row("features", f"current tf.data pipeline, {n} bars / {n_files} files",
                    n_cur / cur_s, n_lib / lib_s, "bars/s", lib_s / cur_s,
                    f"vs librosa loop (load + cut + stft per bar); first run {trace:.2f} s "
                    "excluded"))
    if bucketed is None:
        rows.append(Row("features", "bucketed XLA pipeline", None,
                        note=f"skipped: implemented for bar_method variable_hop only, the recipe "
                             f"uses {audio.bar_method}"))
        return rows
    rows.append(Row("features", f"bucketed XLA pipeline (2 decode threads), {n} bars / "
                    f"{n_files} files",
                    n_fast / fast_s, n_lib / lib_s, "bars/s", lib_s / fast_s,
                    f"vs librosa loop; XLA compile {bucketed.compile_s:.2f} s for "
                    f"{len(bucketed._fns)} bar lengths excluded; max |diff| vs bar_features "
                    f"{err:.1e}"))
    return rows


# --- training -------------------------------------------------------------------------------

def _train_rate(recipe, batch: int, steps: int, repeats: int, precision: str | None = None
                ) -> tuple[float, float]:
    """(seconds per step, first-step seconds) for `steps` train steps at `batch`."""
    import keras

    from drumaae.models import build_model, compile_model

    old = keras.config.dtype_policy().name
    if precision:
        keras.config.set_dtype_policy(precision)
    try:
        model = compile_model(build_model(recipe), recipe)
        a = recipe.audio
        rng = np.random.default_rng(0)
        x = rng.random((batch, a.bar_frames, a.n_bins), dtype=np.float32)
        y = rng.integers(0, recipe.model.num_components, batch).astype(np.int32)
        t0 = time.perf_counter()
        model.train_on_batch(x, y)
        first = time.perf_counter() - t0

        def run():
            for _ in range(steps):
                model.train_on_batch(x, y)

        total, _ = timed(run, repeats)
        return total / steps, first
    finally:
        keras.config.set_dtype_policy(old)


def bench_training(recipe_name: str, batches: Sequence[int], steps: int, repeats: int
                   ) -> list[Row]:
    import tensorflow as tf

    from drumaae.config import load_recipe

    recipe = load_recipe(recipe_name)
    rows = []
    base = None
    for b in batches:
        per_step, first = _train_rate(recipe, b, steps, repeats, "float32")
        base = per_step if base is None else base
        rows.append(Row("training (CPU)", f"recipe {recipe_name}, batch {b}", 1.0 / per_step,
                        None, "steps/s", None,
                        f"{b / per_step:.1f} bars/s; {per_step / base:.2f}x the time per step "
                        f"of batch {batches[0]}; first step (trace) {first:.1f} s excluded"))
    if tf.config.list_physical_devices("GPU"):
        b = max(batches)
        f32, _ = _train_rate(recipe, b, steps, repeats, "float32")
        f16, _ = _train_rate(recipe, b, steps, repeats, "mixed_float16")
        rows.append(Row("training (GPU)", f"mixed_float16 vs float32, batch {b}", 1.0 / f16,
                        1.0 / f32, "steps/s", f32 / f16, f"{b / f16:.1f} vs {b / f32:.1f} bars/s"))
    else:
        rows.append(Row("training (GPU)", "float32 vs mixed_float16", None, None, "", None,
                        "no GPU: tf.config.list_physical_devices('GPU') is empty"))
    return rows


# --- interpolate ----------------------------------------------------------------------------

_RSS_WRAPPER = (
    "import json,resource,subprocess,sys,time\n"
    "t=time.perf_counter()\n"
    "p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE,text=True)\n"
    "w=time.perf_counter()-t\n"
    "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(json.dumps({'rc':p.returncode,'wall_s':w,'maxrss_kb':r,'stderr':p.stderr[-2000:]}))\n"
)


def measure_process(cmd: Sequence[str], timeout: float = 600) -> dict[str, Any]:
    """Run `cmd` in a child; wall seconds and peak RSS (``ru_maxrss``, KiB) of that child."""
    proc = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, *map(str, cmd)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"measuring {cmd[:3]} failed: {proc.stderr[-1000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["rc"] != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({out['rc']}): {out['stderr']}")
    return out


def _drumaae_exe() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "drumaae")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "drumaae_cli.main"]


def _model_file(cfg: BenchConfig, tmp: str) -> tuple[str, str]:
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
    import soundfile as sf

    from drumaae import inference
    from drumaae.models import model_audio
    from drumaae.registry import load_model_ref

    model = load_model_ref(model_path)
    audio = model_audio(model)
    sr = audio.sample_rate
    src, tgt = os.path.join(tmp, "src.wav"), os.path.join(tmp, "tgt.wav")
    sf.write(src, synthetic_loop(sr, 100.0, 2, seed=0, pattern="funk"), sr)
    sf.write(tgt, synthetic_loop(sr, 120.0, 1, seed=1, pattern="rock"), sr)
    rows: list[Row] = []

    # model only: encode the two bars, interpolate, decode (features, no Griffin-Lim)
    from drumaae.audio.features import bar_features

    bars = np.stack([synthetic_loop(sr, audio.reference_bpm, 1, seed=s)[: audio.bar_samples()]
                     for s in (0, 1)])
    backend = inference.load_backend(model)
    for steps in cfg.interp_steps:
        alphas = np.linspace(0.0, 1.0, steps)

        def model_only():
            z = model.encode(bar_features(bars, audio))
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
    if not cfg.subprocess:
        return rows
    res = measure_process([sys.executable, "-c", "import drumaae.inference, tensorflow"])
    rows.append(Row("interpolate", "import drumaae + tensorflow (child process)", res["wall_s"],
                    None, "s", None, "the fixed cost of any command"))
    for steps in cfg.e2e_steps:
        out = os.path.join(tmp, f"morph{steps}")
        res = measure_process(_drumaae_exe() + ["interpolate", src, tgt, "--steps", str(steps),
                                                "--out", out, "--model", model_path, "--force"])
        rows.append(Row("interpolate", f"end to end `drumaae interpolate --steps {steps}`",
                        res["wall_s"], None, "s", None,
                        f"subprocess incl. Python + TF import, tempo detection, files; "
                        f"peak RSS {res['maxrss_kb'] / 1024:.0f} MiB"))
        rows.append(Row("memory", f"peak RSS, drumaae interpolate --steps {steps}",
                        res["maxrss_kb"] / 1024.0, None, "MiB"))
    return rows


def bench_savedmodel(model_path: str, tmp: str, repeats: int, steps: int = 5) -> list[Row]:
    try:
        from drumaae.serving.export import export_model
    except ImportError as exc:
        return [Row("serving", "SavedModel latency per bar", None, note=f"skipped: {exc}")]
    import tensorflow as tf

    from drumaae.models import model_audio
    from drumaae.registry import load_model_ref

    model = load_model_ref(model_path)
    audio = model_audio(model)
    t0 = time.perf_counter()
    path = export_model(model, os.path.join(tmp, "export"), force=True)
    export_s = time.perf_counter() - t0
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["interpolate"]
    sr = audio.sample_rate
    src = tf.constant(synthetic_loop(sr, audio.reference_bpm, 1, seed=0)[: audio.bar_samples()])
    tgt = tf.constant(synthetic_loop(sr, audio.reference_bpm, 1, seed=1,
                                     pattern="funk")[: audio.bar_samples()])
    alphas = tf.constant(np.linspace(0, 1, steps), tf.float32)
    t0 = time.perf_counter()
    fn(source=src, target=tgt, alphas=alphas)
    first = time.perf_counter() - t0
    s, _ = timed(lambda: fn(source=src, target=tgt, alphas=alphas), repeats)
    enc = loaded.signatures["encode"]
    bars = tf.stack([src, tgt])
    enc(bars=bars)
    e_s, _ = timed(lambda: enc(bars=bars), repeats)
    return [
        Row("serving", f"SavedModel `interpolate` signature, {steps} steps: per output bar",
            s / steps * 1e3, None, "ms", None,
            f"{s * 1e3:.0f} ms per call incl. Griffin-Lim; first call {first:.2f} s; "
            f"export {export_s:.1f} s"),
        Row("serving", "SavedModel `encode` signature: per bar", e_s / 2 * 1e3, None, "ms"),
    ]


_TRAIN_SCRIPT = (
    "import os,sys\n"
    "os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL','2')\n"
    "import numpy as np\n"
    "from drumaae.config import load_recipe\n"
    "from drumaae.models import build_model, compile_model\n"
    "r=load_recipe(sys.argv[1]); b=int(sys.argv[2]); n=int(sys.argv[3])\n"
    "m=compile_model(build_model(r), r); a=r.audio\n"
    "x=np.random.default_rng(0).random((b,a.bar_frames,a.n_bins),dtype=np.float32)\n"
    "y=np.zeros(b,np.int32)\n"
    "for _ in range(n): m.train_on_batch(x,y)\n"
)


def bench_training_memory(recipe: str, batch: int, steps: int) -> list[Row]:
    res = measure_process([sys.executable, "-c", _TRAIN_SCRIPT, recipe, str(batch), str(steps)])
    return [Row("memory", f"peak RSS, training recipe {recipe} batch {batch} ({steps} steps)",
                res["maxrss_kb"] / 1024.0, None, "MiB", None,
                f"child process, in-memory batches; {res['wall_s']:.1f} s wall incl. import")]


# --- all ------------------------------------------------------------------------------------

def run_bench(cfg: BenchConfig | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every benchmark of `cfg`; returns ``{"machine", "load_before", "load_after",
    "date", "config", "rows": [Row as dict]}``."""
    from drumaae.config import load_recipe

    cfg = cfg or BenchConfig()
    say = progress or (lambda text: None)
    audio = load_recipe(cfg.recipe).audio
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = load_average()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        say("Griffin-Lim ...")
        rows += bench_griffin_lim(audio, cfg.gl_iters, cfg.gl_bars, cfg.repeats)
        say("feature pipeline ...")
        rows += bench_features(audio, cfg.files, cfg.repeats)
        say("training ...")
        rows += bench_training(cfg.recipe, cfg.train_batches, cfg.train_steps, cfg.repeats)
        model_path, model_label = _model_file(cfg, tmp)
        say("interpolate ...")
        rows += bench_interpolate(cfg, model_path, tmp)
        if cfg.savedmodel:
            say("SavedModel ...")
            try:
                rows += bench_savedmodel(model_path, tmp, cfg.repeats)
            except Exception as exc:  # a benchmark row must not end the run
                rows.append(Row("serving", "SavedModel latency per bar", None,
                                note=f"failed: {type(exc).__name__}: {exc}"[:200]))
        if cfg.subprocess:
            say("training memory ...")
            rows += bench_training_memory(cfg.recipe, max(cfg.train_batches), cfg.train_steps)
    return {
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_average(),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(),
        "model": model_label,
        "config": dataclasses.asdict(cfg),
        "rows": [dataclasses.asdict(r) for r in rows],
    }


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def format_rows(result: dict[str, Any]) -> str:
    """The result as a Markdown table with its machine, load and date."""
    m = result["machine"]
    gpu = ", ".join(m["gpus"]) if m["gpus"] else "no GPU"
    lines = [
        f"machine: {m['cores']} cores, {m['cpu']}, {m['os']}, {gpu}; Python {m['python']}, "
        f"TF {m['tensorflow']}, librosa {m['librosa']}",
        f"date: {result['date']}; load average (1, 5, 15 min) before {result['load_before']}, "
        f"after {result['load_after']}; recipe {result['config']['recipe']}; model "
        f"{result['model']}; {result['seconds']:.0f} s",
        "",
        "| group | measurement | ours | baseline | unit | ours vs baseline | note |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    for r in result["rows"]:
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
        lines.append(f"| {r['group']} | {r['task']} | {_num(r['ours'])} | "
                     f"{_num(r['baseline']) if r['baseline'] is not None else ''} | {r['unit']} "
                     f"| {ratio} | {r['note']} |")
    return "\n".join(lines)
