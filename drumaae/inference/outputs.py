"""What the operations return (`Encoded`, `Interpolation`, `Reconstruction`, `Sampled`) and
how results are written: codes files, interpolation folders with their manifest, WAV bars.

Files are written through `drumaae.fileio` (atomic files, claimed targets, staged folders), so
a failure or a kill leaves nothing half-written, two runs to one output cannot both succeed,
and ``force`` replaces only drumaae's own earlier output. Every manifest is built by
`build_manifest` (kind, producer, version, then the output's fields).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from drumaae import limits
from drumaae.errors import DrumaaeError, LimitError
from drumaae.fileio import StagedFolder, claim, manifest_header, write_file, write_manifest
from drumaae.version import __version__

__all__ = [
    "Source",
    "Encoded",
    "Interpolation",
    "Reconstruction",
    "Sampled",
    "save_codes",
    "load_codes",
    "save_interpolation",
    "interpolation_manifest",
    "save_bars",
    "save_samples",
    "build_manifest",
    "check_codes_model",
    "check_rendered",
    "check_output_audio",
    "loudness_manifest",
    "INTERPOLATION_KIND",
    "SAMPLE_KIND",
    "step_file_name",
]


@dataclass
class Source:
    """Where audio came from: `path` (None for an array), sha256 of the file (or of the
    float32 samples), the original rate, duration in seconds and channels."""

    name: str
    path: str | None
    sha256: str
    sample_rate: int
    duration: float
    channels: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "sha256": self.sha256,
                "sample_rate": self.sample_rate, "channels": self.channels,
                "duration": round(self.duration, 6)}


@dataclass
class Encoded:
    """Codes of the bars of one recording.

    Attributes:
        codes: float32 `(n_bars, latent_dim)`.
        bpm: tempo of the bars in BPM.
        bar_length: samples per output bar at `sample_rate` (``audio.bar_samples(bpm)``).
        sample_rate: the model's rate in Hz.
        bars: indices of the encoded bars in the recording.
        starts: start sample of each encoded bar (at `sample_rate`).
        n_bars: bars in the whole recording.
        source: where the audio came from (None for codes read back from a file).
        model: the model reference.
        model_identity: the model's provenance (`drumaae.registry.model_identity`: ``ref``,
            ``sha256``, registry version / run id or path), or None when unknown.
        waveforms: float32 `(n_bars, audio.grid_samples(bpm))`: the encoded bars
            themselves, as cut on the model's frame grid.
        lufs: each encoded bar's loudness (ITU-R BS.1770, LUFS; -inf or None: silent or
            unknown): what decoding brings the bar back to.
        tempo: how the tempo and bar count were decided
            (`drumaae.audio.bars.TempoReading`: source, alternatives), or None.
        refine: code-refinement steps taken after the encoder (`DrumAAE.refine`), or None
            when unknown (codes read back from a file that does not say).
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
    lufs: list[float | None] | None = None
    tempo: Any = field(default=None, repr=False)
    model_identity: dict[str, str] | None = None
    refine: int | None = None

    def summary(self) -> dict[str, Any]:
        return {"model": self.model, "model_identity": self.model_identity,
                "bpm": round(self.bpm, 4), "bar_length": self.bar_length,
                "sample_rate": self.sample_rate, "bars": list(self.bars),
                "n_bars": self.n_bars, "latent_dim": int(self.codes.shape[-1]),
                "refine": self.refine,
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
        model_identity: the model's provenance (see `Encoded`).
        loudness: per step, what loudness matching measured and did
            (`drumaae.audio.loudness.Leveled.summary`).
        rendering: how the steps were rendered: ``input_phase`` (steps whose Griffin-Lim
            started from an input bar's phase), ``retime``, ``native_bpm`` (per step, the
            tempo it was rendered at before re-timing), ``blend_labels``.
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
    loudness: list[dict] = field(default_factory=list)
    model_identity: dict[str, str] | None = None
    rendering: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.alphas)


@dataclass
class Reconstruction:
    """A recording encoded and decoded bar by bar: `audio` is the bars concatenated;
    `loudness` says per bar what loudness matching measured and did."""

    audio: np.ndarray
    encoded: Encoded
    sample_rate: int
    iters: int
    seed: int
    loudness: list[dict] = field(default_factory=list)


