"""Audio in and out: the one module that decodes, resamples and writes audio files.

tensorflow-io decodes and resamples first; soundfile (libsndfile) and soxr take over for a file
tensorflow-io cannot read correctly. tensorflow-io is unmaintained, so it stays in this module
and nothing else in drumaae imports it. See docs/data.md for the formats and the measurements
behind the choices below.

Samples are float32 in [-1, 1], mono (the mean of the channels), one-dimensional
``(samples,)``; rates are in Hz. `to_mono` is the one audio-input normaliser: every input
(a decoded file here, an array handed to `drumaae.inference`, bars cut by
`drumaae.audio.bars`, the training index in `drumaae.data.dataset`) becomes mono at the
model's rate through it, and a bad input raises an `AudioError`.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import soundfile as sf

from drumaae.errors import (
    AudioError,
    AudioFileNotFoundError,
    EmptyAudioError,
    NonFiniteAudioError,
    NotAudioError,
    SilentAudioError,
    TooShortError,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "SILENCE_PEAK",
    "DecodedAudio",
    "load_audio",
    "decode_audio",
    "check_samples",
    "to_mono",
    "RESAMPLERS",
    "MAX_CHANNELS",
    "MIN_OUTPUT_RATE",
    "MAX_OUTPUT_RATE",
    "check_output_rate",
    "resample_exact",
    "save_wav",
    "audio_info",
    "resampled_length",
    "decode_for_dataset",
    "tfio_resample_plan",
]

#: File name endings searched for in corpus folders.
AUDIO_EXTENSIONS = (".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3")

#: Most channels an input may have (more columns than this is a transposed array).
MAX_CHANNELS = 64

#: Output rates `check_output_rate` accepts, Hz.
MIN_OUTPUT_RATE = 8000
MAX_OUTPUT_RATE = 384000

#: A file whose absolute peak is below this (-80 dBFS) is silent.
SILENCE_PEAK = 1e-4

_FORMATS_TEXT = "WAV, FLAC, OGG/Vorbis, MP3"

# (libsndfile format, subtype) -> (dtype tensorflow-io decodes to, scale, offset) for the
# encodings tensorflow-io reads correctly (checked by tests/audio/test_io.py).
# Left out on purpose: 32-bit integer WAV, which tensorflow-io 0.37.1 reports as float32 and
# decodes to garbage (NaN) — measured; soundfile reads it. Anything not listed goes to
# soundfile directly.
_TFIO_ENCODINGS: dict[tuple[str, str], tuple[str, float, float]] = {
    ("WAV", "PCM_U8"): ("uint8", 1.0 / 128.0, -128.0),
    ("WAV", "PCM_16"): ("int16", 1.0 / 32768.0, 0.0),
    ("WAV", "PCM_24"): ("int32", 1.0 / 2147483648.0, 0.0),  # left-aligned in int32
    ("WAV", "FLOAT"): ("float32", 1.0, 0.0),
    ("FLAC", "PCM_16"): ("int16", 1.0 / 32768.0, 0.0),
    ("FLAC", "PCM_24"): ("int32", 1.0 / 2147483648.0, 0.0),
    ("OGG", "VORBIS"): ("float32", 1.0, 0.0),
    ("MP3", "MPEG_LAYER_III"): ("float32", 1.0, 0.0),
}
_TFIO_SCALES = {dtype: (scale, offset) for dtype, scale, offset in _TFIO_ENCODINGS.values()}


@dataclass(frozen=True)
class DecodedAudio:
    """A decoded file.

    Attributes:
        samples: float32 mono samples ``(samples,)`` at `sample_rate`.
        sample_rate: rate of `samples` in Hz.
        source_rate: the file's own rate in Hz.
        channels: the file's channel count (mixed to mono in `samples`).
        decoder: ``"tfio"`` or ``"soundfile"``: which library decoded it.
        tfio_dtype: the dtype tensorflow-io decodes this file to (``"int16"``...), or None
            when tensorflow-io is not used for it.
        heard: the file as decoded, float32 ``(frames, channels)`` at `source_rate`: what a
            listener hears (its loudness is measured over its channels, ITU-R BS.1770).
    """

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    channels: int
    decoder: str
    tfio_dtype: str | None
    heard: np.ndarray | None = field(default=None, repr=False, compare=False)


def _name(path: str | os.PathLike) -> str:
    return os.path.basename(os.fspath(path)) or os.fspath(path)


def resampled_length(n: int, rate_in: int, rate_out: int) -> int:
    """Samples after resampling `n` samples from `rate_in` to `rate_out` Hz (rounded up)."""
    if rate_in == rate_out:
        return int(n)
    return int(math.ceil(n * rate_out / rate_in))


def audio_info(path: str | os.PathLike) -> dict[str, Any]:
    """What a file holds, from its header only (nothing is decoded).

    Returns:
        ``{"path", "sample_rate", "channels", "frames", "duration", "format", "subtype"}``;
        duration in seconds, frames per channel. For MP3 the frame count comes from the
        stream's header and may be approximate.

    Raises:
        AudioFileNotFoundError: no such file.
        NotAudioError: not a file in a format drumaae reads.
    """
    path = os.fspath(path)
    _check_exists(path)
    try:
        info = sf.info(path)
    except Exception as exc:  # libsndfile raises RuntimeError / LibsndfileError
        raise NotAudioError(
            f"{_name(path)} is not an audio file drumaae can read ({_FORMATS_TEXT})"
        ) from exc
    return {
        "path": path,
        "sample_rate": int(info.samplerate),
        "channels": int(info.channels),
        "frames": int(info.frames),
        "duration": float(info.frames) / float(info.samplerate) if info.samplerate else 0.0,
        "format": str(info.format),
        "subtype": str(info.subtype),
    }


def _check_exists(path: str) -> None:
    if not os.path.exists(path):
        raise AudioFileNotFoundError(f"{path} does not exist: check the path")
    if os.path.isdir(path):
        raise NotAudioError(f"{path} is a folder, not an audio file: give a file")


def _tf():
    import tensorflow as tf  # lazy: importing drumaae.audio.io stays cheap

    return tf


def _tfio():
    import tensorflow_io as tfio  # the only import of tensorflow-io in drumaae

    return tfio


def _tfio_decode_bytes(contents, dtype: str):
    """Decode a whole file's bytes with tensorflow-io to float32 ``(frames, channels)``.

    Stateless ops on the bytes (``tfio.audio.decode_wav/flac/vorbis/mp3``, picked by the
    file's magic number), never `tfio.audio.AudioIOTensor`: that op keeps its file in a
    resource owned by the op's kernel, so concurrent calls (tf.data's parallel `map`, or
    threads) share it and one file can come back with the next file's samples (measured:
    1-6 of 258 files per pass). Runs eagerly or inside a graph; same numbers as
    AudioIOTensor for every encoding in `_TFIO_ENCODINGS` (tests/audio/test_io.py).
    """
    tf, tfio = _tf(), _tfio()
    scale, offset = _TFIO_SCALES[dtype]
    tf_dtype = getattr(tf, dtype)
    magic = tf.strings.substr(contents, 0, 4)
    # Which containers tensorflow-io reads at each dtype (see _TFIO_ENCODINGS).
    cases = [(tf.equal(magic, b"RIFF"), lambda: tfio.audio.decode_wav(contents, dtype=tf_dtype))]
    if dtype in ("int16", "int32"):
        cases.append((tf.equal(magic, b"fLaC"),
                      lambda: tfio.audio.decode_flac(contents, dtype=tf_dtype)))
    if dtype == "float32":
        cases.append((tf.equal(magic, b"OggS"), lambda: tfio.audio.decode_vorbis(contents)))
        default = lambda: tfio.audio.decode_mp3(contents)  # noqa: E731  (ID3 or a frame sync)
    else:
        default = cases[0][1]
    data = tf.case(cases, default=default, exclusive=True)
    data = (tf.cast(data, tf.float32) + offset) * scale
    return tf.reshape(data, [tf.shape(data)[0], -1])


def _decode_tfio(path: str, dtype: str, rate: int) -> tuple[np.ndarray, int]:
    """Eager tensorflow-io decode to float32 ``(frames, channels)``; `rate` from the header."""
    tf = _tf()
    with open(path, "rb") as f:
        contents = f.read()
    return _tfio_decode_bytes(tf.constant(contents), dtype).numpy(), int(rate)


def _decode_soundfile(path: str) -> tuple[np.ndarray, int]:
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    return data, int(rate)


@functools.lru_cache(maxsize=64)
def _tfio_resample_delay(rate_in: int, rate_out: int) -> int:
    """Output samples by which `tfio.audio.resample` delays its output.

    tensorflow-io streams through soxr without flushing, so its output lags by a filter delay
    (measured: 32 samples at the lower of the two rates, e.g. 32 for 44.1k->8k and 64 for
    11.025k->22.05k) and its tail is cut. Measured once per rate pair on an impulse.
    """
    tf, tfio = _tf(), _tfio()
    # The impulse sits where an output sample falls exactly, so the peak is not rounded.
    step = rate_in // math.gcd(rate_in, rate_out)
    k = step * int(math.ceil(2048 * max(1.0, rate_in / rate_out) / step))
    n = 2 * k + 4096 * int(math.ceil(max(1.0, rate_in / rate_out)))
    impulse = np.zeros(n, np.float32)
    impulse[k] = 1.0
    out = tfio.audio.resample(tf.constant(impulse), rate_in, rate_out).numpy()
    return max(0, int(np.argmax(np.abs(out))) - int(round(k * rate_out / rate_in)))


def _resample_pad(rate_in: int, rate_out: int) -> int:
    """Input zeros appended before `tfio.audio.resample` so its delayed tail is kept."""
    delay_out = _tfio_resample_delay(rate_in, rate_out)
    return int(math.ceil((delay_out + 2) * rate_in / rate_out)) + 1


def _resample_tfio(mono: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    tf, tfio = _tf(), _tfio()
    n_out = resampled_length(len(mono), rate_in, rate_out)
    delay = _tfio_resample_delay(rate_in, rate_out)
    padded = np.concatenate([mono, np.zeros(_resample_pad(rate_in, rate_out), np.float32)])
    out = tfio.audio.resample(tf.constant(padded), rate_in, rate_out).numpy()
    return _fit(out[delay:], n_out)


def _resample_soxr(mono: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    import soxr  # installed with librosa

    n_out = resampled_length(len(mono), rate_in, rate_out)
    return _fit(soxr.resample(mono, rate_in, rate_out, quality="HQ"), n_out)


def check_output_rate(value: Any, what: str = "the output sample rate") -> int:
    """`value` as a whole output rate in [`MIN_OUTPUT_RATE`, `MAX_OUTPUT_RATE`] Hz, else
    `LimitError` (checked before any work)."""
    from drumaae.errors import LimitError

    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) or (
            isinstance(value, float) and not value.is_integer()):
        raise LimitError(f"{what} must be a whole number of Hz, got {value!r}")
    if not MIN_OUTPUT_RATE <= int(value) <= MAX_OUTPUT_RATE:
        raise LimitError(f"{what} must be in [{MIN_OUTPUT_RATE}, {MAX_OUTPUT_RATE}] Hz, got "
                         f"{value!r}")
    return int(value)


def resample_exact(x: np.ndarray, rate_in: int, rate_out: int, length: int) -> np.ndarray:
    """float32 mono `x` resampled from `rate_in` to `rate_out` Hz (soxr "HQ") and cut or
    zero-extended to exactly `length` samples (an output bar's length at `rate_out`)."""
    x = np.asarray(x, np.float32)
    if int(rate_in) != int(rate_out):
        import soxr  # installed with librosa

        x = soxr.resample(x, int(rate_in), int(rate_out), quality="HQ")
    return _fit(x, int(length))


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - len(x), np.float32)])


