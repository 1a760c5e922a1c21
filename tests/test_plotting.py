"""drumaae.plotting: one figure function for every drumaae figure."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pytest

from drumaae import plotting

SR = 8000


def _bars(make_loop, k, bpm=120.0):
    n = int(round(SR * 240 / bpm))
    return [make_loop(SR, bpm, 1, seed=s)[:n] for s in range(k)]


def _size(path):
    height, width = matplotlib.image.imread(path).shape[:2]
    return width, height


def test_steps_wrap_into_rows_of_six(make_loop, tmp_path):
    sizes = {}
    for k in (2, 6, 7, 12):
        path = plotting.interpolation_figure(_bars(make_loop, k), np.linspace(0, 1, k),
                                             tmp_path / f"{k}.png", bpms=[120.0] * k,
                                             sample_rate=SR, title="a -> b")
        assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        sizes[k] = _size(path)
    assert sizes[2][0] < sizes[6][0]  # wider up to six steps...
    assert sizes[7][0] == sizes[6][0] == sizes[12][0]  # ...then rows, not a longer strip
    assert sizes[6][1] < sizes[7][1] == sizes[12][1]
    assert sizes[12][0] < 2000  # the issue: 12 steps made a 2760 x 320 strip


def test_axes_speak_beats_hertz_and_decibels(make_loop, tmp_path, monkeypatch):
    seen = {}
    real = plotting._figure

    def spy(*args, **kwargs):
        seen["fig"] = real(*args, **kwargs)
        return seen["fig"]

    monkeypatch.setattr(plotting, "_figure", spy)
    plotting.bars_figure(_bars(make_loop, 2, bpm=100.0), SR, tmp_path / "f.png",
                         labels=["a", "b"], bpms=[100.0, None])
    axes = seen["fig"].axes
    beats, seconds, colour_bar = axes[0], axes[1], axes[2]
    assert beats.get_yscale() in ("log", "symlog")
    assert [t.get_text() for t in beats.get_xticklabels()] == ["1", "2", "3", "4"]
    assert list(beats.get_xticks()) == [0.0, 1.0, 2.0, 3.0]  # each label where its beat starts
    assert "BPM" in beats.get_xlabel() and seconds.get_xlabel() == "seconds"
    grid = [line.get_xdata()[0] for line in beats.get_lines()]
    assert grid == [1, 2, 3]  # a line on every beat inside the bar
    assert beats.get_xlim() == pytest.approx((0.0, 4.0), abs=0.01)
    assert "100" in [t.get_text() for t in beats.get_yticklabels()]
    assert "dB" in colour_bar.get_ylabel()


@pytest.mark.parametrize("bpm", [169.0, 171.0, 172.0, 173.0, 126.1])
def test_every_beat_is_drawn_whatever_the_rounding_of_the_bar(bpm, make_loop, tmp_path,
                                                             monkeypatch):
    """A bar of round(sr * 240 / bpm) samples can end half a sample short of its fourth beat
    (171 BPM at 22.05 kHz: 3.99995 beats); the fourth beat is still labelled."""
    seen = {}
    real = plotting._figure

    def spy(*args, **kwargs):
        seen["fig"] = real(*args, **kwargs)
        return seen["fig"]

    monkeypatch.setattr(plotting, "_figure", spy)
    sr = 22050
    n = int(round(sr * 240 / bpm))
    plotting.bars_figure([make_loop(sr, bpm, 1)[:n]], sr, tmp_path / "f.png", labels=["a"],
                         bpms=[bpm])
    beats = seen["fig"].axes[0]
    assert [t.get_text() for t in beats.get_xticklabels()] == ["1", "2", "3", "4"]
    assert [line.get_xdata()[0] for line in beats.get_lines()] == [1, 2, 3]
    assert f"{bpm:.1f} BPM" in beats.get_xlabel()


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one"):
        plotting.bars_figure([], SR, "x.png", labels=[])
    with pytest.raises(ValueError, match="labels"):
        plotting.bars_figure([np.zeros(SR)], SR, "x.png", labels=["a", "b"])


def test_spectrogram_equals_librosa_and_figure_needs_neither_librosa_nor_scipy(make_loop,
                                                                               tmp_path):
    import subprocess
    import sys

    import librosa

    x = make_loop(SR, 100.0, 1, seed=0)
    ours, n_fft, hop = plotting.log_spectrogram_db(x, SR)
    mag = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop)) / (n_fft / 4.0)
    theirs = librosa.amplitude_to_db(mag, ref=1.0, amin=1e-6, top_db=None)
    assert ours.shape == theirs.shape
    loud = theirs > -80.0
    np.testing.assert_allclose(ours[loud], theirs[loud], atol=0.01)
    # drawn at the end of every interpolate: must not pay librosa's or scipy's import
    code = ("import sys, numpy as np; from drumaae import plotting; "
            f"plotting.bars_figure([np.sin(np.arange({SR}) * 0.3)], {SR}, sys.argv[1], "
            "labels=['a'], bpms=[120.0]); "
            "print(sorted(m for m in ('librosa', 'scipy', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.png")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
