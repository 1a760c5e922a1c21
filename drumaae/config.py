"""Recipes: frozen dataclasses for audio, model and training settings, loaded from YAML.

A recipe is a YAML file with up to four top-level keys::

    base: default.yaml        # optional: another recipe this one overrides
    audio:    {...}           # AudioConfig fields
    model:    {...}           # ModelConfig fields
    training: {...}           # TrainingConfig fields

`base` is resolved relative to the including file, then among the bundled recipes. Nested
mappings are merged key by key, so a recipe names only what it changes. Every key is checked:
an unknown key, a value of the wrong type or an impossible value raises `RecipeError` naming
the key (``model.latent_dim``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping

import yaml

from drumaae import limits
from drumaae.errors import RecipeError

__all__ = [
    "AudioConfig",
    "audio_from_dict",
    "bar_samples",
    "frame_grid",
    "ModelConfig",
    "TrainingConfig",
    "Recipe",
    "load_recipe",
    "recipe_from_dict",
    "bundled_recipes",
    "recipe_path",
]

PRECISIONS = ("auto", "float32", "mixed_float16")
BAR_METHODS = ("variable_hop", "resample_frames")
FEATURE_REFERENCES = ("fixed", "peak")
PRIOR_LAYOUTS = ("radial", "hypersphere")
RECON_LOSSES = ("l1", "l2")


def feature_span_db(audio: Mapping[str, Any]) -> float:
    """dB between feature 0 and feature 1 of an audio config given as a dict (a saved model's
    settings): ``ref_db - min_db`` with the ``fixed`` reference, `floor_db` with ``peak``.
    Missing keys take `AudioConfig`'s defaults (models saved before the keys existed)."""
    if audio.get("feature_reference", "fixed") == "peak":
        return float(audio.get("floor_db", 90.0))
    return float(audio.get("ref_db", 50.0)) - float(audio.get("min_db", -50.0))


def bar_samples(bpm: float, sample_rate: int, beats_per_bar: int = 4, bars: int = 1) -> int:
    """Samples in `bars` bars of `beats_per_bar` beats at `bpm`:
    ``round(sample_rate * 60 * beats_per_bar * bars / bpm)``, at least 1.

    The one bar-length formula: `AudioConfig.bar_samples` (every input and output bar) and
    the corpus renderer's files (`drumaae.data.corpus.render_pattern`) both use it. One
    rounding of one division, so ``bars`` bars are not ``bars`` times a rounded bar.
    """
    return max(1, int(round(sample_rate * 60.0 * beats_per_bar * bars / float(bpm))))


def frame_grid(samples: int, bar_frames: int) -> int:
    """`samples` rounded to the nearest multiple of `bar_frames` (at least `bar_frames`)."""
    return max(1, int(round(int(samples) / bar_frames))) * bar_frames