def check_samples(samples: np.ndarray, sample_rate: int, name: str,
                  min_seconds: float = 0.0) -> np.ndarray:
    """Check samples handed to drumaae; return them as float32.

    Args:
        samples: audio ``(samples,)`` (or ``(samples, channels)``), any float or int dtype.
        sample_rate: their rate in Hz.
        name: what to call them in a message (a file name).
        min_seconds: shortest acceptable duration (callers pass one beat).

    Raises:
        EmptyAudioError, NonFiniteAudioError, SilentAudioError, TooShortError.
    """
    x = np.asarray(samples)
    if x.size == 0:
        raise EmptyAudioError(f"{name} holds no audio samples: give a recording that is not empty")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise NonFiniteAudioError(
            f"{name} holds NaN or infinite samples: re-export it as PCM WAV or FLAC"
        )
    if float(np.max(np.abs(x))) < SILENCE_PEAK:
        raise SilentAudioError(
            f"{name} is silent (peak below -80 dBFS): give a recording with drums in it"
        )
    duration = x.shape[0] / float(sample_rate)
    if duration < min_seconds:
        raise TooShortError(
            f"{name} lasts {duration:.3f} s, shorter than the {min_seconds:.3f} s needed "
            "(one beat): give a longer recording"
        )
    return x


