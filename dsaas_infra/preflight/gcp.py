"""GCP preflight: credentials, project, permissions, state bucket, quotas, org policies, metadata store, budget."""

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
from dsaas_infra.spec.resolved import GcpSpec

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
    "deployment": ["aiplatform.endpoints.create",
                   "monitoring.alertPolicies.create", "monitoring.notificationChannels.create"],
    "access": ["compute.globalAddresses.create", "compute.securityPolicies.create"],
}
# A dedicated Apigee organisation lives in the client's project (peered to its VPC).
DEDICATED_APIGEE = ["apigee.organizations.create", "servicenetworking.services.addPeering"]
# The provider's shared organisation: what the client's apply does in the organisation's project
# (its environment, group, proxy, products and apps). No IAM administration there: the proxy's
# service account comes from the provider's Apigee baseline (gcp-apigee-proxy-account checks it
# and the actAs on it), so one client's apply identity never reaches another client's accounts.
SHARED_APIGEE = [
    "apigee.instances.get",
    "apigee.environments.create", "apigee.envgroups.create", "apigee.envgroupattachments.create",
    "apigee.instanceattachments.create", "apigee.proxies.create", "apigee.deployments.create",
    "apigee.apiproducts.create", "apigee.developers.create", "apigee.developerapps.create",
]
ACT_AS = "iam.serviceAccounts.actAs"


def attached_service_accounts(spec: GcpSpec) -> list[tuple[str, str]]:
    """(account, resource) for every service account the blueprint attaches to a resource in the
    client's project: creating that resource needs actAs on the account (tested project-wide,
    since the accounts do not exist before the first apply)."""
    out = []
    if spec.phases.data.enabled:
        out.append(("scheduler", "google_cloud_scheduler_job.pipeline"))
    if spec.phases.training.enabled and spec.phases.training.users:
        out.append(("workbench", "google_workbench_instance.users"))
    if spec.phases.access.enabled and spec.gcp.apigee.organization == "dedicated":
        out.append(("apigee_proxy", "google_apigee_api_deployment.predict"))
    return out


def needed_permissions(spec: GcpSpec) -> list[str]:
    """Permissions on the client's project."""
    phases = ["shared"] + [p for p in ("data", "training", "deployment", "access")
                           if getattr(spec.phases, p).enabled]
    wanted = {perm for p in phases for perm in PERMISSIONS[p]}
    if spec.phases.access.enabled and spec.gcp.apigee.organization == "dedicated":
        wanted.update(DEDICATED_APIGEE)
    if attached_service_accounts(spec):
        wanted.add(ACT_AS)
    return sorted(wanted)


def apigee_project_permissions(spec: GcpSpec) -> tuple[str, list[str]] | None:
    """(project, permissions) in the shared Apigee organisation's project, when the blueprint uses it."""
    apigee = spec.gcp.apigee
    if not spec.phases.access.enabled or apigee.organization != "shared" or not apigee.project_id:
        return None
    return apigee.project_id, sorted(SHARED_APIGEE)


@dataclass
class Context:
    spec: GcpSpec
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
    targets = [(ctx.project, needed_permissions(ctx.spec))]
    if (apigee := apigee_project_permissions(ctx.spec)) is not None:
        targets.append(apigee)
    missing: list[str] = []
    for project, wanted in targets:
        try:
            granted = set(ctx.connection.projects().test_iam_permissions(
                request={"resource": f"projects/{project}", "permissions": wanted},
                timeout=TIMEOUT, retry=retry(),
            ).permissions)
        except GOOGLE_ERRORS as e:
            return ("fail", f"cannot test permissions on {project}: {describe(e)}")
        where = "" if project == ctx.project else f" on {project}"
        missing += [f"{p}{where}" for p in wanted if p not in granted]
    if missing:
        return ("fail", f"missing {len(missing)} permission(s): {', '.join(missing)}")
    return ("pass", f"all {sum(len(w) for _, w in targets)} permissions held")


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


def check_vertex_quotas(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_vertex_quotas

    return gcp_vertex_quotas.check(ctx.spec, ctx.connection)


def check_metadata_store(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_vertex_metadata

    return gcp_vertex_metadata.check(ctx.spec, ctx.connection)


def check_reused_network(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_network

    return gcp_network.check_reused_network(ctx.spec, ctx.connection)


def check_org_policies(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_limits

    return gcp_limits.check_org_policies(ctx.spec, ctx.connection)


def check_apigee_psc(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_apigee

    return gcp_apigee.check_psc_accept_list(ctx.spec, ctx.connection)


def check_apigee_proxy_account(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_apigee

    return gcp_apigee.check_proxy_account(ctx.spec, ctx.connection)


def check_budget(ctx: Context) -> Outcome:
    from dsaas_infra.preflight import gcp_billing

    return gcp_billing.check_budget(ctx.spec, ctx.connection)


CHECKS = [
    Check("gcp-credentials", "credentials resolve", check_credentials, blocking=True),
    Check("gcp-project", "project exists and is ACTIVE", check_project, blocking=True),
    Check("gcp-permissions", "caller holds the blueprint's permissions", check_permissions),
    Check("gcp-state-bucket", "state bucket (versioning)", check_state_bucket),
    # Fresh projects have GPUS_ALL_REGIONS at 0 and low vCPU quotas: say what to request now.
    Check("gcp-quotas", "Compute Engine GPU and vCPU quotas", check_quotas),
    # Vertex AI meters its own vCPUs and GPUs per family: training jobs and endpoint nodes.
    Check("gcp-vertex-quotas", "Vertex AI training and serving quotas", check_vertex_quotas),
    Check("gcp-org-policies", "organisation policies accept the blueprint", check_org_policies),
    # A reused network is its owner's: what the blueprint needs from it and does not create.
    Check("gcp-network", "reused network: Private Google Access and Dataflow's firewall rule", check_reused_network),
    # The blueprint leaves the metadata store to the first pipeline run: say which key it will have.
    Check("gcp-metadata-store", "Vertex AI metadata store: the key pipeline metadata is encrypted with",
          check_metadata_store),
    Check("gcp-budget", "billing budget: rights on the billing account", check_budget),
    # The shared Apigee organisation: what the provider's baseline must give this client first.
    Check("gcp-apigee-psc", "shared Apigee instance accepts this project (Private Service Connect)",
          check_apigee_psc),
    Check("gcp-apigee-proxy-account", "shared Apigee: the proxy's service account from the provider baseline",
          check_apigee_proxy_account),
]


def run_checks(spec: GcpSpec, connection: Connection | None = None) -> list[CheckResult]:
    return run_all(CHECKS, Context(spec, connection or Connection()))