@dataclass
class Sampled:
    """Bars decoded from prior samples: `bars` float32 `(n, bar_length)`, `codes` `(n, d)`;
    `model_identity` as in `Encoded`."""

    bars: np.ndarray
    codes: np.ndarray
    bpm: float
    sample_rate: int
    component: int | None
    model: str
    seed: int | None
    loudness: list[dict] = field(default_factory=list)
    model_identity: dict[str, str] | None = None


INTERPOLATION_KIND = "drumaae.interpolation"
SAMPLE_KIND = "drumaae.sample"


def build_manifest(kind: str, **fields: Any) -> dict[str, Any]:
    """Every manifest drumaae writes: `fileio.manifest_header` (kind, producer ``drumaae``,
    version) followed by the output's own fields."""
    return {**manifest_header(kind), **fields}


def _source_paths(*encoded: Encoded | None) -> list[str]:
    """The input files behind results (never to be overwritten by their outputs)."""
    return [e.source.path for e in encoded if e is not None and e.source is not None
            and e.source.path]


def save_codes(encoded: Encoded, path: str | os.PathLike, *, force: bool = False) -> str:
    """Write codes as ``.npz`` (codes, bpm, bar_length, sample_rate, bars, model and, in
    ``meta``, the model's identity with its sha256) or as ``.json`` (the same keys, codes as
    lists), chosen by the extension."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".npz", ".json"):
        raise DrumaaeError(f"codes are written as .npz or .json, not {ext or 'no extension'}: "
                           f"rename {path}")
    limits.check_codes(encoded.codes, f"the codes of model {encoded.model or '?'}",
                       f"nothing was written to {path}; check the model")
    meta = {"bpm": float(encoded.bpm), "bar_length": int(encoded.bar_length),
            "sample_rate": int(encoded.sample_rate), "bars": [int(b) for b in encoded.bars],
            "model": encoded.model, "model_identity": encoded.model_identity,
            "drumaae_version": __version__,
            "source": encoded.source.to_dict() if encoded.source else None,
            "lufs": _json_lufs(encoded.lufs), "refine": encoded.refine}
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
    return write_file(path, write, force=force, inputs=_source_paths(encoded))


def _json_lufs(values: Sequence[float | None] | None) -> list[float | None] | None:
    """Loudness values for JSON: rounded to 0.01 LU, None for silence (-inf)."""
    if values is None:
        return None
    return [round(float(v), 2) if v is not None and np.isfinite(v) else None for v in values]


def load_codes(path: str | os.PathLike) -> Encoded:
    """Read codes written by `save_codes` (``.npz`` or ``.json``); a damaged file, or one
    whose tempo or size is beyond `drumaae.limits`, raises `DrumaaeError` before any work."""
    import zipfile

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DrumaaeError(f"no codes file {path}: give a .npz or .json written by "
                           "'drumaae encode'")
    name = os.path.basename(path)
    size = os.path.getsize(path)
    if size > limits.MAX_CODES_FILE_BYTES:
        raise LimitError(f"{name} is {size:,} bytes, more than a codes file of "
                         f"{limits.MAX_BARS} bars can be ({limits.MAX_CODES_FILE_BYTES:,}): "
                         "give a codes file written by 'drumaae encode'")
    try:
        if path.lower().endswith(".json"):
            with open(path, "rb") as f:
                data = limits.parse_json(f.read(), name, limits.MAX_CODES_FILE_BYTES)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            meta = data
        else:
            data = _read_npz(path, name)
            meta = limits.parse_json(str(data["meta"]), f"the metadata in {name}",
                                     limits.MAX_CODES_FILE_BYTES) if "meta" in data else {}
            if not isinstance(meta, dict):
                raise TypeError("its metadata is not a JSON object")
            meta = {**meta, "bpm": data["bpm"].item(), "bar_length": data["bar_length"].item(),
                    "sample_rate": data["sample_rate"].item()}
        codes = np.asarray(data["codes"], np.float32)
        bpm = meta["bpm"]
    except LimitError:
        raise
    except (KeyError, ValueError, TypeError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DrumaaeError(f"{name} is not a codes file written by 'drumaae encode' "
                           f"({type(exc).__name__}: {_short(exc)}); encode the audio again"
                           ) from exc
    if codes.ndim == 1:
        codes = codes[None]
    if codes.ndim != 2:
        raise DrumaaeError(f"{name} holds codes of shape {codes.shape}, not (bars, latent "
                           "size): encode the audio again")
    limits.check_bars(len(codes), f"the codes in {name} (one bar each)")
    limits.check_latent_dim(codes.shape[1], f"the code size in {name}")
    codes = limits.check_codes(codes, f"the codes in {name}", "encode the audio again")
    bpm = limits.check_bpm(bpm, f"the tempo stored in {name}")
    _check_stored(meta, len(codes), name)
    return Encoded(codes=codes, bpm=bpm, bar_length=int(meta.get("bar_length", 0)),
                   sample_rate=int(meta.get("sample_rate", 0)),
                   bars=[int(b) for b in meta.get("bars", range(len(codes)))],
                   model=str(meta.get("model", "")), lufs=_stored_lufs(meta, len(codes)),
                   model_identity=_stored_identity(meta), refine=_stored_refine(meta),
                   source=_stored_source(meta))


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


_NPZ_MEMBERS = 16
"""Most arrays a codes ``.npz`` may hold (`save_codes` writes 7)."""


def _read_npz(path: str, name: str) -> dict[str, np.ndarray]:
    """The arrays of a codes ``.npz``, with every size checked before it is spent: the
    members' decompressed sizes (from the zip directory; zipfile never inflates a member
    past its declared size) against `limits.MAX_CODES_FILE_BYTES`, then each ``.npy``
    header's shape and dtype against its member's size (a header claiming 47 GiB is
    refused, not allocated); no pickled objects."""
    import zipfile

    from numpy.lib import format as npy

    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if len(members) > _NPZ_MEMBERS or total > limits.MAX_CODES_FILE_BYTES:
            raise LimitError(f"{name} holds {len(members)} arrays decompressing to "
                             f"{total:,} bytes, more than a codes file can "
                             f"({limits.MAX_CODES_FILE_BYTES:,}): give a codes file "
                             "written by 'drumaae encode'")
        for member in members:
            if not member.filename.endswith(".npy"):
                continue
            with archive.open(member) as f:
                version = npy.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = npy.read_array_header_1_0(f)
                else:
                    shape, _, dtype = npy.read_array_header_2_0(f)
                if dtype.hasobject:
                    raise ValueError(f"{member.filename} holds Python objects")
                need = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
                if need > member.file_size:
                    raise ValueError(f"{member.filename}'s header says {shape} {dtype} "
                                     f"({need:,} bytes) but it holds {member.file_size:,}")
            with archive.open(member) as f:
                out[member.filename[:-4]] = npy.read_array(f, allow_pickle=False)
    return out


def _check_stored(meta: dict[str, Any], n: int, name: str) -> None:
    """The fields a codes file stores besides its codes and tempo, checked like options
    (`drumaae.limits`) and put back in `meta` as Python numbers: ``bar_length``,
    ``sample_rate``, ``bars`` (one whole number per code), ``lufs`` (each None or a
    loudness in [MIN_LUFS, MAX_LUFS]) and the source recording's rate."""
    def whole(value: Any, what: str, high: int) -> int:
        return limits.check_whole(value, f"{what} stored in {name}", 0, high)

    meta["bar_length"] = whole(meta.get("bar_length", 0), "the bar length",
                               limits.MAX_BAR_SAMPLES)
    meta["sample_rate"] = whole(meta.get("sample_rate", 0), "the sample rate",
                                limits.MAX_SAMPLE_RATE)
    bars = meta.get("bars", list(range(n)))
    if not isinstance(bars, (list, tuple, np.ndarray)) or len(bars) != n:
        raise LimitError(f"the bars stored in {name} must list one bar number per code "
                         f"({n}), got {_short(repr(bars))[:60]}: encode the audio again")
    meta["bars"] = [whole(b, "a bar number", 2**31 - 1) for b in bars]
    lufs = meta.get("lufs")
    if isinstance(lufs, list):
        meta["lufs"] = [None if v is None else limits.check_lufs(
            v, f"the loudness stored in {name}") for v in lufs]
    source = meta.get("source")
    if isinstance(source, dict) and "sample_rate" in source:
        limits.check_whole(source["sample_rate"], f"the source's sample rate stored in {name}",
                           1, limits.MAX_SAMPLE_RATE)


