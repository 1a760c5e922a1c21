"""The one route from codes (or features) to the bars users get.

`render_codes` and `render_features` take a batch of bars and, per bar, the tempo it is
wanted at (`bpms`), the tempo its code or features were made at (`native_bpms`), a loudness
target and optionally the input bar whose phase starts Griffin-Lim. Each bar is:

1. rendered at its native tempo (generator -> features -> Griffin-Lim, batched by bar
   length: `Backend.decode_codes`, or `drumaae.audio.render.render` for features), exactly
   ``audio.bar_samples(native)`` samples;
2. re-timed by slices onto the wanted tempo where the two differ
   (`drumaae.audio.retime.retime`), so every hit keeps its attack and its decay in seconds
   (never a stretched bar), exactly ``audio.bar_samples(bpm)`` samples; where the wanted
   bar is longer, a slice that plays out before the next rings on with the bar rendered
   directly at the wanted tempo (`ring_tails`);
3. brought to its loudness target and true-peak limited (the operations' leveling step,
   optionally at another output rate).

The CLI's operations (`decode`, `interpolate`, `reconstruct`, `sample`), `evaluate`, the
benchmarks and the scripts all render through here, so every published figure measures what
users get.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np

from drumaae.config import AudioConfig
from drumaae.inference.backend import Backend, load_backend

__all__ = ["RENDER_CHUNK", "Rendered", "render_codes", "render_features", "native_codes",
           "native_features", "finish", "slower_bars", "ring_tails", "code_tails",
           "feature_tails", "endpoint_phases", "path_labels"]

RENDER_CHUNK = 8
"""Bars per render call: long inputs render in chunks (progress after each), the same
chunks whether progress is reported or not, so outputs never depend on it."""

ProgressFn = Callable[[str, int, int], None]


@dataclasses.dataclass
class Rendered:
    """Bars as users get them.

    Attributes:
        bars: float32 `(bar_samples(bpm),)` per bar at `sample_rate` (lengths differ with
            tempo), at their loudness target and true-peak limited.
        bpms: each bar's tempo.
        native_bpms: the tempo each bar was rendered at before re-timing.
        loudness: per bar, `drumaae.audio.loudness.Leveled.summary()`.
        sample_rate: Hz.
    """

    bars: list[np.ndarray]
    bpms: list[float]
    native_bpms: list[float]
    loudness: list[dict]
    sample_rate: int


def _per_bar(values: Any, n: int, name: str) -> list:
    out = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values] * n
    if len(out) != n:
        raise ValueError(f"{name}: {len(out)} values for {n} bars")
    return out


def _native(decode: Callable[[list[int], int, np.ndarray | None], np.ndarray], n: int,
            audio: AudioConfig, native_bpms: Sequence[float],
            phase_from: Sequence[np.ndarray | None] | None,
            progress: ProgressFn | None, what: str, done: int, total: int | None
            ) -> list[np.ndarray]:
    """Step 1: render each bar at its native tempo in chunks of `RENDER_CHUNK` bars of one
    length (progress after each)."""
    from drumaae.audio.render import bar_phase

    total = n + done if total is None else total
    native_len = [audio.bar_samples(b) for b in native_bpms]
    out: list[np.ndarray | None] = [None] * n
    for length in sorted(set(native_len)):
        idx = [i for i in range(n) if native_len[i] == length]
        for k in range(0, len(idx), RENDER_CHUNK):
            chunk = idx[k: k + RENDER_CHUNK]
            phase = None
            if phase_from is not None and any(phase_from[i] is not None for i in chunk):
                rows = [i for i in chunk if phase_from[i] is not None]
                # input bars may differ in length: each is analysed on this render's grid
                parts = {i: bar_phase(np.asarray(phase_from[i], np.float32)[None], audio,
                                      length)[0] for i in rows}
                shape = next(iter(parts.values())).shape
                phase = np.stack([parts.get(i, np.full(shape, np.nan, np.float32))
                                  for i in chunk])
            waves = np.asarray(decode(chunk, length, phase), np.float32)
            for row, i in enumerate(chunk):
                out[i] = waves[row]
            done += len(chunk)
            if progress is not None:
                progress(what, done, total)
    return out  # type: ignore[return-value]


def finish(native_waves: Sequence[np.ndarray], audio: AudioConfig, *,
           bpms: float | Sequence[float], native_bpms: float | Sequence[float],
           lufs: Sequence[float | None] | None = None, match_loudness: bool = True,
           slicing: str = "onsets", output_rate: int | None = None,
           tails: Sequence[np.ndarray | None] | None = None) -> Rendered:
    """Steps 2-3 for bars rendered at their native tempo (`native_codes`,
    `native_features`): each re-timed by slices onto its wanted tempo where the two differ
    (`drumaae.audio.retime.retime`), then brought to its loudness target and true-peak
    limited (the operations' leveling, at `output_rate` if given). Calling it once per
    wanted tempo on one native render gives what users get at each tempo. `tails`: per bar
    None or the bar rendered directly at its wanted tempo, whose decays a slice rings on
    with where it plays out before the next (`retime`'s `tail`; `ring_tails`)."""
    from drumaae.audio.retime import retime
    from drumaae.inference.operations import _level_bars  # above us; imported on use

    n = len(native_waves)
    bpms = [float(b) for b in _per_bar(bpms, n, "bpms")]
    native = [float(b) for b in _per_bar(native_bpms, n, "native_bpms")]
    rings = [None] * n if tails is None else _per_bar(tails, n, "tails")
    waves = []
    for wave, bpm, ring in zip(native_waves, bpms, rings):
        want = audio.bar_samples(bpm)
        w = np.asarray(wave, np.float32)
        waves.append(retime(w, want, audio.sample_rate, mode=slicing, tail=ring)
                     if want != w.shape[-1] else w)
    match = match_loudness
    targets = [None] * n if lufs is None else _per_bar(lufs, n, "lufs")
    if output_rate is not None and int(output_rate) != audio.sample_rate:
        bars, levels = _level_bars(waves, audio.sample_rate, targets, match, audio=audio,
                                   bpms=bpms, output_rate=int(output_rate))
        rate = int(output_rate)
    else:
        bars, levels = _level_bars(waves, audio.sample_rate, targets, match)
        rate = audio.sample_rate
    return Rendered(bars=list(bars), bpms=bpms, native_bpms=native,
                    loudness=list(levels), sample_rate=rate)


def slower_bars(audio: AudioConfig, bpms: Sequence[float], native_bpms: Sequence[float]
                ) -> list[int]:
    """The bars wanted longer than they are rendered (a slower output): where re-timing's
    slices play out before the next one and ring on (`ring_tails`)."""
    return [i for i, (b, nb) in enumerate(zip(bpms, native_bpms))
            if audio.bar_samples(float(b)) > audio.bar_samples(float(nb))]


def ring_tails(render_direct: Callable[[list[int], list[float]], list[np.ndarray]], n: int,
               audio: AudioConfig, bpms: Sequence[float], native_bpms: Sequence[float]
               ) -> list[np.ndarray | None] | None:
    """`finish`'s `tails`: each slower bar (`slower_bars`) rendered directly at its wanted
    tempo by ``render_direct(indices, tempi)``, whose longer decays its slices ring on with
    (measured closer to the same loop played at that tempo than grains of a slice's own
    tail: docs/model.md, 'Tempo changes'); None where no bar is slower."""
    idx = slower_bars(audio, bpms, native_bpms)
    if not idx:
        return None
    out: list[np.ndarray | None] = [None] * n
    for i, w in zip(idx, render_direct(idx, [float(bpms[i]) for i in idx])):
        out[i] = w
    return out


def code_tails(codes, *, model: Any = None, bpms: float | Sequence[float],
               native_bpms: float | Sequence[float], iters: int, seed: int = 0,
               labels: np.ndarray | None = None) -> list[np.ndarray | None] | None:
    """`ring_tails` for codes: each slower bar's code rendered directly at its wanted tempo
    (`native_codes`, with its row of `labels` if given)."""
    backend: Backend = load_backend(model)
    z = np.asarray(codes, np.float32)
    lab = None if labels is None else np.asarray(labels, np.float32)

    def direct(idx: list[int], tempi: list[float]) -> list[np.ndarray]:
        return native_codes(z[idx], model=backend, native_bpms=tempi, iters=iters, seed=seed,
                            labels=None if lab is None else lab[idx])

    n = len(z)
    return ring_tails(direct, n, backend.audio, _per_bar(bpms, n, "bpms"),
                      _per_bar(native_bpms, n, "native_bpms"))


def feature_tails(features, audio: AudioConfig, *, bpms: float | Sequence[float],
                  native_bpms: float | Sequence[float], iters: int, seed: int = 0
                  ) -> list[np.ndarray | None] | None:
    """`ring_tails` for model features: each slower bar rendered directly at its wanted
    tempo (`native_features`)."""
    f = np.asarray(features, np.float32)

    def direct(idx: list[int], tempi: list[float]) -> list[np.ndarray]:
        return native_features(f[idx], audio, native_bpms=tempi, iters=iters, seed=seed)

    n = len(f)
    return ring_tails(direct, n, audio, _per_bar(bpms, n, "bpms"),
                      _per_bar(native_bpms, n, "native_bpms"))


def native_codes(codes, *, model: Any = None, native_bpms: float | Sequence[float],
                 iters: int, seed: int = 0,
                 phase_from: Sequence[np.ndarray | None] | None = None,
                 labels: np.ndarray | None = None, progress: ProgressFn | None = None,
                 what: str = "bar", done: int = 0, total: int | None = None
                 ) -> list[np.ndarray]:
    """Step 1 for codes: each rendered at its native tempo, float32
    ``(audio.bar_samples(native),)`` per code, not yet leveled (arguments as in
    `render_codes`)."""
    from drumaae.inference.outputs import check_rendered

    backend: Backend = load_backend(model)
    z = np.asarray(codes, np.float32)
    native = [float(b) for b in _per_bar(native_bpms, len(z), "native_bpms")]
    lab = None if labels is None else np.asarray(labels, np.float32)

    def decode(chunk: list[int], length: int, phase: np.ndarray | None) -> np.ndarray:
        kwargs: dict[str, Any] = {}
        if phase is not None:
            kwargs["init_phase"] = phase
        if lab is not None:
            kwargs["labels"] = lab[chunk]
        # each chunk checked finite: a broken model stops at once
        return check_rendered(backend.decode_codes(z[chunk], length, iters=iters, seed=seed,
                                                   **kwargs), backend.ref)

    return _native(decode, len(z), backend.audio, native, phase_from, progress, what, done,
                   total)


def native_features(features, audio: AudioConfig, *, native_bpms: float | Sequence[float],
                    iters: int, seed: int = 0,
                    phase_from: Sequence[np.ndarray | None] | None = None,
                    progress: ProgressFn | None = None, what: str = "bar", done: int = 0,
                    total: int | None = None) -> list[np.ndarray]:
    """Step 1 for model features `(n, bar_frames, n_bins)` (`render_features`)."""
    from drumaae.audio.render import render

    f = np.asarray(features, np.float32)
    native = [float(b) for b in _per_bar(native_bpms, len(f), "native_bpms")]

    def decode(chunk: list[int], length: int, phase: np.ndarray | None) -> np.ndarray:
        return render(f[chunk], audio, length, iters=iters, seed=seed, init_phase=phase)

    return _native(decode, len(f), audio, native, phase_from, progress, what, done, total)


def render_codes(codes, *, model: Any = None, bpms: float | Sequence[float],
                 native_bpms: float | Sequence[float] | None = None,
                 lufs: Sequence[float | None] | None = None, match_loudness: bool = True,
                 iters: int, seed: int = 0,
                 phase_from: Sequence[np.ndarray | None] | None = None,
                 labels: np.ndarray | None = None, slicing: str = "onsets",
                 ring: bool = True, output_rate: int | None = None,
                 progress: ProgressFn | None = None, what: str = "bar", done: int = 0,
                 total: int | None = None) -> Rendered:
    """Codes -> the bars users get (module docstring: native render, re-timing, leveling).

    Args:
        codes: float32 `(n, latent_dim)` codes (checked by the caller).
        model: a `Backend`, a DrumAAE, a reference or None (`load_backend`).
        bpms: the tempo each bar is wanted at (one number: all bars).
        native_bpms: the tempo each code was made at (an encoded bar's, the blend of a
            morph's endpoints' tempi); None: the same as `bpms` (no re-timing).
        lufs: per bar the loudness to reach (LUFS; None entries or None: keep the level).
        match_loudness: False: no gain, only the limiter.
        iters: Griffin-Lim iterations.
        seed: seed of Griffin-Lim's random phases.
        phase_from: per bar an input waveform (any length; re-analysed on the native
            render's frame grid, `drumaae.audio.render.bar_phase`) whose phase starts
            Griffin-Lim, or None for random phases; a backend that cannot (a served model)
            starts from its random phases.
        labels: `(n, K)` label weights of a conditional generator (None: p(k | z) of each
            code, as the model decides).
        slicing: how re-timing finds slices (`drumaae.audio.retime.SLICE_MODES`).
        ring: a bar re-timed onto a slower tempo is also rendered directly at it, and its
            slices ring on with that rendering's decays (`ring_tails`); False: with grains
            of each slice's own tail (one rendering per bar).
        output_rate: resample the leveled bars to this rate (Hz); None: the model's.
        progress: ``progress(what, done, total)`` after each rendered chunk.

    Returns:
        `Rendered`.
    """
    backend: Backend = load_backend(model)
    n = len(codes)
    native = bpms if native_bpms is None else native_bpms
    waves = native_codes(codes, model=backend, native_bpms=native, iters=iters, seed=seed,
                         phase_from=phase_from, labels=labels, progress=progress, what=what,
                         done=done, total=total)
    tails = code_tails(codes, model=backend, bpms=bpms, native_bpms=native, iters=iters,
                       seed=seed, labels=labels) if ring else None
    return finish(waves, backend.audio, bpms=_per_bar(bpms, n, "bpms"), native_bpms=native,
                  lufs=lufs, match_loudness=match_loudness, slicing=slicing,
                  output_rate=output_rate, tails=tails)


def render_features(features, audio: AudioConfig, *, bpms: float | Sequence[float],
                    native_bpms: float | Sequence[float] | None = None,
                    lufs: Sequence[float | None] | None = None, match_loudness: bool = True,
                    iters: int, seed: int = 0,
                    phase_from: Sequence[np.ndarray | None] | None = None,
                    slicing: str = "onsets", ring: bool = True,
                    output_rate: int | None = None,
                    progress: ProgressFn | None = None, what: str = "bar", done: int = 0,
                    total: int | None = None) -> Rendered:
    """Model features `(n, bar_frames, n_bins)` -> the bars users would get from a model
    that answered them: the same route as `render_codes` after the generator (used for the
    baselines evaluate measures beside a model: Griffin-Lim of the true features, the
    spectrogram crossfade). Arguments as in `render_codes`."""
    n = len(features)
    native = bpms if native_bpms is None else native_bpms
    waves = native_features(features, audio, native_bpms=native, iters=iters, seed=seed,
                            phase_from=phase_from, progress=progress, what=what, done=done,
                            total=total)
    tails = feature_tails(features, audio, bpms=bpms, native_bpms=native, iters=iters,
                          seed=seed) if ring else None
    return finish(waves, audio, bpms=_per_bar(bpms, n, "bpms"), native_bpms=native,
                  lufs=lufs, match_loudness=match_loudness, slicing=slicing,
                  output_rate=output_rate, tails=tails)


def endpoint_phases(alphas: Sequence[float], source: np.ndarray, target: np.ndarray,
                    native_bpms: Sequence[float] | None = None,
                    source_bpm: float | None = None, target_bpm: float | None = None
                    ) -> list[np.ndarray | None]:
    """Per step the input bar whose phase starts its Griffin-Lim: the source bar at
    alpha = 0, the target bar at alpha = 1, None (random phases) between. Given the steps'
    native tempi and the inputs' tempi, an endpoint rendered at another tempo than its
    input's own also starts from random phases: the input phase was measured better only
    where the bar is rendered at its own tempo (docs/model.md, 'Tempo changes')."""
    n = len(alphas)
    native = [None] * n if native_bpms is None else [float(b) for b in native_bpms]

    def own(k: int, bpm: float | None) -> bool:
        return native[k] is None or bpm is None or abs(native[k] - float(bpm)) < 1e-6

    return [source if float(al) == 0.0 and own(k, source_bpm)
            else target if float(al) == 1.0 and own(k, target_bpm) else None
            for k, al in enumerate(alphas)]


def path_labels(backend: Backend, codes: np.ndarray, alphas: Sequence[float]
                ) -> np.ndarray | None:
    """A conditional generator's labels along a path: (1 - a) w(z_0) + a w(z_-1), with
    w = `LocalBackend.label_weights` of the path's two ends; None (nothing to blend) for an
    unconditioned generator or a backend that labels codes itself (a served model)."""
    from drumaae.inference.backend import LocalBackend

    if not isinstance(backend, LocalBackend):
        return None
    ends = backend.label_weights(np.asarray(codes, np.float32)[[0, -1]])
    if ends is None:
        return None
    a = np.asarray(alphas, np.float32)[:, None]
    return ((1.0 - a) * ends[0][None] + a * ends[1][None]).astype(np.float32)
