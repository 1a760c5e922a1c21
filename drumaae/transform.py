"""Audio-level API: encode, decode, interpolate, reconstruct and sample drum bars.

Everything here works on audio (files or arrays) and bars; the model is reached through a
small `Backend` protocol, so the same code runs a local Keras model (`LocalBackend`) or a
TF Serving model (`drumaae.serving.client.RestBackend`). Loading and cutting audio, alphas,
tempo and writing outputs are shared by both.

Example:
    >>> from drumaae import transform
    >>> backend = transform.load_backend("model.keras")     # load once, reuse
    >>> result = transform.interpolate("funk.wav", "rock.wav", steps=5, model=backend)
    >>> [round(a, 2) for a in result.alphas]
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> transform.save_interpolation(result, "morph/")       # WAVs, PNG, manifest.json
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, Union, runtime_checkable

import numpy as np

from drumaae.config import AudioConfig
from drumaae.errors import (
    AudioError,
    DrumaaeError,
    ModelError,
    OutputExistsError,
    UnknownModelError,
)
from drumaae.version import __version__

__all__ = [
    "Backend",
    "LocalBackend",
    "load_backend",
    "Encoded",
    "Interpolation",
    "Reconstruction",
    "Sampled",
    "encode",
    "decode",
    "interpolate",
    "reconstruct",
    "sample",
    "interpolation_alphas",
    "step_tempos",
    "save_codes",
    "load_codes",
    "save_interpolation",
    "save_bars",
    "check_out_dir",
    "check_new_file",
    "StagedFolder",
    "step_file_name",
    "TEMPO_MODES",
]

AudioInput = Union[str, os.PathLike, tuple]
"""A file path, or an ``(samples, sample_rate)`` pair of a float array and its rate in Hz."""

TEMPO_MODES = ("source", "target", "blend")
MAX_BPM = 400.0


# --- backends -----------------------------------------------------------------------------

@runtime_checkable
class Backend(Protocol):
    """What the transform functions need from a model, wherever it runs.

    Attributes:
        audio: the model's AudioConfig (sample rate, bar frames...).
    """

    audio: AudioConfig

    def encode_bars(self, bars: np.ndarray) -> np.ndarray:
        """float32 `(n, bar_length)` waveforms at `audio.sample_rate` -> codes `(n, d)`."""

    def decode_codes(self, codes: np.ndarray, bar_length: int, *, iters: int,
                     seed: int) -> np.ndarray:
        """Codes `(n, d)` -> float32 `(n, bar_length)` waveforms (Griffin-Lim, `iters`)."""


class LocalBackend:
    """A `Backend` over a DrumAAE in this process.

    Args:
        model: a loaded `DrumAAE`.
        ref: how the model was named (a path or URI), recorded in manifests.
    """

    def __init__(self, model: Any, ref: str | None = None):
        from drumaae.models import model_audio

        self.model = model
        self.ref = ref if ref is not None else f"<in-memory {getattr(model, 'name', 'model')}>"
        self.audio = model_audio(model)

    @property
    def latent_dim(self) -> int:
        return int(self.model.encoder.latent_dim)

    @property
    def num_components(self) -> int:
        return int(self.model.prior.num_components)

    def encode_bars(self, bars: np.ndarray) -> np.ndarray:
        from drumaae.audio.features import bar_features

        feats = bar_features(np.asarray(bars, np.float32), self.audio)
        return np.asarray(self.model.encode(feats), np.float32)

    def decode_codes(self, codes: np.ndarray, bar_length: int, *, iters: int,
                     seed: int) -> np.ndarray:
        feats = self.model.decode(np.asarray(codes, np.float32))
        out = self._render(feats, np.int32(bar_length), int(iters), int(seed))
        return np.asarray(out, np.float32)

    def _render(self, feats, bar_length, iters: int, seed: int):
        """Griffin-Lim in one traced graph per (iters, seed), the bar length a tensor input:
        eager Griffin-Lim runs its loop op by op, 4-7x slower (measured by `drumaae bench`)."""
        import tensorflow as tf

        from drumaae.audio.features import render_bars

        key = (iters, seed)
        fns = self.__dict__.setdefault("_render_fns", {})
        if key not in fns:
            audio = self.audio
            fns[key] = tf.function(
                lambda f, n: render_bars(f, audio, n, iters=iters, seed=seed),
                input_signature=[tf.TensorSpec([None, audio.bar_frames, audio.n_bins],
                                               tf.float32),
                                 tf.TensorSpec([], tf.int32)])
        return fns[key](tf.convert_to_tensor(feats, tf.float32), bar_length)

    def sample_codes(self, n: int, component: int | None, seed: int | None) -> np.ndarray:
        return np.asarray(self.model.sample_codes(n, component=component, seed=seed),
                          np.float32)


_CACHE: dict[tuple, LocalBackend] = {}


def _load_ref(ref: str | None, tracking_uri: str | None = None) -> Any:
    """Load a model reference through the registry (bundled default, path or MLflow URI)."""
    try:
        from drumaae.registry import load_model_ref
    except ModuleNotFoundError as exc:
        if exc.name != "drumaae.registry":
            raise
        load_model_ref = None
    if load_model_ref is not None:
        return load_model_ref(ref, tracking_uri=tracking_uri, compile=False)
    # Until the registry lands: paths only.
    if ref is None:
        raise ModelError("no bundled default model is installed: pass --model PATH.keras")
    if "://" in ref or ref.startswith(("models:/", "runs:/")):
        raise UnknownModelError(f"cannot resolve {ref}: MLflow model URIs need drumaae.registry;"
                                " pass a .keras file instead")
    from drumaae.models import load_model

    return load_model(ref, compile=False)


def load_backend(model: Any = None, *, tracking_uri: str | None = None) -> Backend:
    """A backend for `model`: a `Backend` (returned as is), a DrumAAE, a model reference
    (path or MLflow URI, resolved in the MLflow store `tracking_uri`) or None (the bundled
    default). References are loaded once per process and reused."""
    if isinstance(model, Backend) and not _is_keras_model(model):
        return model
    if _is_keras_model(model):
        return LocalBackend(model)
    if model is not None and not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a DrumAAE, a Backend, a reference or None, "
                        f"got {type(model).__name__}")
    ref = None if model is None else os.fspath(model)
    key = (ref, _mtime(ref), tracking_uri)
    if key not in _CACHE:
        _CACHE[key] = LocalBackend(_load_ref(ref, tracking_uri),
                                   ref=ref if ref is not None else "default")
    return _CACHE[key]


def _is_keras_model(obj: Any) -> bool:
    return hasattr(obj, "encoder") and hasattr(obj, "generator") and hasattr(obj, "prior")


def _mtime(ref: str | None) -> float | None:
    try:
        return os.path.getmtime(ref) if ref else None
    except OSError:
        return None


def _ref(backend: Backend) -> str:
    return str(getattr(backend, "ref", type(backend).__name__))


# --- inputs -------------------------------------------------------------------------------

@dataclass
class Source:
    """Where audio came from: `path` (None for an array), sha256 of the file (or of the
    float32 samples), the original rate, channels and duration in seconds."""

    name: str
    path: str | None
    sha256: str
    sample_rate: int
    duration: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "sha256": self.sha256,
                "sample_rate": self.sample_rate, "duration": round(self.duration, 6)}


def _sha256_file(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _load(audio: AudioInput, cfg: AudioConfig, name: str = "audio"
          ) -> tuple[np.ndarray, Source]:
    """Mono float32 samples at the model's rate, and where they came from."""
    from drumaae.audio.io import check_samples, decode_audio

    min_seconds = 60.0 / MAX_BPM
    if isinstance(audio, (str, os.PathLike)):
        path = os.fspath(audio)
        decoded = decode_audio(path, cfg.sample_rate, min_seconds=min_seconds)
        src = Source(os.path.basename(path), os.path.abspath(path), _sha256_file(path),
                     decoded.source_rate, decoded.samples.size / cfg.sample_rate)
        return decoded.samples, src
    if isinstance(audio, tuple) and len(audio) == 2:
        samples, rate = audio
        if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate <= 0:
            raise AudioError(f"{name}: the sample rate must be a positive integer in Hz, "
                             f"got {rate!r}")
        x = check_samples(np.asarray(samples), int(rate), name, min_seconds)
        if x.ndim == 2:
            x = x.mean(axis=1, dtype=np.float32)
        elif x.ndim != 1:
            raise AudioError(f"{name}: samples must be (samples,) or (samples, channels), "
                             f"got shape {x.shape}")
        if int(rate) != cfg.sample_rate:
            import soxr

            x = soxr.resample(x, int(rate), cfg.sample_rate, quality="HQ").astype(np.float32)
        x = np.clip(np.ascontiguousarray(x, np.float32), -1.0, 1.0)
        digest = hashlib.sha256(np.ascontiguousarray(samples, np.float32).tobytes()).hexdigest()
        return x, Source(name, None, digest, int(rate), x.size / cfg.sample_rate)
    raise AudioError(f"{name}: give a file path or a (samples, sample_rate) pair, got "
                     f"{type(audio).__name__}")