def _stored_source(meta: dict[str, Any]) -> Source | None:
    """The recording the codes came from, as `save_codes` stored it (None when absent or
    malformed): its rate is the default rate of decoded audio."""
    src = meta.get("source")
    if not isinstance(src, dict):
        return None
    try:
        rate = int(src["sample_rate"])
        if rate <= 0:
            return None
        return Source(str(src.get("name", "")), src.get("path") if isinstance(
            src.get("path"), str) else None, str(src.get("sha256", "")), rate,
            float(src.get("duration", 0.0)), channels=int(src.get("channels", 1)))
    except (KeyError, TypeError, ValueError):
        return None


def _stored_refine(meta: dict[str, Any]) -> int | None:
    """The refinement steps `save_codes` stored (None for older files or a malformed value)."""
    steps = meta.get("refine")
    return steps if isinstance(steps, int) and not isinstance(steps, bool) else None


def _stored_identity(meta: dict[str, Any]) -> dict[str, str] | None:
    """The model identity `save_codes` stored (None for codes written before it was, or a
    malformed one)."""
    identity = meta.get("model_identity")
    if not isinstance(identity, dict) or not isinstance(identity.get("sha256"), str):
        return None
    return {str(k): str(v) for k, v in identity.items()}


def _describe_model(identity: dict[str, str] | None, fallback: str) -> str:
    if not identity:
        return fallback or "an unknown model"
    return f"{identity.get('ref') or fallback} (sha256 {identity['sha256'][:12]})"


