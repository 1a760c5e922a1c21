"""Recipes: every bundled recipe loads and validates; bad recipes name the key."""

import pytest

from drumaae.config import Recipe, bundled_recipes, load_recipe, recipe_from_dict
from drumaae.errors import RecipeError


@pytest.mark.parametrize("name", sorted(bundled_recipes()))
def test_every_bundled_recipe_loads_and_validates(name):
    recipe = load_recipe(name)
    assert isinstance(recipe, Recipe)
    assert recipe.name == name
    recipe.validate()
    assert recipe.audio.grid_samples() % recipe.audio.bar_frames == 0
    assert recipe_from_dict(recipe.to_dict()) == recipe  # resolved form round-trips


def test_expected_recipes_are_bundled():
    assert {"default", "tiny", "paper", "quick"} <= set(bundled_recipes())


def test_include_merges_nested_sections(tmp_path):
    (tmp_path / "child.yaml").write_text("base: tiny\nmodel:\n  latent_dim: 7\n")
    recipe = load_recipe(tmp_path / "child.yaml")
    tiny = load_recipe("tiny")
    assert recipe.model.latent_dim == 7
    assert recipe.model.encoder_filters == tiny.model.encoder_filters
    assert recipe.audio == tiny.audio


def test_default_reference_bar_is_the_papers():
    audio = load_recipe("default").audio
    assert audio.bar_samples() == 41344 and audio.hop_length == 323
    assert audio.n_bins == 512


@pytest.mark.parametrize("bpm", [60.0, 97.3, 120.0, 126.93, 133.0, 171.7, 199.9])
def test_bar_samples_is_exact_and_the_grid_is_nearest(bpm):
    audio = load_recipe("default").audio
    exact = 22050 * 60.0 * 4 / bpm
    assert audio.bar_samples(bpm) == round(exact)
    grid = audio.grid_samples(bpm)
    assert grid % audio.bar_frames == 0 and abs(grid - exact) <= audio.bar_frames / 2
    assert audio.bar_samples(120.0) == 44100  # 2.0000 s, not 2.0027 s


def test_one_bar_length_formula_for_bars_and_loops():
    """`config.bar_samples` is the one formula: `AudioConfig.bar_samples` is it at one bar,
    and n bars are one rounding of n bars' length (not n rounded bars)."""
    from drumaae.config import AudioConfig, bar_samples

    audio = AudioConfig()
    for bpm in (60.0, 97.3, 126.93, 171.7):
        assert audio.bar_samples(bpm) == bar_samples(bpm, 22050)
    assert bar_samples(120.0, 8000, bars=2) == 32000
    # 97.3 BPM, 22050 Hz: a bar is 54388.49 samples; two are 108776.98, not 2 * 54388
    assert bar_samples(97.3, 22050) == 54388 and bar_samples(97.3, 22050, bars=2) == 108777
    assert bar_samples(90.0, 22050, beats_per_bar=3) == 44100
    assert bar_samples(400.0, 1000, beats_per_bar=1) == 150


@pytest.mark.parametrize("text,key", [
    ("model:\n  latnt_dim: 3\n", "model.latnt_dim"),
    ("audio:\n  n_fft: 1000\n", "audio.n_fft"),
    ("audio:\n  n_fft: 256\n", "audio.n_fft"),  # hop (323) > n_fft
    ("model:\n  latent_dim: '8'\n", "model.latent_dim"),
    ("model:\n  encoder_filters: 8\n", "model.encoder_filters"),
    ("training:\n  precision: half\n", "training.precision"),
    ("training:\n  batch_size: 0\n", "training.batch_size"),
    ("training:\n  augment: 1\n", "training.augment"),
    ("training:\n  level_weight: -1\n", "training.level_weight"),
    ("model:\n  encoder_filters: [8, 8, 8, 8, 8, 8, 8, 8]\n", "model.encoder_filters"),
    ("extra: 1\n", "extra"),
    ("audio: [1, 2]\n", "audio"),
])
def test_bad_values_name_the_key(tmp_path, text, key):
    path = tmp_path / "bad.yaml"
    path.write_text("base: default\n" + text)
    with pytest.raises(RecipeError, match=key.replace(".", r"\.").replace("[", r"\[")):
        load_recipe(path)


def test_unknown_recipe_and_self_include(tmp_path):
    with pytest.raises(RecipeError, match="no recipe"):
        load_recipe("nonexistent")
    loop = tmp_path / "loop.yaml"
    loop.write_text("base: loop.yaml\n")
    with pytest.raises(RecipeError, match="includes itself"):
        load_recipe(loop)
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad)


def test_exponent_without_dot_is_a_number(tmp_path):
    path = tmp_path / "lr.yaml"
    path.write_text("base: tiny\ntraining:\n  d_learning_rate: 1e-3\n")
    assert load_recipe(path).training.d_learning_rate == 1e-3
    path.write_text("base: tiny\ntraining:\n  d_learning_rate: fast\n")
    with pytest.raises(RecipeError, match="training.d_learning_rate must be a number"):
        load_recipe(path)


def test_overrides_and_flat_params():
    recipe = load_recipe("tiny", {"training": {"epochs": 9}})
    assert recipe.training.epochs == 9
    params = recipe.flat_params()
    assert params["training.epochs"] == 9 and params["model.latent_dim"] == 4
    assert recipe.replace(training={"epochs": 3}).training.epochs == 3
    with pytest.raises(RecipeError):
        recipe.replace(bogus={"a": 1})