# --- results ------------------------------------------------------------------------------

@dataclass
class Encoded:
    """Codes of the bars of one recording.

    Attributes:
        codes: float32 `(n_bars, latent_dim)`.
        bpm: tempo of the bars in BPM.
        bar_length: samples per bar at `sample_rate` (``audio.bar_samples(bpm)``).
        sample_rate: the model's rate in Hz.
        bars: indices of the encoded bars in the recording.
        starts: start sample of each encoded bar (at `sample_rate`).
        n_bars: bars in the whole recording.
        source: where the audio came from (None for codes read back from a file).
        model: the model reference.
        waveforms: float32 `(n_bars, bar_length)`: the encoded bars themselves.
    """

    codes: np.ndarray
    bpm: float
    bar_length: int
    sample_rate: int
    bars: list[int]
    starts: list[int] = field(default_factory=list)
    n_bars: int = 0
    source: Source | None = None
    model: str = ""
    waveforms: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        return {"model": self.model, "bpm": round(self.bpm, 4), "bar_length": self.bar_length,
                "sample_rate": self.sample_rate, "bars": list(self.bars),
                "n_bars": self.n_bars, "latent_dim": int(self.codes.shape[-1]),
                "source": self.source.to_dict() if self.source else None}


@dataclass
class Interpolation:
    """A source bar morphed into a target bar.

    Attributes:
        alphas: `(steps,)` weights, 0 (source) .. 1 (target).
        codes: float32 `(steps, latent_dim)`: z(a) = (1 - a) z_src + a z_tgt.
        bars: `steps` float32 waveforms, each one bar at its step's tempo.
        bpms: tempo of each step in BPM.
        tempo: the tempo rule (``source``, ``target``, ``blend`` or a number).
        source, target: the `Encoded` selected bars of the two inputs (with waveforms).
        sample_rate: rate of `bars` in Hz.
        model: the model reference.
        iters, seed: Griffin-Lim iterations and phase seed.
    """

    alphas: np.ndarray
    codes: np.ndarray
    bars: list[np.ndarray]
    bpms: list[float]
    tempo: str | float
    source: Encoded
    target: Encoded
    sample_rate: int
    model: str
    iters: int
    seed: int

    @property
    def steps(self) -> int:
        return len(self.alphas)


