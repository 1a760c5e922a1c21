"""Where a model's reconstruction error sits: the feature-domain error of G(E(x)) in dB (no
Griffin-Lim), by octave band, by the true level, on onset frames against the rest, and per
kit family, with the bias (model minus truth) beside each RMS.

    python scripts/error_decomposition.py --model drumaae/assets/default.keras \\
        --data corpus_v2/val --every 16

The features span `min_db`..`ref_db` (100 dB in the default recipe) and clip at `min_db`, so
this error is not the LSD of `drumaae evaluate` (which compares magnitudes after Griffin-Lim,
floored 80 dB under each bar's peak); it says where the generator's output differs, not by
how much the rendered audio does.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

BANDS_HZ = ((0, 125), (125, 250), (250, 500), (500, 1000), (1000, 2000), (2000, 4000),
            (4000, 8000), (8000, 11025))
LEVEL_EDGES_DB = (-51, -40, -25, -10, 5, 60)


def _rms_bias(err: np.ndarray) -> list[float]:
    return [round(float(np.sqrt(np.mean(err ** 2))), 2), round(float(err.mean()), 2)]


def decompose(model_path: str, data: str, every: int = 16, batch: int = 48) -> dict:
    from drumaae.data.dataset import build_index, make_dataset
    from drumaae.data.layout import file_families
    from drumaae.models import load_model, model_audio

    model = load_model(model_path, compile=False)
    audio = model_audio(model)
    index = build_index(data, audio)
    sub = index.select_files(index.file_paths[::every])
    ds = make_dataset(sub, audio, batch_size=batch, shuffle=False, seed=0, cache=False)
    x = np.concatenate([np.asarray(b[0] if isinstance(b, tuple) else b) for b in ds])
    x_hat = np.concatenate([np.asarray(model(x[i:i + batch])) for i in range(0, len(x), batch)])
    span = audio.ref_db - audio.min_db
    err = (x_hat - x) * span                # dB, per frame and bin
    level = x * span + audio.min_db         # the true level, dB
    hz = np.arange(x.shape[2]) * audio.sample_rate / audio.n_fft
    out = {"model": model_path, "bars": int(len(x)), "rms_bias_db": _rms_bias(err),
           "band_hz": {f"{lo}-{hi}": _rms_bias(err[:, :, (hz >= lo) & (hz < hi)])
                       for lo, hi in BANDS_HZ},
           "true_level_db": {}}
    for lo, hi in zip(LEVEL_EDGES_DB[:-1], LEVEL_EDGES_DB[1:]):
        m = (level >= lo) & (level < hi)
        out["true_level_db"][f"{lo}..{hi}"] = _rms_bias(err[m]) + [round(float(m.mean()), 3)]
    # Onset frames: the 15% of frames with the largest rise of the mean feature.
    mean = x.mean(axis=2)
    rise = np.maximum(np.diff(mean, axis=1, prepend=mean[:, :1]), 0.0)
    onset = rise >= np.quantile(rise, 0.85)
    out["onset_frames"] = _rms_bias(err[onset])
    out["other_frames"] = _rms_bias(err[~onset])
    families = file_families([data])
    names = np.array([families.get(r.file, "unknown") for r in sub])
    out["family"] = {f: _rms_bias(err[names == f]) for f in sorted(set(names))}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--every", type=int, default=16, help="use every Nth file")
    args = p.parse_args(argv)
    print(json.dumps(decompose(args.model, args.data, args.every), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