@dataclass(frozen=True)
class AudioConfig:
    """How audio becomes model features.

    Args:
        sample_rate: the model's rate in Hz; all input is resampled to it.
        n_fft: STFT frame length in samples (Hann window).
        bar_frames: spectrogram frames per bar, whatever the bar's tempo.
        reference_bpm: the tempo at which a bar is `bar_frames * hop_length` samples; the
            bundled example rate/tempo give 41,344 samples = 1.875 s per bar (the paper's).
        beats_per_bar: 4 for 4/4.
        bar_method: how a bar of any length becomes `bar_frames` frames: ``variable_hop``
            (the STFT hop is the bar length / bar_frames) or ``resample_frames`` (fixed hop,
            then frames linearly resampled); see docs/audio.md for the measured comparison.
        min_db: floor of the log-magnitude range mapped to feature 0 (``fixed``); with
            ``peak``, the absolute floor (dB re 1.0) below which every cell counts as silence.
        ref_db: level (dB re 1.0) mapped to feature 1 (``fixed``); with ``peak``, the level
            at which a feature of 1 is rendered back to audio (outputs are loudness-matched
            afterwards, so it only sets Griffin-Lim's working scale).
        feature_reference: ``fixed`` (features span min_db..ref_db of the unnormalised FFT, so
            a bar's level is part of its features) or ``peak`` (each bar is referenced to its
            own loudest cell and floored `floor_db` below it, so features weigh what is
            audible after loudness matching; docs/audio.md).
        floor_db: with ``peak``, the range below each bar's peak mapped to [0, 1].
        griffin_lim_iters: default Griffin-Lim iterations when rendering audio.
        griffin_lim_momentum: fast Griffin-Lim momentum (Perraudin et al. 2013).
    """

    sample_rate: int = 22050
    n_fft: int = 1024
    bar_frames: int = 128
    reference_bpm: float = 128.0
    beats_per_bar: int = 4
    bar_method: str = "variable_hop"
    min_db: float = -50.0
    ref_db: float = 50.0
    feature_reference: str = "fixed"
    floor_db: float = 90.0
    griffin_lim_iters: int = 64
    griffin_lim_momentum: float = 0.99

    @property
    def n_bins(self) -> int:
        """Frequency bins of a feature frame (the Nyquist bin is dropped)."""
        return self.n_fft // 2

    def bar_samples(self, bpm: float | None = None) -> int:
        """Samples of one bar at `bpm` (default: the reference tempo):
        ``round(sample_rate * 60 * beats_per_bar / bpm)``, the length of every output bar.

        The module's `bar_samples` (the one bar-length formula); `grid_samples` derives the
        model's frame grid from it.
        """
        bpm = self.reference_bpm if bpm is None else float(bpm)
        return bar_samples(bpm, self.sample_rate, self.beats_per_bar)

    def grid_samples(self, bpm: float | None = None) -> int:
        """The model's analysis/render length of a bar at `bpm`: `bar_samples` rounded to the
        nearest multiple of `bar_frames` (at least one), so that ``variable_hop`` frames have
        a whole-sample hop. Input bars are analysed on this grid; Griffin-Lim renders on it
        and the result is resampled to exactly `bar_samples` (`render_bars`)."""
        return frame_grid(self.bar_samples(bpm), self.bar_frames)

    @property
    def feature_span_db(self) -> float:
        """dB between feature 0 and feature 1: ``ref_db - min_db`` (``fixed``) or `floor_db`
        (``peak``)."""
        return feature_span_db(dataclasses.asdict(self))

    @property
    def hop_length(self) -> int:
        """STFT hop in samples at the reference tempo."""
        return self.grid_samples() // self.bar_frames

    def validate(self) -> None:
        _positive(self, "audio", ["sample_rate", "n_fft", "bar_frames", "reference_bpm",
                                  "beats_per_bar", "griffin_lim_iters"])
        # Resource bounds (drumaae.limits), so a recipe or a model file cannot ask for hours
        # of Griffin-Lim or gigabytes of spectrogram.
        for key, high in (("griffin_lim_iters", limits.MAX_GL_ITERS), ("sample_rate", 192000),
                          ("n_fft", 16384), ("bar_frames", 4096), ("beats_per_bar", 64)):
            if getattr(self, key) > high:
                raise RecipeError(f"audio.{key} must be at most {high}, got "
                                  f"{getattr(self, key)!r}")
        if not limits.MIN_BPM <= self.reference_bpm <= limits.MAX_BPM:
            raise RecipeError(f"audio.reference_bpm must be in [{limits.MIN_BPM:g}, "
                              f"{limits.MAX_BPM:g}], got {self.reference_bpm!r}")
        _choice("audio.bar_method", self.bar_method, BAR_METHODS)
        if self.n_fft & (self.n_fft - 1):
            raise RecipeError(f"audio.n_fft must be a power of two, got {self.n_fft}")
        if self.hop_length > self.n_fft:
            raise RecipeError(
                f"audio.n_fft ({self.n_fft}) is shorter than the hop at reference_bpm "
                f"({self.hop_length} samples): raise n_fft or bar_frames"
            )
        if self.min_db >= self.ref_db:
            raise RecipeError("audio.min_db must be below audio.ref_db")
        _choice("audio.feature_reference", self.feature_reference, FEATURE_REFERENCES)
        if not 10.0 <= self.floor_db <= 200.0:
            raise RecipeError(f"audio.floor_db must be in [10, 200] dB, got {self.floor_db!r}")
        if not 0.0 <= self.griffin_lim_momentum < 1.0:
            raise RecipeError("audio.griffin_lim_momentum must be in [0, 1)")


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the three networks and the prior.

    Args:
        latent_dim: size d of a code z.
        encoder_filters: channels of the encoder's strided 1-D convolutions over time.
        kernel_size: temporal kernel of every convolution.
        generator_filters: channels of the generator's upsampling convolutions.
        generator_output: ``sigmoid`` or ``linear`` (clipped to [0, 1] at inference).
        discriminator_units: hidden widths of the latent discriminator MLP.
        stochastic_encoder: output mu and sigma and sample z = mu + sigma * eps.
        num_components: K, Gaussian-mixture components (and rhythm clusters).
        prior_layout: ``radial`` (Makhzani's star: arms in the first two dimensions) or
            ``hypersphere`` (means spread on a sphere in all dimensions).
        prior_radius: distance of each component's mean from the origin.
        prior_radial_std: spread of a component along its arm.
        prior_tangential_std: spread across the arm (in the plane of the star).
        prior_other_std: ``radial``: spread in the other d - 2 dimensions, which carry what
            the rhythm label does not (timbre, level).
        use_labels: feed rhythm-cluster labels to the discriminator (semi-supervised AAE).
        dropout: dropout rate in encoder and discriminator.
        conditional_generator: condition the generator on the code's rhythm label, as in the
            paper: a `(K,)` weight vector over the prior's components (one-hot label in
            training, the prior's responsibilities of the code at inference).
        freq_bottleneck: 0, or channels that a per-frame dense layer compresses the
            frequency bins to at the encoder's input (and expands them from at the
            generator's output): the CPU-cheap way to keep wide spectra.
        residual: residual connections around the encoder's and generator's blocks.
    """

    latent_dim: int = 32
    encoder_filters: tuple[int, ...] = (256, 256, 256, 256)
    kernel_size: int = 5
    generator_filters: tuple[int, ...] = (256, 256, 256, 256)
    generator_output: str = "sigmoid"
    discriminator_units: tuple[int, ...] = (512, 512)
    stochastic_encoder: bool = True
    num_components: int = 10
    prior_layout: str = "radial"
    prior_radius: float = 4.0
    prior_radial_std: float = 0.5
    prior_tangential_std: float = 0.1
    prior_other_std: float = 1.0
    use_labels: bool = True
    dropout: float = 0.1
    conditional_generator: bool = False
    freq_bottleneck: int = 0
    residual: bool = False

    def validate(self, audio: AudioConfig | None = None) -> None:
        _positive(self, "model", ["latent_dim", "kernel_size", "num_components",
                                  "prior_radius", "prior_radial_std", "prior_tangential_std",
                                  "prior_other_std"])
        for key in ("encoder_filters", "generator_filters", "discriminator_units"):
            values = getattr(self, key)
            if not values or any(v <= 0 for v in values):
                raise RecipeError(f"model.{key} must be a non-empty list of positive ints")
        _choice("model.prior_layout", self.prior_layout, PRIOR_LAYOUTS)
        _choice("model.generator_output", self.generator_output, ("sigmoid", "linear"))
        if self.prior_layout == "radial" and self.latent_dim < 2:
            raise RecipeError("model.latent_dim must be >= 2 for prior_layout: radial")
        if not 0.0 <= self.dropout < 1.0:
            raise RecipeError("model.dropout must be in [0, 1)")
        if self.freq_bottleneck < 0:
            raise RecipeError("model.freq_bottleneck must be >= 0 (0: off)")
        if audio is not None:
            for key in ("encoder_filters", "generator_filters"):
                n = len(getattr(self, key))
                if audio.bar_frames % (2**n):
                    raise RecipeError(
                        f"model.{key}: {n} stride-2 layers need audio.bar_frames "
                        f"({audio.bar_frames}) divisible by {2**n}"
                    )


@dataclass(frozen=True)
class TrainingConfig:
    """How the AAE is trained.

    Args:
        batch_size: bars per step.
        epochs: passes over the training bars.
        steps_per_epoch: cap on steps per epoch (0: the whole training set).
        ae_learning_rate: Adam rate of the reconstruction phase (encoder + generator).
        d_learning_rate: Adam rate of the discriminator phase.
        e_learning_rate: Adam rate of the encoder's adversarial phase.
        beta_1: Adam beta_1 of all three optimizers (0.5, as usual for adversarial training).
        recon_loss: ``l1`` or ``l2`` on features.
        recon_weight: weight of the reconstruction loss.
        sc_weight: weight of the spectral-convergence term (on the linear magnitude) added to
            the reconstruction loss.
        transient_weight: weight of the transient term: L1 between the frame-to-frame
            differences of features and reconstruction (sharp onsets).
        level_weight: weights the L1/L2 term's cells by ``1 + level_weight * x`` (x the true
            feature, 0..1), normalised to the batch's mean weight: the loud cells (the hits)
            count more than the floor. 0: every cell alike.
        onset_weight: weight of the onset term: L1 between the per-frame onset flux (the
            mean over bins of each frame's rise, `drumaae.models.aae.onset_flux`) of features
            and reconstruction, so a quiet hit's broadband rise counts as much as its level.
        label_mix: conditional generator only: share of training bars whose generator label
            is the prior's responsibilities of the code (what inference uses) instead of the
            rhythm label.
        adv_weight: weight of the encoder's adversarial loss.
        adv_warmup_steps: steps of reconstruction alone before the regularisation phases;
            the discriminator's and encoder's adversarial optimizers start fresh after it.
        lr_decay_epochs: the run's last N epochs lower all three learning rates along a
            cosine, from the rates above to ``lr_decay_floor`` times them (0: constant rates).
        lr_decay_floor: the rates' share at the last epoch of the decay, in (0, 1].
        precision: ``auto`` (mixed_float16 on a GPU, float32 otherwise), ``float32`` or
            ``mixed_float16``.
        validation_fraction: share of files (never bars of one file) held out.
        seed: seed of shuffling, splitting, noise and initialisation.
        shuffle_buffer: tf.data shuffle buffer in bars.
        log_every_epochs: epochs between MLflow figure/audio examples.
        augment: SpecAugment-style time/frequency masks on training features.
        rhythm_band_floor: rhythm labels' onset grids scale each band to its own peak,
            but never by more than to `rhythm_band_floor` x the bar's strongest band: with 0
            (as v11 trained) a bar without a low band has its low band's noise scaled up to
            look like kicks; 0.25 keeps a missing band near empty (`data.rhythm.onset_grid`).
    """

    batch_size: int = 32
    epochs: int = 50
    steps_per_epoch: int = 0
    ae_learning_rate: float = 1e-3
    d_learning_rate: float = 1e-3
    e_learning_rate: float = 1e-3
    beta_1: float = 0.5
    recon_loss: str = "l1"
    recon_weight: float = 1.0
    sc_weight: float = 0.0
    transient_weight: float = 0.0
    level_weight: float = 0.0
    onset_weight: float = 0.0
    label_mix: float = 0.5
    adv_weight: float = 1.0
    adv_warmup_steps: int = 0
    lr_decay_epochs: int = 0
    lr_decay_floor: float = 0.1
    precision: str = "auto"
    validation_fraction: float = 0.1
    seed: int = 1234
    shuffle_buffer: int = 2048
    log_every_epochs: int = 5
    augment: bool = False
    rhythm_band_floor: float = 0.0

    def validate(self) -> None:
        _positive(self, "training", ["batch_size", "epochs", "ae_learning_rate",
                                     "d_learning_rate", "e_learning_rate", "shuffle_buffer",
                                     "log_every_epochs"])
        if self.adv_warmup_steps < 0:
            raise RecipeError("training.adv_warmup_steps must be >= 0")
        if self.steps_per_epoch < 0:
            raise RecipeError("training.steps_per_epoch must be >= 0")
        if self.lr_decay_epochs < 0:
            raise RecipeError("training.lr_decay_epochs must be >= 0")
        if not 0.0 < self.lr_decay_floor <= 1.0:
            raise RecipeError("training.lr_decay_floor must be in (0, 1]")
        _choice("training.recon_loss", self.recon_loss, RECON_LOSSES)
        _choice("training.precision", self.precision, PRECISIONS)
        if not 0.0 <= self.validation_fraction < 1.0:
            raise RecipeError("training.validation_fraction must be in [0, 1)")
        if not 0.0 <= self.beta_1 < 1.0:
            raise RecipeError("training.beta_1 must be in [0, 1)")
        if self.recon_weight < 0 or self.adv_weight < 0:
            raise RecipeError("training.recon_weight and training.adv_weight must be >= 0")
        if self.sc_weight < 0 or self.transient_weight < 0:
            raise RecipeError("training.sc_weight and training.transient_weight must be >= 0")
        if self.level_weight < 0:
            raise RecipeError("training.level_weight must be >= 0")
        if self.onset_weight < 0:
            raise RecipeError("training.onset_weight must be >= 0")
        if not 0.0 <= self.label_mix <= 1.0:
            raise RecipeError("training.label_mix must be in [0, 1]")
        if not 0.0 <= self.rhythm_band_floor <= 1.0:
            raise RecipeError("training.rhythm_band_floor must be in [0, 1]")


@dataclass(frozen=True)
class Recipe:
    """A full, resolved recipe: what is saved with every run and every model."""

    name: str = "default"
    audio: AudioConfig = field(default_factory=AudioConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def validate(self) -> "Recipe":
        self.audio.validate()
        self.model.validate(self.audio)
        self.training.validate()
        return self

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def flat_params(self) -> dict[str, Any]:
        """`{"model.latent_dim": 32, ...}`: the recipe as flat key/value pairs (MLflow params)."""
        out: dict[str, Any] = {"name": self.name}
        for section in ("audio", "model", "training"):
            for key, value in dataclasses.asdict(getattr(self, section)).items():
                out[f"{section}.{key}"] = list(value) if isinstance(value, tuple) else value
        return out

    def replace(self, **sections: Mapping[str, Any]) -> "Recipe":
        """A copy with some fields changed: ``recipe.replace(training={"epochs": 3})``."""
        data = self.to_dict()
        for section, values in sections.items():
            if section == "name":
                data["name"] = values
                continue
            if section not in _SECTIONS:
                raise RecipeError(f"unknown recipe section {section!r}")
            data[section] = {**data[section], **dict(values)}
        return recipe_from_dict(data)


_SECTIONS = {"audio": AudioConfig, "model": ModelConfig, "training": TrainingConfig}


def _positive(obj: Any, section: str, keys: list[str]) -> None:
    for key in keys:
        if getattr(obj, key) <= 0:
            raise RecipeError(f"{section}.{key} must be > 0, got {getattr(obj, key)!r}")


def _choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise RecipeError(f"{key} must be one of {', '.join(choices)}; got {value!r}")


def _coerce(key: str, value: Any, annotation: Any) -> Any:
    """Check `value` against a field annotation; ints are accepted where floats are."""
    origin = typing.get_origin(annotation)
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(annotation)
        if not isinstance(value, (list, tuple)):
            raise RecipeError(f"{key} must be a list of {item_type.__name__}, got {value!r}")
        return tuple(_coerce(f"{key}[{i}]", v, item_type) for i, v in enumerate(value))
    if annotation is bool:
        if not isinstance(value, bool):
            raise RecipeError(f"{key} must be true or false, got {value!r}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecipeError(f"{key} must be an integer, got {value!r}")
        return value
    if annotation is float:
        if isinstance(value, str):
            # PyYAML reads YAML 1.1, where `1e-3` (no dot) is a string; YAML 1.2 and every
            # user read it as a number.
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RecipeError(f"{key} must be a number, got {value!r}")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise RecipeError(f"{key} must be a string, got {value!r}")
        return value
    raise TypeError(f"unsupported annotation {annotation!r} for {key}")  # our own bug


def _section(name: str, cls: type, values: Any) -> Any:
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise RecipeError(f"{name} must be a mapping, got {type(values).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise RecipeError(
                f"unknown key {name}.{key} (known: {', '.join(sorted(known))})"
            )
        kwargs[key] = _coerce(f"{name}.{key}", value, hints[key])
    return cls(**kwargs)


def audio_from_dict(values: Mapping[str, Any]) -> AudioConfig:
    """Build and validate an AudioConfig from a mapping (a model's saved audio settings):
    every key and value checked as in a recipe, `RecipeError` naming the first bad one."""
    audio = _section("audio", AudioConfig, values)
    audio.validate()
    return audio


def recipe_from_dict(data: Mapping[str, Any], name: str | None = None) -> Recipe:
    """Build and validate a Recipe from a mapping (with no `base`)."""
    if not isinstance(data, Mapping):
        raise RecipeError("a recipe must be a YAML mapping")
    unknown = set(data) - {"name", "base", *_SECTIONS}
    if unknown:
        raise RecipeError(
            f"unknown recipe key {sorted(unknown)[0]!r} (known: name, base, audio, model, "
            "training)"
        )
    recipe = Recipe(
        name=str(data.get("name") or name or "recipe"),
        **{key: _section(key, cls, data.get(key)) for key, cls in _SECTIONS.items()},
    )
    return recipe.validate()


def bundled_recipes() -> dict[str, str]:
    """Names and paths of the recipes shipped with drumaae (`recipes/` in the source tree)."""
    folder = resources.files("drumaae.recipes")
    out = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            out[entry.name[: -len(".yaml")]] = str(entry)
    return dict(sorted(out.items()))


def recipe_path(name_or_path: str | os.PathLike) -> str:
    """Resolve a recipe given as a path or as a bundled name (``tiny``, ``default.yaml``)."""
    text = os.fspath(name_or_path)
    if os.path.isfile(text):
        return text
    stem = text[:-5] if text.endswith(".yaml") else text
    bundled = bundled_recipes()
    if os.sep not in stem and stem in bundled:
        return bundled[stem]
    raise RecipeError(
        f"no recipe {text!r}: give a YAML file or one of {', '.join(bundled)}"
    )


def _merge(base: dict, over: Mapping) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _read_tree(path: str, seen: tuple[str, ...] = ()) -> dict:
    real = os.path.realpath(path)
    if real in seen:
        raise RecipeError(f"recipe {path} includes itself through 'base'")
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise RecipeError(f"recipe {path} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    except OSError as exc:
        raise RecipeError(f"cannot read recipe {path}: {exc.strerror}") from exc
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise RecipeError(f"recipe {path} must be a YAML mapping")
    base = data.get("base")
    if base is None:
        return dict(data)
    if not isinstance(base, str):
        raise RecipeError(f"base in {path} must be a file name")
    candidate = os.path.join(os.path.dirname(path), base)
    base_path = candidate if os.path.isfile(candidate) else recipe_path(base)
    merged = _merge(_read_tree(base_path, seen + (real,)), {k: v for k, v in data.items()
                                                           if k != "base"})
    return merged


def load_recipe(name_or_path: str | os.PathLike, overrides: Mapping[str, Any] | None = None
                ) -> Recipe:
    """Load, merge (`base`), override and validate a recipe.

    Args:
        name_or_path: a YAML path or a bundled recipe name (``default``, ``tiny``, ``paper``).
        overrides: nested mapping applied last, e.g. ``{"training": {"epochs": 2}}``.
    """
    path = recipe_path(name_or_path)
    data = _read_tree(path)
    if overrides:
        data = _merge(data, overrides)
    stem = os.path.basename(path)[: -len(".yaml")] if path.endswith(".yaml") else path
    return recipe_from_dict(data, name=stem)