@dataclass
class Reconstruction:
    """A recording encoded and decoded bar by bar: `audio` is the bars concatenated."""

    audio: np.ndarray
    encoded: Encoded
    sample_rate: int
    iters: int
    seed: int


@dataclass
class Sampled:
    """Bars decoded from prior samples: `bars` float32 `(n, bar_length)`, `codes` `(n, d)`."""

    bars: np.ndarray
    codes: np.ndarray
    bpm: float
    sample_rate: int
    component: int | None
    model: str
    seed: int | None


# --- the operations -----------------------------------------------------------------------

def _check_bpm(bpm: Any, what: str = "bpm") -> float:
    try:
        value = float(bpm)
    except (TypeError, ValueError):
        raise DrumaaeError(f"{what} must be a number of beats per minute, got {bpm!r}") from None
    if not (0.0 < value <= MAX_BPM) or not np.isfinite(value):
        raise DrumaaeError(f"{what} must be in (0, {MAX_BPM:g}] BPM, got {bpm!r}")
    return value


def _iters(backend: Backend, iters: int | None) -> int:
    if iters is None:
        return int(backend.audio.griffin_lim_iters)
    if int(iters) < 1:
        raise DrumaaeError(f"Griffin-Lim iterations must be >= 1, got {iters}")
    return int(iters)


def _select(n_bars: int, bar: int | Sequence[int] | None, name: str) -> list[int]:
    if bar is None:
        return list(range(n_bars))
    wanted = [bar] if isinstance(bar, (int, np.integer)) else list(bar)
    for b in wanted:
        if not -n_bars <= int(b) < n_bars:
            raise DrumaaeError(f"{name} has {n_bars} bar{'s' * (n_bars != 1)}: bar {b} does "
                               f"not exist (bars are numbered from 0; use --bar 0..{n_bars - 1})")
    return [int(b) % n_bars for b in wanted]


