"""drumaae.audio.stft: the centred STFT against librosa, and its inverse."""

from __future__ import annotations

import librosa
import numpy as np
import tensorflow as tf

from drumaae.audio.stft import centred_istft, centred_stft, num_frames


def test_centred_stft_matches_librosa(make_loop):
    x = make_loop(8000, 120, 1)
    for n_fft, hop in ((512, 128), (512, 250), (256, 100)):
        ours = centred_stft(x[None], n_fft, hop).numpy()[0]
        theirs = librosa.stft(x, n_fft=n_fft, hop_length=hop, center=True, pad_mode="reflect")
        assert ours.shape[0] == num_frames(x.size, hop)
        # librosa gives one more frame when hop divides the length; ours keeps ceil(n / hop)
        np.testing.assert_allclose(ours, theirs.T[: ours.shape[0]], atol=2e-3)


def test_istft_inverts_stft_to_the_edges(make_loop):
    x = make_loop(8000, 128, 1)[: 64 * 234]
    for hop in (117, 234):
        y = centred_istft(centred_stft(x[None], 512, hop), 512, hop, x.size).numpy()[0]
        np.testing.assert_allclose(y, x, atol=1e-4)


def test_tensor_hop_in_a_graph(make_loop):
    x = make_loop(8000, 128, 1)[None]

    @tf.function(input_signature=[tf.TensorSpec([1, None]), tf.TensorSpec([], tf.int32)])
    def spec(w, hop):
        return centred_stft(w, 512, hop)

    np.testing.assert_allclose(spec(x, tf.constant(200)).numpy(),
                               centred_stft(x, 512, 200).numpy(), atol=1e-4)
