"""`drumaae info`: what a model is (model card, recipe, audio settings, sizes)."""

from __future__ import annotations

import os
from importlib import resources

import click

from drumaae_cli import options
from drumaae_cli.common import emit, pass_errors


def _model_card(model_ref: str | None) -> str | None:
    """The bundled model's card, or a MODEL_CARD.md beside a model file."""
    if model_ref is None:
        card = resources.files("drumaae") / "assets" / "MODEL_CARD.md"
        return card.read_text(encoding="utf-8") if card.is_file() else None
    if os.path.isfile(model_ref):
        beside = os.path.join(os.path.dirname(os.path.abspath(model_ref)), "MODEL_CARD.md")
        if os.path.isfile(beside):
            with open(beside, encoding="utf-8") as f:
                return f.read()
    return None


@click.command("info")
@options.MODEL
@options.TRACKING_URI
@click.option("--no-card", is_flag=True, help="Leave out the model card.")
@options.JSON
@pass_errors
def command(model_ref, tracking_uri, no_card, as_json):
    """Describe a model: its card, recipe, audio settings, parameter counts and format.

    \b
    Example:
      drumaae info
      drumaae info --model runs/2024-06-01/model.keras --json
    """
    from drumaae import inference
    from drumaae.models import model_audio, model_recipe

    backend = inference.load_backend(model_ref, tracking_uri=tracking_uri)
    model = backend.model
    recipe = model_recipe(model)
    audio = model_audio(model)
    params = {part: int(getattr(model, part).count_params())
              for part in ("encoder", "generator", "discriminator")}
    params["total"] = sum(params.values())
    card = None if no_card else _model_card(model_ref)
    m = recipe.model
    info = {
        "model": backend.ref,
        "format_version": int(model.format_version),
        "recipe": recipe.name,
        "latent_dim": m.latent_dim,
        "num_components": m.num_components,
        "prior_layout": m.prior_layout,
        "stochastic_encoder": m.stochastic_encoder,
        "audio": {"sample_rate": audio.sample_rate, "n_fft": audio.n_fft,
                  "bar_frames": audio.bar_frames, "n_bins": audio.n_bins,
                  "reference_bpm": audio.reference_bpm,
                  "bar_samples": audio.bar_samples(),
                  "bar_method": audio.bar_method,
                  "griffin_lim_iters": audio.griffin_lim_iters},
        "parameters": params,
        "trained_steps": model.trained_steps,
        "recipe_full": recipe.to_dict(),
        "model_card": card,
    }
    a = info["audio"]
    lines = []
    if card:
        lines += [card.rstrip(), "", "---", ""]
    lines += [
        f"model:          {info['model']}",
        f"format version: {info['format_version']}",
        f"recipe:         {recipe.name}",
        f"latent:         {m.latent_dim} dims, {m.num_components}-component {m.prior_layout} "
        f"Gaussian mixture ({'stochastic' if m.stochastic_encoder else 'deterministic'} "
        "encoder)",
        f"audio:          {a['sample_rate']} Hz, n_fft {a['n_fft']}, {a['bar_frames']} frames "
        f"x {a['n_bins']} bins per bar ({a['bar_method']}), {a['bar_samples']} samples per bar "
        f"at {a['reference_bpm']:g} BPM, Griffin-Lim {a['griffin_lim_iters']} iterations",
        "parameters:     " + ", ".join(f"{k} {v:,}" for k, v in params.items()),
        "trained steps:  " + (f"{info['trained_steps']:,}" if info["trained_steps"] is not None
                              else "unknown (saved before drumaae kept the count)"),
    ]
    emit(info, as_json, lines)
