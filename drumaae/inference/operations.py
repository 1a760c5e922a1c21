"""The operations: encode, decode, interpolate, reconstruct and sample drum bars.

Everything here works on audio (files or arrays) and bars; the model is reached through the
`Backend` protocol (`drumaae.inference.backend`), so the same code runs a local Keras model or
a TF Serving model. Loading and cutting audio, alphas and tempo are shared by both.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Callable, Sequence, Union

import numpy as np

from drumaae import limits
from drumaae.config import AudioConfig
from drumaae.errors import AudioError, DrumaaeError
from drumaae.inference.backend import Backend, load_backend
from drumaae.inference.outputs import (Encoded, Interpolation, Reconstruction, Sampled, Source,
                                       check_rendered)
from drumaae.inference.render import RENDER_CHUNK, endpoint_phases, path_labels, render_codes
from drumaae.latent import latent_path

__all__ = [
    "AudioInput",
    "ProgressFn",
    "TempoFn",
    "TEMPO_MODES",
    "DEFAULT_TEMPO",
    "encode",
    "decode",
    "interpolate",
    "reconstruct",
    "sample",
    "interpolation_alphas",
    "step_tempos",
]

AudioInput = Union[str, os.PathLike, tuple]
"""A file path, or an ``(samples, sample_rate)`` pair of a float array and its rate in Hz."""

TEMPO_MODES = limits.TEMPO_MODES
DEFAULT_TEMPO = limits.DEFAULT_TEMPO

TempoFn = Callable[[str, str, Any], None]
"""``on_tempo(role, name, reading)``: an input's tempo was read (a
`drumaae.audio.bars.TempoReading` with its alternatives), before any encoding or rendering."""

ProgressFn = Callable[[str, int, int], None]
"""``progress(what, done, total)``: called after each rendered chunk (``"bar", 8, 40``); the
library never prints, the CLI turns these calls into stderr lines."""



def _in_chunks(fn: Callable[[np.ndarray], Any], items: np.ndarray,
               progress: ProgressFn | None = None, what: str = "bar", done: int = 0,
               total: int | None = None) -> np.ndarray:
    """`fn` (a batch of rows -> an array of rows) over `items` in chunks of `RENDER_CHUNK`,
    reporting `progress(what, done + rows so far, total)` after each; float32 rows. No
    items: one call of `fn` on the empty batch."""
    total = len(items) + done if total is None else total
    if not len(items):
        return np.asarray(fn(items), np.float32)
    out = []
    for start in range(0, len(items), RENDER_CHUNK):
        chunk = items[start: start + RENDER_CHUNK]
        out.append(np.asarray(fn(chunk), np.float32))
        if progress is not None:
            progress(what, done + start + len(chunk), total)
    return np.concatenate(out)


def _refine_steps(backend: Backend, refine: int | None) -> int:
    """The refinement steps of one call on `backend` (`limits.resolve_refine`; a backend
    without ``can_refine`` cannot refine)."""
    return limits.resolve_refine(refine, bool(getattr(backend, "can_refine", False)))


def _sha256_file(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _load(audio: AudioInput, cfg: AudioConfig, name: str = "audio"
          ) -> tuple[np.ndarray, Source, np.ndarray]:
    """Mono float32 samples at the model's rate (`drumaae.audio.io.to_mono`), where they
    came from, and the input as heard: float32 ``(frames, channels)`` at its own rate
    (``source.sample_rate``), for its loudness over its channels."""
    from drumaae.audio.io import decode_audio, to_mono

    min_seconds = 60.0 / limits.MAX_BPM
    if isinstance(audio, (str, os.PathLike)):
        path = os.fspath(audio)
        decoded = decode_audio(path, cfg.sample_rate, min_seconds=min_seconds)
        src = Source(os.path.basename(path), os.path.abspath(path), _sha256_file(path),
                     decoded.source_rate, decoded.samples.size / cfg.sample_rate,
                     channels=decoded.channels)
        return decoded.samples, src, decoded.heard
    if isinstance(audio, tuple) and len(audio) == 2:
        samples, rate = audio
        x = to_mono(samples, rate, cfg.sample_rate, name=name, min_seconds=min_seconds)
        heard = np.asarray(samples, np.float32)
        heard = heard.reshape(len(heard), -1)
        digest = hashlib.sha256(np.ascontiguousarray(samples, np.float32).tobytes()).hexdigest()
        return x, Source(name, None, digest, int(rate), x.size / cfg.sample_rate,
                         channels=int(heard.shape[1])), heard
    raise AudioError(f"{name}: give a file path or a (samples, sample_rate) pair, got "
                     f"{type(audio).__name__}")


def _heard_loudness(heard: np.ndarray, rate: int, starts: Sequence[int], model_rate: int,
                    bar_seconds: float) -> list[float]:
    """BS.1770 loudness over its channels of each bar of the input as heard: the span
    ``[start, start + bar_seconds)`` (`starts` at the model's rate) of `heard` at `rate`."""
    from drumaae.audio.loudness import integrated_loudness

    span = max(1, int(round(bar_seconds * rate)))
    out = []
    for start in starts:
        first = min(int(round(int(start) * rate / model_rate)), max(0, len(heard) - span))
        out.append(integrated_loudness(heard[first: first + span], rate))
    return out


def _iters(backend: Backend, iters: int | None) -> int:
    if iters is None:
        return limits.check_gl_iters(backend.audio.griffin_lim_iters,
                                     "the model's Griffin-Lim iterations")
    return limits.check_gl_iters(iters)


def _select(n_bars: int, bar: int | Sequence[int] | None, name: str) -> list[int]:
    if bar is None:
        return list(range(n_bars))
    wanted = [bar] if isinstance(bar, (int, np.integer)) else list(bar)
    for b in wanted:
        if not -n_bars <= int(b) < n_bars:
            raise DrumaaeError(f"{name} has {n_bars} bar{'s' * (n_bars != 1)}: bar {b} does "
                               f"not exist (bars are numbered from 0; use --bar 0..{n_bars - 1})")
    return [int(b) % n_bars for b in wanted]


#: Bars of each reading `best_reading` scores (the first ones: a loop repeats itself).
READING_BARS = 8


def best_reading(backend: Backend, samples: np.ndarray, cut: Any, *, fill: str = "error"
                 ) -> Any:
    """Among a detected tempo's whole-bar readings, the one the model draws best.

    A loop's tempo reader settles the beat grid but not its metrical level: a two-bar jungle
    loop at 180 BPM fits one bar at 90 as well, and the reader prefers the tempo nearest the
    middle of the usual range. When it leaves such readings open (`TempoReading.alternatives`
    with a whole number of bars), each is cut and scored by the model's own fit: the mean
    feature error of the encoder's code decoded by the generator (`Backend.fit_errors`, no
    refinement) over its first `READING_BARS` bars; the lowest wins. The other readings stay
    as alternatives (tempo notes print them). A backend that cannot score (a served model),
    a given `--bpm`/`--bars` or a clear reading keeps `cut` as it is.

    Args:
        backend: the model.
        samples: the recording, mono at the model's rate.
        cut: `drumaae.audio.bars.cut_bars`'s result for `samples` (tempo detected).
        fill: as `cut_bars`'s.

    Returns:
        The `BarCut` of the reading chosen; its tempo's source is ``"detected, model fit"``
        when the model decided between readings.
    """
    import dataclasses

    from drumaae.audio.bars import Reading, TempoReading, cut_bars

    reading = cut.tempo
    if reading is None or reading.source != "detected" or not reading.alternatives:
        return cut
    options = [Reading(bars=reading.bars, bpm=reading.bpm)] + [
        r for r in reading.alternatives if r.bars >= 1 and float(r.bars).is_integer()]
    if len(options) < 2:
        return cut
    cuts, scores = [], []
    for k, option in enumerate(options):
        try:
            this = cut if k == 0 else cut_bars(samples, backend.audio.sample_rate,
                                               backend.audio, bpm=option.bpm,
                                               bars=int(option.bars), fill=fill)
        except DrumaaeError:
            continue
        errors = backend.fit_errors(this.bars[:READING_BARS])
        if errors is None:
            return cut
        cuts.append((option, this))
        scores.append(float(np.mean(errors)))
    best = int(np.argmin(scores))
    option, chosen = cuts[best]
    others = tuple(o for o in options if o != option) + tuple(
        r for r in reading.alternatives if r not in options)
    source = "detected, model fit" if len(cuts) > 1 else reading.source
    tempo = TempoReading(bpm=float(chosen.bpm), bars=chosen.n_bars, source=source,
                         alternatives=others)
    return dataclasses.replace(chosen, tempo=tempo)


def encode(audio: AudioInput, *, model: Any = None, bpm: float | None = None,
           bars: int | None = None, bar: int | Sequence[int] | None = None,
           sample_rate: int | None = None, name: str | None = None,
           refine: int | None = None, fill: str = "error",
           progress: ProgressFn | None = None, on_tempo: TempoFn | None = None,
           role: str = "input") -> Encoded:
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
        refine: gradient steps fitting each code to its bar after the encoder
            (`DrumAAE.refine`: closer reconstructions of bars unlike the training data; its
            measured gain and cost are in docs/model.md); 0 = off; None = the default,
            `limits.DEFAULT_REFINE` steps where the backend can refine (a local model on
            TensorFlow), else 0 (a served model).
        fill: a loop shorter than its bars at `bpm`: ``"error"`` (a `TooShortError` that
            says so) or ``"loop"`` (repeated to fill them); never padded with silence.
        progress: called as ``progress("encoded bar", done, n)`` after each chunk of
            `RENDER_CHUNK` bars (refinement makes encoding long).
        on_tempo: called as ``on_tempo(role, name, reading)`` as soon as the tempo is read
            (`drumaae.audio.bars.TempoReading`), before any encoding: the CLI prints its
            tempo notes there, before the work.
        role: what `on_tempo` calls this input (``input``, ``source``, ``target``).

    Returns:
        `Encoded` with codes `(n, latent_dim)`; its `tempo` says how the tempo was decided
        and which other readings fit (`drumaae.audio.bars.TempoReading`).
    """
    from drumaae.audio.bars import cut_bars

    if refine is not None:
        refine = limits.check_refine(refine)
    backend = load_backend(model)
    refine = _refine_steps(backend, refine)
    if sample_rate is not None and not isinstance(audio, tuple):
        audio = (audio, sample_rate)
    label = name or (os.path.basename(os.fspath(audio)) if isinstance(audio, (str, os.PathLike))
                     else "audio array")
    samples, source, heard = _load(audio, backend.audio, label)
    if bpm is not None:
        bpm = limits.check_bpm(bpm)
    cut = cut_bars(samples, backend.audio.sample_rate, backend.audio, bpm=bpm, bars=bars,
                   fill=fill)
    if bpm is None and bars is None:
        cut = best_reading(backend, samples, cut, fill=fill)
    if on_tempo is not None:
        on_tempo(role, source.name, cut.tempo)
    chosen = _select(cut.n_bars, bar, label)
    waves = cut.bars[chosen]
    # each code is fitted on its own bar: chunks change nothing but the progress lines
    codes = _in_chunks(lambda c: backend.encode_bars(c, refine=refine), waves, progress,
                       "encoded bar")
    # the bars' loudness as heard: over the input's channels, at its own rate
    lufs = _heard_loudness(heard, source.sample_rate, [int(cut.starts[i]) for i in chosen],
                           backend.audio.sample_rate,
                           backend.audio.bar_samples(float(cut.bpm)) / backend.audio.sample_rate)
    # `waves` are cut on the model's frame grid; an output bar is exactly bar_samples(bpm).
    return Encoded(codes=codes, bpm=float(cut.bpm),
                   bar_length=backend.audio.bar_samples(float(cut.bpm)),
                   sample_rate=backend.audio.sample_rate, bars=chosen,
                   starts=[int(cut.starts[i]) for i in chosen], n_bars=cut.n_bars,
                   source=source, model=backend.ref, waveforms=waves, lufs=lufs,
                   tempo=cut.tempo, model_identity=backend.identity, refine=refine)


def decode(codes: Any, *, model: Any = None, bpm: float | None = None,
           iters: int | None = None, seed: int = 0,
           match_loudness: bool = True, progress: ProgressFn | None = None,
           output_rate: int | None = None, input_phase: bool = True,
           retime: bool = limits.DEFAULT_RETIME) -> np.ndarray:
    """Decode codes to audio: one bar per code at `bpm`, concatenated.

    Args:
        codes: `(n, latent_dim)` or `(latent_dim,)` codes, or an `Encoded` (its tempo is the
            default `bpm`).
        model: as in `encode`.
        bpm: output tempo in BPM (default: the `Encoded`'s, else the model's reference tempo).
            With `retime` (`limits.DEFAULT_RETIME`: on), each bar is rendered at the tempo its
            code was made at (an `Encoded`'s, else the reference tempo) and re-timed by slices
            onto `bpm` (`drumaae.audio.retime`); False: rendered at `bpm` directly.
        iters: Griffin-Lim iterations (default: the model's recipe).
        seed: Griffin-Lim phase seed.
        match_loudness: bring each bar to the loudness of the bar it was encoded from (an
            `Encoded` that knows it, e.g. read from a codes file); bars are true-peak
            limited either way.
        progress: called as ``progress("bar", done, n)`` as bars are rendered.
        input_phase: an `Encoded` that still holds its bars (`waveforms`, in memory) and is
            rendered at its own tempo (`bpm` its tempo, or `retime`) starts each bar's
            Griffin-Lim from its bar's phase (default, as `reconstruct` and `interpolate`'s
            endpoints; docs/model.md 'Tempo changes'); False: the seeded random phases.
        retime: see `bpm` (docs/model.md 'Tempo changes' measures both against the same loop
            played at `bpm`).
        output_rate: the rate of the result in Hz (default: the rate of the recording an
            `Encoded` came from, else the model's).

    Returns:
        float32 `(n * bar_length,)` at `output_rate`, each bar exactly
        ``round(output_rate * 60 * beats / bpm)`` samples.
    """
    backend = load_backend(model)
    lufs = None
    rate = backend.audio.sample_rate
    native = backend.audio.reference_bpm  # codes alone: the model's time-normalised bar
    phase = None
    if isinstance(codes, Encoded):
        bpm = codes.bpm if bpm is None else bpm
        native = codes.bpm
        lufs = codes.lufs
        if input_phase and codes.waveforms is not None and len(codes.waveforms) == len(
                codes.codes) and (retime or abs(float(bpm) - float(codes.bpm)) < 1e-6):
            phase = list(codes.waveforms)
        rate = codes.source.sample_rate if codes.source is not None else rate
        codes = codes.codes
    rate = _output_rate(output_rate, rate)
    z = _codes_array(codes, backend)
    bpm = limits.check_bpm(backend.audio.reference_bpm if bpm is None else bpm)
    targets = lufs if lufs is not None and len(lufs) == len(z) else None
    out = render_codes(z, model=backend, bpms=bpm, native_bpms=native if retime else bpm,
                       lufs=targets,
                       match_loudness=match_loudness, iters=_iters(backend, iters),
                       seed=limits.check_seed(seed), phase_from=phase, output_rate=rate,
                       progress=progress)
    return np.concatenate(out.bars)


def _level_bars(waves: Sequence[np.ndarray], sample_rate: int,
               targets: Sequence[float | None], match: bool = True, *,
               audio: AudioConfig | None = None, bpms: Sequence[float] | None = None,
               output_rate: int | None = None) -> tuple[list[np.ndarray], list[dict]]:
    """Bring each output bar to its target loudness (LUFS; None: keep its level) unless
    `match` is False, and true-peak limit every bar (`drumaae.audio.loudness`).

    With `output_rate` (and the model's `audio` settings and each bar's tempo in `bpms`),
    each bar rendered at `sample_rate` is first resampled (soxr) to `output_rate`, exactly
    ``round(output_rate * 60 * beats / bpm)`` samples, and leveled there: the true peak is
    that of the file written.

    Returns:
        The bars (float32) and, per bar, `Leveled.summary()` (what was measured and done).
    """
    from drumaae.audio.loudness import match_loudness as level

    rate = sample_rate
    if output_rate is not None and audio is not None and bpms is not None:
        import dataclasses

        from drumaae.audio.io import resample_exact

        rate = int(output_rate)
        at_rate = dataclasses.replace(audio, sample_rate=rate)
        waves = [resample_exact(w, sample_rate, rate, at_rate.bar_samples(b))
                 for w, b in zip(waves, bpms)]
    out, info = [], []
    for wave, target in zip(waves, targets):
        leveled = level(wave, rate, target if match else None)
        out.append(leveled.wave)
        info.append(leveled.summary())
    return out, info


def _output_rate(output_rate: int | None, default: int) -> int:
    """The rate outputs are written at: `output_rate` (checked) or `default` (the input's)."""
    from drumaae.audio.io import check_output_rate

    return check_output_rate(default if output_rate is None else output_rate)


def _codes_array(codes: Any, backend: Backend) -> np.ndarray:
    z = np.asarray(codes, np.float32)
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[0] == 0:
        raise DrumaaeError(f"codes must be (n, latent_dim) with n >= 1, got shape {z.shape}")
    limits.check_bars(z.shape[0], "codes (one bar each)")
    dim = backend.latent_dim
    if z.shape[1] != dim:
        raise DrumaaeError(f"the codes have {z.shape[1]} dimensions but the model's latent "
                           f"size is {dim}: decode them with the model that encoded them")
    if not np.all(np.isfinite(z)):
        raise DrumaaeError("the codes hold NaN or infinite values")
    return z


def interpolation_alphas(steps: int) -> np.ndarray:
    """`steps` (2..`limits.MAX_STEPS`) evenly spaced weights from 0 (source) to 1 (target),
    float32."""
    return np.linspace(0.0, 1.0, limits.check_steps(steps), dtype=np.float32)


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
    return [limits.check_bpm(tempo, "tempo")] * len(alphas)


def interpolate(src: AudioInput, tgt: AudioInput, *, steps: int = 5, model: Any = None,
                tempo: str | float = DEFAULT_TEMPO, src_bar: int = 0, tgt_bar: int = 0,
                src_bpm: float | None = None, tgt_bpm: float | None = None,
                src_bars: int | None = None, tgt_bars: int | None = None,
                iters: int | None = None, seed: int = 0,
                match_loudness: bool = True, refine: int | None = None,
                fill: str = "error", progress: ProgressFn | None = None,
                output_rate: int | None = None, input_phase: bool = True,
                blend_labels: bool = limits.DEFAULT_BLEND_LABELS,
                retime: bool = limits.DEFAULT_RETIME,
                on_tempo: TempoFn | None = None) -> Interpolation:
    """Morph one bar of `src` into one bar of `tgt` through the latent space.

    z(a) = (1 - a) z_src + a z_tgt for a = linspace(0, 1, steps); a = 0 decodes the source's
    code (its reconstruction), a = 1 the target's.

    Args:
        src, tgt: file paths or ``(samples, sample_rate)`` pairs.
        steps: number of outputs (>= 2).
        model: a DrumAAE, a `Backend`, a model reference or None (bundled default).
        tempo: the steps' tempo: ``source`` (default), ``target``, ``blend`` (each step's
            tempo interpolated like its code) or a BPM number.
        src_bar, tgt_bar: which bar of each input (from 0).
        src_bpm, tgt_bpm: the inputs' tempi if known (else detected).
        src_bars, tgt_bars: bar counts of the input loops if known.
        iters: Griffin-Lim iterations (default: the model's recipe).
        seed: Griffin-Lim phase seed.
        match_loudness: bring step a to (1 - a) L_src + a L_tgt LUFS, the inputs' bars'
            loudness (ITU-R BS.1770); steps are true-peak limited either way.
        refine: gradient steps of code refinement for both endpoints (see `encode`; None:
            the default).
        fill: what to do with an input loop shorter than its bars (see `encode`).
        progress: called as ``progress("step", done, steps)`` as steps are rendered.
        on_tempo: called as each input's tempo is read, before any rendering (see `encode`).
        output_rate: the steps' rate in Hz (default: the source's own rate; the model
            renders at its rate and each step is resampled to exactly one bar here).
        input_phase: start Griffin-Lim of the alpha = 0 and alpha = 1 steps from the phase
            of the source and target bars where the step is rendered at that bar's own tempo
            (default; deterministic; measured better there: docs/model.md, 'Tempo
            changes'); False: every step from the seeded random phases.
        blend_labels: a conditional generator's label for step a is (1 - a) p(k | z_src) +
            a p(k | z_tgt), moving with alpha instead of flipping where p(k | z) does (the
            default, `limits.DEFAULT_BLEND_LABELS`); False: p(k | z(a)).
        retime: render each step at the tempo its code was made at (the endpoints' tempi
            blended like the codes) and re-time it by slices onto `tempo`
            (`drumaae.audio.retime`: decays keep their length in seconds; a slower step's
            slices ring on with its direct rendering); the default (`limits.DEFAULT_RETIME`).
            False: render each step at `tempo` directly (decays scale with the tempo ratio).
            Measured in docs/model.md ('Tempo changes'): closer to the same loop played at
            `tempo` (mel distance -0.31 dB, envelope corr +0.006, onset F level).

    Returns:
        An `Interpolation`.
    """
    if output_rate is not None:
        output_rate = _output_rate(output_rate, 0)
    alphas = interpolation_alphas(steps)
    if not isinstance(tempo, str) or tempo not in TEMPO_MODES:
        step_tempos(alphas[:1], tempo, 1.0, 1.0)  # a bad tempo fails before any work
    backend = load_backend(model)
    iters = _iters(backend, iters)
    a = encode(src, model=backend, bpm=src_bpm, bars=src_bars, bar=src_bar, name=_label(src,
               "source"), refine=refine, fill=fill, on_tempo=on_tempo, role="source")
    b = encode(tgt, model=backend, bpm=tgt_bpm, bars=tgt_bars, bar=tgt_bar, name=_label(tgt,
               "target"), refine=refine, fill=fill, on_tempo=on_tempo, role="target")
    codes = latent_path(a.codes[0], b.codes[0], alphas).astype(np.float32)
    bpms = step_tempos(alphas, tempo, a.bpm, b.bpm)
    from drumaae.audio.loudness import target_loudness

    targets = [target_loudness(a.lufs[0], b.lufs[0], float(al)) for al in alphas]
    rate = _output_rate(output_rate, a.source.sample_rate if a.source else
                        backend.audio.sample_rate)
    native = step_tempos(alphas, "blend", a.bpm, b.bpm) if retime else bpms
    phases = endpoint_phases(alphas, a.waveforms[0], b.waveforms[0], native, a.bpm,
                             b.bpm) if input_phase else None
    labels = path_labels(backend, codes, alphas) if blend_labels else None
    out = render_codes(
        codes, model=backend, bpms=bpms, native_bpms=native,
        lufs=targets, match_loudness=match_loudness, iters=iters, seed=limits.check_seed(seed),
        phase_from=phases, labels=labels, output_rate=rate, progress=progress, what="step")
    rendering = {"input_phase": [k for k, w in enumerate(phases or []) if w is not None],
                 "retime": bool(retime), "native_bpm": [round(float(x), 4) for x in native],
                 "blend_labels": labels is not None}
    waves, levels = out.bars, out.loudness
    return Interpolation(alphas=alphas, codes=codes, bars=waves, bpms=bpms, tempo=tempo,
                         source=a, target=b, sample_rate=rate,
                         model=backend.ref, iters=iters, seed=int(seed), loudness=levels,
                         model_identity=backend.identity, rendering=rendering)


def _label(audio: AudioInput, role: str) -> str | None:
    return None if isinstance(audio, (str, os.PathLike)) else f"{role} array"


def reconstruct(audio: AudioInput, *, model: Any = None, bpm: float | None = None,
                bars: int | None = None, bar: int | Sequence[int] | None = None,
                iters: int | None = None, seed: int = 0,
                match_loudness: bool = True, refine: int | None = None,
                progress: ProgressFn | None = None,
                output_rate: int | None = None, input_phase: bool = True,
                on_tempo: TempoFn | None = None) -> Reconstruction:
    """Encode and decode a recording bar by bar (what the model keeps of it); each output
    bar is brought to its input bar's loudness unless `match_loudness` is False, and
    true-peak limited; `progress("bar", done, n)` is called as bars are rendered. Output
    comes at `output_rate` Hz (default: the recording's own rate). `input_phase` (default):
    each bar's Griffin-Lim starts from its input bar's phase (deterministic; measured better
    than random phases: docs/model.md, 'Tempo changes'); False: the seeded random phases.

    Returns:
        `Reconstruction`: `audio` float32, the chosen bars concatenated at their tempo.
    """
    if output_rate is not None:
        output_rate = _output_rate(output_rate, 0)
    backend = load_backend(model)
    refine = _refine_steps(backend, refine)
    enc = encode(audio, model=backend, bpm=bpm, bars=bars, bar=bar, refine=refine,
                 progress=progress if refine else None, on_tempo=on_tempo)
    iters = _iters(backend, iters)
    rate = _output_rate(output_rate, enc.source.sample_rate if enc.source else
                        enc.sample_rate)
    out = render_codes(enc.codes, model=backend, bpms=enc.bpm, lufs=enc.lufs,
                       match_loudness=match_loudness, iters=iters,
                       seed=limits.check_seed(seed),
                       phase_from=list(enc.waveforms) if input_phase else None,
                       output_rate=rate, progress=progress)
    waves, levels = out.bars, out.loudness
    return Reconstruction(audio=np.concatenate(waves), encoded=enc,
                          sample_rate=rate, iters=iters, seed=int(seed),
                          loudness=levels)


def sample(n: int, *, component: int | None = None, bpm: float = 128.0,
           seed: int | None = None, model: Any = None, iters: int | None = None,
           progress: ProgressFn | None = None, output_rate: int | None = None,
           retime: bool = limits.DEFAULT_RETIME) -> Sampled:
    """Decode `n` bars from codes drawn from the model's Gaussian-mixture prior.

    Args:
        n: bars to draw (>= 1).
        component: draw from this mixture component (0..K-1), or from the whole mixture.
        bpm: tempo of the rendered bars (with `retime`: each rendered at the model's reference
            tempo, its time-normalised bar, and re-timed by slices onto `bpm`).
        seed: seed of the prior draw and of Griffin-Lim's phases.
        progress: called as ``progress("bar", done, n)`` as bars are rendered.
        output_rate: the bars' rate in Hz (default: the model's, 22.05 kHz for the bundled
            one: there is no input to follow).
    """
    n = limits.check_bars(n, "n (bars to draw)")
    bpm = limits.check_bpm(bpm)
    if output_rate is not None:
        output_rate = _output_rate(output_rate, 0)
    backend = load_backend(model)
    k = backend.num_components
    if component is not None and k is not None and not 0 <= int(component) < k:
        raise DrumaaeError(f"component must be in 0..{k - 1} (the model's prior has {k}), "
                           f"got {component}")
    seed = None if seed is None else limits.check_seed(seed)
    codes = limits.check_codes(backend.sample_codes(int(n), component, seed),
                               f"the codes drawn from the prior of model {backend.ref}",
                               "its prior is broken (NaN or huge radius or spreads)")
    # No input to match: the model's own level, true-peak limited.
    rate = _output_rate(output_rate, backend.audio.sample_rate)
    out = render_codes(codes, model=backend, bpms=bpm,
                       native_bpms=backend.audio.reference_bpm if retime else bpm,
                       match_loudness=False, iters=_iters(backend, iters),
                       seed=int(seed or 0), output_rate=rate, progress=progress)
    waves, levels = out.bars, out.loudness
    return Sampled(bars=np.stack(waves), codes=codes, bpm=bpm,
                   sample_rate=rate, component=component,
                   model=backend.ref, seed=seed, loudness=levels,
                   model_identity=backend.identity)
