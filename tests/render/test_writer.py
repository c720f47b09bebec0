"""Writing blueprints: atomic, manifest-guarded against hand edits, leaves foreign files alone."""

import json
import os
from pathlib import Path

import pytest

from dsaas_infra.errors import OperationError, OutputConflictError
from dsaas_infra.render.writer import MANIFEST, write_blueprint

FILES = {"main.tf": b"a = 1\n", "lambda/handler.py": b"print()\n"}


def test_new_blueprint_is_written_whole_with_manifest(tmp_path):
    out = tmp_path / "bp"
    result = write_blueprint(FILES, out)
    assert sorted(result.written) == sorted(FILES)
    assert (out / "lambda" / "handler.py").read_bytes() == b"print()\n"
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["files"]) == set(FILES)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging left behind"


def test_rerender_unchanged_writes_nothing(tmp_path):
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    result = write_blueprint(FILES, out)
    assert result.written == [] and sorted(result.unchanged) == sorted(FILES)
    assert before == {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def test_hand_edit_is_refused_then_forced(tmp_path):
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    (out / "main.tf").write_text("a = 2 # my fix\n")
    new = {**FILES, "main.tf": b"a = 3\n"}
    with pytest.raises(OutputConflictError, match="main.tf"):
        write_blueprint(new, out)
    assert (out / "main.tf").read_text() == "a = 2 # my fix\n"
    write_blueprint(new, out, force=True)
    assert (out / "main.tf").read_bytes() == b"a = 3\n"


def test_hand_deleted_file_is_simply_rewritten(tmp_path):
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    (out / "main.tf").unlink()
    write_blueprint(FILES, out)
    assert (out / "main.tf").read_bytes() == b"a = 1\n"


def test_foreign_file_in_the_way_is_refused(tmp_path):
    out = tmp_path / "bp"
    out.mkdir()
    (out / "main.tf").write_text("mine\n")
    with pytest.raises(OutputConflictError, match="main.tf"):
        write_blueprint(FILES, out)


def test_files_no_longer_rendered_are_removed_but_foreign_files_kept(tmp_path):
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    (out / ".terraform").mkdir()
    (out / ".terraform" / "x").write_text("keep")
    (out / "plan.tfplan").write_text("keep")
    result = write_blueprint({"main.tf": b"a = 1\n"}, out)
    assert result.removed == ["lambda/handler.py"]
    assert (out / ".terraform" / "x").exists() and (out / "plan.tfplan").exists()


def test_interrupted_write_leaves_old_files_and_manifest(tmp_path, monkeypatch):
    """If moving files into place fails midway, the old manifest still describes the old
    render, so the next render reports the half-moved file instead of trusting it."""
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk gone")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OperationError, match="disk gone"):
        write_blueprint({"main.tf": b"a = 9\n", "lambda/handler.py": b"x\n"}, out)
    monkeypatch.undo()
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["files"].keys() == FILES.keys()
    with pytest.raises(OutputConflictError):
        write_blueprint(FILES, out)
    assert not [p for p in out.iterdir() if p.name.startswith(".dsaas-staging")]


def test_out_path_that_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(OutputConflictError, match="not a directory"):
        write_blueprint(FILES, target)


@pytest.mark.parametrize("name", ["../victim.txt", "/etc/passwd", "a/../../b", "", "./x", "a\\b"])
def test_a_manifest_naming_files_outside_the_blueprint_is_never_trusted(tmp_path, name):
    out = tmp_path / "bp"
    write_blueprint(FILES, out)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"][name] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(OutputConflictError, match="outside the blueprint"):
        write_blueprint(FILES, out, force=True)
    assert victim.read_text() == "precious"


def test_file_system_errors_are_operation_errors(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            target = Path("/proc/dsaas-cannot-write-here")  # root ignores permissions
        else:
            target = locked / "bp"
        with pytest.raises(OperationError, match="cannot write the blueprint"):
            write_blueprint(FILES, target)
    finally:
        locked.chmod(0o700)
