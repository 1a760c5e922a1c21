"""Recording realism for the corpus: rooms, tape, noise floors, codecs and mic bleed.

Dry renders of kit samples are unlike recorded loops in ways a spectrogram shows at once:
they have no room around the hits, no saturation, nothing between the hits (their quietest
spectrogram cells are exactly zero, where a recording's hiss, hum and rumble sit 50-90 dB
below the peak), and each drum is heard only once, where a multi-mic recording hears every
drum in every microphone. This module draws and applies those properties as data, in the
same style as `drumaae.data.processing`: `draw_realism` returns a JSON-ready list of
``{"stage": ..., parameters}`` dicts (stored in the corpus manifest), `apply_realism` runs it.
Every random quantity, including an integer ``seed`` for noise, is drawn by ``draw_*`` and
stored, so ``apply_*`` is a pure function of its arguments.

Stages, each present with its own probability (`REALISM_STAGES`), in signal order:

* ``room``: a synthetic room impulse response (RT60 0.1-1.5 s) by the image source method of
  `pyroomacoustics` (``ShoeBox`` with ``inverse_sabine``), its order capped for speed and its
  late tail completed with exponentially decaying noise at the decay measured on the image
  source part (high band decaying twice as fast); mixed wet/dry with the dry bar;
* ``tape``: asymmetric ``tanh`` saturation (drive 2-12 dB), AC coupling, a gentle (first
  order) high-frequency loss, and in half the draws wow/flutter (0.1-0.5 % pitch wobble at
  0.5-8 Hz) by a periodic fractional delay;
* ``noise_floor``: hiss (white, pink or brown) 50-90 dB below the bar's peak, mains hum (50
  or 60 Hz and four harmonics) 50-80 dB below, low room rumble (noise below 30-120 Hz)
  50-80 dB below; each present or not, at least one. Levels are read on the spectrogram the
  model sees (Hann STFT cells of 1024 samples, power): hiss and rumble by the mean cell over
  their band, hum by its loudest bin, each relative to the bar's loudest cell, so that white
  hiss at -70 dB puts the median cell between the hits about 70 dB below the peak cell;
* ``codec``: an MP3 round trip (LAME via `pedalboard.MP3Compressor`, VBR quality 2-9.5):
  band limiting and pre-echo of a loop that went through a lossy file.

`apply_bleed` mixes a bar rendered role by role as a multi-mic recording summed to mono: each
role's close microphone also hears every other role, later (by the extra distance), quieter
(by the distance ratio and the microphone's off-axis rejection, 12-30 dB down) and duller.

All processing treats the audio as a loop: room and bleed are circular (periodic) filters, so
tails run over the bar line into its start as in a looped recording; the tape filters run
twice in a row and keep the second pass, as `drumaae.data.processing.apply_chain` does.

Noise comes from numpy rather than `audiomentations`: every audiomentations release requires
``soxr<1``, and the corpus resamples with ``soxr==1.1.0`` (`drumaae.data.processing.resample`).
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any, Iterable

import numpy as np
from scipy import signal

from drumaae.errors import DataError

__all__ = [
    "REALISM_STAGES",
    "draw_realism",
    "apply_realism",
    "draw_bleed",
    "apply_bleed",
    "bleed_pairs",
    "room_impulse_response",
]

#: Stage name -> chance it is part of a drawn realism list.
REALISM_STAGES: dict[str, float] = {
    "room": 0.5,
    "tape": 0.35,
    "noise_floor": 0.85,
    "codec": 0.15,
}
_PEAK_DBFS = -1.0
_SPEED_OF_SOUND = 343.0  # m/s, pyroomacoustics' default
# Image source order cap: higher orders are complete further into the tail but cost more
# (the image count grows with the cube of the order); the rest of the tail is synthesised.
_MAX_ORDER = 12
_TAIL_DB = 70.0  # the synthesised tail runs until it has decayed this far
_XFADE_S = 0.005  # image-source part -> synthesised tail
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
# Noise levels are set on the spectrogram the model sees: Hann STFT cells of 1024 samples.
_REF_N_FFT, _REF_HOP = 1024, 256
_BLEED_SLOTS = 12  # kit positions in a bleed spec; role i (sorted by name) takes slot i % 12
_BLEED_MIN_M, _BLEED_MAX_M = 0.4, 2.0
_BLEED_MIN_DB, _BLEED_MAX_DB = 12.0, 30.0


def _r(x: float, digits: int = 2) -> float:
    return round(float(x), digits)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


# --- drawing ---------------------------------------------------------------------------------


def _draw_room(rng: np.random.Generator) -> dict[str, Any]:
    rt60 = float(np.exp(rng.uniform(np.log(0.1), np.log(1.5))))
    dims = np.array([rng.uniform(2.5, 12.0), rng.uniform(2.5, 10.0), rng.uniform(2.2, 5.0)])
    # Sabine's absorption grows with the room's volume-to-surface ratio and shrinks with RT60:
    # a short RT60 in a large room needs more than total absorption, so shrink the room until
    # the walls absorb at most 90 % of the energy.
    vol, surf = np.prod(dims), 2 * (dims[0] * dims[1] + dims[0] * dims[2] + dims[1] * dims[2])
    absorption = 24 * np.log(10) * vol / (_SPEED_OF_SOUND * surf * rt60)
    dims = dims * min(1.0, 0.9 / absorption)
    margin = 0.3
    src = np.array([rng.uniform(margin, dims[0] - margin), rng.uniform(margin, dims[1] - margin),
                    rng.uniform(0.3, min(1.5, dims[2] - margin))])
    dist = rng.uniform(0.5, 3.0)
    azimuth, elevation = rng.uniform(0, 2 * np.pi), rng.uniform(-0.3, 0.6)
    direction = np.array([np.cos(azimuth) * np.cos(elevation),
                          np.sin(azimuth) * np.cos(elevation), np.sin(elevation)])
    mic = np.clip(src + dist * direction, margin, dims - margin)
    return {"stage": "room", "rt60_s": _r(rt60, 3), "room_m": [_r(d) for d in dims],
            "source_m": [_r(p) for p in src], "mic_m": [_r(p) for p in mic],
            "wet": _r(rng.uniform(0.1, 0.6)), "seed": _seed(rng)}


def _draw_tape(rng: np.random.Generator) -> dict[str, Any]:
    wobble = rng.random() < 0.5
    return {"stage": "tape", "drive_db": _r(rng.uniform(2, 12)),
            "bias": _r(rng.uniform(0.0, 0.15), 3),
            "lowpass_hz": _r(rng.uniform(4000, 14000), 1),
            "wow_percent": _r(rng.uniform(0.1, 0.5), 3) if wobble else 0.0,
            "wow_hz": _r(np.exp(rng.uniform(np.log(0.5), np.log(8.0))), 3),
            "wow_phase": _r(rng.uniform(0, 2 * np.pi), 3)}


def _draw_noise_floor(rng: np.random.Generator) -> dict[str, Any]:
    parts = {name: rng.random() < p for name, p in (("hiss", 0.85), ("hum", 0.35),
                                                    ("rumble", 0.3))}
    if not any(parts.values()):
        parts["hiss"] = True
    step: dict[str, Any] = {"stage": "noise_floor", "seed": _seed(rng)}
    if parts["hiss"]:
        step["hiss"] = {"color": ("white", "pink", "brown")[int(rng.choice(3, p=[0.4, 0.4, 0.2]))],
                        "level_db": _r(rng.uniform(-90, -50))}
    if parts["hum"]:
        step["hum"] = {"hz": 50 if rng.random() < 0.5 else 60,
                       "level_db": _r(rng.uniform(-80, -50)),
                       "harmonics_db": [_r(rng.uniform(-24, -3)) for _ in range(4)]}
    if parts["rumble"]:
        step["rumble"] = {"cutoff_hz": _r(rng.uniform(30, 120), 1),
                          "level_db": _r(rng.uniform(-80, -50))}
    return step


def _draw_codec(rng: np.random.Generator) -> dict[str, Any]:
    return {"stage": "codec", "vbr_quality": _r(rng.uniform(2.0, 9.5))}


_DRAW = {"room": _draw_room, "tape": _draw_tape, "noise_floor": _draw_noise_floor,
         "codec": _draw_codec}


def draw_realism(rng: np.random.Generator) -> list[dict[str, Any]]:
    """A random list of realism stages (at least one), as JSON-ready data, in signal order.

    Each stage of `REALISM_STAGES` is drawn with its chance; when none is, the list is a
    ``noise_floor`` alone (the property every recording has). Ranges: room RT60 0.1-1.5 s
    (log-uniform), room 2.5-12 x 2.5-10 x 2.2-5 m (shrunk where the RT60 is too short for
    it), microphone 0.5-3 m from the source, wet 0.1-0.6; tape drive 2-12 dB, bias 0-0.15,
    low-pass 4-14 kHz, wow 0.1-0.5 % at 0.5-8 Hz in half the draws; hiss -90..-50 dB, hum
    -80..-50 dB, rumble -80..-50 dB (spectrogram levels relative to the bar's loudest cell,
    see `apply_realism`); MP3 VBR quality 2-9.5.

    Args:
        rng: the generator to draw from.

    Returns:
        A list of ``{"stage": name, ...}`` dicts for `apply_realism`.
    """
    names = [name for name, p in REALISM_STAGES.items() if rng.random() < p] or ["noise_floor"]
    return [_DRAW[name](rng) for name in REALISM_STAGES if name in names]


# --- room ------------------------------------------------------------------------------------


def _decay_fit(h: np.ndarray, sample_rate: int, start: int, stop: int
               ) -> tuple[float, float] | None:
    """Line fitted to the 10 ms mean energy (dB) of ``h[start:stop]`` against time from
    ``h[0]`` (s): (slope dB/s, intercept dB), or None where it does not decay."""
    frame = max(1, int(0.01 * sample_rate))
    k = (stop - start) // frame
    if k < 4:
        return None
    energy = np.mean(h[start:start + k * frame].reshape(k, frame) ** 2, axis=1)
    ok = energy > 0
    if ok.sum() < 4:
        return None
    t = (start + (np.arange(k) + 0.5) * frame) / sample_rate
    slope, intercept = np.polyfit(t[ok], 10 * np.log10(energy[ok]), 1)
    return (float(slope), float(intercept)) if slope < 0 else None


@functools.lru_cache(maxsize=32)
def _room_rir_cached(key: str, sample_rate: int) -> np.ndarray:
    import pyroomacoustics as pra  # 1-2 s to import: only when a room stage runs

    step = json.loads(key)
    rt60 = float(step["rt60_s"])
    dims = np.asarray(step["room_m"], dtype=float)
    src = np.asarray(step["source_m"], dtype=float)
    mic = np.asarray(step["mic_m"], dtype=float)
    # Put the microphone a whole number of samples from the source, so that the direct sound
    # lands on one sample and the wet/dry mix has no fractional-delay comb.
    dist = float(np.linalg.norm(mic - src))
    snapped = max(1, round(dist * sample_rate / _SPEED_OF_SOUND)) * _SPEED_OF_SOUND / sample_rate
    mic = src + (mic - src) * (snapped / dist) if dist > 0 else src + [snapped, 0, 0]
    try:
        absorption, order_needed = pra.inverse_sabine(rt60, dims)
    except ValueError as exc:
        raise DataError(f"room stage: RT60 {rt60} s is too short for a {dims.tolist()} m room; "
                        "draw the stage with draw_realism") from exc
    order = int(min(order_needed, _MAX_ORDER))
    room = pra.ShoeBox(dims, fs=sample_rate, materials=pra.Material(float(absorption)),
                       max_order=order, air_absorption=False)
    room.add_source(src.tolist())
    room.add_microphone(np.asarray(mic, dtype=float).tolist())
    room.compute_rir()
    h = np.asarray(room.rir[0][0], dtype=np.float64)
    direct = int(np.argmax(np.abs(h)))
    h = h[direct:] / h[direct]  # direct sound at sample 0, unit gain
    length = int(math.ceil(rt60 * _TAIL_DB / 60.0 * sample_rate)) + 1
    if order < order_needed:
        # The image sources of order <= N include every reflection whose path is shorter than
        # N+1 times the radius of the largest sphere that fits in the room's "diamond" of
        # images (pyroomacoustics' own order formula): from there on the response thins out.
        radius = min(a * b / np.hypot(a, b) for a, b in ((dims[0], dims[1]), (dims[0], dims[2]),
                                                         (dims[1], dims[2])))
        complete = int(((order + 1) * radius - snapped) / _SPEED_OF_SOUND * sample_rate)
        complete = max(1, min(complete, len(h)))
        # Fit the decay on 25-60 % of the complete part: before it the direct sound and early
        # reflections dominate, after it the image sources of the highest order thin out
        # (fitting up to the limit made the tails of 10 % of rooms 30 % too long).
        fit = _decay_fit(h, sample_rate, complete // 4, int(0.6 * complete))
        fade = max(1, min(int(_XFADE_S * sample_rate), complete))
        begin = complete - fade  # the tail fades in over [begin, complete)
        if fit is not None and rt60 / 3 <= -60.0 / fit[0] <= 3 * rt60:
            measured, start_db = -60.0 / fit[0], fit[1] + fit[0] * begin / sample_rate
        else:  # too little decay to measure: the target RT60 and the level where we cut
            measured = rt60
            start_db = 10 * np.log10(max(float(np.mean(h[begin:complete] ** 2)), 1e-20))
        length = max(length, complete + 1)
        t = np.arange(length - begin) / sample_rate
        noise = np.random.default_rng(int(step["seed"])).standard_normal(length - begin)
        # Two bands split by complementary first-order filters (they sum to the input): the
        # highs decay twice as fast, as air and soft surfaces absorb them more.
        b, a = signal.butter(1, min(4000.0, 0.3 * sample_rate), fs=sample_rate)
        low = signal.lfilter(b, a, noise)
        tail = low * 10.0 ** (-3.0 * t / measured) + (noise - low) * 10.0 ** (-6.0 * t / measured)
        tail *= 10.0 ** (start_db / 20.0)
        ramp = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade) ** 2
        tail[:fade] *= ramp
        out = np.zeros(length)
        out[:complete] = h[:complete]
        out[begin:complete] *= 1.0 - ramp
        out[begin:] += tail
        h = out
    h = h[:length].astype(np.float32)
    h.flags.writeable = False
    return h


def room_impulse_response(step: dict[str, Any], sample_rate: int) -> np.ndarray:
    """The room impulse response of a ``room`` stage, direct sound at sample 0 with gain 1.

    Image sources (pyroomacoustics, single-band absorption from Sabine's formula) up to order
    12; where the RT60 needs more, the response after the last complete image order is
    replaced by noise decaying at the rate measured on the image-source part. Results are
    cached by parameters.

    Args:
        step: a ``room`` stage from `draw_realism`.
        sample_rate: in Hz.

    Returns:
        float32, shape ``(samples,)``, read-only; about ``rt60_s * 70 / 60`` seconds long.
    """
    return _room_rir_cached(json.dumps(step, sort_keys=True), int(sample_rate))


def _circular_convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Periodic convolution of a loop ``x`` (n,) with ``h`` of any length: ``h`` is folded
    onto n samples, so whatever rings past the loop's end sounds at its start."""
    n = len(x)
    folded = np.zeros(n, dtype=np.float64)
    for k in range(0, len(h), n):
        part = h[k:k + n]
        folded[:len(part)] += part
    y = signal.fftconvolve(x.astype(np.float64), folded)
    y[:n - 1] += y[n:]
    return y[:n]


def _room(x: np.ndarray, sample_rate: int, step: dict[str, Any]) -> np.ndarray:
    wet = float(step["wet"])
    h = room_impulse_response(step, sample_rate)
    return (1.0 - wet) * x + wet * _circular_convolve(x, h)


# --- tape ------------------------------------------------------------------------------------


def _two_pass_sos(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    n = len(x)
    return signal.sosfilt(sos, np.concatenate([x, x]))[n:]


def _periodic_delay(x: np.ndarray, delay: np.ndarray) -> np.ndarray:
    """``x`` read at ``i - delay[i]`` (samples, fractional; linear interpolation), wrapping
    around the loop."""
    n = len(x)
    pos = (np.arange(n) - delay) % n
    i0 = np.floor(pos).astype(np.int64)
    frac = pos - i0
    return x[i0 % n] * (1.0 - frac) + x[(i0 + 1) % n] * frac


def _tape(x: np.ndarray, sample_rate: int, step: dict[str, Any]) -> np.ndarray:
    peak = float(np.max(np.abs(x)))
    if peak <= 0:
        return x
    g = 10.0 ** (float(step["drive_db"]) / 20.0)
    bias = float(step["bias"])
    # Asymmetric soft clip, zero at zero: even and odd harmonics, and a DC shift on hits that
    # the AC coupling (20 Hz high-pass) turns into the slow undershoot of real gear.
    y = (np.tanh(g * (x / peak + bias)) - np.tanh(g * bias)) * (peak / g)
    nyq = 0.5 * sample_rate
    sos = np.concatenate([
        signal.butter(2, min(20.0, 0.1 * nyq), btype="highpass", fs=sample_rate, output="sos"),
        signal.butter(1, min(float(step["lowpass_hz"]), 0.9 * nyq), fs=sample_rate,
                      output="sos"),
    ])
    y = _two_pass_sos(y, sos)
    depth = float(step["wow_percent"]) / 100.0
    if depth > 0:
        # Delay d(t) = D sin(2 pi f t + phi) changes the pitch by the factor 1 - d'(t): a
        # peak deviation of `depth` needs D = depth / (2 pi f) seconds.
        f = float(step["wow_hz"])
        amp = depth / (2 * np.pi * f) * sample_rate
        t = np.arange(len(y)) / sample_rate
        y = _periodic_delay(y, amp * np.sin(2 * np.pi * f * t + float(step["wow_phase"])))
    return y


# --- noise floor -----------------------------------------------------------------------------


def _colored_noise(rng: np.random.Generator, n: int, color: str, sample_rate: int
                   ) -> np.ndarray:
    """Gaussian noise with power spectrum 1/f^beta (white 0, pink 1, brown 2), flat below
    20 Hz, unit RMS."""
    beta = {"white": 0.0, "pink": 1.0, "brown": 2.0}.get(color)
    if beta is None:
        raise DataError(f"noise_floor: unknown hiss color {color!r} (white, pink or brown)")
    white = rng.standard_normal(n)
    if beta:
        spec = np.fft.rfft(white)
        f = np.maximum(np.fft.rfftfreq(n, 1.0 / sample_rate), 20.0)
        white = np.fft.irfft(spec * f ** (-beta / 2), n)
    return white / max(float(np.sqrt(np.mean(white ** 2))), 1e-20)


def _cell_power(x: np.ndarray) -> np.ndarray:
    """Power of the Hann STFT cells of ``x`` (frames of `_REF_N_FFT` at hop `_REF_HOP`, not
    centred, zero-padded to one frame): shape ``(frames, _REF_N_FFT // 2 + 1)``."""
    if len(x) < _REF_N_FFT:
        x = np.pad(x, (0, _REF_N_FFT - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, _REF_N_FFT)[::_REF_HOP]
    return np.abs(np.fft.rfft(frames * _hann(), axis=1)) ** 2


@functools.lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return np.hanning(_REF_N_FFT)


def _scale_to(wave: np.ndarray, level_db: float, ref_power: float, bins: slice | None = None
              ) -> np.ndarray:
    """``wave`` scaled so that the mean power of its STFT cells (over ``bins``; or, with
    ``bins=None``, in its loudest bin) is ``level_db`` relative to ``ref_power``."""
    power = _cell_power(wave).mean(axis=0)
    current = float(power[bins].mean()) if bins is not None else float(power.max())
    if current <= 0:
        return wave
    return wave * np.sqrt(ref_power * 10.0 ** (level_db / 10.0) / current)


def _noise_floor(x: np.ndarray, sample_rate: int, step: dict[str, Any]) -> np.ndarray:
    n = len(x)
    peak = float(_cell_power(x).max()) if n else 0.0
    if peak <= 0:
        return x
    seed = int(step["seed"])
    out = np.array(x, dtype=np.float64)
    bin_hz = sample_rate / _REF_N_FFT
    if "hiss" in step:
        hiss = step["hiss"]
        noise = _colored_noise(np.random.default_rng([seed, 0]), n, hiss["color"], sample_rate)
        out += _scale_to(noise, float(hiss["level_db"]), peak, slice(None))
    if "hum" in step:
        hum = step["hum"]
        phases = np.random.default_rng([seed, 1]).uniform(0, 2 * np.pi, 5)
        t = np.arange(n) / sample_rate
        gains = [1.0] + [10.0 ** (float(d) / 20.0) for d in hum["harmonics_db"]]
        wave = np.zeros(n)
        for k, (gain, phase) in enumerate(zip(gains, phases), start=1):
            if k * float(hum["hz"]) < 0.5 * sample_rate:
                wave += gain * np.sin(2 * np.pi * k * float(hum["hz"]) * t + phase)
        out += _scale_to(wave, float(hum["level_db"]), peak)
    if "rumble" in step:
        rumble = step["rumble"]
        cutoff = min(float(rumble["cutoff_hz"]), 0.4 * sample_rate)
        warm = int(sample_rate)  # let the low-pass settle on noise we then drop
        noise = np.random.default_rng([seed, 2]).standard_normal(n + warm)
        sos = signal.butter(2, cutoff, fs=sample_rate, output="sos")
        wave = signal.sosfilt(sos, noise)[warm:]
        out += _scale_to(wave, float(rumble["level_db"]), peak,
                         slice(0, max(1, int(round(cutoff / bin_hz))) + 1))
    return out


# --- codec -----------------------------------------------------------------------------------


def _codec(x: np.ndarray, sample_rate: int, step: dict[str, Any]) -> np.ndarray:
    if int(sample_rate) not in _MP3_RATES:
        raise DataError(f"codec stage: MP3 has no {sample_rate} Hz mode "
                        f"(one of {', '.join(map(str, _MP3_RATES))})")
    try:
        import pedalboard
    except ImportError as exc:
        raise DataError("the codec stage needs pedalboard: pip install pedalboard==0.9.26"
                        ) from exc
    n = len(x)
    mp3 = pedalboard.MP3Compressor(vbr_quality=float(step["vbr_quality"]))
    # pedalboard compensates the encoder's latency; the second pass of the loop is kept.
    y = mp3(np.concatenate([x, x]).astype(np.float32)[None, :], float(sample_rate), reset=True)
    return np.asarray(y[0][n:2 * n], dtype=np.float64)


_APPLY = {"room": _room, "tape": _tape, "noise_floor": _noise_floor, "codec": _codec}


def apply_realism(audio: np.ndarray, sample_rate: int, stages: list[dict[str, Any]]
                  ) -> np.ndarray:
    """Run realism ``stages`` on a mono bar or loop; returns float32 of the same length.

    The audio is treated as a loop (room reverberation wraps round from the end to the
    start; filters run over two copies and keep the second). Noise levels are power levels of
    Hann STFT cells (1024 samples, hop 256) relative to the loudest cell of the signal as it
    reaches the ``noise_floor`` stage: hiss and rumble by their mean cell over their band (all
    bins; bins up to the rumble's corner), hum by the mean cell of its loudest bin. The
    result is peak-normalised to -1 dBFS. Deterministic: the same stages give the same
    samples.

    Args:
        audio: mono samples, shape ``(samples,)``.
        sample_rate: in Hz.
        stages: as drawn by `draw_realism` (or loaded back from JSON).

    Returns:
        float32, shape ``(samples,)``.

    Raises:
        DataError: an unknown stage, or parameters the stage cannot use.
    """
    for step in stages:
        if step.get("stage") not in _APPLY:
            raise DataError(f"unknown realism stage {step.get('stage')!r} "
                            f"(one of {', '.join(_APPLY)})")
    x = np.asarray(audio, dtype=np.float64).reshape(-1)
    if len(x):
        for step in stages:
            x = _APPLY[step["stage"]](x, int(sample_rate), step)
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak > 0:
        x = x * (10.0 ** (_PEAK_DBFS / 20.0) / peak)
    return np.ascontiguousarray(x, dtype=np.float32)


# --- mic bleed -------------------------------------------------------------------------------


def draw_bleed(rng: np.random.Generator) -> dict[str, Any]:
    """A random multi-microphone kit, as JSON-ready data for `apply_bleed`.

    The spec holds 12 kit positions ("slots": a point in a 2 m wide area, the close
    microphone's distance to its own drum 3-12 cm, its off-axis rejection 0-8 dB and the
    corner of its off-axis dullness 1.5-6 kHz). A bar's roles, sorted by name, take slots in
    turn, so one spec serves any role set.

    Args:
        rng: the generator to draw from.

    Returns:
        ``{"stage": "bleed", "slots": [{"x_m", "y_m", "close_m", "reject_db",
        "cutoff_hz"}, ...]}``.
    """
    slots = []
    for _ in range(_BLEED_SLOTS):
        radius, angle = np.sqrt(rng.uniform(0, 1)) * 1.0, rng.uniform(0, 2 * np.pi)
        slots.append({"x_m": _r(radius * np.cos(angle), 3), "y_m": _r(radius * np.sin(angle), 3),
                      "close_m": _r(rng.uniform(0.03, 0.12), 3),
                      "reject_db": _r(rng.uniform(0, 8)),
                      "cutoff_hz": _r(rng.uniform(1500, 6000), 1)})
    return {"stage": "bleed", "slots": slots}


def bleed_pairs(spec: dict[str, Any], roles: Iterable[str]) -> list[dict[str, Any]]:
    """What each role's microphone hears of each other role under a bleed ``spec``.

    Distance between two drums: their slots' distance, kept within 0.4-2 m. The bleed of
    ``source`` into ``mic`` arrives ``(distance - close_m[source]) / 343`` seconds after
    ``source``'s own close microphone hears it, ``20 log10(distance / close_m[mic]) +
    reject_db[mic]`` dB down (kept within 12-30 dB), low-passed at ``cutoff_hz[mic]``.

    Args:
        spec: from `draw_bleed`.
        roles: the roles of the bar.

    Returns:
        One dict per ordered pair: ``{"mic", "source", "distance_m", "delay_ms",
        "level_db", "cutoff_hz"}``, ``level_db`` negative.
    """
    if spec.get("stage") != "bleed" or not spec.get("slots"):
        raise DataError("a bleed spec is {'stage': 'bleed', 'slots': [...]} from draw_bleed")
    slots = spec["slots"]
    names = sorted(set(roles))
    where = {role: slots[i % len(slots)] for i, role in enumerate(names)}
    pairs = []
    for mic in names:
        m = where[mic]
        for source in names:
            if source == mic:
                continue
            s = where[source]
            dist = float(np.clip(np.hypot(m["x_m"] - s["x_m"], m["y_m"] - s["y_m"]),
                                 _BLEED_MIN_M, _BLEED_MAX_M))
            down = 20 * np.log10(dist / float(m["close_m"])) + float(m["reject_db"])
            pairs.append({"mic": mic, "source": source, "distance_m": dist,
                          "delay_ms": 1000.0 * (dist - float(s["close_m"])) / _SPEED_OF_SOUND,
                          "level_db": -float(np.clip(down, _BLEED_MIN_DB, _BLEED_MAX_DB)),
                          "cutoff_hz": float(m["cutoff_hz"])})
    return pairs


def apply_bleed(stems: dict[str, np.ndarray], sample_rate: int, spec: dict[str, Any]
                ) -> np.ndarray:
    """Mix a bar rendered role by role as a multi-microphone recording summed to mono.

    The mix is the sum of the stems (each role's close microphone) plus, for every ordered
    pair of roles, the source role delayed, low-passed (zero-phase first-order magnitude) and
    attenuated as `bleed_pairs` gives it: comb filtering and smear where the copies meet.
    Delays are periodic (the stems are a loop): what is pushed past the end sounds at the
    start; fractions of a sample by linear interpolation. The level is not normalised:
    without bleed the result is the plain sum.

    Args:
        stems: role -> mono float samples, all of shape ``(samples,)``.
        sample_rate: in Hz.
        spec: from `draw_bleed`.

    Returns:
        float32, shape ``(samples,)``.

    Raises:
        DataError: no stems, stems of different lengths, or a malformed spec.
    """
    if not stems:
        raise DataError("apply_bleed needs at least one stem")
    arrays = {role: np.asarray(s, dtype=np.float64).reshape(-1) for role, s in stems.items()}
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise DataError(f"apply_bleed: stems differ in length ({sorted(lengths)} samples)")
    n = lengths.pop()
    pairs = bleed_pairs(spec, arrays)
    mix = np.sum(list(arrays.values()), axis=0)
    if n == 0 or not pairs:
        return mix.astype(np.float32)
    f = np.fft.rfftfreq(n, 1.0 / sample_rate)
    bleed = np.zeros(len(f), dtype=np.complex128)
    by_mic: dict[str, list[dict[str, Any]]] = {}
    for p in pairs:
        if np.any(arrays[p["source"]]):
            by_mic.setdefault(p["mic"], []).append(p)
    for mic_pairs in by_mic.values():
        heard = np.zeros(n)
        for p in mic_pairs:
            # periodic fractional delay: whole samples by rotation, the rest by linear
            # interpolation (its top-octave loss is far above the low-pass below)
            delay = p["delay_ms"] * 1e-3 * sample_rate
            whole, frac = int(np.floor(delay)), delay - np.floor(delay)
            src = np.roll(arrays[p["source"]], whole)
            heard += (10.0 ** (p["level_db"] / 20.0)) * (
                (1.0 - frac) * src + frac * np.roll(src, 1))
        # the microphone's off-axis dullness: a first-order low-pass magnitude, zero phase
        bleed += np.fft.rfft(heard) / np.sqrt(1.0 + (f / mic_pairs[0]["cutoff_hz"]) ** 2)
    return (mix + np.fft.irfft(bleed, n)).astype(np.float32)
