"""Fixtures for the validate tests: real tools located or a loud failure, tiny blueprints on disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dsaas_infra.validate.blueprint import Blueprint, load_blueprint
from dsaas_infra.validate.pipeline import Context

REPO = Path(__file__).resolve().parents[2]
BROKEN = REPO / "tests" / "fixtures" / "broken"
TOOLS_HINT = "run scripts/install_test_tools.sh DIR --checkov and export what it prints (.ci/run does)"


def write_blueprint(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture()
def make_blueprint(tmp_path: Path):
    """make_blueprint({"main.tf": "..."}, name="bp") -> a parsed Blueprint labelled with its name."""
    def make(files: dict[str, str], name: str = "bp") -> Blueprint:
        return load_blueprint(write_blueprint(tmp_path / name, files), name)
    return make


@pytest.fixture()
def offline_env(tmp_path: Path) -> dict[str, str]:
    """An environment with no user Terraform config, no mirrors and no tool overrides."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "DSAAS_"))}
    env["HOME"] = str(home)
    return env


@pytest.fixture(scope="session")
def plugin_mirror() -> Path:
    """A filesystem mirror holding hashicorp/null: $DSAAS_TF_PLUGIN_MIRROR or $DSAAS_TEST_TOOLS/plugins."""
    candidates = [os.environ.get("DSAAS_TF_PLUGIN_MIRROR")]
    if os.environ.get("DSAAS_TEST_TOOLS"):
        candidates.append(str(Path(os.environ["DSAAS_TEST_TOOLS"]) / "plugins"))
    for candidate in filter(None, candidates):
        if list(Path(candidate).glob("registry.terraform.io/hashicorp/null/*/*/terraform-provider-null*")):
            return Path(candidate)
    pytest.fail(f"no Terraform plugin mirror with hashicorp/null (DSAAS_TF_PLUGIN_MIRROR): {TOOLS_HINT}")


@pytest.fixture(scope="session")
def checkov_bin() -> str:
    """checkov in its own venv: $DSAAS_CHECKOV, $DSAAS_TEST_TOOLS/checkov, .tools/checkov, or PATH."""
    candidates = [os.environ.get("DSAAS_CHECKOV")]
    if os.environ.get("DSAAS_TEST_TOOLS"):
        candidates.append(str(Path(os.environ["DSAAS_TEST_TOOLS"]) / "checkov/bin/checkov"))
    candidates += [str(REPO / ".tools/checkov/bin/checkov"), shutil.which("checkov")]
    for candidate in filter(None, candidates):
        if os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"no checkov executable (DSAAS_CHECKOV): {TOOLS_HINT}")


@pytest.fixture()
def context(offline_env: dict[str, str]) -> Context:
    return Context(env=offline_env)
