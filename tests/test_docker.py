"""docker/: static checks (no Docker engine runs here).

The compose file parses and wires the three services consistently; every Dockerfile's base
image is pinned and every COPY/ADD source exists in its build context (and is not excluded by
its .dockerignore); models.config's base_path is where the export layout lands in the
serving container; the training job exports where TF Serving looks.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKER = os.path.join(ROOT, "docker")
COMPOSE = os.path.join(DOCKER, "compose.yaml")


def _compose() -> dict:
    with open(COMPOSE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _build(service: dict) -> tuple[str, str]:
    """(context folder, Dockerfile path) of a compose service's build section."""
    build = service["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = os.path.normpath(os.path.join(DOCKER, build["context"]))
    dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
    return context, dockerfile


def _instructions(path: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not current and line.lstrip().startswith("#"):
                continue
            if line.rstrip().endswith("\\"):
                current += line.rstrip()[:-1] + " "
                continue
            current += line
            if current.strip():
                word, _, rest = current.strip().partition(" ")
                lines.append((word.upper(), rest.strip()))
            current = ""
    return lines


def _copy_sources(args: str) -> tuple[list[str], str]:
    if args.startswith("["):
        parts = yaml.safe_load(args)
    else:
        parts = shlex.split(args)
    parts = [p for p in parts if not p.startswith("--")]
    return parts[:-1], parts[-1]


def _ignore_patterns(dockerfile: str, context: str) -> list[str]:
    for path in (dockerfile + ".dockerignore", os.path.join(context, ".dockerignore")):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    return []


def _ignored(rel: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern also covers what is below."""
    out = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.rstrip("/")
        hit = (fnmatch.fnmatch(rel, pat) or rel.startswith(pat + "/")
               or pat == "**")
        if hit:
            out = not negate
    return out


SERVICES = ["mlflow", "serving", "training"]


def test_compose_has_the_three_services_and_declared_volumes():
    compose = _compose()
    assert set(SERVICES) <= set(compose["services"])
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} not declared"


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfiles_pin_bases_and_copy_existing_files(name):
    context, dockerfile = _build(_compose()["services"][name])
    assert os.path.isfile(dockerfile), dockerfile
    instructions = _instructions(dockerfile)
    bases = [args.split()[0] for word, args in instructions if word == "FROM"]
    assert bases and all(":" in b and not b.endswith(":latest") for b in bases), bases
    patterns = _ignore_patterns(dockerfile, context)
    copies = [args for word, args in instructions if word in ("COPY", "ADD")]
    assert copies or name == "mlflow"
    for args in copies:
        sources, _dest = _copy_sources(args)
        for src in sources:
            rel = os.path.normpath(src)
            assert os.path.exists(os.path.join(context, src)), f"{name}: COPY {src} missing"
            assert not _ignored(rel, patterns), f"{name}: COPY {src} is in .dockerignore"


def test_pinned_images():
    _, serving = _build(_compose()["services"]["serving"])
    _, training = _build(_compose()["services"]["training"])
    assert ("FROM", "tensorflow/serving:2.16.1") in _instructions(serving)
    assert ("FROM", "tensorflow/tensorflow:2.16.2-gpu") in _instructions(training)


def _models_config() -> list[dict]:
    with open(os.path.join(DOCKER, "serving", "models.config"), encoding="utf-8") as f:
        text = re.sub(r"#.*", "", f.read())
    assert text.count("{") == text.count("}")
    configs = []
    for block in re.findall(r"config\s*\{(.*?)\n  \}", text, flags=re.S):
        configs.append({
            "name": re.search(r'name:\s*"([^"]+)"', block)[1],
            "base_path": re.search(r'base_path:\s*"([^"]+)"', block)[1],
            "platform": re.search(r'model_platform:\s*"([^"]+)"', block)[1],
            "policy": re.search(r"model_version_policy\s*\{\s*(\w+)", block)[1],
        })
    return configs


def test_models_config_matches_the_export_layout(tmp_path):
    from drumaae.config import load_recipe
    from drumaae.models import build_model
    from drumaae.serving.export import export_model

    configs = _models_config()
    assert len(configs) == 1
    config = configs[0]
    assert config["platform"] == "tensorflow" and config["policy"] in ("all", "specific")
    compose = _compose()
    # The serving container's models folder: the Dockerfile's COPY models/ destination, which
    # is also where compose mounts the exports volume.
    _, dockerfile = _build(compose["services"]["serving"])
    dests = [_copy_sources(a)[1].rstrip("/") for w, a in _instructions(dockerfile)
             if w == "COPY" and _copy_sources(a)[0] == ["models/"]]
    assert dests == ["/models"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in compose["services"]["serving"]["volumes"]}
    assert mounts.get("exports") == "/models"
    assert "--model_config_file=/config/models.config" in compose["services"]["serving"][
        "command"]

    # What `export_model(..., name=NAME)` writes under the models folder.
    model = build_model(load_recipe("tiny"))
    written = export_model(model, tmp_path, name=config["name"], gl_iters=1)
    rel = os.path.relpath(written, tmp_path).replace(os.sep, "/")
    assert f"/models/{rel}" == f"{config['base_path']}/1"
    assert os.path.isfile(os.path.join(written, "saved_model.pb"))


def test_training_service_reaches_mlflow_and_exports_for_serving():
    compose = _compose()
    services = compose["services"]
    mlflow_cmd = " ".join(services["mlflow"]["command"])
    port = re.search(r"--port[= ](\d+)", mlflow_cmd)[1]
    assert "--host=0.0.0.0" in mlflow_cmd and "sqlite:///" in mlflow_cmd
    assert any(p.endswith(f":{port}") for p in services["mlflow"]["ports"])
    assert re.search(r"--allowed-hosts=\S*mlflow:" + port, mlflow_cmd)
    training = services["training"]
    assert training["environment"]["MLFLOW_TRACKING_URI"] == f"http://mlflow:{port}"
    assert "mlflow" in training["depends_on"]
    devices = training["deploy"]["resources"]["reservations"]["devices"]
    assert any("gpu" in d["capabilities"] for d in devices)
    assert {"8501:8501", "8500:8500"} <= set(services["serving"]["ports"])
    mounts = {v.split(":")[0]: v.split(":")[1] for v in training["volumes"]}
    script = open(os.path.join(DOCKER, "training", "train-and-export.sh")).read()
    assert f"drumaae export {mounts['exports']} " in script
    assert training["environment"]["MODEL_NAME"] == _models_config()[0]["name"]
    assert '--name "$MODEL_NAME"' in script and "drumaae train " in script


def test_train_script_options_exist():
    """Every drumaae option the training script passes is one the CLI accepts."""
    from click.testing import CliRunner

    from drumaae_cli.main import cli

    script = open(os.path.join(DOCKER, "training", "train-and-export.sh")).read()
    for command, options in (("corpus render", ["--out", "--bars", "--seed"]),
                             ("train", ["--recipe", "--data", "--out", "--register-as",
                                        "--alias", "--epochs", "--resume"]),
                             ("export", ["--model", "--name"])):
        for option in options:
            assert option in script
        help_text = CliRunner().invoke(cli, [*command.split(), "--help"]).output
        for option in options:
            assert option in help_text, f"drumaae {command} has no {option}"
