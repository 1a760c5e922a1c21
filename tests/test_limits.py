"""drumaae.limits: one set of resource limits, checked before any compute, with one-line
messages; the CLI's option types and recipes/model files use the same checks."""

from __future__ import annotations

import math

import pytest

from drumaae import limits
from drumaae.config import audio_from_dict
from drumaae.errors import DrumaaeError, LimitError, RecipeError


@pytest.mark.parametrize("bad", [0.0001, 0, -5, 19.99, 400.01, 1e9, math.nan, math.inf, "120",
                                 None, True])
def test_bpm_outside_the_range_is_refused(bad):
    with pytest.raises(LimitError, match=r"\[20, 400\] BPM|number of beats per minute") as info:
        limits.check_bpm(bad)
    assert isinstance(info.value, DrumaaeError) and "\n" not in str(info.value)


def test_bpm_inside_the_range_passes_as_float():
    assert limits.check_bpm(20) == 20.0 and limits.check_bpm(400.0) == 400.0
    assert isinstance(limits.check_bpm(128), float)


@pytest.mark.parametrize("check,low,high", [
    (limits.check_steps, 2, limits.MAX_STEPS),
    (limits.check_gl_iters, 1, limits.MAX_GL_ITERS),
    (limits.check_bars, 1, limits.MAX_BARS),
])
def test_whole_number_limits(check, low, high):
    assert check(low) == low and check(float(high)) == high
    for bad in (low - 1, high + 1, 2.5, 1e8, math.nan, "3"):
        with pytest.raises(LimitError, match=f"at least {low}.*at most {high}|whole number"):
            check(bad)


def test_steps_message_says_why_two():
    with pytest.raises(LimitError, match=r"at least 2 \(alpha 0 = the source"):
        limits.check_steps(1)


def test_deadline():
    assert limits.check_deadline(0.5) == 0.5
    for bad in (0, -1, limits.MAX_REST_DEADLINE_S + 1, math.inf):
        with pytest.raises(LimitError, match="seconds"):
            limits.check_deadline(bad)


@pytest.mark.parametrize("key,value", [("griffin_lim_iters", 100_000_000),
                                       ("griffin_lim_iters", 1e8),
                                       ("sample_rate", 10_000_000),
                                       ("reference_bpm", 0.0001),
                                       ("n_fft", 2**24),
                                       ("bar_frames", 2**20),
                                       ("sample_rate", "22050"),
                                       ("no_such_key", 1)])
def test_saved_audio_settings_are_checked(key, value):
    with pytest.raises(RecipeError, match=f"audio.{key}"):
        audio_from_dict({key: value})


def test_default_audio_settings_pass():
    assert audio_from_dict({}).griffin_lim_iters <= limits.MAX_GL_ITERS


@pytest.mark.parametrize("steps", [2, 5, limits.FIGURE_MAX_PANELS, limits.FIGURE_MAX_PANELS + 1,
                                   limits.MAX_STEPS, 1000])
def test_figure_panels_are_capped_and_keep_both_ends(steps):
    shown = limits.figure_panels(steps)
    assert len(shown) == min(steps, limits.FIGURE_MAX_PANELS)
    assert shown[0] == 0 and shown[-1] == steps - 1 and shown == sorted(set(shown))