def check_codes_model(encoded: Encoded, identity: dict[str, str] | None, *,
                      force: bool = False, name: str = "the codes",
                      model_ref: str = "") -> str | None:
    """Check that codes are decoded by the model that made them (same model file sha256).

    Args:
        encoded: codes read back with `load_codes` (their `model_identity`).
        identity: the decoding model's identity (`Backend.identity`), or None if unknown.
        force: decode codes of another model anyway (a warning instead of an error).
        name: what to call the codes in messages (the file name).
        model_ref: the decoding model's reference, for messages when `identity` is None.

    Returns:
        None when the models match, else a one-line warning to show (codes without a
        recorded model, a model whose identity is unknown, or a mismatch with `force`).

    Raises:
        ModelMismatchError: the codes were made by another model and `force` is False.
    """
    from drumaae.errors import ModelMismatchError

    made = encoded.model_identity
    if made is None:
        return (f"{name} does not record which model encoded it (written by an older "
                f"drumaae): decoding with {_describe_model(identity, model_ref)} unchecked")
    if identity is None or "sha256" not in identity:
        return (f"cannot check that {name} was encoded by {_describe_model(identity, model_ref)}"
                f" (its file hash is unknown); it was encoded by "
                f"{_describe_model(made, encoded.model)}")
    if made["sha256"] == identity["sha256"]:
        return None
    theirs = _describe_model(made, encoded.model)
    ours = _describe_model(identity, model_ref)
    if not force:
        ref = made.get("ref") or encoded.model
        use = ("without --model (the bundled default)" if ref == "default"
               else f"with --model {ref}")
        raise ModelMismatchError(
            f"{name} was encoded by model {theirs}, not by {ours}: decode it {use}, or pass "
            "--force to decode it with this model anyway")
    return (f"{name} was encoded by model {theirs}; decoding it with {ours} anyway "
            "(--force): expect a different sound")


def _stored_lufs(meta: dict[str, Any], n: int) -> list[float | None] | None:
    """The bars' loudness stored by `save_codes` (None when absent or malformed)."""
    values = meta.get("lufs")
    if not isinstance(values, list) or len(values) != n:
        return None
    return [float(v) if isinstance(v, (int, float)) and np.isfinite(v) else None
            for v in values]


def check_rendered(waves: Any, model: str | None, what: str = "audio") -> np.ndarray:
    """Bars a model just rendered, before leveling: every sample finite, else a one-line
    `LimitError` naming the model (NaN weights, or codes it cannot decode). Returns `waves`
    as float32."""
    x = np.asarray(waves, np.float32)
    if not np.all(np.isfinite(x)):
        raise LimitError(f"model {model or '?'} rendered {what} holding NaN or infinite "
                         "samples (broken weights, or codes it cannot decode): nothing was "
                         "written; use another model or re-encode the codes")
    return x


def check_output_audio(wave: Any, what: str, model: str | None = None,
                       out: str | None = None) -> None:
    """An output bar before it is written: finite samples whose true peak (4x oversampled,
    BS.1770-4) is at most `loudness.TRUE_PEAK_CEILING_DB` (+0.01 dB of rounding); else a
    one-line `LimitError` naming `what`, the model and the output."""
    from drumaae.audio.loudness import TRUE_PEAK_CEILING_DB, true_peak_db

    x = np.asarray(wave, np.float32)
    where = f" of {out}" if out else ""
    by = f" by model {model}" if model else ""
    if not np.all(np.isfinite(x)):
        raise LimitError(f"{what}{where} rendered{by} holds NaN or infinite samples: nothing "
                         "was written; use another model")
    peak = true_peak_db(x) if x.size else -np.inf
    if peak > TRUE_PEAK_CEILING_DB + 0.01:
        raise LimitError(f"{what}{where} rendered{by} peaks at {peak:.2f} dBTP, over the "
                         f"{TRUE_PEAK_CEILING_DB:g} dBTP ceiling: nothing was written")


