"""The writer never writes or deletes outside the output folder (issue 12's filesystem attacks)."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dsaas_infra.errors import OutputConflictError, UsageError
from dsaas_infra.render.writer import MANIFEST, check_writable, write_blueprint
from dsaas_infra.terraform import planfile
from tests.conftest import BLUEPRINTS, REPO

FILES = {"main.tf": b"a = 1\n", "files/handler.py": b"print()\n"}
SPEC = BLUEPRINTS / "aws-reactive.yaml"


def cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_stale_cleanup_does_not_follow_a_symlinked_folder_in_the_manifest(tmp_path):
    """The reproduction: manifest entry evil/precious.txt (matching hash), evil -> another folder;
    the next render would unlink the outside file as a stale rendered file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    precious = outside / "precious.txt"
    precious.write_bytes(b"precious\n")
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    (out / "evil").symlink_to(outside)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"]["evil/precious.txt"] = _sha(b"precious\n")
    (out / MANIFEST).write_text(json.dumps(manifest))
    for force in (False, True):
        with pytest.raises(OutputConflictError, match="symlinks inside the blueprint: evil"):
            write_blueprint(FILES, out, force=force)
    assert precious.read_bytes() == b"precious\n"


@pytest.mark.parametrize("link", ["files", ".dsaas"])
def test_symlinked_folders_inside_a_blueprint_are_not_written_through(tmp_path, link):
    victim = tmp_path / "victim"
    victim.mkdir()
    out = tmp_path / "bp"
    result = cli("render", str(SPEC), "--out", str(out))
    assert result.returncode == 0, result.stderr
    target = out / link
    if target.exists():
        os.rename(target, tmp_path / "moved")
    target.symlink_to(victim)
    result = cli("render", str(SPEC), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert "symlink" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(victim.iterdir()) == []


def test_a_symlinked_rendered_file_is_not_overwritten_through(tmp_path):
    victim = tmp_path / "victim.tf"
    victim.write_bytes(b"a = 1\n")  # same content: the hand-edit check alone would pass it
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    (out / "main.tf").unlink()
    (out / "main.tf").symlink_to(victim)
    with pytest.raises(OutputConflictError, match="symlinks inside the blueprint: main.tf"):
        write_blueprint({**FILES, "main.tf": b"b = 2\n"}, out, force=True)
    assert victim.read_bytes() == b"a = 1\n"


def test_plan_records_are_not_written_through_a_symlinked_dsaas_folder(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / ".dsaas").symlink_to(victim)
    with pytest.raises(UsageError, match="symlink"):
        planfile.work_dir(tmp_path / "bp")
    with pytest.raises(UsageError, match="symlink"):
        planfile.write_json(planfile.record_path(tmp_path / "bp"), {})
    assert list(victim.iterdir()) == []


def test_the_manifest_may_only_list_plain_relative_paths(tmp_path):
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"]["a\nb"] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(OutputConflictError, match="outside the blueprint"):
        write_blueprint(FILES, out, force=True)
    with pytest.raises(OutputConflictError, match="outside the blueprint"):
        write_blueprint({"../x.tf": b""}, tmp_path / "new", force=True)
    assert not (tmp_path / "x.tf").exists()


def _templates() -> Path:
    import dsaas_infra

    return (Path(dsaas_infra.__file__).resolve().parent / "templates").resolve()


def _shipped(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("where", ["templates", "templates/aws", "repo", "root", "home"])
def test_out_may_not_be_a_folder_of_the_tool_root_or_home(tmp_path, monkeypatch, where):
    """`--out` into the shipped templates adopted them into the manifest and a second render
    deleted them; `--out /` as root wrote into /. Refused even with --force.

    Checked with check_writable, which writes nothing: a regression must not write into /."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    out = {"templates": _templates(), "templates/aws": _templates() / "aws", "repo": REPO,
           "root": Path("/"), "home": home}[where]
    with pytest.raises(OutputConflictError, match="refusing to render into"):
        check_writable(FILES, out, force=True)
    with pytest.raises(OutputConflictError, match="refusing to render into"):
        check_writable(FILES, out / "sub", force=True) if where.startswith("templates") else (
            check_writable(FILES, out, force=False))


def test_render_into_the_home_folder_is_one_line_exit_2(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = cli("render", str(SPEC), "--out", str(home), "--force", env={**os.environ, "HOME": str(home)})
    assert result.returncode == 2, result.stderr
    assert "refusing to render into" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(home.iterdir()) == []


def test_a_render_into_the_templates_cannot_delete_them_later(tmp_path):
    """The reported sequence: render into the templates (adopting them), render another spec
    there (deleting them), every later AWS render fails. Now the first step is refused."""
    before = _shipped(_templates() / "aws")
    for spec in ("aws-reactive.yaml", "gcp-reactive.yaml"):
        result = cli("render", str(BLUEPRINTS / spec), "--out", str(_templates() / "aws"))
        assert result.returncode == 2, result.stderr
    assert _shipped(_templates() / "aws") == before
    result = cli("render", str(SPEC), "--out", str(tmp_path / "bp"))
    assert result.returncode == 0, result.stderr


def test_out_into_a_folder_of_foreign_files_needs_force(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    result = cli("render", str(SPEC), "--out", str(out))
    assert result.returncode == 2 and "not rendered by dsaas-infra (holds notes.txt)" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    result = cli("render", str(SPEC), "--out", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert (out / "notes.txt").read_text() == "mine\n" and (out / MANIFEST).is_file()
    # An empty folder, and one holding only Terraform's working data, are fine without --force.
    (tmp_path / "empty").mkdir()
    assert write_blueprint(FILES, tmp_path / "empty").written
    (tmp_path / "init" / ".terraform").mkdir(parents=True)
    assert write_blueprint(FILES, tmp_path / "init").written
    (tmp_path / "repo" / ".git").mkdir(parents=True)  # a fresh git repository for the blueprint
    assert write_blueprint(FILES, tmp_path / "repo").written


_KILLED_RENDER = """
import os, sys, time
from pathlib import Path
from dsaas_infra.render.writer import write_blueprint
real = os.replace
def stall(src, dst):
    Path(sys.argv[2]).write_text("staged")
    time.sleep(600)
os.replace = stall
os.rename = stall
write_blueprint({"main.tf": b"b = 2\\n", "files/handler.py": b"x\\n"}, Path(sys.argv[1]))
"""


@pytest.mark.parametrize("existing", [True, False])
def test_staging_left_by_a_killed_render_is_cleaned_by_the_next_render(tmp_path, existing):
    out = tmp_path / "bp"
    if existing:
        write_blueprint(FILES, out)
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_RENDER, str(out), str(flag)], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "render did not start"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    leftovers = [p for p in (*tmp_path.iterdir(), *(out.iterdir() if out.is_dir() else ()))
                 if ".tmp-" in p.name or p.name.startswith(".dsaas-staging-")]
    assert leftovers, "the killed render left nothing behind: the test reproduces nothing"
    if existing:  # never half-written: the old render is still whole
        assert (out / "main.tf").read_bytes() == b"a = 1\n"
    else:
        assert not out.exists()
    write_blueprint(FILES, out)
    assert not [p for p in leftovers if p.exists()]
    assert (out / "main.tf").read_bytes() == b"a = 1\n"


def test_staging_of_a_running_render_is_left_alone(tmp_path):
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    live = out / f".dsaas-staging-{os.getppid()}-abc"
    live.mkdir()
    write_blueprint({"main.tf": b"c = 3\n"}, out)
    assert live.is_dir()


def test_plan_hashes_of_a_blueprint_with_a_symlink_loop_do_not_follow_it(tmp_path):
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    (out / "loop.tf").symlink_to("loop.tf")
    (out / "out.tf").symlink_to(tmp_path / "elsewhere.tf")
    hashes = planfile.blueprint_hashes(out)
    assert {"loop.tf", "out.tf", "main.tf"} <= set(hashes)
    (tmp_path / "elsewhere.tf").write_text("x = 1\n")  # Terraform reads through it: a change
    assert planfile.differences(hashes, planfile.blueprint_hashes(out)) == ["out.tf (changed)"]


def test_an_output_folder_that_is_a_symlink_loop_is_one_error(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OutputConflictError, match="cannot resolve the output folder"):
        write_blueprint(FILES, tmp_path / "loop")
