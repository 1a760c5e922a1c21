"""drumaae.audio.griffinlim: quality against librosa, determinism, graph use."""

from __future__ import annotations

import librosa
import numpy as np
import tensorflow as tf

from drumaae.audio.features import stft_magnitude
from drumaae.audio.griffinlim import griffin_lim, spectral_convergence


def _bars(audio, make_loop, n=2, bpm=128):
    length = audio.bar_samples(bpm)
    return np.stack([make_loop(audio.sample_rate, bpm, seed=s, pattern=p)[:length]
                     for s, p in zip(range(n), ("rock", "funk", "house"))])


def test_spectral_convergence_helper():
    x = tf.random.stateless_uniform([3, 4], seed=[1, 2])
    assert float(spectral_convergence(x, x)) == 0.0
    np.testing.assert_allclose(float(spectral_convergence(x, 0.5 * x)), 0.5, rtol=1e-5)


def test_at_least_as_good_as_librosa(tiny_recipe, make_loop):
    audio = tiny_recipe.audio
    x = _bars(audio, make_loop)
    length, hop, n_fft, iters = x.shape[-1], audio.hop_length, audio.n_fft, 32
    mag = stft_magnitude(x, n_fft, hop)
    ours = griffin_lim(mag, n_fft, hop, iters=iters, momentum=0.99, length=length, seed=0)
    assert ours.shape == x.shape and ours.dtype == tf.float32
    sc_ours = float(spectral_convergence(mag, stft_magnitude(ours, n_fft, hop)))
    spec = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop, center=True, pad_mode="reflect"))
    theirs = librosa.griffinlim(spec, n_iter=iters, hop_length=hop, n_fft=n_fft, window="hann",
                                center=True, length=length, pad_mode="reflect", momentum=0.99,
                                init="random", random_state=0)
    sc_librosa = float(spectral_convergence(mag, stft_magnitude(theirs, n_fft, hop)))
    assert sc_ours <= sc_librosa * 1.02, (sc_ours, sc_librosa)
    assert sc_ours < 0.3


def test_deterministic_seeded_and_improves_with_iterations(tiny_recipe, make_loop):
    audio = tiny_recipe.audio
    x = _bars(audio, make_loop, n=1)
    mag = stft_magnitude(x, audio.n_fft, audio.hop_length)
    a = griffin_lim(mag, audio.n_fft, audio.hop_length, iters=4, seed=3)
    b = griffin_lim(mag, audio.n_fft, audio.hop_length, iters=4, seed=3)
    c = griffin_lim(mag, audio.n_fft, audio.hop_length, iters=4, seed=4)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), c.numpy())

    def sc(iters):
        y = griffin_lim(mag, audio.n_fft, audio.hop_length, iters=iters, seed=0)
        return float(spectral_convergence(mag, stft_magnitude(y, audio.n_fft, audio.hop_length)))

    assert sc(16) < sc(2) < sc(0)


def test_tf_function_with_tensor_hop_and_iters(tiny_recipe, make_loop):
    audio = tiny_recipe.audio
    x = _bars(audio, make_loop, n=1)
    mag = stft_magnitude(x, audio.n_fft, audio.hop_length)

    @tf.function(input_signature=[tf.TensorSpec([None, None, audio.n_fft // 2 + 1]),
                                  tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32)])
    def invert(m, hop, iters):
        return griffin_lim(m, audio.n_fft, hop, iters=iters)

    graph = invert(mag, tf.constant(audio.hop_length), tf.constant(3))
    eager = griffin_lim(mag, audio.n_fft, audio.hop_length, iters=3)
    np.testing.assert_allclose(graph.numpy(), eager.numpy(), atol=1e-4)
    assert graph.shape == (1, mag.shape[1] * audio.hop_length)
    # one while loop, not 3 unrolled copies
    ops = {n.op for n in invert.get_concrete_function().graph.as_graph_def().node}
    assert "While" in ops or "StatelessWhile" in ops
