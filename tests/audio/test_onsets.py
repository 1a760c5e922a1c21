"""drumaae.audio.onsets: the onset envelope against librosa's."""

from __future__ import annotations

import librosa
import numpy as np

from drumaae.audio.onsets import onset_strength


def test_onset_strength_finds_librosas_onsets(make_loop):
    sr, hop = 22050, 128
    for pattern in ("rock", "funk"):
        x = make_loop(sr, 120, 2, pattern=pattern)
        ours = onset_strength(x, sr, hop)
        theirs = librosa.onset.onset_strength(y=x, sr=sr, hop_length=hop)
        assert ours.shape == theirs.shape and ours.dtype == np.float32 and ours.min() >= 0
        assert np.corrcoef(ours, theirs)[0, 1] > 0.9
        peaks = librosa.util.peak_pick(theirs, pre_max=3, post_max=3, pre_avg=3, post_avg=5,
                                       delta=0.2 * theirs.max(), wait=10)
        for p in peaks:  # each of librosa's onsets is a peak of ours within 2 frames
            assert abs(int(np.argmax(ours[max(0, p - 4): p + 5])) + max(0, p - 4) - p) <= 2


def test_chunked_envelope_equals_one_pass(make_loop, monkeypatch):
    from drumaae.audio import onsets

    x = make_loop(8000, 120, 4)
    whole = onset_strength(x, 8000, 64)
    monkeypatch.setattr(onsets, "CHUNK_FRAMES", 37)  # many chunks, a short last one
    np.testing.assert_allclose(onset_strength(x, 8000, 64), whole, rtol=1e-4, atol=1e-4)
