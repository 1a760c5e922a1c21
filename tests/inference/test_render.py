"""drumaae.inference.render helpers that need no model."""

from __future__ import annotations

import numpy as np

from drumaae.inference.render import endpoint_phases


def test_endpoint_phases_only_where_an_endpoint_is_at_its_own_tempo():
    src, tgt = np.zeros(10, np.float32), np.ones(12, np.float32)
    alphas = [0.0, 0.5, 1.0]
    plain = endpoint_phases(alphas, src, tgt)
    assert plain[0] is src and plain[1] is None and plain[2] is tgt
    # every step at the source's tempo: the target's phase would start a bar of another
    # length, so alpha = 1 starts from random phases
    at_source = endpoint_phases(alphas, src, tgt, [120.0, 120.0, 120.0], 120.0, 90.0)
    assert at_source[0] is src and at_source[1] is None and at_source[2] is None
    blended = endpoint_phases(alphas, src, tgt, [120.0, 105.0, 90.0], 120.0, 90.0)
    assert blended[0] is src and blended[2] is tgt
    at_target = endpoint_phases(alphas, src, tgt, [90.0, 90.0, 90.0], 120.0, 90.0)
    assert at_target[0] is None and at_target[2] is tgt
