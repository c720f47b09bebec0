"""Changed paths -> the matrix of exactly the changed clients, per shard; the CLI's $GITHUB_OUTPUT lines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dsaas_infra.fleet.index import FleetClient
from dsaas_infra.fleet.matrix import changed_clients, github_outputs, matrix


def client(name: str, shard: int = 1, cloud: str = "aws") -> FleetClient:
    ci = ({"role_arn": f"arn:aws:iam::123456789012:role/{name}-apply", "plan_role_arn": "p"} if cloud == "aws" else
          {"workload_identity_provider": "projects/1/locations/global/workloadIdentityPools/pool/providers/gh",
           "service_account": "sa", "plan_service_account": "psa"})
    return FleetClient(name, name.rsplit("-", 1)[0], name.rsplit("-", 1)[1], cloud, "123456789012", "eu-west-1",
                       f"clients/{name}", f"specs/{name}.yaml", "0" * 64, shard, ci)


FLEET = [client("acme-prod"), client("acme-dev"), client("beta-prod", cloud="gcp"), client("zeta-prod", shard=2)]


@pytest.mark.parametrize("paths, expected", [
    ([], []),
    (["README.md", ".github/workflows/dsaas-plan.yml", "fleet.json"], []),
    (["clients/acme-prod/data.tf"], ["acme-prod"]),
    (["clients/acme-prod/files/glue/etl.py", "clients/acme-prod/main.tf"], ["acme-prod"]),
    (["specs/acme-dev.yaml"], ["acme-dev"]),
    (["specs/beta-prod.yaml", "clients/acme-prod/main.tf", "clients/zeta-prod/main.tf"],
     ["acme-prod", "beta-prod", "zeta-prod"]),
    (["clients/acme-prod"], []),  # a folder name alone is no file change
    (["clients/acme-prodx/main.tf", "clients/gone-prod/main.tf", "specs/gone-prod.yaml"], []),  # not in the index
    (["specs/sub/acme-prod.yaml", "other/clients/acme-prod/main.tf"], []),
    (["  clients/acme-dev/main.tf  ", ""], ["acme-dev"]),
])
def test_changed_paths_select_exactly_their_clients(paths, expected):
    assert [c.name for c in changed_clients(FLEET, paths)] == expected


def test_matrix_legs_carry_each_clients_own_identity_and_shards_split():
    legs = matrix(FLEET, shard=1)["include"]
    assert [leg["name"] for leg in legs] == ["acme-prod", "acme-dev", "beta-prod"]
    assert legs[0]["role_arn"].endswith("role/acme-prod-apply") and legs[0]["workload_identity_provider"] == ""
    assert legs[2]["service_account"] == "sa" and legs[2]["plan_service_account"] == "psa"
    assert legs[0]["plan_environment"] == "acme-prod-plan" and legs[0]["dir"] == "clients/acme-prod"
    assert [leg["name"] for leg in matrix(FLEET, shard=2)["include"]] == ["zeta-prod"]


def test_an_empty_matrix_has_count_zero():
    out = github_outputs(changed_clients(FLEET, ["README.md"]), 1)
    assert out == 'matrix={"include":[]}\ncount=0\n'


def test_the_cli_prints_github_output_lines(tmp_path):
    index = tmp_path / "fleet.json"
    index.write_text(json.dumps({"clients": [c.to_json() for c in FLEET]}))
    changed = tmp_path / "changed.txt"
    changed.write_text("clients/zeta-prod/main.tf\nspecs/acme-dev.yaml\n")
    run = [sys.executable, "-m", "dsaas_infra", "fleet-matrix", str(index)]
    one = subprocess.run(run + ["--changed", str(changed), "--shard", "1"], capture_output=True, text=True)
    assert one.returncode == 0, one.stderr
    lines = dict(line.split("=", 1) for line in one.stdout.splitlines())
    assert lines["count"] == "1" and [leg["name"] for leg in json.loads(lines["matrix"])["include"]] == ["acme-dev"]
    every = subprocess.run(run + ["--all"], capture_output=True, text=True)
    assert "count=4" in every.stdout
    bad = subprocess.run(run, capture_output=True, text=True)
    assert bad.returncode == 2 and "--changed FILE" in bad.stderr
    broken = subprocess.run([sys.executable, "-m", "dsaas_infra", "fleet-matrix", str(changed), "--all"],
                            capture_output=True, text=True)
    assert broken.returncode == 2 and "not a fleet index" in broken.stderr
