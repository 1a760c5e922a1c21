"""Training speed of the model variants behind the default (docs/model.md's ablation):
bars/s of the train step on 2 CPU cores, each against the v1 default's shape measured in the
same run (the named baseline).

    python -m drumaae_bench.model_variants [--batch 32] [--steps 10] [--repeats 2]

Random features stand in for data (the step's cost does not depend on the values). The
variants add the changes since v1 one at a time, in the order of the ablation table.
"""

from __future__ import annotations

import argparse

from .harness import load_average, machine
from .training import _train_rate

V1 = {"model": {"latent_dim": 32, "encoder_filters": [256, 256, 256, 256],
                "generator_filters": [256, 256, 256, 256], "conditional_generator": False,
                "freq_bottleneck": 0, "residual": False},
      "training": {"sc_weight": 0.0, "transient_weight": 0.0, "onset_weight": 0.0}}

VARIANTS = [
    ("v1 shape (baseline)", {}),
    ("+ spectral convergence 0.5, transient 1.0",
     {"training": {"sc_weight": 0.5, "transient_weight": 1.0}}),
    ("+ label-conditioned generator", {"model": {"conditional_generator": True}}),
    ("+ 64-D codes, bottleneck 128, residual", {"model": {"latent_dim": 64, "freq_bottleneck": 128,
                                                         "residual": True}}),
    ("+ leaner outer convolutions (= v2 default)",
     {"model": {"encoder_filters": [128, 192, 256, 256],
                "generator_filters": [256, 256, 192, 128]}}),
    ("+ 128-D codes (= v4-v10 default)", {"model": {"latent_dim": 128}}),
    ("+ onset-flux term 2.0 (= v11 default)", {"training": {"onset_weight": 2.0}}),
]


def _merge(base: dict, extra: dict) -> dict:
    out = {k: dict(v) for k, v in base.items()}
    for section, values in extra.items():
        out.setdefault(section, {}).update(values)
    return out


def main(argv=None) -> None:
    from drumaae.config import load_recipe

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    m = machine()
    print(f"machine: {m.get('cpu')} ({m.get('cores')} cores); load {load_average()}")
    overrides, rows, base = V1, [], None
    for name, extra in VARIANTS:
        overrides = _merge(overrides, extra)
        recipe = load_recipe("default", overrides)
        per_step = _train_rate(recipe, args.batch, args.steps, args.repeats, "float32",
                               count_flops=False)[0]
        rate = args.batch / per_step
        base = rate if base is None else base
        from drumaae.models import build_model

        params = build_model(recipe).count_params()
        rows.append((name, f"{params / 1e6:.2f} M", f"{rate:.1f}", f"{rate / base:.2f}x"))
    head = ("variant (cumulative)", "parameters", "bars/s", "vs v1 shape")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    for r in [head, tuple("-" * w for w in widths)] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    main()