RESAMPLERS = ("soxr", "tfio")
"""`to_mono`'s resamplers: soxr "HQ" (arrays and files tensorflow-io does not read), or
tensorflow-io's (files it decodes: the samples the tf.data pipeline computes in its graph)."""


def to_mono(samples, sample_rate: int, target_rate: int | None = None, *,
            name: str = "the audio", min_seconds: float = 0.0,
            resampler: str = "soxr") -> np.ndarray:
    """The one audio-input normaliser: float32 mono ``(samples,)`` at `target_rate`.

    Args:
        samples: ``(samples,)`` or ``(samples, channels)`` (soundfile's layout; mixed to
            their mean), any float or int dtype. A ``(channels, samples)`` array is refused,
            never guessed: more than `MAX_CHANNELS` columns is an error that says to pass
            the transpose.
        sample_rate: their rate in Hz (a positive integer).
        target_rate: the rate to return, Hz (the model's); None keeps `sample_rate`.
        name: what to call the audio in messages (a file name).
        min_seconds: shortest acceptable duration (callers pass one beat).
        resampler: ``"soxr"`` (default) or ``"tfio"`` (see `RESAMPLERS`).

    Returns:
        float32 ``(n,)`` in [-1, 1], ``n = resampled_length(len(samples), sample_rate,
        target_rate)``.

    Raises:
        AudioError (one of its kinds, each saying what to do): a bad rate or shape,
        `EmptyAudioError`, `NonFiniteAudioError`, `SilentAudioError`, `TooShortError`.
    """
    if (isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer))
            or sample_rate <= 0):
        raise AudioError(f"{name}: the sample rate must be a positive integer in Hz, got "
                         f"{sample_rate!r}")
    rate = int(sample_rate)
    if resampler not in RESAMPLERS:
        raise ValueError(f"resampler must be one of {RESAMPLERS}, got {resampler!r}")
    x = np.asarray(samples)
    if x.ndim == 2 and x.shape[1] > MAX_CHANNELS:
        raise AudioError(f"{name}: samples of shape {x.shape} would be {x.shape[1]} channels "
                         f"(at most {MAX_CHANNELS}): give (samples, channels), e.g. the "
                         "transpose of a (channels, samples) array")
    if x.ndim not in (1, 2):
        raise AudioError(f"{name}: samples must be (samples,) or (samples, channels), got "
                         f"shape {x.shape}")
    # Checks run before resampling: a resampler smears NaN over every sample.
    x = check_samples(x, rate, name)
    mono = x.mean(axis=1, dtype=np.float32) if x.ndim == 2 else x
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    out_rate = rate if target_rate is None else int(target_rate)
    if out_rate != rate:
        if resampler == "tfio":
            try:
                mono = _resample_tfio(mono, rate, out_rate)
            except Exception:
                mono = _resample_soxr(mono, rate, out_rate)
        else:
            mono = _resample_soxr(mono, rate, out_rate)
    mono = np.clip(mono, -1.0, 1.0)
    check_samples(mono, out_rate, name, min_seconds)
    return mono


