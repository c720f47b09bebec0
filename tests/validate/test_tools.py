"""Where validate looks for checkov's own venv: .tools/checkov in the CWD or up to the repository root."""

from __future__ import annotations

from pathlib import Path

from dsaas_infra.validate.tools import CHECKOV_VENV, checkov_venv


def venv_in(directory: Path) -> Path:
    path = directory / CHECKOV_VENV
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_found_from_any_folder_of_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    expected = venv_in(repo)
    (repo / "build" / "acme").mkdir(parents=True)
    assert checkov_venv(repo) == expected.resolve()
    assert checkov_venv(repo / "build" / "acme") == expected.resolve()


def test_never_above_the_repository_root(tmp_path: Path) -> None:
    venv_in(tmp_path)
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert checkov_venv(tmp_path / "repo") is None


def test_outside_a_repository_only_the_cwd(tmp_path: Path) -> None:
    expected = venv_in(tmp_path)
    (tmp_path / "sub").mkdir()
    assert checkov_venv(tmp_path / "sub") is None
    assert checkov_venv(tmp_path) == expected.resolve()
