"""Export a DrumAAE as a TF-Serving SavedModel (`OUT/NAME/VERSION/`).

TensorFlow-specific on purpose. The graph holds the encoder, the generator and the prior
(never the discriminator) and the same `tf.signal` feature and Griffin-Lim code as training
(`drumaae.audio.features`); no tensorflow-io op, since TF Serving does not have them. Audio
must reach the server already decoded, mono and at the model's sample rate.

Signatures (every input float32 unless stated; explicit `tf.TensorSpec`s, so a model trained
under ``mixed_float16`` still serves float32):

- ``interpolate`` (also ``serving_default``): ``source (samples_src,)``,
  ``target (samples_tgt,)``, ``alphas (steps,)`` -> ``audio (steps, samples_src)``,
  ``codes (steps, d)``, ``alphas (steps,)``; z(a) = (1 - a) z_src + a z_tgt, rendered at the
  source's bar length.
- ``encode``: ``bars (batch, samples)`` -> ``codes (batch, d)`` (the encoder's mean mu).
- ``decode``: ``codes (batch, d)``, ``bar_length`` int32 scalar -> ``audio (batch, bar_length)``.
- ``config``: ``bpm`` scalar -> the audio settings as scalars (``sample_rate``, ``n_fft``,
  ``bar_frames``, ``latent_dim``, ``gl_iters``, ``seed``, ``bar_length`` = samples of one bar
  at ``bpm``) and ``settings_json`` (a string: the sidecar's JSON), so a REST client learns
  the model's rate from the server itself (TF Serving's metadata holds only signatures).

With ``bar_method: variable_hop`` an encoded bar's sample count must be a multiple of
``bar_frames`` (`AudioConfig.grid_samples` gives one); the graph checks it and answers
InvalidArgument. ``decode`` renders any ``bar_length`` exactly (`AudioConfig.bar_samples`,
the ``config`` signature's ``bar_length``): Griffin-Lim on the nearest frame grid, then
resampled.
Griffin-Lim runs ``gl_iters`` iterations from phases seeded with ``seed``, both fixed at
export. The sidecar ``assets.extra/drumaae.json`` (ignored by TF Serving) repeats the settings
for offline clients.

Example:
    >>> from drumaae.models import build_model
    >>> from drumaae.config import load_recipe
    >>> path = export_model(build_model(load_recipe("tiny")), "exports/")
    >>> path
    'exports/drumaae/1'
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
import shutil
from typing import Callable

import keras
import tensorflow as tf

from drumaae.audio.features import bar_features, render_bars
from drumaae.config import AudioConfig
from drumaae import fileio, limits
from drumaae.errors import DrumaaeError, OutputExistsError
from drumaae.latent import latent_path
from drumaae.serving.signatures import (
    SERVING_DEFAULT,
    SERVING_FORMAT_VERSION,
    SIDECAR,
    SIGNATURES,
)
from drumaae.version import __version__

__all__ = [
    "export_model",
    "read_export_settings",
    "next_version",
    "SIGNATURES",
    "SIDECAR",
    "SERVING_FORMAT_VERSION",
]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def next_version(model_dir: str | os.PathLike) -> int:
    """The next free integer version in `model_dir` (1 if it holds none)."""
    model_dir = os.fspath(model_dir)
    versions = [int(n) for n in os.listdir(model_dir) if n.isdigit()] if os.path.isdir(
        model_dir) else []
    return max(versions, default=0) + 1


def read_export_settings(version_dir: str | os.PathLike) -> dict:
    """The sidecar of an exported version folder (audio settings, latent size, GL settings)."""
    path = os.path.join(os.fspath(version_dir), SIDECAR)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError as exc:
        raise DrumaaeError(f"{version_dir} is not a drumaae export (no {SIDECAR})") from exc


def _input_checks(samples, audio: AudioConfig, what: str, grid: bool = True) -> list:
    """Asserts on a waveform length (run inside the graph: TF Serving answers
    InvalidArgument with the message); `grid`: it must also lie on the frame grid."""
    checks = [tf.debugging.assert_greater(
        samples, audio.n_fft // 2,
        message=f"{what}: a bar needs more than n_fft/2 = {audio.n_fft // 2} samples")]
    if grid and audio.bar_method == "variable_hop":
        checks.append(tf.debugging.assert_equal(
            samples % audio.bar_frames, 0,
            message=f"{what}: samples per bar must be a multiple of bar_frames = "
                    f"{audio.bar_frames} (AudioConfig.grid_samples(bpm) gives one)"))
    return checks


class _Signatures:
    """The functions behind the signatures; all maths in float32 whatever the Keras policy."""

    def __init__(self, model, audio: AudioConfig, gl_iters: int, seed: int, settings: dict):
        self.encoder = model.encoder
        self.model = model
        self.audio = audio
        self.gl_iters = int(gl_iters)
        self.seed = int(seed)
        self.latent_dim = int(model.encoder.latent_dim)
        self.settings_json = json.dumps(settings, sort_keys=True)

    def _codes(self, bars):
        with tf.control_dependencies(_input_checks(tf.shape(bars)[-1], self.audio, "bars")):
            feats = bar_features(tf.identity(bars), self.audio)
        _, mu, _ = self.encoder(feats, training=False)
        return tf.cast(mu, tf.float32)

    def _render(self, codes, bar_length):
        # The model's decode: a conditional generator also gets the codes' label weights.
        feats = tf.cast(self.model.decode(codes), tf.float32)
        return render_bars(feats, self.audio, bar_length, iters=self.gl_iters, seed=self.seed)

    def encode(self, bars):
        return {"codes": self._codes(bars)}

    def decode(self, codes, bar_length):
        checks = _input_checks(bar_length, self.audio, "bar_length", grid=False)
        with tf.control_dependencies(checks):
            bar_length = tf.identity(bar_length)
        return {"audio": self._render(tf.cast(codes, tf.float32), bar_length)}

    def interpolate(self, source, target, alphas):
        z_src = self._codes(source[tf.newaxis])
        z_tgt = self._codes(target[tf.newaxis])
        codes = latent_path(z_src[0], z_tgt[0], alphas)
        audio = self._render(codes, tf.shape(source)[0])
        return {"audio": audio, "codes": codes, "alphas": tf.identity(alphas)}

    def config(self, bpm):
        a = self.audio
        # AudioConfig.bar_samples: round(sample_rate * 60 * beats_per_bar / bpm) samples.
        exact = float(a.sample_rate) * 60.0 * a.beats_per_bar / tf.cast(bpm, tf.float64)
        i32 = lambda v: tf.constant(int(v), tf.int32)  # noqa: E731
        return {
            "sample_rate": i32(a.sample_rate),
            "n_fft": i32(a.n_fft),
            "bar_frames": i32(a.bar_frames),
            "latent_dim": i32(self.latent_dim),
            "gl_iters": i32(self.gl_iters),
            "seed": i32(self.seed),
            "bar_length": tf.cast(tf.maximum(tf.round(exact), 1.0), tf.int32),
            "settings_json": tf.constant(self.settings_json),
        }


def _specs(latent_dim: int) -> dict[str, list[tf.TensorSpec]]:
    f32 = tf.float32
    return {
        "interpolate": [tf.TensorSpec([None], f32, name="source"),
                        tf.TensorSpec([None], f32, name="target"),
                        tf.TensorSpec([None], f32, name="alphas")],
        "encode": [tf.TensorSpec([None, None], f32, name="bars")],
        "decode": [tf.TensorSpec([None, latent_dim], f32, name="codes"),
                   tf.TensorSpec([], tf.int32, name="bar_length")],
        "config": [tf.TensorSpec([], f32, name="bpm")],
    }


def _settings(model, audio: AudioConfig, name: str, version: int, gl_iters: int,
              seed: int, source: dict | None = None) -> dict:
    return {
        "format": "drumaae-serving",
        "format_version": SERVING_FORMAT_VERSION,
        "drumaae_version": __version__,
        "name": name,
        "version": version,
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "audio": dataclasses.asdict(audio),
        "latent_dim": int(model.encoder.latent_dim),
        "gl_iters": int(gl_iters),
        "seed": int(seed),
        "signatures": {k: {"inputs": list(v["inputs"]), "outputs": list(v["outputs"])}
                       for k, v in SIGNATURES.items()},
        "serving_default": SERVING_DEFAULT,
        "recipe": getattr(model, "recipe", {}),
        "model": dict(source) if source else None,
    }


def export_model(model, out_dir: str | os.PathLike, *, name: str = "drumaae",
                 version: int | None = None, force: bool = False,
                 gl_iters: int | None = None, seed: int = 0,
                 progress: Callable[[str], None] | None = None,
                 source: dict | None = None) -> str:
    """Write `model` as a TF-Serving SavedModel in ``out_dir/name/version/``.

    Args:
        model: a built `DrumAAE` (its encoder, generator and prior are exported).
        out_dir: the model base folder's parent (TF Serving's ``base_path`` is
            ``out_dir/name``).
        name: the served model's name (letters, digits, ``_.-``).
        version: integer version; default the next free one (1 for a new folder).
        force: replace an existing version folder.
        gl_iters: Griffin-Lim iterations in `decode`/`interpolate` (default: the model's
            ``audio.griffin_lim_iters``).
        seed: seed of Griffin-Lim's initial phases (fixed in the graph).
        progress: called with a short message before each step.
        source: the exported model's provenance (`drumaae.registry.model_identity`:
            reference as given, sha256, registry version / run id or path), recorded as the
            sidecar's ``model``; None records ``null`` (an in-memory model).

    Returns:
        The version folder written.

    Raises:
        OutputExistsError: the version exists and `force` is False.
        DrumaaeError: a bad name or version.
    """
    from drumaae.models import model_audio

    say = progress or (lambda message: None)
    if not _NAME_RE.match(name or ""):
        raise DrumaaeError(f"model name {name!r} must be letters, digits, '_', '.' or '-'")
    if version is not None and (isinstance(version, bool) or int(version) < 1):
        raise DrumaaeError(f"version must be a positive integer, got {version!r}")
    audio = model_audio(model)
    gl_iters = limits.check_gl_iters(audio.griffin_lim_iters if gl_iters is None else gl_iters)
    model_dir = os.path.join(os.fspath(out_dir), name)
    os.makedirs(model_dir, exist_ok=True)
    # One export into a model folder at a time: the version number is chosen and written
    # under this claim, so two exports never take the same one (the second one fails).
    with fileio.claim(model_dir, check=False):
        fileio.clean_stale_in(model_dir)  # what killed exports left (a replaced version back)
        version = next_version(model_dir) if version is None else int(version)
        final = os.path.join(model_dir, str(version))
        if os.path.exists(final) and not force:
            raise OutputExistsError(
                f"{final} already exists; pass --force to replace it or omit --version for "
                f"the next free one ({next_version(model_dir)})")
        _write_version(model, audio, name, version, final, gl_iters, seed, say, source)
    say(f"exported {final}")
    return final


def _write_version(model, audio: AudioConfig, name: str, version: int, final: str,
                   gl_iters: int, seed: int, say: Callable[[str], None],
                   source: dict | None = None) -> None:
    """Trace the signatures, write the SavedModel beside `final` and swap it in."""
    settings = _settings(model, audio, name, version, gl_iters, seed, source)
    fns = _Signatures(model, audio, gl_iters, seed, settings)
    specs = _specs(fns.latent_dim)
    archive = keras.export.ExportArchive()
    for part in (model.encoder, model.generator, model.prior):
        archive.track(part)
    # The first endpoint becomes `serving_default` (Keras 3 ExportArchive.write_out).
    for endpoint in SIGNATURES:
        say(f"adding signature {endpoint}")
        archive.add_endpoint(endpoint, getattr(fns, endpoint), input_signature=specs[endpoint])

    # Hidden (non-numeric) temporary folder beside the final one: TF Serving ignores it,
    # and the swap makes the version appear complete or not at all; a replaced version
    # stays whole until the new one is in place (`fileio.replace_folder`).
    stage = os.path.join(os.path.dirname(final), fileio.partial_name(str(version)))
    try:
        say(f"tracing the signatures and writing the SavedModel for {final}")
        archive.write_out(stage, verbose=False)
        os.makedirs(os.path.join(stage, "assets.extra"), exist_ok=True)
        with open(os.path.join(stage, SIDECAR), "w", encoding="utf-8") as f:
            json.dump(settings, f, indent=2, sort_keys=True)
        fileio.replace_folder(stage, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