def decode_audio(path: str | os.PathLike, sample_rate: int | None = None, *,
                 min_seconds: float = 0.0, prefer_soundfile: bool = False) -> DecodedAudio:
    """Decode, check, mix to mono and resample one file; say which decoder was used.

    `load_audio` is the usual entry point; this also returns what the tf.data pipeline needs
    to decode the same file again inside its graph.

    With `prefer_soundfile`, soundfile reads the lossless encodings tensorflow-io decodes
    (PCM and float WAV, FLAC), which gives the same samples ~15x faster than an eager
    tensorflow-io call, and `decoder`/`tfio_dtype` still name tensorflow-io, the decoder the
    tf.data pipeline will use (for indexing a corpus). Lossy files are decoded as without it.
    """
    path = os.fspath(path)
    name = _name(path)
    _check_exists(path)
    try:
        info = sf.info(path)
        encoding = (str(info.format), str(info.subtype))
    except Exception:
        info, encoding = None, None

    data, rate, decoder, tfio_dtype = None, None, "soundfile", None
    plan = _TFIO_ENCODINGS.get(encoding) if encoding else None
    lossless = encoding is not None and encoding[0] in ("WAV", "FLAC")
    if plan is not None and prefer_soundfile and lossless:
        try:
            data, rate = _decode_soundfile(path)
            decoder, tfio_dtype = "tfio", plan[0]
        except Exception:
            data = None
    if data is None and plan is not None:
        try:
            data, rate = _decode_tfio(path, plan[0], info.samplerate)
            decoder, tfio_dtype = "tfio", plan[0]
        except Exception:  # tensorflow-io failed on this file: soundfile takes over
            data = None
    if data is None:
        try:
            data, rate = _decode_soundfile(path)
            decoder, tfio_dtype = "soundfile", None
        except Exception as exc:
            raise NotAudioError(
                f"{name} is not an audio file drumaae can read ({_FORMATS_TEXT})"
            ) from exc

    data = np.asarray(data, np.float32)
    mono = to_mono(data if data.shape[1] > 1 else data[:, 0], rate, sample_rate, name=name,
                   min_seconds=min_seconds, resampler="tfio" if decoder == "tfio" else "soxr")
    return DecodedAudio(
        samples=mono,
        sample_rate=rate if sample_rate is None else int(sample_rate),
        source_rate=rate,
        channels=int(data.shape[1]),
        decoder=decoder,
        tfio_dtype=tfio_dtype,
        heard=data,
    )


