"""Quality of the bundled default model on the bundled example loops (slow: real model,
64 Griffin-Lim iterations). Numbers for held-out kits are in drumaae/assets/MODEL_CARD.md."""

import numpy as np
import pytest

from drumaae import inference
from drumaae.evaluation.metrics import (envelope_similarity, onset_envelope, onset_f_measure,
                                        trend)
from drumaae.registry import BUNDLED_MODEL

EXAMPLES = "examples/funk_127bpm.wav", "examples/house_83bpm.wav"


@pytest.mark.slow
def test_interpolation_moves_monotonically_from_source_to_target():
    result = inference.interpolate(*EXAMPLES, steps=5, model=str(BUNDLED_MODEL), seed=0)
    sr = result.sample_rate
    src = result.source.waveforms[0]
    tgt = result.target.waveforms[0]
    env_src, env_tgt = onset_envelope(src, sr), onset_envelope(tgt, sr)
    to_src = [envelope_similarity(onset_envelope(b, sr), env_src) for b in result.bars]
    to_tgt = [envelope_similarity(onset_envelope(b, sr), env_tgt) for b in result.bars]
    t = trend(result.alphas, to_src, to_tgt)
    # Rhythm moves from the source's towards the target's along alpha.
    assert t["rho"] > 0.5, (to_src, to_tgt, t)
    assert to_tgt[-1] > to_tgt[0] and to_src[-1] < to_src[0], (to_src, to_tgt)
    # Endpoints are reconstructions: their onsets match the inputs'.
    assert onset_f_measure(src, result.bars[0], sr) >= 0.7
    assert onset_f_measure(tgt, result.bars[-1], sr) >= 0.7
    assert np.all(np.isfinite(np.concatenate(result.bars)))