def encode(audio: AudioInput, *, model: Any = None, bpm: float | None = None,
           bars: int | None = None, bar: int | Sequence[int] | None = None,
           sample_rate: int | None = None, name: str | None = None) -> Encoded:
    """Encode the bars of a recording.

    Args:
        audio: a file path, or a float array `(samples,)`/`(samples, channels)` (then give
            `sample_rate`, or pass ``(samples, sample_rate)``).
        model: a DrumAAE, a `Backend`, a model reference, or None (bundled default).
        bpm: the recording's tempo, if known (else detected).
        bars: how many bars a loop holds, if known (the tempo follows from the duration).
        bar: encode only this bar (or these bars), numbered from 0; default all.
        sample_rate: rate in Hz of an array `audio`.
        name: what to call an array input in messages.

    Returns:
        `Encoded` with codes `(n, latent_dim)`.
    """
    from drumaae.audio.bars import cut_bars

    backend = load_backend(model)
    if sample_rate is not None and not isinstance(audio, tuple):
        audio = (audio, sample_rate)
    label = name or (os.path.basename(os.fspath(audio)) if isinstance(audio, (str, os.PathLike))
                     else "audio array")
    samples, source = _load(audio, backend.audio, label)
    if bpm is not None:
        bpm = _check_bpm(bpm)
    cut = cut_bars(samples, backend.audio.sample_rate, backend.audio, bpm=bpm, bars=bars)
    chosen = _select(cut.n_bars, bar, label)
    waves = cut.bars[chosen]
    codes = np.asarray(backend.encode_bars(waves), np.float32)
    return Encoded(codes=codes, bpm=float(cut.bpm), bar_length=int(cut.bar_length),
                   sample_rate=backend.audio.sample_rate, bars=chosen,
                   starts=[int(cut.starts[i]) for i in chosen], n_bars=cut.n_bars,
                   source=source, model=_ref(backend), waveforms=waves)


def decode(codes: Any, *, model: Any = None, bpm: float | None = None,
           iters: int | None = None, seed: int = 0) -> np.ndarray:
    """Decode codes to audio: one bar per code at `bpm`, concatenated.

    Args:
        codes: `(n, latent_dim)` or `(latent_dim,)` codes, or an `Encoded` (its tempo is the
            default `bpm`).
        model: as in `encode`.
        bpm: output tempo in BPM (default: the `Encoded`'s, else the model's reference tempo).
        iters: Griffin-Lim iterations (default: the model's recipe).
        seed: Griffin-Lim phase seed.

    Returns:
        float32 `(n * bar_length,)` at the model's sample rate.
    """
    backend = load_backend(model)
    if isinstance(codes, Encoded):
        bpm = codes.bpm if bpm is None else bpm
        codes = codes.codes
    z = _codes_array(codes, backend)
    bpm = _check_bpm(backend.audio.reference_bpm if bpm is None else bpm)
    bar_length = backend.audio.bar_samples(bpm)
    out = backend.decode_codes(z, bar_length, iters=_iters(backend, iters), seed=int(seed))
    return np.asarray(out, np.float32).reshape(-1)


def _codes_array(codes: Any, backend: Backend) -> np.ndarray:
    z = np.asarray(codes, np.float32)
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[0] == 0:
        raise DrumaaeError(f"codes must be (n, latent_dim) with n >= 1, got shape {z.shape}")
    dim = getattr(backend, "latent_dim", None)
    if dim is not None and z.shape[1] != dim:
        raise DrumaaeError(f"the codes have {z.shape[1]} dimensions but the model's latent "
                           f"size is {dim}: decode them with the model that encoded them")
    if not np.all(np.isfinite(z)):
        raise DrumaaeError("the codes hold NaN or infinite values")
    return z


def interpolation_alphas(steps: int) -> np.ndarray:
    """`steps` evenly spaced weights from 0 (source) to 1 (target), float32."""
    if isinstance(steps, bool) or int(steps) != steps or steps < 2:
        raise DrumaaeError(f"steps must be a whole number >= 2 (the source and the target), "
                           f"got {steps!r}")
    return np.linspace(0.0, 1.0, int(steps), dtype=np.float32)