def load_audio(path: str | os.PathLike, sample_rate: int | None = None, *,
               min_seconds: float = 0.0) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 mono samples.

    Args:
        path: a WAV (8/16/24/32-bit PCM or float), FLAC, OGG/Vorbis or MP3 file, any rate,
            any channel count.
        sample_rate: resample to this rate in Hz; None keeps the file's rate.
        min_seconds: shortest acceptable duration (callers pass one beat).

    Returns:
        ``(samples, rate)``: float32 ``(samples,)`` in [-1, 1] (the mean of the channels) and
        their rate in Hz.

    Raises:
        AudioFileNotFoundError: no such file.
        NotAudioError: not audio, or a container/codec drumaae cannot read.
        EmptyAudioError: zero samples.
        NonFiniteAudioError: NaN or Inf samples (float WAV can hold them).
        SilentAudioError: peak below -80 dBFS.
        TooShortError: shorter than `min_seconds`.
    """
    decoded = decode_audio(path, sample_rate, min_seconds=min_seconds)
    return decoded.samples, decoded.sample_rate


def save_wav(path: str | os.PathLike, samples: np.ndarray, sample_rate: int, *,
             subtype: str = "PCM_16") -> str:
    """Write a WAV file atomically (`drumaae.fileio.atomic_write`).

    A failure never leaves a partial file at `path`. Samples are clipped to [-1, 1].

    Args:
        path: the WAV file to write (overwritten if it exists: callers check `--force`).
        samples: ``(samples,)`` or ``(samples, channels)``.
        sample_rate: rate in Hz.
        subtype: a soundfile WAV subtype (``PCM_16``, ``PCM_24``, ``FLOAT``...).

    Returns:
        `path` as a string.
    """
    from drumaae.fileio import atomic_write

    data = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return atomic_write(path, lambda tmp: sf.write(tmp, data, int(sample_rate), format="WAV",
                                                   subtype=subtype))


# --- inside a tf.data graph ---------------------------------------------------------------

def tfio_resample_plan(rate_in: int, rate_out: int) -> tuple[int, int]:
    """``(delay, pad)`` for `decode_for_dataset`: compute it eagerly, outside the graph."""
    if int(rate_in) == int(rate_out):
        return 0, 0
    return _tfio_resample_delay(int(rate_in), int(rate_out)), _resample_pad(int(rate_in),
                                                                            int(rate_out))


def decode_for_dataset(path, source_rate, target_rate: int, *, tfio_dtype: str | None,
                       plan=None):
    """Graph-mode decode of one file to float32 mono ``(samples,)`` at `target_rate`.

    For use inside `tf.data.Dataset.map`. `path` is a scalar string tensor, `source_rate` a
    scalar int tensor (the file's rate, from the index) and `plan` an int64 ``(2,)`` tensor,
    the file's `tfio_resample_plan(source_rate, target_rate)` (computed eagerly beforehand:
    tensorflow-io's resampler delays its output, see `_tfio_resample_delay`). With
    `tfio_dtype` (what `decode_audio` reported for the file) tensorflow-io decodes and
    resamples in the graph; with None the file goes through `load_audio` in a
    `tf.numpy_function` (soundfile + soxr). Both give
    `resampled_length(frames, source_rate, target_rate)` samples, the length `decode_audio`
    gave when the index was built.

    Never put this in an exported model: tensorflow-io's ops are CPU-only custom ops that
    TF Serving lacks.
    """
    tf = _tf()
    target_rate = int(target_rate)
    if tfio_dtype is None:
        def _py(p):
            samples, _ = load_audio(p.decode("utf-8"), target_rate)
            return samples

        out = tf.numpy_function(_py, [path], tf.float32, stateful=False)
        return tf.ensure_shape(out, [None])

    tfio = _tfio()
    data = _tfio_decode_bytes(tf.io.read_file(path), tfio_dtype)
    mono = tf.reduce_mean(data, axis=1)
    source_rate = tf.cast(source_rate, tf.int64)
    plan = tf.zeros([2], tf.int64) if plan is None else tf.cast(plan, tf.int64)
    n = tf.shape(mono, out_type=tf.int64)[0]

    def _resample():
        padded = tf.concat([mono, tf.zeros([plan[1]], tf.float32)], axis=0)
        out = tfio.audio.resample(padded, source_rate, tf.constant(target_rate, tf.int64))
        n_out = tf.cast(tf.math.ceil(tf.cast(n, tf.float64) * target_rate
                                     / tf.cast(source_rate, tf.float64)), tf.int64)
        out = out[plan[0]:]
        short = tf.maximum(tf.constant(0, tf.int64), n_out - tf.shape(out, out_type=tf.int64)[0])
        return tf.concat([out, tf.zeros([short], tf.float32)], axis=0)[:n_out]

    out = tf.cond(tf.equal(source_rate, target_rate), lambda: mono, _resample)
    # tfio.audio.resample loses the static shape: give it back.
    return tf.ensure_shape(tf.clip_by_value(out, -1.0, 1.0), [None])
