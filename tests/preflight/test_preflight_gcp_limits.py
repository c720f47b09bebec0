"""GCP preflight quotas and organisation policies, against the local fake Google API server."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.preflight.gcp import needed_permissions, run_checks
from dsaas_infra.preflight.gcp_limits import needed_quotas, policy_findings
from dsaas_infra.preflight.gcp_session import Connection

PROJECT = "acme-dsaas-prod"
GPU_SPEC = "phases:\n  training: {users: [ann, bob], gpu: t4}\n"


@pytest.fixture
def connection(fake_gcp):
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def ready(fake, spec, headroom: float = 0):
    """A project whose quotas are exactly what the blueprint needs (plus headroom)."""
    fake.projects[PROJECT] = "ACTIVE"
    fake.granted.update(needed_permissions(spec))
    for q in needed_quotas(spec):
        table = fake.quotas.setdefault("europe-west1" if q["scope"] == "regional" else "global", {})
        table[q["metric"]] = (q["amount"] + headroom, 0)


def result(spec, connection, check_id):
    return {r.id: (r.status, r.detail) for r in run_checks(spec, connection)}[check_id]


def test_gpu_quota_at_zero_fails_with_the_number_to_request(fake_gcp, connection, gcp_spec):
    spec = gcp_spec(GPU_SPEC)
    ready(fake_gcp, spec)
    fake_gcp.quotas["global"]["GPUS_ALL_REGIONS"] = (0, 0)  # a fresh project
    status, detail = result(spec, connection, "gcp-quotas")
    assert status == "fail"
    assert "GPUS_ALL_REGIONS (all regions): needs 2 GPUs, limit 0 with 0 in use: request a limit of 2" in detail
    assert ("GET", f"/compute/v1/projects/{PROJECT}/regions/europe-west1") in fake_gcp.requests
    assert ("GET", f"/compute/v1/projects/{PROJECT}") in fake_gcp.requests


def test_usage_counts_against_the_limit(fake_gcp, connection, gcp_spec):
    spec = gcp_spec(GPU_SPEC)
    ready(fake_gcp, spec)
    family = next(q for q in needed_quotas(spec) if q["metric"] == "NVIDIA_T4_GPUS")
    fake_gcp.quotas["europe-west1"]["NVIDIA_T4_GPUS"] = (family["amount"] + 1, 2)
    status, detail = result(spec, connection, "gcp-quotas")
    assert status == "fail" and "NVIDIA_T4_GPUS (europe-west1)" in detail
    assert f"request a limit of {family['amount'] + 2:g}" in detail


def test_machine_families_sharing_a_metric_are_summed(gcp_spec):
    rows = [(q["metric"], q["scope"]) for q in needed_quotas(gcp_spec())]
    assert len(rows) == len(set(rows))


def test_cpu_family_quota(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    ready(fake_gcp, spec, headroom=0)
    families = [q["metric"] for q in needed_quotas(spec) if q["metric"].endswith("CPUS") and q["scope"] == "regional"]
    assert families, "the managed spec needs regional vCPUs"
    assert result(spec, connection, "gcp-quotas")[0] == "pass"
    fake_gcp.quotas["europe-west1"][families[0]] = (1, 0)
    status, detail = result(spec, connection, "gcp-quotas")
    assert status == "fail" and f"{families[0]} (europe-west1)" in detail


def test_quota_the_api_does_not_report_is_a_warning_not_a_pass(fake_gcp, connection, gcp_spec):
    spec = gcp_spec(GPU_SPEC)
    ready(fake_gcp, spec)
    del fake_gcp.quotas["europe-west1"]["NVIDIA_T4_GPUS"]
    status, detail = result(spec, connection, "gcp-quotas")
    assert status == "warn" and "not reported by Compute Engine: NVIDIA_T4_GPUS" in detail


def test_no_policies_pass(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    ready(fake_gcp, spec, headroom=10)
    assert result(spec, connection, "gcp-org-policies") == (
        "pass", "none of the 6 constraints checked rejects the blueprint")
    assert ("POST", f"/v1/projects/{PROJECT}:getEffectiveOrgPolicy") in fake_gcp.requests


def test_cmek_key_projects_that_exclude_the_project_fail_with_the_value_to_add(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    ready(fake_gcp, spec, headroom=10)
    fake_gcp.org_policies["constraints/gcp.restrictCmekCryptoKeyProjects"] = {
        "listPolicy": {"allowedValues": ["projects/central-keys"]}}
    status, detail = result(spec, connection, "gcp-org-policies")
    assert status == "fail"
    assert f"add under:projects/{PROJECT} to the constraint's allowed values" in detail


def test_domain_restricted_sharing_names_the_members_to_check(fake_gcp, connection, gcp_spec):
    spec = gcp_spec("phases:\n  training: {users: [ann]}\n")
    ready(fake_gcp, spec, headroom=10)
    fake_gcp.org_policies["constraints/iam.allowedPolicyMemberDomains"] = {
        "listPolicy": {"allowedValues": ["C0abc123"]}}
    status, detail = result(spec, connection, "gcp-org-policies")
    assert status == "warn" and "user:ann@acme.example" in detail and "C0abc123" in detail


def test_policy_read_failure_is_a_failure_not_a_pass(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    ready(fake_gcp, spec, headroom=10)
    del fake_gcp.projects[PROJECT]
    # The project check fails first and stops the others; read the policy check directly.
    from dsaas_infra.preflight.gcp_limits import check_org_policies

    status, detail = check_org_policies(spec, connection)
    assert status == "fail" and "PERMISSION_DENIED" in detail


@pytest.mark.parametrize("policies, expected", [
    ({"constraints/gcp.restrictNonCmekServices": {"listPolicy": {"deniedValues": ["storage.googleapis.com",
                                                                                  "bigquery.googleapis.com"]}}},
     ("pass", "gcp.restrictNonCmekServices")),
    ({"constraints/gcp.restrictNonCmekServices": {"listPolicy": {"deniedValues": ["cloudscheduler.googleapis.com"]}}},
     ("fail", "cloudscheduler.googleapis.com")),
    ({"constraints/gcp.restrictCmekCryptoKeyProjects": {"listPolicy": {"allowedValues": ["under:organizations/1"]}}},
     ("warn", "must be under one of them")),
    ({"constraints/gcp.restrictCmekCryptoKeyProjects": {
        "listPolicy": {"allowedValues": [f"under:projects/{PROJECT}"]}}},
     ("pass", "allows keys from")),
    ({"constraints/compute.restrictVpcPeering": {"listPolicy": {"allValues": "DENY"}}},
     ("warn", "servicenetworking.googleapis.com")),
])
def test_policy_rules(gcp_spec, policies, expected):
    findings = policy_findings(gcp_spec(), policies)
    assert any(s == expected[0] and expected[1] in f for s, f in findings), findings


def test_shielded_vm_policy_rejects_gpu_workbench_instances_without_secure_boot(fake_gcp, connection, gcp_spec):
    """GPU Workbench instances boot with Secure Boot off (unsigned NVIDIA driver): a project under
    compute.requireShieldedVm would refuse them at apply; preflight says so and what to change."""
    spec = gcp_spec(GPU_SPEC)
    ready(fake_gcp, spec, headroom=10)
    fake_gcp.org_policies["constraints/compute.requireShieldedVm"] = {"booleanPolicy": {"enforced": True}}
    status, detail = result(spec, connection, "gcp-org-policies")
    assert status == "fail"
    assert "compute.requireShieldedVm is enforced" in detail and "t4 GPU Workbench" in detail
    assert f"projects/{PROJECT}" in detail and "phases.training.gpu: none" in detail


def test_shielded_vm_policy_accepts_cpu_workbench_instances(gcp_spec):
    """Without a GPU the instances have Secure Boot, vTPM and integrity monitoring on."""
    policies = {"constraints/compute.requireShieldedVm": {"booleanPolicy": {"enforced": True}}}
    assert not policy_findings(gcp_spec("phases:\n  training: {users: [ann]}\n"), policies)
