"""The repository's own .pre-commit-config.yaml (ruff with pyproject.toml's settings), run by pre-commit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_config_has_local_hooks_only_so_nothing_is_cloned():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    assert [r["repo"] for r in config["repos"]] == ["local"]
    assert {h["id"] for h in config["repos"][0]["hooks"]} == {"ruff", "mypy"}


def test_ruff_hook_fails_a_lint_error_with_the_projects_settings(tmp_path):
    for name in (".pre-commit-config.yaml", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / "good.py").write_text('"""Fine."""\n\nVALUE = ' + "1 + " * 25 + "1\n")  # 108 columns: allowed
    (tmp_path / "bad.py").write_text('"""Unused import."""\n\nimport os\n')
    (tmp_path / "long.py").write_text('"""Too long."""\n\nVALUE = ' + "1 + " * 30 + "1\n")  # 128 columns
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PRE_COMMIT_HOME": str(tmp_path / ".cache"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.example",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.example"}
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, env=env)
    result = subprocess.run([str(BIN / "pre-commit"), "run", "ruff", "--all-files", "--color", "never"],
                            cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "F401" in out and "bad.py:3:8" in out and "E501" in out and "long.py:3:121" in out, out
    assert "good.py" not in out, out
