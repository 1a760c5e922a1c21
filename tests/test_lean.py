"""drumaae.lean: Keras without its optional scikit-learn/pandas/matplotlib integrations."""

from __future__ import annotations

import subprocess
import sys

OPTIONAL = ("sklearn", "pandas", "matplotlib")


def _run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    return out.strip().splitlines()


def test_lean_keras_leaves_the_optional_packages_out_and_importable():
    lines = _run(
        "import sys; from drumaae.lean import import_keras_lean; k = import_keras_lean(); "
        f"print(sorted(m for m in {OPTIONAL!r} if m in sys.modules)); "
        "import keras; print(keras is k); "
        "import sklearn.cluster, pandas, matplotlib.pyplot; print('imported after')")
    assert lines[-3:] == ["[]", "True", "imported after"]


def test_plain_keras_imports_them_and_lean_is_then_a_no_op():
    # What the lean import saves: a plain import brings all three in.
    lines = _run(
        "import sys, keras; from drumaae.lean import import_keras_lean; "
        "print(import_keras_lean() is keras); "
        f"print(sorted(m for m in {OPTIONAL!r} if m in sys.modules))")
    assert lines[-2:] == ["True", str(sorted(OPTIONAL))]


def test_model_commands_run_with_lean_keras(tmp_path):
    # The CLI's model-only commands import Keras lean before the command runs; --help
    # does not import Keras at all.
    code = ("import sys; from drumaae_cli.main import cli; "
            "ctx = cli.make_context('drumaae', ['info']); "
            "cli.resolve_command(ctx, ['info']); "
            f"print(sorted(m for m in {OPTIONAL!r} + ('keras',) if m in sys.modules))")
    assert _run(code)[-1] == "['keras']"
    code_help = ("import sys; from drumaae_cli.main import cli; "
                 "ctx = cli.make_context('drumaae', ['info', '--help']); "
                 "cli.resolve_command(ctx, ['info', '--help']); print('keras' in sys.modules)")
    assert _run(code_help)[-1] == "False"
