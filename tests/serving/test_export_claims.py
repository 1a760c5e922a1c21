"""export_model's file safety without tracing a graph (`_write_version` stubbed): the model
folder is claimed while the version is chosen and written, and what a killed export left is
put right before the version is chosen."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from drumaae import fileio
from drumaae.errors import OutputBusyError
from drumaae.models import build_model
from drumaae.serving import export

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def model(tiny_recipe):
    return build_model(tiny_recipe, seed=0)


@pytest.fixture
def stub_writer(monkeypatch):
    """A stand-in for the SavedModel writer: a complete version folder, staged and swapped
    in as the real one is."""
    written = []

    def write(model, audio, name, version, final, gl_iters, seed, say, source=None):
        stage = os.path.join(os.path.dirname(final), fileio.partial_name(str(version)))
        os.mkdir(stage)
        with open(os.path.join(stage, "saved_model.pb"), "w") as f:
            f.write(f"version {version}")
        fileio.replace_folder(stage, final)
        written.append(version)

    monkeypatch.setattr(export, "_write_version", write)
    return written


def test_a_replaced_version_moved_aside_by_a_kill_comes_back(model, tmp_path, stub_writer):
    model_dir = tmp_path / "e" / "drumaae"
    model_dir.mkdir(parents=True)
    # `export --force` killed between its two renames (no atomic exchange): version 1 sits
    # aside, a half-written stage beside it.
    aside = model_dir / ".replaced-0123456789ab.1"
    aside.mkdir()
    (aside / "saved_model.pb").write_text("version 1")
    (model_dir / ".partial-ba9876543210.1").mkdir()
    path = export.export_model(model, tmp_path / "e")
    assert path == os.path.join(str(tmp_path / "e"), "drumaae", "2")  # 1 was put back first
    assert sorted(os.listdir(model_dir)) == ["1", "2"]
    assert (model_dir / "1" / "saved_model.pb").read_text() == "version 1"
    assert sorted(os.listdir(tmp_path / "e")) == ["drumaae"]  # the claim's lock file is gone


def test_force_replaces_a_version_whole(model, tmp_path, stub_writer):
    export.export_model(model, tmp_path, version=1)
    (tmp_path / "drumaae" / "1" / "extra").write_text("old")
    export.export_model(model, tmp_path, version=1, force=True)
    assert sorted(os.listdir(tmp_path / "drumaae" / "1")) == ["saved_model.pb"]
    assert stub_writer == [1, 1]


def test_a_second_export_to_one_model_fails_at_once(model, tmp_path, stub_writer):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from drumaae import fileio
            fileio.claim({str(tmp_path / "drumaae")!r}, check=False)
            print("held", flush=True)
            sys.stdin.read()
        """)], env=dict(os.environ, PYTHONPATH=ROOT), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputBusyError, match="another drumaae run"):
            export.export_model(model, tmp_path)
        assert stub_writer == []
    finally:
        holder.kill()
        holder.wait()
    assert export.export_model(model, tmp_path).endswith(os.path.join("drumaae", "1"))
