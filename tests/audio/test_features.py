"""drumaae.audio.features: shapes, scaling, centring, graph/tf.data use, float32 policy."""

from __future__ import annotations

import dataclasses

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf

from drumaae.audio.features import (bar_features, features_to_magnitude,
                                    magnitude_to_features, render_bars, resample_length,
                                    stft_magnitude)
from drumaae.audio.griffinlim import spectral_convergence

METHODS = ("variable_hop", "resample_frames")


def _bar(audio, bpm, make_loop, seed=0):
    length = audio.bar_samples(bpm)
    x = make_loop(audio.sample_rate, bpm, seed=seed)
    return np.pad(x, (0, max(0, length - len(x))))[:length]


def test_stft_matches_librosa_centred_framing():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(4000).astype(np.float32)
    ours = stft_magnitude(x, 256, 100).numpy()
    ref = np.abs(librosa.stft(x, n_fft=256, hop_length=100, center=True, pad_mode="reflect")).T
    assert ours.shape == (40, 129)  # ceil(4000 / 100) frames
    np.testing.assert_allclose(ours, ref[:40], rtol=1e-3, atol=1e-3)


def test_frame_k_is_centred_on_sample_k_times_hop(tiny_recipe):
    audio = tiny_recipe.audio
    length = audio.bar_samples(128)
    hop = length // audio.bar_frames
    x = np.zeros((3, length), np.float32)
    for i, k in enumerate((5, 20, 40)):
        x[i, k * hop] = 1.0
    energy = stft_magnitude(x, audio.n_fft, hop).numpy().sum(-1)
    assert list(energy.argmax(-1)) == [5, 20, 40]


