"""GCP preflight: credentials, project ACTIVE, the caller's permissions, the state bucket, quotas, org policies."""

from __future__ import annotations

from dataclasses import dataclass

from google.api_core import exceptions as gexc

from dsaas_infra.preflight.gcp_session import (
    GOOGLE_ERRORS,
    TIMEOUT,
    Connection,
    describe,
    retry,
    storage_retry,
)
from dsaas_infra.preflight.results import Check, CheckResult, Outcome, run_all
from dsaas_infra.spec.model import ClientSpec

BOOTSTRAP_HINT = "run `dsaas-infra bootstrap SPEC`"

# What the blueprint's resources need the caller to be allowed to do, by phase. Checked with
# testIamPermissions so that a missing role shows up now, not halfway through an apply.
PERMISSIONS = {
    "shared": [
        "resourcemanager.projects.get", "resourcemanager.projects.setIamPolicy",
        "serviceusage.services.enable", "iam.serviceAccounts.create",
        "cloudkms.keyRings.create", "cloudkms.cryptoKeys.create", "storage.buckets.create",
        "compute.networks.create", "compute.subnetworks.create", "compute.routers.create",
    ],
    "data": ["bigquery.datasets.create"],
    "training": ["aiplatform.tensorboards.create", "artifactregistry.repositories.create",
                 "notebooks.instances.create"],
    "deployment": ["container.clusters.create", "aiplatform.endpoints.create",
                   "monitoring.alertPolicies.create", "monitoring.notificationChannels.create"],
    "access": ["apigee.organizations.create", "compute.globalAddresses.create",
               "servicenetworking.services.addPeering"],
}


def needed_permissions(spec: ClientSpec) -> list[str]:
    phases = ["shared"] + [p for p in ("data", "training", "deployment", "access")
                           if getattr(spec.phases, p).enabled]
    return sorted({perm for p in phases for perm in PERMISSIONS[p]})


@dataclass
class Context:
    spec: ClientSpec
    connection: Connection

    @property
    def project(self) -> str:
        return self.spec.gcp.project_id


def check_credentials(ctx: Context) -> Outcome:
    try:
        credentials = ctx.connection.resolve_credentials()
    except GOOGLE_ERRORS as e:
        return ("fail", describe(e))
    who = getattr(credentials, "service_account_email", None) or type(credentials).__name__
    return ("pass", str(who))


def check_project(ctx: Context) -> Outcome:
    try:
        project = ctx.connection.projects().get_project(
            name=f"projects/{ctx.project}", timeout=TIMEOUT, retry=retry())
    except (gexc.NotFound, gexc.PermissionDenied) as e:
        # Google answers 403 for a project that does not exist as well as for one you cannot see.
        return ("fail", f"project {ctx.project} does not exist or these credentials cannot see it ({describe(e)})")
    except GOOGLE_ERRORS as e:
        return ("fail", f"project {ctx.project}: {describe(e)}")
    state = project.state.name
    if state != "ACTIVE":
        advice = " (it is being deleted: `gcloud projects undelete` restores it)" if state == "DELETE_REQUESTED" else ""
        return ("fail", f"project {ctx.project} is {state}, not ACTIVE{advice}")
    return ("pass", f"{ctx.project} is ACTIVE")


def check_permissions(ctx: Context) -> Outcome:
    wanted = needed_permissions(ctx.spec)
    try:
        granted = set(ctx.connection.projects().test_iam_permissions(
            request={"resource": f"projects/{ctx.project}", "permissions": wanted},
            timeout=TIMEOUT, retry=retry(),
        ).permissions)
    except GOOGLE_ERRORS as e:
        return ("fail", f"cannot test permissions: {describe(e)}")
    missing = [p for p in wanted if p not in granted]
    if missing:
        return ("fail", f"missing {len(missing)} permission(s): {', '.join(missing)}")
    return ("pass", f"all {len(wanted)} permissions held")


def check_state_bucket(ctx: Context) -> Outcome:
    bucket = ctx.spec.state.bucket
    try:
        found = ctx.connection.storage(ctx.project).get_bucket(
            bucket, timeout=TIMEOUT, retry=storage_retry())
    except gexc.NotFound:
        return ("fail", f"{bucket} does not exist: {BOOTSTRAP_HINT}")
    except GOOGLE_ERRORS as e:
        return ("fail", f"{bucket}: {describe(e)}")
    if not found.versioning_enabled:
        return ("fail", f"{bucket}: versioning is off (state history could be lost)")
    return ("pass", bucket)


def check_quotas(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_limits

    return gcp_limits.check_quotas(ctx.spec, ctx.connection)


def check_org_policies(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_limits

    return gcp_limits.check_org_policies(ctx.spec, ctx.connection)


CHECKS = [
    Check("gcp-credentials", "credentials resolve", check_credentials, blocking=True),
    Check("gcp-project", "project exists and is ACTIVE", check_project, blocking=True),
    Check("gcp-permissions", "caller holds the blueprint's permissions", check_permissions),
    Check("gcp-state-bucket", "state bucket (versioning)", check_state_bucket),
    # Fresh projects have GPUS_ALL_REGIONS at 0 and low vCPU quotas: say what to request now.
    Check("gcp-quotas", "Compute Engine GPU and vCPU quotas", check_quotas),
    Check("gcp-org-policies", "organisation policies accept the blueprint", check_org_policies),
]


def run_checks(spec: ClientSpec, connection: Connection | None = None) -> list[CheckResult]:
    return run_all(CHECKS, Context(spec, connection or Connection()))
