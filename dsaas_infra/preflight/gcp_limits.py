"""GCP preflight: Compute Engine quotas and effective organisation policies against the blueprint."""

from __future__ import annotations

import json
from typing import Any

from dsaas_infra.preflight.results import Outcome
from dsaas_infra.spec.resolved import GcpSpec

COMPUTE = "https://compute.googleapis.com"
RESOURCE_MANAGER = "https://cloudresourcemanager.googleapis.com"
TIMEOUT = 20

# Services whose resources the blueprint encrypts with its own keys (kms.tf): a
# constraints/gcp.restrictNonCmekServices deny list may name these.
CMEK_SERVICES = {
    "aiplatform.googleapis.com", "artifactregistry.googleapis.com", "bigquery.googleapis.com",
    "compute.googleapis.com", "container.googleapis.com", "dataflow.googleapis.com",
    "logging.googleapis.com", "notebooks.googleapis.com", "storage.googleapis.com",
    "apigee.googleapis.com",
}
CONSTRAINTS = (
    "constraints/iam.allowedPolicyMemberDomains",
    "constraints/compute.requireOsLogin",
    "constraints/gcp.restrictNonCmekServices",
    "constraints/gcp.restrictCmekCryptoKeyProjects",
    "constraints/compute.restrictVpcPeering",
    "constraints/compute.requireShieldedVm",
)


class ApiError(Exception):
    """A Google REST call failed: status and Google's message."""


def _session(connection):
    from google.auth.transport.requests import AuthorizedSession

    return AuthorizedSession(connection.resolve_credentials())


