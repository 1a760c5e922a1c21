"""drumaae.fileio: atomic files, claims, staged folders, --force on our manifests only, and
the faults a user meets (kills, concurrent runs, full disks, read-only folders)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from drumaae import fileio
from drumaae.errors import OutputBusyError, OutputExistsError, OutputNotWritableError

KIND = "drumaae.sample"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_output(out, files: dict[str, str], *, force=False, kind=KIND, figure=None):
    """One drumaae-style output folder: `files` (name -> text) and their manifest."""
    with fileio.StagedFolder(out, force, kind=kind) as stage:
        for name, text in files.items():
            with open(stage.path(name), "w") as f:
                f.write(text)
        manifest = {**fileio.manifest_header(kind), "files": [{"file": n} for n in files],
                    "figure": figure}
        fileio.write_manifest(stage.tmp, manifest)


def listing(folder) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


# --- atomic files -------------------------------------------------------------------------

@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_files_get_the_umask_mode(tmp_path, umask, mask, mode):
    umask(mask)
    path = tmp_path / "a.json"
    fileio.write_json(path, {"a": 1})
    assert os.stat(path).st_mode & 0o777 == mode
    assert json.loads(path.read_text()) == {"a": 1}
    # A writer that makes the file anew (as savers do) still ends with the umask mode.
    def recreate(tmp):
        os.remove(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"x")
        os.close(fd)
    fileio.atomic_write(tmp_path / "b.bin", recreate)
    assert os.stat(tmp_path / "b.bin").st_mode & 0o777 == mode
    assert listing(tmp_path) == ["a.json", "b.bin"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "x.txt"
    fileio.write_text(path, "old")

    def boom(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        fileio.atomic_write(path, boom)
    assert path.read_text() == "old" and listing(tmp_path) == ["x.txt"]


def test_a_full_disk_is_one_line_and_loses_nothing(tmp_path, monkeypatch):
    path = tmp_path / "x.txt"
    fileio.write_text(path, "old")

    def full(tmp):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputNotWritableError, match="No space left") as info:
        fileio.atomic_write(path, full)
    assert "\n" not in str(info.value)
    assert path.read_text() == "old" and listing(tmp_path) == ["x.txt"]
    # ENOSPC while swapping a staged folder in: the old output stays whole.
    out = tmp_path / "out"
    write_output(out, {"00.wav": "old"})
    real_rename = os.rename

    def rename(src, dst):
        if os.path.basename(os.fspath(src)).startswith(".partial-"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(fileio, "_exchange", lambda a, b: False)
    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputNotWritableError, match="No space left"):
        write_output(out, {"00.wav": "new"}, force=True)
    monkeypatch.undo()
    fileio.clean_stale(out)  # as the next claim does
    assert (out / "00.wav").read_text() == "old"
    assert listing(tmp_path) == ["out", "x.txt"]


def test_read_only_targets_are_refused_before_any_work(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if os.fspath(p) == str(folder)
                        else real_access(p, mode))
    with pytest.raises(OutputNotWritableError, match="read-only"):
        fileio.check_new_file(folder / "a.wav", force=False)
    with pytest.raises(OutputNotWritableError, match="read-only"):
        fileio.check_out_dir(folder / "out", force=False)
    monkeypatch.undo()
    # The write itself failing (a read-only file system) is one line too.
    monkeypatch.setattr(os, "open", lambda *a, **k: (_ for _ in ()).throw(
        OSError(errno.EROFS, "Read-only file system")))
    with pytest.raises(OutputNotWritableError, match="Read-only file system"):
        fileio.atomic_write(folder / "a.txt", "x")


# --- refusing and --force -----------------------------------------------------------------

def test_force_replaces_only_files_our_manifest_lists(tmp_path):
    out = tmp_path / "out"
    write_output(out, {"00.wav": "a", "01.wav": "b", "02.wav": "c", "03.wav": "d"})
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="--force"):
        write_output(out, {"00.wav": "x"})
    # -n 4 then -n 2: the stale 02 and 03 go, the user's notes stay.
    write_output(out, {"00.wav": "x", "01.wav": "y"}, force=True)
    assert listing(out) == ["00.wav", "01.wav", "manifest.json", "notes.txt"]
    assert (out / "00.wav").read_text() == "x" and (out / "notes.txt").read_text() == "mine"
    assert listing(tmp_path) == ["out"]


@pytest.mark.parametrize("manifest", [
    {"kind": "other", "files": [{"file": "results.csv"}], "figure": "thesis.txt"},
    {"producer": "someone", "kind": KIND, "files": [{"file": "results.csv"}]},
    "not json",
])
def test_force_refuses_a_folder_with_a_foreign_manifest(tmp_path, manifest):
    out = tmp_path / "f"
    out.mkdir()
    (out / "thesis.txt").write_text("x")
    (out / "results.csv").write_text("x")
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    (out / "manifest.json").write_text(text)
    with pytest.raises(OutputExistsError, match="did not write"):
        write_output(out, {"00.wav": "new"}, force=True)
    assert (out / "thesis.txt").read_text() == "x" and (out / "results.csv").read_text() == "x"
    assert (out / "manifest.json").read_text() == text and listing(tmp_path) == ["f"]


def test_force_into_a_folder_without_a_manifest_keeps_every_user_file(tmp_path):
    out = tmp_path / "f"
    out.mkdir()
    (out / "thesis.txt").write_text("x")
    (out / "sub").mkdir()
    (out / "sub" / "data.csv").write_text("y")
    write_output(out, {"00.wav": "new"}, force=True)
    assert listing(out) == ["00.wav", "manifest.json", "sub", "thesis.txt"]
    assert (out / "thesis.txt").read_text() == "x" and (out / "sub" / "data.csv").read_text() == "y"
    assert listing(tmp_path) == ["f"]


def test_force_refuses_our_output_of_another_kind(tmp_path):
    out = tmp_path / "f"
    write_output(out, {"00.wav": "a"}, kind="drumaae.interpolation")
    with pytest.raises(OutputExistsError, match="another kind"):
        write_output(out, {"00.wav": "b"}, force=True, kind=KIND)
    assert (out / "00.wav").read_text() == "a"


def test_manifests_from_before_the_producer_field_are_ours(tmp_path):
    out = tmp_path / "f"
    out.mkdir()
    (out / "00.wav").write_text("a")
    (out / "manifest.json").write_text(json.dumps({"kind": KIND, "files": ["00.wav"]}))
    write_output(out, {"01.wav": "b"}, force=True)
    assert listing(out) == ["01.wav", "manifest.json"]


def test_a_name_clash_with_a_user_file_is_refused(tmp_path):
    out = tmp_path / "f"
    write_output(out, {"00.wav": "a"})
    (out / "01.wav").write_text("mine")
    with pytest.raises(OutputExistsError, match="not drumaae's"):
        write_output(out, {"00.wav": "b", "01.wav": "b"}, force=True)
    assert (out / "01.wav").read_text() == "mine" and (out / "00.wav").read_text() == "a"


def test_an_input_is_never_an_output(tmp_path):
    wav = tmp_path / "x.wav"
    wav.write_text("input")
    with pytest.raises(OutputExistsError, match="input"):
        fileio.check_new_file(wav, force=True, inputs=[str(wav)])
    with pytest.raises(OutputExistsError, match="input"):
        fileio.write_file(wav, "out", force=True, inputs=[str(wav)])
    out = tmp_path / "f"
    write_output(out, {"00.wav": "a"})
    with pytest.raises(OutputExistsError, match="input"):
        fileio.check_out_dir(out, True, KIND, inputs=[str(out / "00.wav")])
    assert wav.read_text() == "input"


# --- claims, concurrency, leftovers -------------------------------------------------------

def _child(code: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_claim_excludes_other_processes_and_dies_with_its_holder(tmp_path):
    target = tmp_path / "out"
    holder = _child(f"""
        import sys
        from drumaae import fileio
        fileio.claim({str(target)!r}, folder=True)
        print("held", flush=True)
        sys.stdin.read()
    """)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputBusyError, match="another drumaae run"):
            fileio.claim(target, folder=True)
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the dead holder's lock: the next run gets the target.
    with fileio.claim(target, folder=True):
        pass
    assert listing(tmp_path) == []


def test_claims_are_shared_within_a_process(tmp_path):
    target = tmp_path / "out"
    with fileio.claim(target, folder=True) as first:
        with fileio.claim(target, folder=True) as second:
            assert first is second
        write_output(target, {"00.wav": "a"})  # the staged folder takes the same claim
    assert listing(tmp_path) == ["out"]


WRITER = """
    import os, sys
    from drumaae import fileio
    out, tag = sys.argv[1], sys.argv[2]
    try:
        with fileio.StagedFolder(out, force={force}, kind="drumaae.sample") as stage:
            for i in range(20):
                with open(stage.path(f"{{i:02d}}.wav"), "w") as f:
                    f.write(tag * 1000)
            fileio.write_json(stage.path("manifest.json"), {{
                **fileio.manifest_header("drumaae.sample"), "tag": tag,
                "files": [{{"file": f"{{i:02d}}.wav"}} for i in range(20)]}})
    except fileio.OutputExistsError as exc:
        print("refused", exc)
        sys.exit(1)
    print("wrote", tag)
