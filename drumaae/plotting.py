"""Spectrogram figures of drum bars, drawn for musicians (matplotlib's Agg canvas: no display,
no global pyplot state).

One function draws every figure drumaae writes (`bars_figure`): interpolation steps, the HTML
report's examples and the training run's examples all look the same:

- a logarithmic frequency axis from 30 Hz, labelled in Hz (kick, snare and hats each get
  room: on a linear 0-11 kHz axis kick and snare share the bottom 2 %);
- time in beats when the tempo is known (beat numbers, a grid line on every beat, a stronger
  one on every bar line), else in seconds;
- one shared dB colour scale (dB re full scale) with its colour bar, the top 80 dB shown;
- panels wrapped into rows of at most six.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np

__all__ = ["bars_figure", "interpolation_figure", "log_spectrogram_db"]

COLUMNS = 6
DYNAMIC_RANGE_DB = 80.0
_LOW_HZ = 30.0
_FREQ_TICKS = (50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)


def log_spectrogram_db(wave: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int, int]:
    """Magnitude spectrogram in dB re full scale, `(bins, frames)`, with its n_fft and hop
    (librosa STFT, Hann frames of about 93 ms for low-frequency detail, hop a quarter of a
    frame); a full-scale sinusoid reads about 0 dB."""
    import librosa

    n_fft = 2048 if sample_rate >= 16000 else 1024
    hop = n_fft // 4
    x = np.asarray(wave, np.float32).reshape(-1)
    if x.size < n_fft:
        x = np.pad(x, (0, n_fft - x.size))
    mag = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop))
    mag /= np.hanning(n_fft).sum() / 2.0
    return librosa.amplitude_to_db(mag, ref=1.0, amin=1e-6, top_db=None), n_fft, hop


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def bars_figure(waves: Sequence[np.ndarray], sample_rate: int, path: str | os.PathLike, *,
                labels: Sequence[str], bpms: Sequence[float | None] | None = None,
                beats_per_bar: int = 4, title: str | None = None,
                columns: int = COLUMNS) -> str:
    """Log-frequency spectrograms of bars side by side, wrapped into rows of `columns`, with a
    shared dB colour bar; time in beats (grid on every beat) where the panel's tempo is known.

    Args:
        waves: float `(samples,)` waveforms at `sample_rate`, one per panel.
        sample_rate: Hz.
        path: the PNG to write.
        labels: one title per panel.
        bpms: each panel's tempo in BPM (None or a None entry: time in seconds).
        beats_per_bar: beats between the stronger bar lines.
        title: the figure's title.
        columns: panels per row (at most).

    Returns:
        `path` as a string.
    """
    if len(waves) == 0:
        raise ValueError("bars_figure needs at least one waveform")
    if len(labels) != len(waves):
        raise ValueError(f"{len(waves)} waveforms but {len(labels)} labels")
    import librosa
    import librosa.display
    from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

    specs = [log_spectrogram_db(w, sample_rate) for w in waves]
    k = len(specs)
    cols = max(1, min(k, int(columns)))
    rows = math.ceil(k / cols)
    fig = _figure(1.2 + 2.3 * cols, 0.5 + 2.2 * rows + (0.3 if title else 0.0))
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    vmax = max(float(np.max(s)) for s, _, _ in specs)
    vmin = vmax - DYNAMIC_RANGE_DB
    image = None
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.set_axis_off()
            continue
        (spec, n_fft, hop), wave = specs[i], np.asarray(waves[i]).reshape(-1)
        bpm = bpms[i] if bpms is not None else None
        scale = bpm / 60.0 if bpm else 1.0  # seconds -> beats
        span = wave.size / float(sample_rate) * scale
        centres = librosa.frames_to_time(np.arange(spec.shape[1]), sr=sample_rate,
                                         hop_length=hop) * scale  # centred frames
        image = librosa.display.specshow(spec, sr=sample_rate, hop_length=hop, n_fft=n_fft,
                                         x_coords=centres, y_axis="log", ax=ax, cmap="magma",
                                         vmin=vmin, vmax=vmax, shading="nearest")
        ax.set_ylim(_LOW_HZ, sample_rate / 2.0)
        ax.set_xlim(0.0, span)
        if bpm:
            beats = int(math.floor(span + 1e-6))
            for b in range(1, beats + (1 if span - beats > 1e-6 else 0)):
                strong = b % beats_per_bar == 0
                ax.axvline(b, color="cyan", alpha=0.9 if strong else 0.6,
                           linewidth=1.4 if strong else 0.8)
            step = 1 if span <= 2 * beats_per_bar else beats_per_bar
            ax.set_xticks([t + 0.5 for t in range(0, max(1, beats), step)])
            ax.set_xticklabels([str(t + 1) for t in range(0, max(1, beats), step)])
            ax.set_xlabel(f"beat ({bpm:.1f} BPM)", fontsize=7)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.set_xlabel("seconds", fontsize=7)
        ticks = [f for f in _FREQ_TICKS if _LOW_HZ <= f < sample_rate / 2.0]
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_yticklabels([f"{f // 1000}k" if f >= 1000 else str(f) for f in ticks])
        ax.set_title(labels[i], fontsize=8)
        ax.tick_params(labelsize=6, length=2)
        ax.set_ylabel("Hz (log scale)" if i % cols == 0 else "", fontsize=7)
    bar = fig.colorbar(image, ax=axes, fraction=0.03, pad=0.01)
    bar.set_label("dB re full scale", fontsize=7)
    bar.ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    path = os.fspath(path)
    fig.savefig(path, format="png")
    return path


def interpolation_figure(waves: Sequence[np.ndarray], alphas: Sequence[float],
                         path: str | os.PathLike, *, bpms: Sequence[float] | None = None,
                         sample_rate: int, beats_per_bar: int = 4,
                         title: str | None = None) -> str:
    """The steps of an interpolation, source (alpha = 0) to target (alpha = 1), as
    `bars_figure` panels titled with their alpha."""
    from drumaae.limits import figure_panels

    k = len(waves)
    labels = [f"\u03b1 = {float(a):.2f}" + (" (source)" if i == 0 else
                                              " (target)" if i == k - 1 else "")
              for i, a in enumerate(alphas)]
    shown = figure_panels(k)  # the figure's size is capped whatever --steps is
    return bars_figure([waves[i] for i in shown], sample_rate, path,
                       labels=[labels[i] for i in shown],
                       bpms=None if bpms is None else [bpms[i] for i in shown],
                       beats_per_bar=beats_per_bar, title=title)