def step_file_name(index: int, alpha: float) -> str:
    """``00_alpha0.00.wav``: the step's index and alpha."""
    return f"{index:02d}_alpha{alpha:.2f}.wav"


MORPH_FILE = "morph.wav"


def save_interpolation(result: Interpolation, out_dir: str | os.PathLike, *,
                       force: bool = False, figure: bool = True,
                       model_ref: str | None = None, repeat: int = 1) -> dict[str, Any]:
    """Write an interpolation: one WAV per step (``00_alpha0.00.wav``...), ``morph.wav``
    (all steps in order, each played `repeat` times: bars of exactly their tempo's length,
    ready for a DAW), a PNG of the steps' spectrograms (``interpolation.png``) and
    ``manifest.json``.

    Written to a temporary folder beside `out_dir` and swapped in (`fileio.StagedFolder`):
    a failure leaves nothing half-written; with `force` an earlier interpolation there is
    replaced whole (its listed files go, the folder's other files stay). Returns the
    manifest.
    """
    from drumaae import limits
    from drumaae.audio.io import save_wav

    repeat = limits.check_repeat(repeat, result.steps, MORPH_FILE)
    limits.check_codes(result.codes, f"the codes of model {result.model}",
                       f"nothing was written to {out_dir}; check the model")
    out_dir = os.fspath(out_dir)
    sr = result.sample_rate
    files = []
    with StagedFolder(out_dir, force, kind=INTERPOLATION_KIND,
                      inputs=_source_paths(result.source, result.target)) as stage:
        for i, (alpha, wave, bpm) in enumerate(zip(result.alphas, result.bars, result.bpms)):
            name = step_file_name(i, float(alpha))
            check_output_audio(wave, f"step {i} ({name})", result.model)
            save_wav(stage.path(name), wave, sr)
            files.append({"file": name, "alpha": round(float(alpha), 6), "bpm": round(bpm, 4),
                          "samples": int(len(wave)), "seconds": round(len(wave) / sr, 6)})
            if i < len(result.loudness):
                files[-1]["loudness"] = result.loudness[i]
        morph = np.concatenate([np.tile(np.asarray(w, np.float32), repeat)
                                for w in result.bars])
        save_wav(stage.path(MORPH_FILE), morph, sr)
        joined = {"file": MORPH_FILE, "repeat": repeat, "bars": repeat * result.steps,
                  "samples": int(morph.size), "seconds": round(morph.size / sr, 6)}
        fig_name = None
        if figure:
            from drumaae.plotting import interpolation_figure

            fig_name = "interpolation.png"
            interpolation_figure(result.bars, [float(a) for a in result.alphas],
                                 stage.path(fig_name), bpms=result.bpms, sample_rate=sr,
                                 title=f"{_input_name(result.source)} -> "
                                       f"{_input_name(result.target)}")
        manifest = interpolation_manifest(result, files, fig_name, model_ref, joined)
        write_manifest(stage.tmp, manifest)
    manifest["out_dir"] = os.path.abspath(out_dir)
    return manifest


def _input_name(enc: Encoded) -> str:
    return enc.source.name if enc.source else "?"


def interpolation_manifest(result: Interpolation, files: list[dict], figure: str | None,
                           model_ref: str | None = None, joined: dict | None = None
                           ) -> dict[str, Any]:
    """What `save_interpolation` writes to manifest.json."""

    def inp(role: str, enc: Encoded) -> dict[str, Any]:
        return {"role": role, **(enc.source.to_dict() if enc.source else {}),
                "bar": enc.bars[0], "n_bars": enc.n_bars, "bpm": round(enc.bpm, 4),
                "bar_length": enc.bar_length, "start": enc.starts[0] if enc.starts else 0,
                "lufs": (_json_lufs(enc.lufs) or [None])[0], "refine": enc.refine,
                "code": np.asarray(enc.codes[0], float).tolist()}

    tempo = result.tempo if isinstance(result.tempo, str) else float(result.tempo)
    return build_manifest(
        INTERPOLATION_KIND,
        model=model_ref if model_ref is not None else result.model,
        model_identity=result.model_identity,
        inputs=[inp("source", result.source), inp("target", result.target)],
        steps=result.steps,
        alphas=[round(float(a), 6) for a in result.alphas],
        tempo=tempo,
        bpm=[round(b, 4) for b in result.bpms],
        sample_rate=result.sample_rate,
        griffin_lim_iters=result.iters,
        seed=result.seed,
        rendering=result.rendering,
        files=files,
        joined=joined,
        figure=figure,
        loudness=loudness_manifest(result.loudness, [f["file"] for f in files]),
        codes=np.asarray(result.codes, float).tolist(),
    )


