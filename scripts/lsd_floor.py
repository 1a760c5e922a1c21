"""What `drumaae evaluate`'s LSD can reach: oracles that know each held-out bar's true
spectrogram and keep it only at a coarser resolution, beside the Griffin-Lim ceiling and
(with --model) the model's LSD split into envelope and fine structure.

    python scripts/lsd_floor.py --data corpus_v2/val --max-bars 240 \\
        --model drumaae/assets/default.keras --out floor.json

Every figure is evaluate's LSD (`metrics.log_spectral_distance`: per-frame RMS of the dB
difference, floored 80 dB under the bar's peak) on the same STFT (n_fft 1024, 128 frames
a bar), one mean per kit family:
- ``oracle F x T``: the true magnitude averaged in dB over F bins and T frames. No model
  that reproduces only the spectral envelope at that resolution, and not the exact
  fine structure of each bar's noise (hats, cymbals, snare wires), can score below it.
- ``ceiling``: Griffin-Lim (64 iterations) of the true features, rendered through
  `drumaae.inference.render` as evaluate does.
- ``model``: G(refined code) rendered through `drumaae.inference.render`, as evaluate does; ``model
  envelope 9 x 3``: the same but both sides averaged in dB over 9 bins x 3 frames first
  (evaluate's ``lsd_env_db``: the part of the error that is not fine structure);
  ``mel-80``: the LSD on 80 mel bands (power), for the model and for the ceiling.
docs/model.md ("What LSD <= 5 dB asks for") has the measured table.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

ORACLES = ((3, 1), (5, 1), (9, 1), (17, 1), (1, 3), (5, 3), (9, 3))
MEL_BANDS = 80


def oracle(mag: np.ndarray, bins: int, frames: int) -> np.ndarray:
    """`mag` averaged in dB (from 80 dB under its peak) over `bins` x `frames`
    (`metrics.smooth_db`), back as a magnitude: the spectrum at that resolution only."""
    from drumaae.evaluation.metrics import smooth_db

    peak = float(mag.max()) or 1.0
    db = 20.0 * np.log10(np.maximum(mag, peak * 1e-4))
    return 10.0 ** (smooth_db(db, bins, frames) / 20.0)


def floor_table(data: str, max_bars: int = 240, seed: int = 0, model: str | None = None,
                refine: int = 20) -> dict:
    import librosa

    from drumaae.audio.loudness import integrated_loudness
    from drumaae.config import AudioConfig
    from drumaae.evaluation.evaluate import load_eval_data
    from drumaae.evaluation.metrics import ENVELOPE_SMOOTHING, bar_magnitude
    from drumaae.evaluation.metrics import log_spectral_distance as lsd
    from drumaae.inference import load_backend
    from drumaae.inference.render import render_codes, render_features

    backend = load_backend(model) if model else None
    audio = backend.audio if backend is not None else AudioConfig()
    d = load_eval_data(data, audio, max_bars=max_bars, seed=seed)
    families = d.families or ["unknown"] * len(d)
    iters = audio.griffin_lim_iters
    lufs = [integrated_loudness(w, audio.sample_rate) for w in d.waves]
    # rendered as `reconstruct` renders (drumaae.inference.render: exact length, loudness)
    gl_waves = render_features(d.features, audio, bpms=d.bpms, lufs=lufs, iters=iters,
                               seed=seed).bars
    model_waves = None
    if backend is not None:
        codes = np.concatenate([backend.encode_bars(w[None], refine=refine) for w in d.waves])
        model_waves = render_codes(codes, model=backend, bpms=d.bpms, lufs=lufs, iters=iters,
                                   seed=seed).bars

    def _magnitude(wave, audio):
        return bar_magnitude(wave, audio.n_fft, audio.bar_frames)
    mel_fb = librosa.filters.mel(sr=audio.sample_rate, n_fft=audio.n_fft, n_mels=MEL_BANDS)

    def mel(m):
        return np.sqrt((m.astype(np.float64) ** 2) @ mel_fb.T)

    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for i, wave in enumerate(d.waves):
        ref = _magnitude(wave, audio)
        gl = _magnitude(gl_waves[i], audio)
        fig = {"ceiling": lsd(ref, gl), "ceiling mel-80": lsd(mel(ref), mel(gl))}
        for bins, frames in ORACLES:
            fig[f"oracle {bins} x {frames}"] = lsd(ref, oracle(ref, bins, frames))
        if model_waves is not None:
            est = _magnitude(model_waves[i], audio)
            fig["model"] = lsd(ref, est)
            fig["model envelope %d x %d" % ENVELOPE_SMOOTHING] = lsd(
                ref, est, smooth=ENVELOPE_SMOOTHING)
            fig["model mel-80"] = lsd(mel(ref), mel(est))
        for group in ("all", families[i]):
            for key, value in fig.items():
                rows[group][key].append(value)
    return {"data": data, "bars": len(d), "seed": seed, "model": model, "refine": refine,
            "lsd_db": {g: {k: round(float(np.mean(v)), 2) for k, v in r.items()}
                       for g, r in rows.items()},
            "bars_per_group": {g: len(next(iter(r.values()))) for g, r in rows.items()}}


def markdown(result: dict) -> str:
    groups = ["all"] + sorted(g for g in result["lsd_db"] if g != "all")
    keys = list(result["lsd_db"]["all"])
    lines = ["| LSD (dB) | " + " | ".join(f"{g} ({result['bars_per_group'][g]})"
                                        for g in groups) + " |",
             "|---|" + "---:|" * len(groups)]
    for k in keys:
        lines.append(f"| {k} | " + " | ".join(f"{result['lsd_db'][g][k]:.2f}" for g in groups)
                     + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="a rendered corpus's val/ folder")
    p.add_argument("--max-bars", type=int, default=240)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default=None, help="a .keras model (optional)")
    p.add_argument("--refine", type=int, default=20)
    p.add_argument("--out", default=None, help="write the figures as JSON here")
    args = p.parse_args(argv)
    result = floor_table(args.data, args.max_bars, args.seed, args.model, args.refine)
    print(markdown(result))
    if args.out:
        from drumaae import fileio

        fileio.write_json(args.out, result, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