def test_features_round_trip_within_float_precision(tiny_recipe):
    audio = tiny_recipe.audio
    db = np.linspace(audio.min_db + 1, audio.ref_db - 1, 1000, dtype=np.float32)
    mag = (10.0 ** (db / 20.0)).reshape(1, 1000, 1) * np.ones((1, 1, audio.n_fft // 2 + 1),
                                                               np.float32)
    feat = magnitude_to_features(mag, audio)
    assert feat.shape == (1, 1000, audio.n_bins)
    back = features_to_magnitude(feat, audio).numpy()
    assert back.shape == mag.shape
    np.testing.assert_allclose(back[..., :-1], mag[..., :-1], rtol=1e-3)
    assert np.all(back[..., -1] == 0.0)  # Nyquist restored as zeros


def test_fixed_reference_keeps_loudness_and_clips(tiny_recipe):
    audio = tiny_recipe.audio
    mag = np.array([[0.0, 10 ** (audio.min_db / 20) / 10, 1.0, 10 ** (audio.ref_db / 20) * 10]],
                   np.float32)
    mag = np.pad(mag, [[0, 0], [0, audio.n_fft // 2 + 1 - 4]])
    feat = magnitude_to_features(mag[np.newaxis], audio).numpy()[0, 0, :4]
    expected_one = (0 - audio.min_db) / (audio.ref_db - audio.min_db)
    np.testing.assert_allclose(feat, [0.0, 0.0, expected_one, 1.0], atol=1e-6)


def _peak_audio(tiny_recipe):
    return dataclasses.replace(tiny_recipe.audio, feature_reference="peak", min_db=-100.0,
                               floor_db=70.0, ref_db=45.0)


def test_peak_reference_ignores_level_and_floors_below_the_peak(tiny_recipe, make_loop):
    audio = _peak_audio(tiny_recipe)
    bar = _bar(audio, 128, make_loop)
    quiet, loud = bar_features(np.stack([bar * 0.05, bar]), audio).numpy()
    # 26 dB apart in level, the same features: each bar is referenced to its own peak.
    np.testing.assert_allclose(quiet, loud, atol=1e-4)
    assert loud.max() == pytest.approx(1.0)
    # A cell 35 dB under the peak sits half-way; one 80 dB under it is floored to 0.
    mag = np.full((1, 3, audio.n_fft // 2 + 1), 1e-9, np.float32)
    mag[0, 0, 0], mag[0, 1, 0], mag[0, 2, 0] = 1.0, 10 ** (-35 / 20), 10 ** (-80 / 20)
    feat = magnitude_to_features(mag, audio).numpy()[0, :, 0]
    np.testing.assert_allclose(feat, [1.0, 0.5, 0.0], atol=1e-5)


def test_peak_reference_keeps_silence_silent_and_round_trips(tiny_recipe):
    audio = _peak_audio(tiny_recipe)
    silent = bar_features(np.zeros((1, audio.grid_samples(128)), np.float32), audio).numpy()
    assert silent.max() == 0.0
    db = np.linspace(-60, 0, 500, dtype=np.float32)
    mag = (10.0 ** (db / 20.0)).reshape(1, 500, 1) * np.ones((1, 1, audio.n_fft // 2 + 1),
                                                              np.float32)
    back = features_to_magnitude(magnitude_to_features(mag, audio), audio).numpy()
    # Rendered as if the bar peaked at ref_db: the shape in dB survives, shifted by 45 dB.
    np.testing.assert_allclose(20 * np.log10(back[0, :, 0]), db + audio.ref_db, atol=1e-3)
    assert audio.feature_span_db == 70.0 and tiny_recipe.audio.feature_span_db == pytest.approx(
        tiny_recipe.audio.ref_db - tiny_recipe.audio.min_db)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("recipe", ["tiny_recipe", "default_recipe"])
def test_bar_feature_shapes(recipe, method, request, make_loop):
    audio = dataclasses.replace(request.getfixturevalue(recipe).audio, bar_method=method)
    for bpm in (70, 128, 180):
        bar = _bar(audio, bpm, make_loop)
        feat = bar_features(np.stack([bar, bar]), audio)
        assert feat.shape == (2, audio.bar_frames, audio.n_bins)
        assert feat.dtype == tf.float32
        assert 0.0 <= float(tf.reduce_min(feat)) and float(tf.reduce_max(feat)) <= 1.0
        one = bar_features(bar, audio)
        assert one.shape == (audio.bar_frames, audio.n_bins)
        np.testing.assert_allclose(one.numpy(), feat[0].numpy(), atol=1e-6)


def test_louder_bar_has_larger_features(tiny_recipe, make_loop):
    audio = tiny_recipe.audio
    bar = _bar(audio, 128, make_loop) * 0.1
    quiet, loud = bar_features(np.stack([bar, bar * 4]), audio).numpy()
    assert loud.mean() > quiet.mean() + 0.03


@pytest.mark.parametrize("method", METHODS)
def test_render_bars_shape_and_quality(tiny_recipe, method, make_loop):
    audio = dataclasses.replace(tiny_recipe.audio, bar_method=method)
    length = audio.bar_samples(100)
    bar = _bar(audio, 100, make_loop) * 0.3
    feat = bar_features(bar[np.newaxis], audio)
    out = render_bars(feat, audio, length, iters=16)
    assert out.shape == (1, length) and out.dtype == tf.float32
    # judged on magnitudes: in dB features, GL's residual in silent bins dominates
    hop = length // audio.bar_frames
    ref = stft_magnitude(bar, audio.n_fft, hop)
    assert float(spectral_convergence(ref, stft_magnitude(out[0], audio.n_fft, hop))) < 0.45
    assert render_bars(feat[0], audio, length, iters=1).shape == (length,)


def test_graph_with_unknown_length_and_tensor_hop(tiny_recipe, make_loop):
    audio = tiny_recipe.audio

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def encode(bars):
        return bar_features(bars, audio)

    @tf.function(input_signature=[tf.TensorSpec([None, audio.bar_frames, audio.n_bins]),
                                  tf.TensorSpec([], tf.int32)])
    def decode(feat, length):
        return render_bars(feat, audio, length, iters=2)

    for bpm in (90, 150):
        length = audio.bar_samples(bpm)
        bar = _bar(audio, bpm, make_loop)[np.newaxis]
        feat = encode(tf.constant(bar))
        np.testing.assert_allclose(feat.numpy(), bar_features(bar, audio).numpy(), atol=1e-5)
        assert decode(feat, tf.constant(length)).shape == (1, length)
    assert len(encode.get_concrete_function().graph.as_graph_def().node) > 0


def test_inside_tf_data_map(tiny_recipe, make_loop):
    audio = tiny_recipe.audio
    bars = np.stack([_bar(audio, 128, make_loop, seed=s) for s in range(4)])
    ds = (tf.data.Dataset.from_tensor_slices(bars)
          .map(lambda b: bar_features(b, audio)).batch(2))
    got = np.concatenate([b.numpy() for b in ds])
    np.testing.assert_allclose(got, bar_features(bars, audio).numpy(), atol=1e-5)


def test_float32_under_mixed_precision(tiny_recipe, make_loop):
    audio = tiny_recipe.audio
    bar = _bar(audio, 128, make_loop)[np.newaxis]
    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        feat = bar_features(tf.constant(bar, tf.float16), audio)
        assert feat.dtype == tf.float32
        out = render_bars(tf.cast(feat, tf.float16), audio, bar.shape[-1], iters=1)
        assert out.dtype == tf.float32
        assert magnitude_to_features(tf.ones([1, 2, audio.n_fft // 2 + 1], tf.float16),
                                     audio).dtype == tf.float32
    finally:
        keras.mixed_precision.set_global_policy(before)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bpm", [77.7, 126.93, 133.0, 171.3])
def test_rendered_bars_are_exactly_one_bar_at_odd_tempi(tiny_recipe, method, bpm):
    audio = dataclasses.replace(tiny_recipe.audio, bar_method=method)
    length = audio.bar_samples(bpm)
    assert length == round(audio.sample_rate * 60 * audio.beats_per_bar / bpm)
    feat = tf.random.stateless_uniform([2, audio.bar_frames, audio.n_bins], seed=[1, 2])
    assert render_bars(feat, audio, length, iters=1).shape == (2, length)
    graph = tf.function(lambda f, n: render_bars(f, audio, n, iters=1),
                        input_signature=[tf.TensorSpec([None, audio.bar_frames, audio.n_bins]),
                                         tf.TensorSpec([], tf.int32)])
    assert graph(feat, tf.constant(length)).shape == (2, length)


def test_exact_length_keeps_every_hit_on_its_beat(tiny_recipe):
    # A click on each beat, rendered on the frame grid and resampled: the clicks stay on the
    # exact beat positions of the bar (within a sample), and 16 joined bars do not drift.
    audio = tiny_recipe.audio
    bpm = 133.0
    length, grid = audio.bar_samples(bpm), audio.grid_samples(bpm)
    assert length != grid
    wave = np.zeros((1, grid), np.float32)
    beat_grid = grid / audio.beats_per_bar
    for b in range(audio.beats_per_bar):
        wave[0, int(round(b * beat_grid)) + 20] = 1.0
    out = resample_length(wave, length).numpy()[0]
    assert out.shape == (length,)
    beat = length / audio.beats_per_bar
    for b in range(audio.beats_per_bar):
        lo = int(b * beat)
        peak = lo + int(np.argmax(out[lo: lo + int(beat)]))
        assert abs(peak - (b * beat + 20 * length / grid)) <= 1.0
    joined = np.tile(out, 16)
    ideal_end = 16 * audio.sample_rate * 60 * audio.beats_per_bar / bpm
    assert abs(joined.size - ideal_end) <= 16 * 0.5  # rounding only, no frame-grid drift
    np.testing.assert_allclose(resample_length(wave, grid).numpy(), wave)  # identity
