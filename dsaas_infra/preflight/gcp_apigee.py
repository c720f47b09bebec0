"""GCP preflight: what the shared Apigee organisation must give this client first (PSC accept list, proxy account)."""

from __future__ import annotations

import json

from dsaas_infra.preflight.gcp_limits import ApiError, _call
from dsaas_infra.preflight.results import Outcome
from dsaas_infra.spec.resolved import GcpSpec

APIGEE = "https://apigee.googleapis.com"
IAM = "https://iam.googleapis.com"
RESOURCE_MANAGER = "https://cloudresourcemanager.googleapis.com"
ACT_AS = "iam.serviceAccounts.actAs"


def _shared(spec: GcpSpec) -> tuple[str, str] | None:
    """(organisation, instance) of the shared organisation this blueprint joins, else None."""
    assert spec.gcp is not None
    apigee = spec.gcp.apigee
    if not spec.phases.access.enabled or not spec.phases.deployment.realtime or apigee.organization != "shared":
        return None
    if not apigee.project_id or not apigee.instance:
        return None  # the spec rules reject this; nothing to ask Google about
    return apigee.project_id, apigee.instance


def _project_number(spec: GcpSpec, connection) -> str | None:
    """The client project's number (Resource Manager names projects by number), None if unknown."""
    assert spec.gcp is not None
    try:
        name = _call(connection, "GET", RESOURCE_MANAGER, f"/v3/projects/{spec.gcp.project_id}").get("name", "")
    except ApiError:
        return None
    number = name.removeprefix("projects/")
    return number if number.isdigit() else None


def accept_list_command(org: str, instance: str, accepted: list[str], project: str) -> str:
    """The Apigee API call that adds the project to the instance's accept list, keeping the others."""
    body = json.dumps({"consumerAcceptList": [*accepted, project]})
    return (f"curl -X PATCH -H \"Authorization: Bearer $(gcloud auth print-access-token)\" "
            f"-H \"Content-Type: application/json\" -d '{body}' "
            f"\"{APIGEE}/v1/organizations/{org}/instances/{instance}?updateMask=consumerAcceptList\"")


def check_psc_accept_list(spec: GcpSpec, connection) -> Outcome:
    """The load balancer reaches Apigee through a PSC NEG in the client's project: its connection
    stays PENDING (every request fails) unless the instance's service attachment accepts the project."""
    shared = _shared(spec)
    if shared is None:
        return ("pass", "no shared Apigee organisation: nothing to accept")
    assert spec.gcp is not None
    org, instance = shared
    project = spec.gcp.project_id
    try:
        found = _call(connection, "GET", APIGEE, f"/v1/organizations/{org}/instances/{instance}")
    except ApiError as e:
        return ("fail", f"cannot read Apigee instance {instance} of organisation {org}: {e} "
                        "(apigee.instances.get on that project)")
    accepted = [str(p) for p in found.get("consumerAcceptList", [])]
    if project in accepted:
        return ("pass", f"instance {instance} of {org} accepts {project}")
    number = _project_number(spec, connection)
    if number is not None and number in accepted:
        return ("pass", f"instance {instance} of {org} accepts {project} (project number {number})")
    return ("fail", f"Apigee instance {instance} of organisation {org} does not accept project {project} on its "
                    "Private Service Connect service attachment (consumerAcceptList: "
                    f"{', '.join(accepted) or 'empty'}): the API's PSC connection would stay PENDING and every "
                    "request fail. The provider adds it in its Apigee baseline (consumer_accept_list of "
                    f"google_apigee_instance), or now: {accept_list_command(org, instance, accepted, project)}")


def check_proxy_account(spec: GcpSpec, connection) -> Outcome:
    """The proxy's service account comes from the provider's baseline: it must exist and the
    caller must be allowed to deploy with it (actAs on that one account)."""
    shared = _shared(spec)
    if shared is None:
        return ("pass", "no shared Apigee organisation: the blueprint creates the proxy's account itself")
    from dsaas_infra.render.gcp.access import shared_proxy_account

    org, _ = shared
    email = shared_proxy_account(spec)
    baseline = (f"the provider's Apigee baseline creates {email} in project {org}, grants the Apigee service "
                f"agent (service-<number of {org}>@gcp-sa-apigee.iam.gserviceaccount.com) "
                "roles/iam.serviceAccountTokenCreator on it and this blueprint's apply identity "
                "roles/iam.serviceAccountUser on that account alone")
    try:
        answer = _call(connection, "POST", IAM, f"/v1/projects/{org}/serviceAccounts/{email}:testIamPermissions",
                       {"permissions": [ACT_AS]})
    except ApiError as e:
        if str(e).startswith(("NOT_FOUND", "404")):
            return ("fail", f"service account {email} does not exist: {baseline}")
        return ("fail", f"cannot test {ACT_AS} on {email}: {e} ({baseline})")
    if ACT_AS not in answer.get("permissions", []):
        return ("fail", f"the caller may not deploy the proxy as {email} (no {ACT_AS} on it): {baseline}")
    return ("pass", f"may deploy the proxy as {email}")
