"""`upgrade` and `render --check/--diff` through the real CLI on real specs in a client repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dsaas_infra import __version__
from tests.upgrade.conftest import tree

REPO = Path(__file__).resolve().parent.parent.parent


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={"PYTHONPATH": str(REPO), "NO_COLOR": "1",
                                                     "PATH": "/usr/bin:/bin", "COLUMNS": "200"})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("client-repo")
    (repo / "specs").mkdir()
    shutil.copy(REPO / "blueprints" / "aws-reactive.yaml", repo / "specs" / "acme.yaml")
    result = cli("render", "specs/acme.yaml", "--out", "clients/acme", cwd=repo)
    assert result.returncode == 0, result.stderr
    return repo


@pytest.fixture
def repo(rendered, tmp_path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(rendered, copy, symlinks=True)
    return copy


def _set_retention(repo: Path, days: int) -> None:
    spec = repo / "specs" / "acme.yaml"
    text = spec.read_text()
    text, n = re.subn(r"(?m)^  data:\n", f"  data:\n    log_retention_days: {days}\n", text)
    assert n == 1
    spec.write_text(text)


def test_a_spec_change_and_a_hand_edit_elsewhere_in_the_file_merge_cleanly(repo):
    data_tf = repo / "clients/acme/data.tf"
    assert "retention_in_days = 30" in data_tf.read_text()
    data_tf.write_text(data_tf.read_text().replace("locals {\n", "# reviewed by ops, 2026-11\nlocals {\n", 1))
    _set_retention(repo, 90)
    result = cli("upgrade", "clients/acme", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"clients/acme: from dsaas-infra {__version__} to {__version__} (spec specs/acme.yaml)" in result.stdout
    assert "merged   data.tf (your edits kept)" in result.stdout
    text = data_tf.read_text()
    assert "# reviewed by ops, 2026-11\nlocals {\n" in text
    assert "retention_in_days = 90" in text and "retention_in_days = 30" not in text
    # Up to date now: --check passes (the hand edit is not staleness).
    assert cli("upgrade", "clients/acme", "--check", cwd=repo).returncode == 0


def test_a_conflict_exits_1_is_listed_in_json_and_fails_validate(repo):
    deployment = repo / "clients/acme/deployment.tf"
    deployment.write_text(deployment.read_text().replace("retention_in_days = 30", "retention_in_days = 400", 1))
    _set_retention(repo, 90)
    result = cli("upgrade", "clients/acme", "--format", "json", cwd=repo)
    assert result.returncode == 1, result.stdout + result.stderr
    data = json.loads(result.stdout)
    [conflict] = data["blueprints"][0]["conflicts"]
    assert conflict["file"] == "deployment.tf" and data["conflicts"] == 1
    lines = deployment.read_text().splitlines()
    assert lines[conflict["start_line"] - 1] == "<<<<<<< ours"
    assert lines[conflict["end_line"] - 1] == ">>>>>>> dsaas-infra"
    assert "||||||| base" in lines[conflict["start_line"]:conflict["end_line"]]
    text = cli("upgrade", "clients/acme", cwd=repo)  # still unresolved
    assert text.returncode == 1 and f"CONFLICT deployment.tf:{conflict['start_line']}-" in text.stdout
    report = cli("validate", "clients/acme", "--skip", "security", "--skip", "format", "--skip", "terraform",
                 "--format", "json", cwd=repo)
    assert report.returncode == 1
    findings = [f for s in json.loads(report.stdout)["stages"] for f in s["findings"]]
    assert [(f["rule_id"], f["line"]) for f in findings if f["rule_id"].startswith("HCL")] == [
        ("HCL004", conflict["start_line"])]


def test_check_and_diff_write_nothing_and_say_whether_anything_would_change(repo):
    _set_retention(repo, 90)
    before = tree(repo / "clients/acme")
    check = cli("upgrade", "clients/acme", "--check", cwd=repo)
    assert check.returncode == 1 and "would change" in check.stdout
    diff = cli("upgrade", "clients/acme", "--diff", cwd=repo)
    assert diff.returncode == 1
    assert "--- a/clients/acme/deployment.tf\n+++ b/clients/acme/deployment.tf\n" in diff.stdout
    assert "-  retention_in_days = 30\n+  retention_in_days = 90\n" in diff.stdout
    rcheck = cli("render", "specs/acme.yaml", "--out", "clients/acme", "--check", cwd=repo)
    assert rcheck.returncode == 1 and "updated  deployment.tf" in rcheck.stdout
    rdiff = cli("render", "specs/acme.yaml", "--out", "clients/acme", "--diff", cwd=repo)
    assert rdiff.returncode == 1 and "+  retention_in_days = 90\n" in rdiff.stdout
    assert tree(repo / "clients/acme") == before
    assert cli("upgrade", "clients", cwd=repo).returncode == 0  # a folder of blueprints
    assert cli("upgrade", "clients/acme", "--check", cwd=repo).returncode == 0
    up_to_date = cli("render", "specs/acme.yaml", "--out", "clients/acme", "--check", cwd=repo)
    assert up_to_date.returncode == 0 and "up to date" in up_to_date.stdout


def test_a_clone_elsewhere_finds_the_spec_by_its_relative_path(repo, tmp_path):
    clone = tmp_path / "clone"
    shutil.move(repo, clone)  # source.json's absolute path now points nowhere
    _set_retention(clone, 60)
    result = cli("upgrade", "clients/acme", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert "retention_in_days = 60" in (clone / "clients/acme/deployment.tf").read_text()


def test_bad_targets_are_one_line_and_exit_2(repo):
    (repo / "empty").mkdir()
    for target in ("empty", "specs/acme.yaml", "missing"):
        result = cli("upgrade", target, cwd=repo)
        assert result.returncode == 2, (target, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1, result.stderr
    (repo / "specs/acme.yaml").unlink()
    result = cli("upgrade", "clients/acme", cwd=repo)
    assert result.returncode == 2 and "cannot find the spec" in result.stderr


def test_the_rendered_gitignore_commits_the_base_and_not_the_plan_state(repo):
    bp = repo / "clients/acme"
    (bp / ".dsaas" / "plan.tfplan").write_bytes(b"plan")
    (bp / "main_override.tf").write_text("# the client's slot\n")
    subprocess.run(["git", "init", "-q"], cwd=bp, check=True)
    subprocess.run(["git", "add", "-A"], cwd=bp, check=True)
    files = subprocess.run(["git", "ls-files"], cwd=bp, check=True, capture_output=True, text=True).stdout.split()
    assert ".dsaas/base/main.tf" in files and ".dsaas/base/.gitignore" in files
    assert ".dsaas/plan.tfplan" not in files and ".dsaas/source.json" not in files
    assert "main_override.tf" in files and ".dsaas-infra-manifest.json" in files
