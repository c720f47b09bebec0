"""A real Terraform and the real hashicorp/null provider from a filesystem mirror, for the runner tests.

Needs: $DSAAS_TF_PLUGIN_MIRROR (a mirror holding registry.terraform.io/hashicorp/null/2.1.2) and
Terraform as $DSAAS_TERRAFORM or on PATH (the `terraform_bin` fixture of tests/conftest.py);
`scripts/install_test_tools.sh DIR` prepares both.
Missing tools fail the tests: a green run must mean Terraform really ran.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "null_blueprint"
NULL_PROVIDER = "registry.terraform.io/hashicorp/null"


def write_cli_config(path: Path) -> Path:
    mirror = os.environ.get("DSAAS_TF_PLUGIN_MIRROR")
    if not mirror or not (Path(mirror) / NULL_PROVIDER / "2.1.2").is_dir():
        pytest.fail(f"DSAAS_TF_PLUGIN_MIRROR={mirror!r} must be a provider mirror holding {NULL_PROVIDER}/2.1.2 "
                    "(scripts/install_test_tools.sh DIR writes one to DIR/plugins)")
    # Only null comes from the mirror; every other provider would need the network, which
    # the fixtures must never need.
    path.write_text(f'''provider_installation {{
  filesystem_mirror {{
    path    = "{Path(mirror).resolve()}"
    include = ["{NULL_PROVIDER}"]
  }}
  direct {{
    exclude = ["{NULL_PROVIDER}"]
  }}
}}
''')
    return path


@pytest.fixture(scope="session")
def tf_env(terraform_bin, tmp_path_factory) -> dict[str, str]:
    config = write_cli_config(tmp_path_factory.mktemp("tfcli") / "terraformrc")
    env = dict(os.environ)
    env.update(TF_CLI_CONFIG_FILE=str(config), DSAAS_TERRAFORM=terraform_bin, CHECKPOINT_DISABLE="1")
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    return env


@pytest.fixture(scope="session")
def null_fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def fixture_copy(tmp_path):
    """Copy a fixture configuration into tmp_path: Terraform writes state and .terraform/ there."""
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target
    return copy