def loudness_manifest(levels: Sequence[dict], names: Sequence[str]) -> dict[str, Any]:
    """The ``loudness`` entry of a manifest: the standard, whether outputs were matched to
    their inputs (measured over the inputs' channels, as heard), the true-peak ceiling and,
    where the limiter cut an output by more than `loudness.LIMITER_NOTE_DB`, a ``note``
    saying which and by how much (`loudness.limiter_note`; None otherwise)."""
    from drumaae.audio.loudness import TRUE_PEAK_CEILING_DB, limiter_note

    return {"standard": "ITU-R BS.1770-4",
            "matched": any((lv or {}).get("lufs_target") is not None for lv in levels),
            "inputs_measured": "over their channels, at their own rate (as heard)",
            "true_peak_ceiling_dbtp": TRUE_PEAK_CEILING_DB,
            "note": limiter_note(levels, names)}


def save_bars(bars: Sequence[np.ndarray], sample_rate: int, out: str | os.PathLike, *,
              force: bool = False, names: Sequence[str] | None = None,
              manifest: dict[str, Any] | None = None,
              inputs: Sequence[str | os.PathLike] = ()) -> list[str]:
    """Write one WAV (`out` ends in .wav: the bars concatenated) or a folder of WAVs named
    `names` plus ``manifest.json`` (a `build_manifest` dict whose ``files`` list `names`);
    atomically either way, never over one of `inputs`. Returns the paths written."""
    from drumaae.audio.io import save_wav

    out = os.fspath(out)
    for i, wave in enumerate(bars):
        check_output_audio(wave, f"bar {i}" if len(bars) > 1 else "the audio",
                           (manifest or {}).get("model"), out)
    if out.lower().endswith(".wav"):
        with claim(out, force=force, inputs=inputs):
            save_wav(out, np.concatenate([np.asarray(b, np.float32).reshape(-1)
                                          for b in bars]), sample_rate)
        return [out]
    names = list(names or [f"{i:02d}.wav" for i in range(len(bars))])
    kind = manifest.get("kind") if manifest is not None else None
    with StagedFolder(out, force, kind=kind, inputs=inputs) as stage:
        for name, wave in zip(names, bars):
            save_wav(stage.path(name), wave, sample_rate)
        if manifest is not None:
            write_manifest(stage.tmp, manifest)
    return [os.path.join(out, n) for n in names]


def save_samples(result: Sampled, out: str | os.PathLike, *, force: bool = False
                 ) -> dict[str, Any]:
    """Write prior samples: a folder of ``00.wav``... with ``manifest.json`` (kind
    ``drumaae.sample``), or one WAV of the bars in a row when `out` ends in ``.wav``.

    Returns:
        The manifest (written only for a folder; its ``files`` is empty for one WAV).
    """
    out = os.fspath(out)
    limits.check_codes(result.codes, f"the codes drawn from the prior of model {result.model}",
                       "its prior is broken (NaN or huge radius or spreads); use another "
                       "model")
    to_file = out.lower().endswith(".wav")
    names = [] if to_file else [f"{i:02d}.wav" for i in range(len(result.bars))]
    manifest = build_manifest(
        SAMPLE_KIND, model=result.model, model_identity=result.model_identity,
        n=int(len(result.bars)), component=result.component,
        bpm=result.bpm, seed=result.seed, sample_rate=result.sample_rate,
        bar_length=int(result.bars.shape[1]),
        files=[{"file": n} for n in names],
        loudness=loudness_manifest(result.loudness, names or [f"bar {i}" for i in
                                                             range(len(result.bars))]),
        codes=np.asarray(result.codes, float).tolist())
    save_bars(list(result.bars), result.sample_rate, out, force=force, names=names or None,
              manifest=None if to_file else manifest)
    return manifest
