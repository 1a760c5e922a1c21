"""The root group: every command listed, each command's module imported only when used."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from drumaae_cli.main import COMMAND_MODULES, cli


def test_help_lists_every_command_and_unknown_ones_fail():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:")[1]
    assert all(f"  {name} " in listed for name in COMMAND_MODULES)
    assert CliRunner().invoke(cli, ["nosuch"]).exit_code != 0


def test_one_command_does_not_import_the_others():
    code = ("import sys; from drumaae_cli.main import cli; "
            "cli.get_command(None, 'interpolate'); "
            "print(sorted(m for m in sys.modules if m.startswith('drumaae_cli.') "
            "or m == 'drumaae.data.corpus'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    loaded = eval(out.strip().splitlines()[-1])  # noqa: S307 - our own printed list
    assert "drumaae_cli.interpolate" in loaded
    assert "drumaae_cli.corpus" not in loaded and "drumaae.data.corpus" not in loaded
    assert "drumaae_cli.train" not in loaded and "drumaae_cli.bench" not in loaded
