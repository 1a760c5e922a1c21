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

Cheap to draw, as it is written at the end of every `drumaae interpolate`: the spectrogram is
NumPy's FFT (no librosa, whose import loads scipy.signal and numba, several times the
drawing), each panel is one mesh of `_ROWS` log-spaced frequency bands (the loudest bin of
each band) instead of every FFT bin, and the layout is computed from fixed margins in inches
instead of matplotlib's constrained layout, which measured every tick label several times.
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
#: Log-spaced frequency bands per panel (a panel is about 200 pixels high).
_ROWS = 256
# Fixed layout, inches: left of the first panel (Hz labels), right of the last (colour bar),
# below a row (beat labels), above a row (its titles), between panels, the colour bar.
_LEFT, _RIGHT, _BOTTOM, _TOP, _GAP, _BAR = 0.55, 0.75, 0.4, 0.3, 0.12, 0.12


def log_spectrogram_db(wave: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int, int]:
    """Magnitude spectrogram in dB re full scale, `(bins, frames)`, with its n_fft and hop
    (centred, zero-padded periodic-Hann frames of about 93 ms for low-frequency detail, hop a
    quarter of a frame, as librosa.stft frames them); a full-scale sinusoid reads about 0 dB."""
    n_fft = 2048 if sample_rate >= 16000 else 1024
    hop = n_fft // 4
    x = np.asarray(wave, np.float32).reshape(-1)
    x = np.pad(x, (n_fft // 2, n_fft // 2 + max(0, n_fft - x.size)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    mag = np.abs(np.fft.rfft(frames * window, axis=1)).T / (window.sum() / 2.0)
    return 20.0 * np.log10(np.maximum(mag, 1e-6)), n_fft, hop


def _log_bands(spec: np.ndarray, sample_rate: int, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """`spec` `(bins, frames)` on `_ROWS` log-spaced bands from `_LOW_HZ` to Nyquist: each band
    holds its loudest bin (the nearest bin where a band is narrower than a bin). Returns the
    bands `(_ROWS, frames)` and their `_ROWS + 1` edges in Hz."""
    edges = np.geomspace(_LOW_HZ, sample_rate / 2.0, _ROWS + 1)
    first = np.clip(np.round(edges[:-1] * n_fft / sample_rate).astype(int), 0,
                    spec.shape[0] - 1)
    return np.maximum.reduceat(spec, first, axis=0), edges


def _whole_beats(span: float, sample: float) -> int:
    """Whole beats in a panel `span` beats long, where one sample is `sample` beats: a bar
    is rounded to whole samples (``round(sr * 60 * beats / bpm)``), so it may end up to
    half a sample short of its last beat (171 BPM at 22.05 kHz: 3.99995 beats), which
    still counts as that beat."""
    return int(math.floor(span + sample))


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
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
    from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

    specs = [log_spectrogram_db(w, sample_rate) for w in waves]
    k = len(specs)
    cols = max(1, min(k, int(columns)))
    rows = math.ceil(k / cols)
    top = _TOP + (0.3 if title else 0.0)
    width, height = 1.2 + 2.3 * cols, 0.5 + 2.2 * rows + (0.3 if title else 0.0)
    fig = _figure(width, height)
    panel_w = (width - _LEFT - _RIGHT - _GAP * (cols - 1)) / cols
    panel_h = (height - top - (_BOTTOM + _TOP) * rows + _TOP) / rows
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True, gridspec_kw=dict(
        left=_LEFT / width, right=1.0 - _RIGHT / width, bottom=_BOTTOM / height,
        top=1.0 - top / height, wspace=_GAP / panel_w, hspace=(_BOTTOM + _TOP) / panel_h))
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
        bands, freq_edges = _log_bands(spec, sample_rate, n_fft)
        # centred frames: frame j covers (j -/+ 1/2) * hop
        time_edges = (np.arange(spec.shape[1] + 1) - 0.5) * hop / sample_rate * scale
        image = ax.pcolormesh(time_edges, freq_edges, bands, cmap="magma", vmin=vmin,
                              vmax=vmax, shading="flat")
        ax.set_yscale("log")
        ax.set_ylim(_LOW_HZ, sample_rate / 2.0)
        ax.set_xlim(0.0, span)
        if bpm:
            beats = _whole_beats(span, scale / float(sample_rate))
            for b in range(1, beats + (1 if span - beats > scale / float(sample_rate) else 0)):
                strong = b % beats_per_bar == 0
                ax.axvline(b, color="cyan", alpha=0.9 if strong else 0.6,
                           linewidth=1.4 if strong else 0.8)
            step = 1 if span <= 2 * beats_per_bar else beats_per_bar
            # as in a DAW: beat n's label sits where beat n starts (the downbeat at the left)
            ax.set_xticks([float(t) for t in range(0, max(1, beats), step)])
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
    cax = fig.add_axes([1.0 - (_RIGHT - 0.1) / width, _BOTTOM / height, _BAR / width,
                        1.0 - (_BOTTOM + top) / height])
    bar = fig.colorbar(image, cax=cax)
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
