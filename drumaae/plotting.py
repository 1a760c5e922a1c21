"""Spectrogram figures (matplotlib's Agg canvas: no display, no global pyplot state)."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

__all__ = ["log_spectrogram", "interpolation_figure", "spectrogram_figure"]


def log_spectrogram(wave: np.ndarray, sample_rate: int, *, n_fft: int | None = None,
                    floor_db: float = -80.0) -> np.ndarray:
    """Magnitude spectrogram in dB re full scale, `(bins, frames)`, floored at `floor_db`.

    A plain numpy STFT (centred Hann frames, hop n_fft/4), so the figure of any backend's
    output is drawn the same way. Default n_fft: 1024 at >= 16 kHz, else 512.
    """
    n_fft = n_fft or (1024 if sample_rate >= 16000 else 512)
    hop = n_fft // 4
    window = np.hanning(n_fft).astype(np.float32)
    x = np.pad(np.asarray(wave, np.float32).reshape(-1), (n_fft // 2, n_fft // 2))
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    n = 1 + (len(x) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n)[:, None]
    mag = np.abs(np.fft.rfft(x[idx] * window, axis=1)).T / (window.sum() / 2)
    return np.maximum(20.0 * np.log10(np.maximum(mag, 1e-12)), floor_db).astype(np.float32)


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | os.PathLike) -> str:
    path = os.fspath(path)
    fig.savefig(path, format="png")
    return path


def interpolation_figure(spectrograms: Sequence[np.ndarray], alphas: Sequence[float],
                         path: str | os.PathLike, *, bpms: Sequence[float] | None = None,
                         sample_rate: int | None = None, title: str | None = None) -> str:
    """The steps of an interpolation side by side, source (alpha = 0) to target (alpha = 1).

    Args:
        spectrograms: one `(bins, frames)` dB spectrogram per step.
        alphas: each step's alpha, written over its panel.
        path: the PNG to write.
        bpms: each step's tempo, written under its panel.
        sample_rate: for a frequency axis in kHz (else bins).
        title: the figure's title.
    """
    k = len(spectrograms)
    fig = _figure(max(4.0, 2.3 * k), 3.2)
    axes = fig.subplots(1, k, sharey=True, squeeze=False)[0]
    vmax = max(float(np.max(s)) for s in spectrograms)
    vmin = vmax - 80.0
    top = sample_rate / 2000.0 if sample_rate else None
    for i, (ax, spec, alpha) in enumerate(zip(axes, spectrograms, alphas)):
        extent = None
        if top is not None:
            extent = [0, spec.shape[1], 0, top]
        ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=vmin, vmax=vmax,
                  extent=extent, interpolation="nearest")
        role = " (source)" if i == 0 else " (target)" if i == k - 1 else ""
        ax.set_title(f"\u03b1 = {alpha:.2f}{role}", fontsize=9)
        ax.set_xticks([])
        if bpms is not None:
            ax.set_xlabel(f"{bpms[i]:.1f} BPM", fontsize=8)
        if i == 0:
            ax.set_ylabel("kHz" if top is not None else "bin", fontsize=8)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def spectrogram_figure(spectrograms: Sequence[np.ndarray], labels: Sequence[str],
                       path: str | os.PathLike, *, sample_rate: int | None = None) -> str:
    """Any spectrograms side by side with a label over each (samples, reconstructions)."""
    alphas_free = list(labels)
    k = len(spectrograms)
    fig = _figure(max(4.0, 2.3 * k), 3.0)
    axes = fig.subplots(1, k, sharey=True, squeeze=False)[0]
    vmax = max(float(np.max(s)) for s in spectrograms)
    top = sample_rate / 2000.0 if sample_rate else None
    for ax, spec, label in zip(axes, spectrograms, alphas_free):
        extent = [0, spec.shape[1], 0, top] if top is not None else None
        ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=vmax - 80.0,
                  vmax=vmax, extent=extent, interpolation="nearest")
        ax.set_title(label, fontsize=9)
        ax.set_xticks([])
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return _save(fig, path)
