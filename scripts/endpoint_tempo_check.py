"""Why `evaluate` renders a morph's steps at blended tempi: the alpha = 1 bar (the target's
code) against the target bar, rendered four ways: at the source's bar length (what
``tempo=source`` does), at the target's own length, at the target's length then
phase-vocoder-stretched to the source's (`librosa.effects.time_stretch`), and resampled.
Prints per pair: length ratio, envelope correlation x4, onset F x4; then the means.

    python scripts/endpoint_tempo_check.py [MODEL] [DATA_FOLDER]

(default: the bundled model, /work/corpus_v2/val; 240 bars and 24 pairs as in the card).
"""
import sys

import librosa
import numpy as np

from drumaae.audio.render import render
from drumaae.evaluation import evaluate as ev
from drumaae.evaluation import metrics
from drumaae.models import model_audio


def main(model: str | None, data: str) -> None:
    net, _, _ = ev._load_model(model)
    audio = model_audio(net)
    d = ev.load_eval_data(data, audio, max_bars=240, seed=0, progress=False)
    codes = np.asarray(net.encode(d.features), np.float32)
    sr = audio.sample_rate
    rows = []
    for i, j in ev._pick_pairs(d, 24, 0):
        ls, lt = d.waves[i].shape[-1], d.waves[j].shape[-1]
        f = np.asarray(net.decode(codes[[j]]), np.float32)
        at_src = render(f, audio, ls, iters=64, seed=0)[0]
        own = render(f, audio, lt, iters=64, seed=0)[0]
        stretched = librosa.util.fix_length(librosa.effects.time_stretch(own, rate=lt / ls),
                                            size=ls)
        resampled = librosa.resample(own, orig_sr=lt, target_sr=ls)[:ls]
        waves = (at_src, own, stretched, resampled)
        row = ([ls / lt] + [metrics.envelope_correlation(d.waves[j], w, sr) for w in waves]
               + [metrics.onset_f_measure(d.waves[j], w, sr) for w in waves])
        rows.append(row)
        print(" ".join(f"{x:.3f}" for x in row), flush=True)
    r = np.array(rows)
    names = "at-source own stretched resampled".split()
    print("mean env:", ", ".join(f"{n} {v:.3f}" for n, v in zip(names, r[:, 1:5].mean(0))))
    print("mean F:  ", ", ".join(f"{n} {v:.3f}" for n, v in zip(names, r[:, 5:9].mean(0))))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None,
         sys.argv[2] if len(sys.argv) > 2 else "/work/corpus_v2/val")