def step_tempos(alphas: np.ndarray, tempo: str | float, src_bpm: float, tgt_bpm: float
                ) -> list[float]:
    """Tempo in BPM of each step: the source's, the target's, interpolated (``blend``)
    or a fixed number."""
    if isinstance(tempo, str) and tempo not in TEMPO_MODES:
        try:
            tempo = float(tempo)
        except ValueError:
            raise DrumaaeError(f"tempo must be one of {', '.join(TEMPO_MODES)} or a BPM "
                               f"number, got {tempo!r}") from None
    if tempo == "source":
        return [float(src_bpm)] * len(alphas)
    if tempo == "target":
        return [float(tgt_bpm)] * len(alphas)
    if tempo == "blend":
        return [float((1.0 - a) * src_bpm + a * tgt_bpm) for a in np.asarray(alphas, float)]
    return [_check_bpm(tempo, "tempo")] * len(alphas)


def _decode_steps(backend: Backend, codes: np.ndarray, bpms: list[float], iters: int,
                  seed: int) -> list[np.ndarray]:
    """Decode each code at its own tempo, batching the steps that share a bar length."""
    lengths = [backend.audio.bar_samples(b) for b in bpms]
    out: list[np.ndarray | None] = [None] * len(lengths)
    for length in sorted(set(lengths)):
        idx = [i for i, n in enumerate(lengths) if n == length]
        waves = np.asarray(backend.decode_codes(codes[idx], length, iters=iters, seed=seed),
                           np.float32)
        for row, i in enumerate(idx):
            out[i] = waves[row]
    return out  # type: ignore[return-value]


def interpolate(src: AudioInput, tgt: AudioInput, *, steps: int = 5, model: Any = None,
                tempo: str | float = "source", src_bar: int = 0, tgt_bar: int = 0,
                src_bpm: float | None = None, tgt_bpm: float | None = None,
                src_bars: int | None = None, tgt_bars: int | None = None,
                iters: int | None = None, seed: int = 0) -> Interpolation:
    """Morph one bar of `src` into one bar of `tgt` through the latent space.

    z(a) = (1 - a) z_src + a z_tgt for a = linspace(0, 1, steps); a = 0 decodes the source's
    code (its reconstruction), a = 1 the target's.

    Args:
        src, tgt: file paths or ``(samples, sample_rate)`` pairs.
        steps: number of outputs (>= 2).
        model: a DrumAAE, a `Backend`, a model reference or None (bundled default).
        tempo: ``source`` (default), ``target``, ``blend`` (each step's tempo interpolated
            like its code) or a BPM number.
        src_bar, tgt_bar: which bar of each input (from 0).
        src_bpm, tgt_bpm: the inputs' tempi if known (else detected).
        src_bars, tgt_bars: bar counts of the input loops if known.
        iters: Griffin-Lim iterations (default: the model's recipe).
        seed: Griffin-Lim phase seed.

    Returns:
        An `Interpolation`.
    """
    alphas = interpolation_alphas(steps)
    if not isinstance(tempo, str) or tempo not in TEMPO_MODES:
        step_tempos(alphas[:1], tempo, 1.0, 1.0)  # a bad tempo fails before any work
    backend = load_backend(model)
    iters = _iters(backend, iters)
    a = encode(src, model=backend, bpm=src_bpm, bars=src_bars, bar=src_bar, name=_label(src,
               "source"))
    b = encode(tgt, model=backend, bpm=tgt_bpm, bars=tgt_bars, bar=tgt_bar, name=_label(tgt,
               "target"))
    z_src, z_tgt = a.codes[0], b.codes[0]
    w = alphas[:, None]
    codes = ((1.0 - w) * z_src[None] + w * z_tgt[None]).astype(np.float32)
    bpms = step_tempos(alphas, tempo, a.bpm, b.bpm)
    waves = _decode_steps(backend, codes, bpms, iters, int(seed))
    return Interpolation(alphas=alphas, codes=codes, bars=waves, bpms=bpms, tempo=tempo,
                         source=a, target=b, sample_rate=backend.audio.sample_rate,
                         model=_ref(backend), iters=iters, seed=int(seed))


def _label(audio: AudioInput, role: str) -> str | None:
    return None if isinstance(audio, (str, os.PathLike)) else f"{role} array"


