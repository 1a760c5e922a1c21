"""drumaae.audio.io: every format, rate and channel count; every bad input's typed error."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from drumaae.audio import io
from drumaae.errors import (
    AudioFileNotFoundError,
    EmptyAudioError,
    NonFiniteAudioError,
    NotAudioError,
    OutputNotWritableError,
    SilentAudioError,
    TooShortError,
)


def _source(sr: int, seconds: float = 0.5, channels: int = 1) -> np.ndarray:
    """A band-limited test signal (two sines + a decaying noise burst), (frames, channels)."""
    t = np.arange(int(sr * seconds)) / sr
    rng = np.random.default_rng(0)
    burst = rng.standard_normal(len(t)) * np.exp(-t * 20) * 0.1
    left = 0.4 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1000 * t)
    left = left + np.convolve(burst, np.ones(16) / 16, "same")
    chans = [left * (1.0 - 0.3 * c) for c in range(channels)]
    return np.stack(chans, axis=1).astype(np.float32)


# libsndfile 1.2.2 here writes MP3 (MPEG_LAYER_III) itself, so no external encoder is needed.
assert "MP3" in sf.available_formats(), "this libsndfile cannot write MP3: generate it with lame"

# (file name, format, subtype, tolerance of decoded vs source, is it lossy)
FORMATS = [
    ("u8.wav", "WAV", "PCM_U8", 2e-2),
    ("s16.wav", "WAV", "PCM_16", 1e-4),
    ("s24.wav", "WAV", "PCM_24", 1e-5),
    ("s32.wav", "WAV", "PCM_32", 1e-6),
    ("float.wav", "WAV", "FLOAT", 1e-6),
    ("s16.flac", "FLAC", "PCM_16", 1e-4),
    ("s24.flac", "FLAC", "PCM_24", 1e-5),
    ("vorbis.ogg", "OGG", "VORBIS", None),
    ("layer3.mp3", "MP3", "MPEG_LAYER_III", None),
]


@pytest.mark.parametrize("fname,fmt,subtype,tol", FORMATS, ids=[f[0] for f in FORMATS])
def test_every_format_decodes_to_mono_float32(tmp_path, fname, fmt, subtype, tol):
    sr = 44100
    src = _source(sr, channels=2)
    path = tmp_path / fname
    sf.write(path, src, sr, format=fmt, subtype=subtype)

    samples, rate = io.load_audio(path)
    assert rate == sr
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) == len(src)
    assert np.max(np.abs(samples)) <= 1.0
    mono = src.mean(axis=1)
    if tol is not None:
        np.testing.assert_allclose(samples, mono, atol=tol)
    else:  # lossy codecs: close in level and shape, not sample for sample
        mid = slice(len(mono) // 8, -len(mono) // 8)
        corr = np.corrcoef(samples[mid], mono[mid])[0, 1]
        assert corr > 0.98, corr
        assert np.sqrt(np.mean((samples[mid] - mono[mid]) ** 2)) < 0.05


def test_tfio_and_fallback_are_both_used(tmp_path):
    sr = 22050
    src = _source(sr)
    sf.write(tmp_path / "a.wav", src, sr, subtype="PCM_16")
    sf.write(tmp_path / "b.wav", src, sr, subtype="PCM_32")  # tfio misreads it: soundfile
    a = io.decode_audio(tmp_path / "a.wav")
    b = io.decode_audio(tmp_path / "b.wav")
    assert (a.decoder, a.tfio_dtype) == ("tfio", "int16")
    assert (b.decoder, b.tfio_dtype) == ("soundfile", None)


@pytest.mark.parametrize("rate_in", [11025, 44100, 48000])
@pytest.mark.parametrize("rate_out", [8000, 22050])
def test_resampling_matches_reference_and_length(tmp_path, rate_in, rate_out):
    librosa = pytest.importorskip("librosa")
    src = _source(rate_in, seconds=0.4, channels=2)
    path = tmp_path / f"x{rate_in}.wav"
    sf.write(path, src, rate_in, subtype="PCM_24")
    samples, rate = io.load_audio(path, rate_out)
    assert rate == rate_out
    assert len(samples) == io.resampled_length(len(src), rate_in, rate_out)
    ref = librosa.resample(src.mean(axis=1), orig_sr=rate_in, target_sr=rate_out,
                           res_type="soxr_hq")[: len(samples)]
    # tensorflow-io's resampler lags its output; io compensates, so the two line up.
    assert np.max(np.abs(samples - ref)) < 0.02
    # The fallback (soundfile + soxr) gives the same length and nearly the same samples.
    fallback = io._resample_soxr(src.mean(axis=1), rate_in, rate_out)
    assert len(fallback) == len(samples)
    assert np.max(np.abs(fallback - samples)) < 0.02


def test_multichannel_is_the_mean(tmp_path):
    src = _source(16000, seconds=0.2, channels=4)
    sf.write(tmp_path / "quad.flac", src, 16000, subtype="PCM_24")
    samples, _ = io.load_audio(tmp_path / "quad.flac")
    np.testing.assert_allclose(samples, src.mean(axis=1), atol=1e-5)


def test_audio_info_reads_the_header(tmp_path):
    src = _source(48000, seconds=0.25, channels=2)
    sf.write(tmp_path / "i.wav", src, 48000, subtype="PCM_24")
    info = io.audio_info(tmp_path / "i.wav")
    assert info["sample_rate"] == 48000 and info["channels"] == 2
    assert info["frames"] == len(src)
    assert info["duration"] == pytest.approx(0.25)
    assert (info["format"], info["subtype"]) == ("WAV", "PCM_24")


# --- bad input ------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(AudioFileNotFoundError, match="nope.wav"):
        io.load_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioFileNotFoundError, match="nope.wav"):
        io.audio_info(tmp_path / "nope.wav")


def test_text_file_renamed_wav_is_not_audio(tmp_path):
    path = tmp_path / "kick.wav"
    path.write_text("this is not audio\n" * 50)
    with pytest.raises(NotAudioError, match=r"kick.wav is not an audio file"):
        io.load_audio(path)
    with pytest.raises(NotAudioError, match="kick.wav"):
        io.audio_info(path)


def test_empty_file_and_zero_samples(tmp_path):
    (tmp_path / "zero_bytes.wav").write_bytes(b"")
    with pytest.raises(NotAudioError, match="zero_bytes.wav"):
        io.load_audio(tmp_path / "zero_bytes.wav")
    sf.write(tmp_path / "empty.wav", np.zeros((0, 1), np.float32), 8000, subtype="PCM_16")
    with pytest.raises(EmptyAudioError, match="empty.wav"):
        io.load_audio(tmp_path / "empty.wav")


def test_silent(tmp_path):
    sf.write(tmp_path / "quiet.wav", np.full(800, 1e-5, np.float32), 8000, subtype="FLOAT")
    with pytest.raises(SilentAudioError, match="quiet.wav"):
        io.load_audio(tmp_path / "quiet.wav", 22050)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_float_wav_is_caught_before_resampling(tmp_path, bad):
    x = _source(8000, seconds=0.2)[:, 0]
    x[100] = bad
    sf.write(tmp_path / "nan.wav", x, 8000, subtype="FLOAT")
    with pytest.raises(NonFiniteAudioError, match="nan.wav"):
        io.load_audio(tmp_path / "nan.wav", 22050)


def test_too_short(tmp_path):
    sf.write(tmp_path / "blip.wav", _source(8000, seconds=0.1), 8000, subtype="PCM_16")
    with pytest.raises(TooShortError, match="blip.wav"):
        io.load_audio(tmp_path / "blip.wav", min_seconds=0.5)
    samples, _ = io.load_audio(tmp_path / "blip.wav", min_seconds=0.05)
    assert len(samples) == 800


def test_check_samples_on_arrays():
    ok = io.check_samples(np.array([0.0, 0.5, -0.5]), 8000, "mine")
    assert ok.dtype == np.float32
    with pytest.raises(EmptyAudioError, match="mine"):
        io.check_samples(np.zeros(0), 8000, "mine")
    with pytest.raises(NonFiniteAudioError, match="mine"):
        io.check_samples(np.array([0.1, np.nan]), 8000, "mine")
    with pytest.raises(SilentAudioError, match="mine"):
        io.check_samples(np.zeros(100), 8000, "mine")
    with pytest.raises(TooShortError, match="mine"):
        io.check_samples(np.ones(100) * 0.5, 8000, "mine", min_seconds=0.5)


def test_to_mono_is_the_one_normaliser(tmp_path):
    from drumaae.errors import AudioError, LimitError

    stereo = _source(44100, channels=2)
    mono = io.to_mono(stereo, 44100, 22050, name="mine")
    assert mono.dtype == np.float32 and mono.ndim == 1
    assert mono.size == io.resampled_length(len(stereo), 44100, 22050)
    # the same numbers as a file of the same samples decoded (soundfile path: soxr)
    sf.write(tmp_path / "s.wav", stereo, 44100, subtype="FLOAT")
    decoded = io.decode_audio(tmp_path / "s.wav", 22050)
    assert decoded.channels == 2 and decoded.heard.shape == stereo.shape
    np.testing.assert_allclose(decoded.heard, stereo, atol=1e-7)
    np.testing.assert_allclose(io.to_mono(stereo, 44100, 22050, resampler="tfio"),
                               decoded.samples, atol=1e-6)
    np.testing.assert_allclose(io.to_mono(stereo, 44100), stereo.mean(axis=1), atol=1e-7)
    # every bad input is an AudioError naming the audio
    for bad, kind in ((np.zeros(0), EmptyAudioError), (np.zeros(800), SilentAudioError),
                      (np.array([0.1, np.inf]), NonFiniteAudioError),
                      (stereo.T, AudioError), (np.zeros((2, 2, 2)), AudioError)):
        with pytest.raises(kind, match="mine"):
            io.to_mono(bad, 8000, name="mine")
    with pytest.raises(TooShortError, match="mine"):
        io.to_mono(stereo, 44100, 22050, name="mine", min_seconds=1.0)
    for rate in (0, -1, 44100.0, True, "44100"):
        with pytest.raises(AudioError, match="sample rate"):
            io.to_mono(stereo, rate, name="mine")
    assert io.check_output_rate(48000) == 48000
    for rate in (0, 7999, 400000, 44100.5, "48000"):
        with pytest.raises(LimitError):
            io.check_output_rate(rate)


def test_resample_exact_gives_the_asked_length():
    x = _source(22050)[:, 0]
    for rate, n in ((22050, 11025), (44100, 22051), (48000, 23999)):
        y = io.resample_exact(x, 22050, rate, n)
        assert y.shape == (n,) and y.dtype == np.float32
    # a 1 kHz sine keeps its frequency and level through 22.05 -> 48 kHz
    t = np.arange(22050) / 22050
    y = io.resample_exact(0.5 * np.sin(2 * np.pi * 1000 * t), 22050, 48000, 48000)
    ref = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(48000) / 48000)
    assert np.max(np.abs(y[1000:-1000] - ref[1000:-1000])) < 1e-3


# --- writing --------------------------------------------------------------------------------

def test_save_wav_round_trip_and_clip(tmp_path):
    x = np.array([0.0, 0.5, -0.5, 2.0, -3.0], np.float32)
    out = io.save_wav(tmp_path / "o.wav", x, 8000, subtype="FLOAT")
    back, sr = sf.read(out, dtype="float32")
    assert sr == 8000
    np.testing.assert_allclose(back, [0.0, 0.5, -0.5, 1.0, -1.0])
    assert [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")] == []


def test_save_wav_failure_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "keep.wav"
    io.save_wav(target, np.full(100, 0.25, np.float32), 8000)
    before = target.read_bytes()

    def broken_write(path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"RIFF partial")
        raise OSError("disk full")

    monkeypatch.setattr(io.sf, "write", broken_write)
    with pytest.raises(OutputNotWritableError, match="disk full"):
        io.save_wav(target, np.zeros(100, np.float32), 8000)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.wav"]


def test_decode_for_dataset_matches_load_audio(tmp_path):
    import tensorflow as tf

    files = []
    for name, sr, subtype in [("a.wav", 44100, "PCM_16"), ("b.flac", 11025, "PCM_24"),
                              ("c.wav", 8000, "PCM_32")]:
        sf.write(tmp_path / name, _source(sr, seconds=0.3, channels=2), sr, subtype=subtype)
        files.append(io.decode_audio(tmp_path / name, 8000))
    for path, dec in zip(["a.wav", "b.flac", "c.wav"], files):
        plan = io.tfio_resample_plan(dec.source_rate, 8000)
        ds = tf.data.Dataset.from_tensor_slices(([str(tmp_path / path)], [dec.source_rate],
                                                 [plan]))
        ds = ds.map(lambda p, r, pl, d=dec: io.decode_for_dataset(
            p, r, 8000, tfio_dtype=d.tfio_dtype, plan=pl))
        assert ds.element_spec.shape.as_list() == [None]
        (got,) = list(ds.as_numpy_iterator())
        np.testing.assert_allclose(got, dec.samples, atol=1e-6)
