"""The hooks in .pre-commit-hooks.yaml, run by pre-commit itself (`try-repo`) in a client repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.example",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.example"})


def test_hook_file_is_well_formed():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"dsaas-infra-validate", "dsaas-infra-spec", "dsaas-infra-up-to-date"}
    for hook in hooks:
        assert hook["entry"].startswith("dsaas-infra ") and hook["language"] == "python"


@pytest.fixture(scope="module")
def client_repo(tmp_path_factory) -> Path:
    """A client repository with two rendered blueprints and their specs; one blueprint has a
    hand edit with a typo in it (up to date with its spec all the same), the other's spec
    changed after its render (out of date)."""
    if not PRE_COMMIT.exists():
        pytest.fail("pre-commit is not installed (it is in the test extra)")
    repo = tmp_path_factory.mktemp("client")
    (repo / "specs").mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for example, name in (("aws-reactive", "initech"), ("gcp-reactive", "hooli")):
        shutil.copy(REPO / "blueprints" / f"{example}.yaml", repo / "specs" / f"{name}.yaml")
        subprocess.run([sys.executable, "-m", "dsaas_infra", "render", f"specs/{name}.yaml", "--out",
                        f"clients/{name}"], cwd=repo, check=True, capture_output=True, env=env)
    main_tf = repo / "clients" / "hooli" / "main.tf"
    main_tf.write_text(main_tf.read_text() + '\nresource "google_storage_bucket" "x" {\n  nmae = "x"\n}\n')
    spec = repo / "specs" / "initech.yaml"
    spec.write_text(spec.read_text().replace("  data:\n", "  data:\n    log_retention_days: 90\n", 1))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "clients")
    return repo


def test_hooks_run_by_pre_commit_pass_good_blueprints_and_specs_and_fail_a_broken_one(client_repo, tmp_path):
    """One `pre-commit try-repo` run of every hook (one hook environment to install)."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)  # the hooks must work from their own install, not our source tree
    result = subprocess.run([str(PRE_COMMIT), "try-repo", str(REPO), "--all-files", "--color", "never",
                             "--verbose"], cwd=client_repo, capture_output=True, text=True, env=env, timeout=900)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    spec_line = next(line for line in out.splitlines() if line.startswith("dsaas-infra validate (client specs)"))
    validate_line = next(line for line in out.splitlines()
                         if line.startswith("dsaas-infra validate (rendered blueprints)"))
    up_to_date_line = next(line for line in out.splitlines()
                           if line.startswith("dsaas-infra upgrade --check (blueprints up to date"))
    assert spec_line.endswith("Passed"), out
    assert validate_line.endswith("Failed"), out
    assert up_to_date_line.endswith("Failed"), out
    # The typo is reported in the hand-edited blueprint, and only there.
    assert "nmae" in out and "clients/hooli/main.tf" in out
    # Only the blueprint whose spec changed is out of date; the hand edit merges.
    initech = out[out.index("clients/initech: from dsaas-infra"):].splitlines()
    assert "updated  deployment.tf" in "\n".join(initech[:8]), out
    hooli = out[out.index("clients/hooli: from dsaas-infra"):].splitlines()
    assert hooli[1].strip() == "up to date", out