def reconstruct(audio: AudioInput, *, model: Any = None, bpm: float | None = None,
                bars: int | None = None, bar: int | Sequence[int] | None = None,
                iters: int | None = None, seed: int = 0) -> Reconstruction:
    """Encode and decode a recording bar by bar (what the model keeps of it).

    Returns:
        `Reconstruction`: `audio` float32, the chosen bars concatenated at their tempo.
    """
    backend = load_backend(model)
    enc = encode(audio, model=backend, bpm=bpm, bars=bars, bar=bar)
    iters = _iters(backend, iters)
    waves = backend.decode_codes(enc.codes, enc.bar_length, iters=iters, seed=int(seed))
    return Reconstruction(audio=np.asarray(waves, np.float32).reshape(-1), encoded=enc,
                          sample_rate=enc.sample_rate, iters=iters, seed=int(seed))


def sample(n: int, *, component: int | None = None, bpm: float = 128.0,
           seed: int | None = None, model: Any = None, iters: int | None = None) -> Sampled:
    """Decode `n` bars from codes drawn from the model's Gaussian-mixture prior.

    Args:
        n: bars to draw (>= 1).
        component: draw from this mixture component (0..K-1), or from the whole mixture.
        bpm: tempo of the rendered bars.
        seed: seed of the prior draw and of Griffin-Lim's phases.
    """
    backend = load_backend(model)
    if not hasattr(backend, "sample_codes"):
        raise DrumaaeError("this model backend cannot draw from the prior (a served model "
                           "has no prior): sample with a local --model")
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise DrumaaeError(f"n must be a whole number >= 1, got {n!r}")
    k = getattr(backend, "num_components", None)
    if component is not None and k is not None and not 0 <= int(component) < k:
        raise DrumaaeError(f"component must be in 0..{k - 1} (the model's prior has {k}), "
                           f"got {component}")
    bpm = _check_bpm(bpm)
    codes = np.asarray(backend.sample_codes(int(n), component, seed), np.float32)
    length = backend.audio.bar_samples(bpm)
    waves = backend.decode_codes(codes, length, iters=_iters(backend, iters),
                                 seed=int(seed or 0))
    return Sampled(bars=np.asarray(waves, np.float32), codes=codes, bpm=bpm,
                   sample_rate=backend.audio.sample_rate, component=component,
                   model=_ref(backend), seed=seed)


# --- writing outputs ----------------------------------------------------------------------

def check_new_file(path: str, force: bool) -> None:
    """Refuse to overwrite a file unless `force` (and refuse a folder always)."""
    if os.path.isdir(path):
        raise OutputExistsError(f"{path} is a folder: give a file name")
    if os.path.exists(path) and not force:
        raise OutputExistsError(f"{path} already exists: pass --force to overwrite it or "
                                "choose another name")