def _call(connection, method: str, base: str, path: str, body: dict | None = None) -> dict:
    import requests

    url = (connection.endpoint or base).rstrip("/") + path
    try:
        response = _session(connection).request(method, url, json=body, timeout=TIMEOUT)
    except requests.RequestException as e:
        raise ApiError(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from e
    if response.status_code >= 400:
        try:
            error = response.json().get("error", {})
            message = f"{error.get('status') or response.status_code}: {error.get('message', '')}"
        except (ValueError, AttributeError):
            message = f"HTTP {response.status_code}"
        raise ApiError(message)
    try:
        return response.json()
    except json.JSONDecodeError as e:
        raise ApiError("the answer is not JSON") from e


# --- Quotas -----------------------------------------------------------------------------------
def needed_quotas(spec: GcpSpec) -> list[dict[str, Any]]:
    """What the rendered blueprint needs at its maximum size (the README's quota table)."""
    from dsaas_infra.render.gcp import build as gcp

    out: dict[tuple[str, str], dict[str, Any]] = {}
    for q in gcp.build_context(spec).quotas:
        metric = q.metric.strip("`")
        if not metric.replace("_", "").isalnum() or " " in metric:
            continue  # a family without a Compute Engine metric of its own (README names it)
        # Several machine families share one metric (N1 and E2 both count against CPUS).
        row = out.setdefault((metric, q.scope), {"metric": metric, "scope": q.scope, "amount": 0,
                                                 "unit": q.unit})
        row["amount"] += q.amount
    return list(out.values())


def _quota_table(answer: dict) -> dict[str, tuple[float, float]]:
    return {q["metric"]: (float(q.get("limit", 0)), float(q.get("usage", 0))) for q in answer.get("quotas", [])}


def check_quotas(spec: GcpSpec, connection) -> Outcome:
    assert spec.gcp is not None
    project, region = spec.gcp.project_id, spec.gcp.region
    needed = needed_quotas(spec)
    if not needed:
        return ("pass", "the blueprint needs no Compute Engine quota")
    try:
        regional = _quota_table(_call(connection, "GET", COMPUTE, f"/compute/v1/projects/{project}/regions/{region}"))
        global_ = _quota_table(_call(connection, "GET", COMPUTE, f"/compute/v1/projects/{project}"))
    except ApiError as e:
        return ("fail", f"cannot read the Compute Engine quotas: {e}")
    short, unknown = [], []
    for q in needed:
        table, where = (regional, region) if q["scope"] == "regional" else (global_, "all regions")
        if q["metric"] not in table:
            unknown.append(q["metric"])
            continue
        limit, usage = table[q["metric"]]
        if usage + q["amount"] > limit:
            short.append(
                f"{q['metric']} ({where}): needs {q['amount']} {q['unit']}, limit {limit:g} with "
                f"{usage:g} in use: request a limit of {usage + q['amount']:g}"
            )
    if short:
        return ("fail", "; ".join(short) + " (IAM & Admin > Quotas, or gcloud alpha quotas)")
    checked = len(needed) - len(unknown)
    if unknown:
        return ("warn", f"{checked} quota(s) suffice; not reported by Compute Engine: {', '.join(unknown)}")
    return ("pass", f"all {checked} Compute Engine quotas cover the blueprint at its maximum size")


# --- Organisation policies --------------------------------------------------------------------
def _effective(connection, project: str, constraint: str) -> dict:
    return _call(connection, "POST", RESOURCE_MANAGER, f"/v1/projects/{project}:getEffectiveOrgPolicy",
                 {"constraint": constraint})


def _granted_members(spec: GcpSpec) -> list[str]:
    """Principals outside Google's service agents that the blueprint grants IAM roles to."""
    from dsaas_infra.spec import gcp_rules

    if not spec.phases.training.enabled:
        return []
    return [f"user:{e}" for e in gcp_rules.user_emails(spec).values()]


def _list_policy(policy: dict) -> tuple[list[str], list[str], str | None]:
    lp = policy.get("listPolicy") or {}
    return lp.get("allowedValues", []), lp.get("deniedValues", []), lp.get("allValues")


def policy_findings(spec: GcpSpec, policies: dict[str, dict]) -> list[tuple[str, str]]:
    """(status, finding) per constraint that matters; pure, so each rule is testable alone."""
    assert spec.gcp is not None
    project = spec.gcp.project_id
    out: list[tuple[str, str]] = []
    # Domain-restricted sharing: the allowed values are Workspace customer ids, not domains.
    allowed, _, all_values = _list_policy(policies.get("constraints/iam.allowedPolicyMemberDomains", {}))
    members = _granted_members(spec)
    if (allowed or all_values == "DENY") and members:
        out.append(("warn", (
            "iam.allowedPolicyMemberDomains restricts IAM members to customer(s) "
            f"{', '.join(allowed) or '(none)'}: the blueprint grants roles to {', '.join(members)}; "
            "each must belong to an allowed customer, or add its customer id to the constraint "
            "(usage-log grants to cloud-storage-analytics@google.com are not used)"
        )))
    if policies.get("constraints/compute.requireOsLogin", {}).get("booleanPolicy", {}).get("enforced"):
        if spec.phases.training.enabled and spec.phases.training.users:
            out.append(("warn", (
                "compute.requireOsLogin is enforced: Workbench users reach JupyterLab through the "
                "proxy (unaffected); SSH to an instance needs roles/compute.osLogin"
            )))
    _, denied, all_values = _list_policy(policies.get("constraints/gcp.restrictNonCmekServices", {}))
    from dsaas_infra.render.gcp import build as gcp

    used = set(gcp.build_context(spec).apis)
    not_ours = sorted(s for s in denied if s in used and s not in CMEK_SERVICES)
    if not_ours:
        out.append(("fail", (
            f"gcp.restrictNonCmekServices requires CMEK for {', '.join(not_ours)}, which the "
            "blueprint uses without a key of its own: remove them from the constraint's denied "
            "values for this project"
        )))
    elif denied or all_values == "DENY":
        out.append(("pass", "gcp.restrictNonCmekServices: every CMEK-capable service the blueprint uses "
                            "gets a customer-managed key"))
    allowed, _, all_values = _list_policy(policies.get("constraints/gcp.restrictCmekCryptoKeyProjects", {}))
    if all_values == "DENY" or allowed:
        ours = {f"projects/{project}", f"under:projects/{project}"}
        if ours & set(allowed):
            out.append(("pass", f"gcp.restrictCmekCryptoKeyProjects allows keys from projects/{project}"))
        elif any(v.startswith(("under:organizations/", "under:folders/")) for v in allowed):
            out.append(("warn", (
                f"gcp.restrictCmekCryptoKeyProjects allows keys under {', '.join(allowed)}: the "
                f"blueprint's keys are in projects/{project}, which must be under one of them"
            )))
        else:
            out.append(("fail", (
                f"gcp.restrictCmekCryptoKeyProjects allows keys only from {', '.join(allowed) or '(none)'}: "
                f"the blueprint keeps its keys in projects/{project}: add under:projects/{project} "
                "to the constraint's allowed values"
            )))
    # GPU Workbench instances boot with Secure Boot off (training.tf: the NVIDIA driver installed on
    # first boot is not signed for it), which compute.requireShieldedVm rejects.
    shielded = policies.get("constraints/compute.requireShieldedVm", {}).get("booleanPolicy", {}).get("enforced")
    t = spec.phases.training
    if shielded and t.enabled and t.users and t.gpu not in (None, "none"):
        out.append(("fail", (
            f"compute.requireShieldedVm is enforced: the {t.gpu} GPU Workbench instances run with Secure Boot "
            "off (the NVIDIA driver installed on first boot is unsigned), which it rejects: exempt the project "
            f"from the constraint (a project-level policy with enforce: false on projects/{project}) or set "
            "phases.training.gpu: none"
        )))
    allowed, _, all_values = _list_policy(policies.get("constraints/compute.restrictVpcPeering", {}))
    dedicated_apigee = spec.phases.access.enabled and spec.gcp.apigee.organization == "dedicated"
    if dedicated_apigee and (allowed or all_values == "DENY"):
        out.append(("warn", (
            "compute.restrictVpcPeering limits peering to "
            f"{', '.join(allowed) or '(none)'}: the dedicated Apigee organisation peers the VPC with "
            "service networking (servicenetworking.googleapis.com); allow it or the peering fails"
        )))
    return out


def check_org_policies(spec: GcpSpec, connection) -> Outcome:
    assert spec.gcp is not None
    policies: dict[str, dict] = {}
    for constraint in CONSTRAINTS:
        try:
            policies[constraint] = _effective(connection, spec.gcp.project_id, constraint)
        except ApiError as e:
            return ("fail", f"cannot read the effective policy {constraint}: {e}")
    findings = policy_findings(spec, policies)
    bad = [f for s, f in findings if s == "fail"]
    if bad:
        return ("fail", "; ".join(bad))
    warns = [f for s, f in findings if s == "warn"]
    if warns:
        return ("warn", "; ".join(warns))
    return ("pass", f"none of the {len(CONSTRAINTS)} constraints checked rejects the blueprint")
