"""What matching a mono output to a stereo input's loudness (as heard, BS.1770 over its
channels) costs in limiting: the bundled example loop as mono, as dual mono (L = R) and as a
wide stereo mix (L = x + s/2, R = x - s/2, s another loop), reconstructed by the bundled
model at the loop's tempo. docs/cli.md ("Stereo") quotes the table.

    python scripts/stereo_limiter_check.py
"""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf

from drumaae import inference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BPM = 126.9308  # examples/funk_127bpm.wav, one bar


def main() -> None:
    x, sr = sf.read(os.path.join(ROOT, "examples", "funk_127bpm.wav"), dtype="float32")
    s, _ = sf.read(os.path.join(ROOT, "examples", "halftime_106bpm.wav"), dtype="float32")
    s = np.resize(s, x.size)
    inputs = {"mono": x, "dual mono (L = R)": np.stack([x, x], axis=1),
              "wide (L = x + s/2, R = x - s/2)": np.stack([x + 0.5 * s, x - 0.5 * s], axis=1)}
    backend = inference.load_backend(None)
    print(f"model {backend.ref}; funk_127bpm.wav at {BPM} BPM, {sr} Hz, seed 0")
    print("| input | input LUFS (as heard) | output target LUFS | limited dB | output LUFS |")
    print("|---|---:|---:|---:|---:|")
    for name, audio in inputs.items():
        peak = np.max(np.abs(audio))
        audio = audio * (0.9 / peak) if peak > 0.9 else audio
        rec = inference.reconstruct((audio, sr), model=backend, bpm=BPM)
        lv = rec.loudness[0]
        print(f"| {name} | {rec.encoded.lufs[0]:.2f} | {lv['lufs_target']:.2f} | "
              f"{lv['limited_db']:.2f} | {lv['lufs']:.2f} |")


if __name__ == "__main__":
    main()