"""


def _check_consistent(out) -> str:
    """The folder is one run's complete output: every listed file is whole and that run's."""
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert (out / entry["file"]).read_text() == manifest["tag"] * 1000
    assert sorted(n for n in os.listdir(out)) == sorted(
        [e["file"] for e in manifest["files"]] + ["manifest.json"])
    return manifest["tag"]


@pytest.mark.parametrize("force", [False, True])
def test_concurrent_writers_to_one_target_exactly_one_wins(tmp_path, force):
    out = tmp_path / "out"
    if force:
        write_output(out, {"00.wav": "seed"})
    code = textwrap.dedent(WRITER.format(force=force))
    env = dict(os.environ, PYTHONPATH=ROOT)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(out), tag], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in "abcd"]
    results = [(p.wait(), p.stdout.read(), p.stderr.read()) for p in procs]
    winners = [out_ for rc, out_, _ in results if rc == 0]
    losers = [out_ for rc, out_, _ in results if rc != 0]
    assert all(o.startswith("refused") for o in losers), results
    assert len(winners) >= 1
    if not force:
        assert len(winners) == 1, results  # a new target: the others find it taken
    tag = _check_consistent(out)
    assert f"wrote {tag}" in "".join(winners)
    assert listing(tmp_path) == ["out"]


def test_stale_partials_are_cleaned_by_the_next_claim(tmp_path):
    out = tmp_path / "out"
    write_output(out, {"00.wav": "a"})
    stale = tmp_path / fileio.partial_name("out")
    stale.mkdir()
    (stale / "00.wav").write_text("half")
    other = tmp_path / fileio.partial_name("out-2")  # another target's: left alone
    other.mkdir()
    half = tmp_path / fileio.partial_name("x.wav")
    half.write_text("half")
    write_output(out, {"00.wav": "b"}, force=True)
    assert listing(tmp_path) == sorted(["out", other.name, half.name])
    with fileio.claim(tmp_path / "x.wav"):
        pass
    assert listing(tmp_path) == sorted(["out", other.name])


def test_a_kill_between_the_two_renames_is_undone_by_the_next_claim(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_output(out, {"00.wav": "old", "01.wav": "old"})
    real_rename = os.rename

    def rename(src, dst):
        real_rename(src, dst)
        if os.path.basename(os.fspath(dst)).startswith(".replaced-"):
            raise KeyboardInterrupt  # the process dies here: the old folder moved aside

    monkeypatch.setattr(fileio, "_exchange", lambda a, b: False)
    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        write_output(out, {"00.wav": "new"}, force=True)
    monkeypatch.undo()
    assert not out.exists()  # what a kill at that instant leaves
    with fileio.claim(out, force=True, folder=True, kind=KIND):
        pass
    assert listing(out) == ["00.wav", "01.wav", "manifest.json"]
    assert (out / "00.wav").read_text() == "old" and listing(tmp_path) == ["out"]


KILLED_WRITER = """
    import os, sys
    from drumaae import fileio
    out = sys.argv[1]
    n = 0
    while True:
        n += 1
        tag = f"{os.getpid()}-{n}"
        with fileio.StagedFolder(out, force=True, kind="drumaae.sample") as stage:
            for i in range(n % 5 + 1):
                with open(stage.path(f"{i:02d}.wav"), "w") as f:
                    f.write(tag * 1000)
            fileio.write_json(stage.path("manifest.json"), {
                **fileio.manifest_header("drumaae.sample"), "tag": tag,
                "files": [{"file": f"{i:02d}.wav"} for i in range(n % 5 + 1)]})
        print(n, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("exchange", [True, False])
def test_kills_at_random_points_of_a_replace_lose_nothing(tmp_path, exchange):
    """SIGKILL a process that replaces one output in a loop, at random instants (so inside
    the staging, the swap and the cleanup), 40 times: after each kill the next claim finds
    one run's complete output, never a mix, and no leftovers."""
    import random

    rng = random.Random(0)
    out = tmp_path / "out"
    write_output(out, {"00.wav": "seed"})
    code = textwrap.dedent(KILLED_WRITER)
    if not exchange:
        code = "from drumaae import fileio\nfileio._exchange = lambda a, b: False\n" + code
    env = dict(os.environ, PYTHONPATH=ROOT)
    for _ in range(40):
        proc = subprocess.Popen([sys.executable, "-c", code, str(out)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc.stdout.readline()  # at least one replace done: the loop is running
        time.sleep(rng.uniform(0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with fileio.claim(out, force=True, folder=True, kind=KIND):
            _check_consistent_tag(out)
        assert listing(tmp_path) == ["out"]


def _check_consistent_tag(out) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    tag = manifest.get("tag", "seed")
    for entry in manifest["files"]:
        text = (out / entry["file"]).read_text()
        assert text == (tag * 1000 if tag != "seed" else "seed")
    assert sorted(os.listdir(out)) == sorted(
        [e["file"] for e in manifest["files"]] + ["manifest.json"])


def test_a_checkpoint_folder_is_tidied_when_training_starts(tmp_path):
    """A kill during a checkpoint save left `.partial-*.last.keras`; the next run drops it."""
    from drumaae.training.callbacks import CHECKPOINT_MODEL, CHECKPOINT_STATE, EpochCheckpoint

    for name in (CHECKPOINT_MODEL, CHECKPOINT_STATE):
        (tmp_path / fileio.partial_name(name)).write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("mine")
    EpochCheckpoint(str(tmp_path), {})
    assert listing(tmp_path) == ["notes.txt"]


def test_write_manifest_writes_only_our_manifests(tmp_path, umask):
    """Every manifest goes through `write_manifest`: atomic, and only with the header that
    lets a later --force recognise the output as drumaae's of one kind."""
    manifest = {**fileio.manifest_header(KIND), "files": [{"file": "00.wav"}]}
    path = fileio.write_manifest(tmp_path, manifest)
    assert path == str(tmp_path / fileio.MANIFEST)
    assert (tmp_path / fileio.MANIFEST).read_text() == json.dumps(manifest, indent=2) + "\n"
    assert fileio.read_manifest(tmp_path) == manifest and listing(tmp_path) == ["manifest.json"]
    assert os.stat(path).st_mode & 0o777 == 0o644  # the umask (022) applies, not 0600
    fileio.write_manifest(tmp_path, manifest, indent=1)
    assert (tmp_path / fileio.MANIFEST).read_text() == json.dumps(manifest, indent=1) + "\n"
    for bad in ({"files": []}, {**manifest, "producer": "someone"},
                {**manifest, "kind": None}):
        with pytest.raises(ValueError, match="manifest_header"):
            fileio.write_manifest(tmp_path, bad)
    assert fileio.read_manifest(tmp_path) == manifest  # a refused one leaves the old in place
