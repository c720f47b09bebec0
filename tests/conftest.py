"""Shared fixtures: example specs, the Terraform binary, golden-file updates."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BLUEPRINTS = REPO / "blueprints"


def pytest_configure(config: pytest.Config) -> None:
    """One fresh user cache (compiled templates, remembered validate results, the HCL grammar) per
    session, for the tests and every process they start: no results from a user's earlier runs."""
    import tempfile

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="dsaas-test-cache-")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden files from the current rendering (review the diff!).",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def example_specs() -> list[Path]:
    return sorted(BLUEPRINTS.glob("*.yaml"))


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    """A real terraform (or tofu) binary: $DSAAS_TERRAFORM, else PATH. Missing is a failure."""
    candidate = os.environ.get("DSAAS_TERRAFORM") or shutil.which("terraform") or shutil.which("tofu")
    if not candidate:
        pytest.fail(
            "no terraform binary: set DSAAS_TERRAFORM or put terraform on PATH "
            "(.ci/run installs one with scripts/install_test_tools.sh)"
        )
    return candidate


@pytest.fixture(scope="session")
def terraform_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for running terraform offline: no CLI config from the user, no checkpoint."""
    env = dict(os.environ)
    cfg = tmp_path_factory.mktemp("tfcli") / "empty.tfrc"
    cfg.write_text("")
    env.update(TF_CLI_CONFIG_FILE=str(cfg), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    return env
