"""`drumaae models list / register`: the library's registry.list_models / register, printed."""

from __future__ import annotations

import json

from click.testing import CliRunner

from drumaae_cli.main import cli


def test_register_then_list(store_with_run):
    uri, run_id = store_with_run
    runner = CliRunner()
    out = runner.invoke(cli, ["models", "list", "--tracking-uri", uri])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("no registered models in")
    out = runner.invoke(cli, ["models", "register", f"runs:/{run_id}/model", "--name", "drums",
                              "--alias", "prod", "--tracking-uri", uri])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == "registered models:/drums/1 (alias models:/drums@prod)"
    out = runner.invoke(cli, ["models", "list", "--tracking-uri", uri])
    assert out.output.splitlines()[1:] == [f"models:/drums/1  @prod  (run {run_id})"]
    out = runner.invoke(cli, ["models", "list", "--tracking-uri", uri, "--json"])
    assert json.loads(out.output) == [{"name": "drums", "version": "1", "aliases": ["prod"],
                                       "run_id": run_id, "uri": "models:/drums/1"}]


def test_register_refuses_a_path_and_an_unknown_run(store_with_run):
    uri, _ = store_with_run
    out = CliRunner().invoke(cli, ["models", "register", "m.keras", "--name", "d",
                                   "--tracking-uri", uri])
    assert out.exit_code != 0 and "runs:/RUN_ID/model" in out.output
    out = CliRunner().invoke(cli, ["models", "register", "runs:/feedface/model", "--name", "d",
                                   "--tracking-uri", uri])
    assert out.exit_code == 1
    assert "cannot register runs:/feedface/model" in out.stderr and "Traceback" not in out.output