def _user_mode(path: str, mode: int = 0o666) -> None:
    """Give a file made by mkstemp (0600) the mode the user's umask would have given it."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def _atomic_write(path: str, write) -> str:
    """Call ``write(tmp_path)`` on a temporary file beside `path`, then move it into place."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        raise DrumaaeError(f"the folder {folder} does not exist: create it first")
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write(tmp)
        _user_mode(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def save_codes(encoded: Encoded, path: str | os.PathLike, *, force: bool = False) -> str:
    """Write codes as ``.npz`` (codes, bpm, bar_length, sample_rate, bars, model) or as
    ``.json`` (the same keys, codes as lists), chosen by the extension."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".npz", ".json"):
        raise DrumaaeError(f"codes are written as .npz or .json, not {ext or 'no extension'}: "
                           f"rename {path}")
    check_new_file(path, force)
    meta = {"bpm": float(encoded.bpm), "bar_length": int(encoded.bar_length),
            "sample_rate": int(encoded.sample_rate), "bars": [int(b) for b in encoded.bars],
            "model": encoded.model, "drumaae_version": __version__,
            "source": encoded.source.to_dict() if encoded.source else None}
    if ext == ".json":
        data = {"codes": np.asarray(encoded.codes, float).tolist(), **meta}
        text = json.dumps(data, indent=2)

        def write(tmp):
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text + "\n")
    else:
        def write(tmp):
            with open(tmp, "wb") as f:
                np.savez(f, codes=np.asarray(encoded.codes, np.float32),
                         bpm=np.float64(meta["bpm"]), bar_length=np.int64(meta["bar_length"]),
                         sample_rate=np.int64(meta["sample_rate"]),
                         bars=np.asarray(meta["bars"], np.int64),
                         model=np.str_(meta["model"]),
                         meta=np.str_(json.dumps(meta)))
    return _atomic_write(path, write)


def load_codes(path: str | os.PathLike) -> Encoded:
    """Read codes written by `save_codes` (``.npz`` or ``.json``)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DrumaaeError(f"no codes file {path}: give a .npz or .json written by "
                           "'drumaae encode'")
    name = os.path.basename(path)
    try:
        if path.lower().endswith(".json"):
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            meta = data
        else:
            with np.load(path, allow_pickle=False) as data_npz:
                data = {k: data_npz[k] for k in data_npz.files}
            meta = json.loads(str(data["meta"])) if "meta" in data else {}
            meta = {**meta, "bpm": float(data["bpm"]), "bar_length": int(data["bar_length"]),
                    "sample_rate": int(data["sample_rate"])}
        codes = np.asarray(data["codes"], np.float32)
        bpm = float(meta["bpm"])
    except (KeyError, ValueError, TypeError, OSError, json.JSONDecodeError) as exc:
        raise DrumaaeError(f"{name} is not a codes file written by 'drumaae encode' "
                           f"({type(exc).__name__}: {exc}); encode the audio again") from exc
    if codes.ndim == 1:
        codes = codes[None]
    return Encoded(codes=codes, bpm=bpm, bar_length=int(meta.get("bar_length", 0)),
                   sample_rate=int(meta.get("sample_rate", 0)),
                   bars=[int(b) for b in meta.get("bars", range(len(codes)))],
                   model=str(meta.get("model", "")))


def check_out_dir(out_dir: str, force: bool) -> None:
    """An output folder may be new or empty; a non-empty one needs `force`."""
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise OutputExistsError(f"{out_dir} exists and is not a folder: choose another --out")
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not force:
        raise OutputExistsError(f"{out_dir} already exists and is not empty: pass --force to "
                                "replace drumaae's files in it, or choose another --out")
    parent = os.path.dirname(os.path.abspath(out_dir))
    if not os.path.isdir(parent):
        raise DrumaaeError(f"the folder {parent} does not exist: create it first")


class StagedFolder:
    """Write a folder's files into a temporary folder beside it, then move them into place.

    A failure leaves nothing at `out_dir`. An existing folder is only used with `force`; then
    the files of drumaae's earlier manifest there are removed and the new files moved in
    (other files in the folder are left alone).
    """

    def __init__(self, out_dir: str | os.PathLike, force: bool = False):
        self.final = os.path.abspath(os.fspath(out_dir))
        self.force = force
        check_out_dir(self.final, force)
        self.tmp: str | None = None

    def __enter__(self) -> "StagedFolder":
        parent = os.path.dirname(self.final)
        self.tmp = tempfile.mkdtemp(prefix=f".partial-{os.path.basename(self.final)}-",
                                    dir=parent)
        return self

    def path(self, name: str) -> str:
        return os.path.join(self.tmp, name)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            if self.tmp and os.path.exists(self.tmp):
                shutil.rmtree(self.tmp, ignore_errors=True)

    def _commit(self) -> None:
        # mkdtemp/mkstemp make private (0700/0600) entries: give them the user's usual modes.
        _user_mode(self.tmp, 0o777)
        for name in os.listdir(self.tmp):
            _user_mode(os.path.join(self.tmp, name))
        if not os.path.exists(self.final):
            os.rename(self.tmp, self.final)
            return
        if os.listdir(self.final):
            for old in _manifest_files(self.final):
                target = os.path.join(self.final, old)
                if os.path.isfile(target):
                    os.remove(target)
        names = sorted(os.listdir(self.tmp))
        # manifest.json last: it names the files, so it never points at missing ones.
        names.sort(key=lambda n: n == "manifest.json")
        for name in names:
            os.replace(os.path.join(self.tmp, name), os.path.join(self.final, name))


def _manifest_files(folder: str) -> list[str]:
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return []
    names = [f.get("file") for f in manifest.get("files", []) if isinstance(f, dict)]
    if isinstance(manifest.get("figure"), str):
        names.append(manifest["figure"])
    return [n for n in names if isinstance(n, str) and os.path.basename(n) == n]


def step_file_name(index: int, alpha: float) -> str:
    """``00_alpha0.00.wav``: the step's index and alpha."""
    return f"{index:02d}_alpha{alpha:.2f}.wav"


def save_interpolation(result: Interpolation, out_dir: str | os.PathLike, *,
                       force: bool = False, figure: bool = True,
                       model_ref: str | None = None) -> dict[str, Any]:
    """Write an interpolation: one WAV per step (``00_alpha0.00.wav``...), a PNG of the
    steps' spectrograms (``interpolation.png``) and ``manifest.json``.

    Written to a temporary folder beside `out_dir` and moved into place: a failure leaves
    nothing half-written. Returns the manifest.
    """
    from drumaae.audio.io import save_wav

    out_dir = os.fspath(out_dir)
    sr = result.sample_rate
    files = []
    with StagedFolder(out_dir, force) as stage:
        for i, (alpha, wave, bpm) in enumerate(zip(result.alphas, result.bars, result.bpms)):
            name = step_file_name(i, float(alpha))
            save_wav(stage.path(name), wave, sr)
            files.append({"file": name, "alpha": round(float(alpha), 6), "bpm": round(bpm, 4),
                          "samples": int(len(wave)), "seconds": round(len(wave) / sr, 6)})
        fig_name = None
        if figure:
            from drumaae.plotting import interpolation_figure, log_spectrogram

            fig_name = "interpolation.png"
            interpolation_figure([log_spectrogram(w, sr) for w in result.bars],
                                 [float(a) for a in result.alphas], stage.path(fig_name),
                                 bpms=result.bpms, sample_rate=sr,
                                 title=f"{_input_name(result.source)} -> "
                                       f"{_input_name(result.target)}")
        manifest = interpolation_manifest(result, files, fig_name, model_ref)
        with open(stage.path("manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
    manifest["out_dir"] = os.path.abspath(out_dir)
    return manifest


def _input_name(enc: Encoded) -> str:
    return enc.source.name if enc.source else "?"


def interpolation_manifest(result: Interpolation, files: list[dict], figure: str | None,
                           model_ref: str | None = None) -> dict[str, Any]:
    """What `save_interpolation` writes to manifest.json."""

    def inp(role: str, enc: Encoded) -> dict[str, Any]:
        return {"role": role, **(enc.source.to_dict() if enc.source else {}),
                "bar": enc.bars[0], "n_bars": enc.n_bars, "bpm": round(enc.bpm, 4),
                "bar_length": enc.bar_length, "start": enc.starts[0] if enc.starts else 0,
                "code": np.asarray(enc.codes[0], float).tolist()}

    tempo = result.tempo if isinstance(result.tempo, str) else float(result.tempo)
    return {
        "kind": "drumaae.interpolation",
        "drumaae_version": __version__,
        "model": model_ref if model_ref is not None else result.model,
        "inputs": [inp("source", result.source), inp("target", result.target)],
        "steps": result.steps,
        "alphas": [round(float(a), 6) for a in result.alphas],
        "tempo": tempo,
        "bpm": [round(b, 4) for b in result.bpms],
        "sample_rate": result.sample_rate,
        "griffin_lim_iters": result.iters,
        "seed": result.seed,
        "files": files,
        "figure": figure,
        "codes": np.asarray(result.codes, float).tolist(),
    }


def save_bars(bars: Sequence[np.ndarray], sample_rate: int, out: str | os.PathLike, *,
              force: bool = False, names: Sequence[str] | None = None,
              manifest: dict[str, Any] | None = None) -> list[str]:
    """Write one WAV (`out` ends in .wav: the bars concatenated) or a folder of WAVs named
    `names` plus ``manifest.json``; atomically either way. Returns the paths written."""
    from drumaae.audio.io import save_wav

    out = os.fspath(out)
    if out.lower().endswith(".wav"):
        check_new_file(out, force)
        if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
            raise DrumaaeError(f"the folder of {out} does not exist: create it first")
        save_wav(out, np.concatenate([np.asarray(b, np.float32).reshape(-1) for b in bars]),
                 sample_rate)
        _user_mode(out)
        return [out]
    names = list(names or [f"{i:02d}.wav" for i in range(len(bars))])
    with StagedFolder(out, force) as stage:
        for name, wave in zip(names, bars):
            save_wav(stage.path(name), wave, sample_rate)
        if manifest is not None:
            with open(stage.path("manifest.json"), "w", encoding="utf-8") as f:
                json.dump(manifest, f, indent=2)
                f.write("\n")
    return [os.path.join(out, n) for n in names]
