"""`dsaas-infra fleet`: the repository layout, the index, the workflows (actionlint + zizmor clean
on fleets of 1, 3, 256 and 300 clients), sharding, and atlantis.yaml."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dsaas_infra.fleet import actions
from dsaas_infra.spec import ci_names
from tests.conftest import BLUEPRINTS, example_specs
from tests.fleet.conftest import fleet_specs
from tests.spec.conftest import GOOD_AWS


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def workflows(repo: Path) -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted((repo / ".github" / "workflows").glob("*.yml"))}


@pytest.fixture(scope="module")
def fleets(tmp_path_factory) -> dict[int, Path]:
    """Generated fleet repositories of 1, 3, 256 and 300 clients (GitHub engine)."""
    out = {}
    for n in (1, 3, 256, 300):
        root = tmp_path_factory.mktemp(f"fleet{n}")
        fleet_specs(root / "specs", n)
        done = cli("fleet", root / "specs", "--out", root / "repo", "--max-parallel", "7")
        assert done.returncode == 0, done.stderr
        out[n] = root / "repo"
    return out


@pytest.mark.parametrize("n", [1, 3, 256, 300])
def test_workflows_pass_actionlint_and_zizmor(fleets, n, actionlint, zizmor):
    repo = fleets[n]
    files = sorted((repo / ".github" / "workflows").glob("*.yml"))
    assert files
    assert actionlint(files) == []
    assert zizmor(repo) == []


@pytest.mark.parametrize("n, shards", [(1, 1), (3, 1), (256, 2), (300, 2)])
def test_a_shard_per_250_clients_each_its_own_workflow_run(fleets, n, shards):
    repo = fleets[n]
    index = json.loads((repo / "fleet.json").read_text())
    assert len(index["clients"]) == n and index["shards"] == shards
    names = sorted(workflows(repo))
    if shards == 1:
        assert names == ["dsaas-apply.yml", "dsaas-drift.yml", "dsaas-plan.yml"]
    else:
        assert names == sorted(f"dsaas-{k}-{s:02d}.yml" for k in ("apply", "drift", "plan") for s in (1, 2))
        counts = [sum(1 for c in index["clients"] if c["shard"] == s) for s in (1, 2)]
        assert counts == [250, n - 250]  # no matrix can reach GitHub's 256 jobs per run
        plan2 = workflows(repo)["dsaas-plan-02.yml"]
        assert "--shard 2" in plan2["jobs"]["changes"]["steps"][-1]["run"]


def test_layout_and_index(fleets):
    repo = fleets[3]
    index = json.loads((repo / "fleet.json").read_text())
    first = index["clients"][0]
    assert {k: first[k] for k in ("name", "client", "environment", "cloud", "account", "region", "blueprint",
                                  "spec")} == {
        "name": "c0000-prod", "client": "c0000", "environment": "prod", "cloud": "aws", "account": "123456789012",
        "region": "us-east-1", "blueprint": "clients/c0000-prod", "spec": "specs/c0000-prod.yaml"}
    import hashlib

    assert first["spec_sha256"] == hashlib.sha256((repo / first["spec"]).read_bytes()).hexdigest()
    assert first["ci"]["role_arn"] == "arn:aws:iam::123456789012:role/c0000-prod-github-apply"
    for c in index["clients"]:
        assert (repo / c["blueprint"] / "versions.tf").is_file()


def test_every_job_is_least_privilege_pinned_and_keyed_per_client(fleets):
    for name, wf in workflows(fleets[3]).items():
        assert wf["permissions"] == {}, name
        for job_id, job in wf["jobs"].items():
            perms = job["permissions"]
            assert perms.get("contents") == "read" and set(perms) <= {"contents", "id-token"}, (name, job_id)
            # Only jobs that log in to a cloud get an OIDC token.
            logs_in = any("configure-aws-credentials" in s.get("uses", "") for s in job["steps"])
            assert ("id-token" in perms) == logs_in, (name, job_id)
            if job_id != "changes":
                assert job["concurrency"] == {"group": "dsaas-state-${{ matrix.name }}", "cancel-in-progress": False}
                assert job["strategy"]["max-parallel"] == 7 and job["strategy"]["fail-fast"] is False
                assert job["if"] == "needs.changes.outputs.count != '0'"  # an empty matrix skips
            for step in job["steps"]:
                if "uses" in step:
                    action, _, ref = step["uses"].partition("@")
                    assert actions.PINNED[action][0] == ref and re.fullmatch(r"[0-9a-f]{40}", ref)
                if "actions/checkout" in step.get("uses", ""):
                    assert step["with"]["persist-credentials"] is False
                assert "${{" not in step.get("run", ""), (name, job_id, step["name"])  # no script injection
    text = (fleets[3] / ".github" / "workflows" / "dsaas-plan.yml").read_text()
    assert f"actions/checkout@{actions.PINNED['actions/checkout'][0]} # v" in text


def test_pull_requests_plan_pushes_apply_behind_an_environment_schedule_drifts(fleets):
    wf = workflows(fleets[3])
    plan, apply, drift = wf["dsaas-plan.yml"], wf["dsaas-apply.yml"], wf["dsaas-drift.yml"]
    assert list(plan["on"]) == ["pull_request"] and "pull_request_target" not in plan["on"]
    steps = {s["name"]: s for s in plan["jobs"]["plan"]["steps"]}
    assert 'dsaas-infra validate "$BLUEPRINT"' in steps["Validate"]["run"]
    assert "dsaas-infra plan" in steps["Plan"]["run"] and "GITHUB_STEP_SUMMARY" in steps["Plan"]["run"]
    assert steps["Log in to AWS (OIDC)"]["with"]["role-to-assume"] == "${{ matrix.plan_role_arn }}"
    assert steps["Log in to Google Cloud (Workload Identity Federation)"]["with"]["service_account"] == \
        "${{ matrix.plan_service_account }}"
    assert apply["on"]["push"]["branches"] == ["main"]
    job = apply["jobs"]["apply"]
    assert job["environment"] == "${{ matrix.name }}" and job["needs"] == ["changes", "plan"]
    login = next(s for s in job["steps"] if s["name"] == "Log in to AWS (OIDC)")
    assert login["with"]["role-to-assume"] == "${{ matrix.role_arn }}"
    # An apply may outlast the default hour: the session the role allows, and no job outlives its login.
    assert login["with"]["role-duration-seconds"] == "${{ matrix.apply_session_seconds }}"
    assert "role-duration-seconds" not in steps["Log in to AWS (OIDC)"]["with"]
    assert job["timeout-minutes"] * 60 <= ci_names.AWS_SESSION_SECONDS["apply"]
    assert any("download-artifact" in s.get("uses", "") for s in job["steps"])
    assert "schedule" in drift["on"] and "workflow_dispatch" in drift["on"]
    dsteps = {s["name"]: s for s in drift["jobs"]["drift"]["steps"]}
    assert "upload-artifact" in dsteps["Keep the drift report"]["uses"]
    assert "GITHUB_STEP_SUMMARY" in dsteps["Detect drift"]["run"]
    assert "--all --shard 1" in drift["jobs"]["changes"]["steps"][-1]["run"]


def test_the_examples_lay_out_as_one_fleet_for_both_engines(tmp_path, actionlint, zizmor):
    done = cli("fleet", BLUEPRINTS, "--out", tmp_path / "gh")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "gh" / "clients").iterdir())
    assert len(names) == len(example_specs())
    assert actionlint(sorted((tmp_path / "gh" / ".github" / "workflows").glob("*.yml"))) == []
    assert zizmor(tmp_path / "gh") == []
    done = cli("fleet", BLUEPRINTS, "--out", tmp_path / "at", "--engine", "atlantis")
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load((tmp_path / "at" / "atlantis.yaml").read_text())
    assert config["version"] == 3
    assert sorted(p["name"] for p in config["projects"]) == names
    for project in config["projects"]:
        assert project["dir"] == f"clients/{project['name']}" and project["workflow"] == "dsaas-infra"
        assert project["apply_requirements"] == ["approved", "mergeable", "undiverged"]
        assert f"../../specs/{project['name']}.yaml" in project["autoplan"]["when_modified"]
    steps = config["workflows"]["dsaas-infra"]
    assert any("dsaas-infra plan" in s.get("run", "") for s in steps["plan"]["steps"])
    assert any("dsaas-infra apply" in s.get("run", "") for s in steps["apply"]["steps"])
    assert not (tmp_path / "at" / ".github").exists()


def test_regenerating_is_stable_and_keeps_the_hand_edit_guard(tmp_path):
    fleet_specs(tmp_path / "specs", 2)
    repo = tmp_path / "repo"
    assert cli("fleet", tmp_path / "specs", "--out", repo).returncode == 0
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".dsaas" not in p.parts}
    assert cli("fleet", tmp_path / "specs", "--out", repo).returncode == 0
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".dsaas" not in p.parts} == before
    (repo / "clients" / "c0000-prod" / "main.tf").write_text("# mine\n")
    refused = cli("fleet", tmp_path / "specs", "--out", repo)
    assert refused.returncode == 2 and "main.tf" in refused.stderr


def test_a_client_without_a_ci_identity_is_a_located_error(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(GOOD_AWS)
    done = cli("fleet", tmp_path / "specs", "--out", tmp_path / "repo")
    assert done.returncode == 2
    assert f"error: {tmp_path / 'specs' / 'a.yaml'}: aws.ci_role_arn:" in done.stderr
    assert not (tmp_path / "repo").exists()


def test_clients_of_one_aws_account_share_its_github_oidc_provider(tmp_path):
    """The provider is the account baseline's (bootstrap): two clients of one account both create
    their identity, and neither blueprint creates the provider (a second one fails EntityAlreadyExists)."""
    (tmp_path / "specs").mkdir()
    for name in ("alpha", "beta"):
        (tmp_path / "specs" / f"{name}.yaml").write_text(
            GOOD_AWS.replace("name: acme", f"name: {name}")
            + "ci:\n  repository: dsaas/fleet\n  create_identity: true\n")
    done = cli("fleet", tmp_path / "specs", "--out", tmp_path / "repo")
    assert done.returncode == 0, done.stderr
    index = json.loads((tmp_path / "repo" / "fleet.json").read_text())
    assert index["clients"][1]["ci"] == {"role_arn": "arn:aws:iam::123456789012:role/beta-prod-github-apply",
                                        "plan_role_arn": "arn:aws:iam::123456789012:role/beta-prod-github-plan",
                                        "apply_session_seconds": "14400"}
    for name in ("alpha-prod", "beta-prod"):
        ci_tf = (tmp_path / "repo" / "clients" / name / "ci.tf").read_text()
        assert 'resource "aws_iam_openid_connect_provider"' not in ci_tf
        assert 'data "aws_iam_openid_connect_provider"' not in ci_tf
        assert ':oidc-provider/token.actions.githubusercontent.com"' in ci_tf


GCP_CREATED = """\
apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, maturity: reactive, owner: ml@acme.example}
cloud: gcp
gcp: {project_id: acme-dsaas-prod, region: europe-west1, project_number: "123456789012"}
ci: {repository: dsaas/fleet, create_identity: true}
"""


def test_a_gcp_client_logs_in_with_the_identity_its_blueprint_creates(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(GCP_CREATED)
    done = cli("fleet", tmp_path / "specs", "--out", tmp_path / "repo")
    assert done.returncode == 0, done.stderr
    index = json.loads((tmp_path / "repo" / "fleet.json").read_text())
    assert index["clients"][0]["ci"] == {
        "workload_identity_provider": "projects/123456789012/locations/global/workloadIdentityPools/"
                                      "acme-prd-github/providers/github",
        "service_account": "acme-prd-ci@acme-dsaas-prod.iam.gserviceaccount.com",
        "plan_service_account": "acme-prd-cipl@acme-dsaas-prod.iam.gserviceaccount.com"}
    ci_tf = (tmp_path / "repo" / "clients" / "acme-prod" / "ci.tf").read_text()
    assert 'workload_identity_pool_id = "acme-prd-github"' in ci_tf


def test_a_created_gcp_identity_must_trust_the_fleet_default_branch(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(GCP_CREATED)
    done = cli("fleet", tmp_path / "specs", "--out", tmp_path / "repo", "--default-branch", "trunk")
    assert done.returncode == 2
    assert f"{tmp_path / 'specs' / 'a.yaml'}: ci.default_branch: is 'main' but the fleet applies from 'trunk'" \
        in done.stderr
    assert not (tmp_path / "repo").exists()
