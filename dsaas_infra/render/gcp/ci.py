"""The GCP CI identity (templates/gcp/ci.tf.j2): pool, provider, service accounts and what each may do.

Plan (pull requests, drift) is read-only: per-service viewer roles, the objects Terraform manages
in the blueprint's own buckets, and its own state prefix (read, plus the lock object).

Apply creates everything in the blueprint, so it needs each service's admin role on the project:
that is broad, and said so in the README. It is bounded where IAM can bound it: Cloud Storage only on
the blueprint's own buckets (granted on each) and its own state prefix, never a project-wide
storage role; project IAM grants only of the roles the blueprint itself grants
(a condition on iam.googleapis.com/modifiedGrantsByRole), so it cannot grant owner or editor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dsaas_infra.spec import ci_names, gcp_rules
from dsaas_infra.spec.resolved import GcpSpec

if TYPE_CHECKING:
    from dsaas_infra.render.gcp.context import GcpContext

# Workload Identity Federation exchanges the GitHub token (STS), then impersonates (IAM Credentials).
APIS = ("iamcredentials.googleapis.com", "sts.googleapis.com")

# Every API a blueprint enables -> (plan roles, apply roles) on the project. Storage and project
# IAM are not here: they are scoped below. A new API in a template needs a row (a test checks).
PROJECT_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # Outside the project (OUTSIDE_PROJECT below): granted by the organisation's or billing admin.
    "accesscontextmanager.googleapis.com": ((), ()),
    "billingbudgets.googleapis.com": ((), ()),
    "aiplatform.googleapis.com": (("roles/aiplatform.viewer",), ("roles/aiplatform.admin",)),
    "apigee.googleapis.com": (("roles/apigee.readOnlyAdmin",), ("roles/apigee.admin",)),
    "artifactregistry.googleapis.com": (("roles/artifactregistry.reader",), ("roles/artifactregistry.admin",)),
    "bigquery.googleapis.com": (("roles/bigquery.metadataViewer",), ("roles/bigquery.dataOwner",)),
    "bigquerystorage.googleapis.com": ((), ()),
    "cloudkms.googleapis.com": (("roles/cloudkms.viewer",), ("roles/cloudkms.admin",)),
    "cloudresourcemanager.googleapis.com": (("roles/browser",), ("roles/browser",)),
    "cloudscheduler.googleapis.com": (("roles/cloudscheduler.viewer",), ("roles/cloudscheduler.admin",)),
    "compute.googleapis.com": (("roles/compute.viewer",),
                               ("roles/compute.loadBalancerAdmin", "roles/compute.networkAdmin",
                                "roles/compute.securityAdmin")),
    "dns.googleapis.com": (("roles/dns.reader",), ("roles/dns.admin",)),  # restricted egress: private zones
    "container.googleapis.com": (("roles/container.clusterViewer",), ("roles/container.admin",)),
    "dataflow.googleapis.com": ((), ()),  # jobs are launched by the pipeline, not by Terraform
    "iam.googleapis.com": (("roles/iam.securityReviewer", "roles/iam.serviceAccountViewer",
                            "roles/iam.workloadIdentityPoolViewer"),
                           # No roles/iam.roleAdmin: apply could widen any custom role, its own included.
                           ("roles/iam.securityReviewer", "roles/iam.serviceAccountAdmin",
                            "roles/iam.serviceAccountUser", "roles/iam.workloadIdentityPoolViewer")),
    "iamcredentials.googleapis.com": ((), ()),
    "logging.googleapis.com": (("roles/logging.viewer",), ("roles/logging.configWriter",)),
    "monitoring.googleapis.com": (("roles/monitoring.viewer",), ("roles/monitoring.editor",)),
    "notebooks.googleapis.com": (("roles/notebooks.viewer",), ("roles/notebooks.admin",)),
    # The promote job (pipeline.tf): admin also sets the approvers' IAM on that job.
    "run.googleapis.com": (("roles/run.viewer",), ("roles/run.admin",)),
    "servicenetworking.googleapis.com": (("roles/compute.networkViewer",), ("roles/servicenetworking.networksAdmin",)),
    "serviceusage.googleapis.com": (("roles/serviceusage.serviceUsageViewer",),
                                    ("roles/serviceusage.serviceUsageAdmin",)),
    "storage.googleapis.com": ((), ()),
    "sts.googleapis.com": ((), ()),
}

# APIs whose resources live outside the project -> what the README asks the provider to grant there.
OUTSIDE_PROJECT = {
    "accesscontextmanager.googleapis.com": "the organisation's access policy (VPC Service Controls perimeter "
    "membership): `roles/accesscontextmanager.policyEditor` for apply, `policyReader` for plan",
    "billingbudgets.googleapis.com": "the billing account (budget): `roles/billing.costsManager` for apply, "
    "`roles/billing.viewer` for plan",
}

# Predefined roles the blueprint grants on the project (to its own service accounts): the only
# ones apply may grant there. Its custom roles are added per blueprint.
GRANTED_PROJECT_ROLES = (
    # roles/aiplatform.user: no longer granted (the pipeline's account has a custom role), but
    # removing the grant from a project applied before is a modified grant of that role too.
    "roles/aiplatform.user", "roles/bigquery.jobUser", "roles/bigquery.readSessionUser", "roles/compute.networkAdmin",
    "roles/dataflow.developer",
    "roles/dataflow.worker", "roles/logging.logWriter", "roles/monitoring.metricWriter",
)
# Buckets holding objects Terraform manages, and the prefixes of those objects: plan reads them to
# refresh, and nothing else in those buckets (models, training sets, exports, Dataflow temp files are
# client data), never the raw or curated data.
MANAGED_OBJECT_PREFIXES = {"artifacts": ("pipeline/",), "dataflow": ("udf/", "schema/")}
MANAGED_OBJECT_BUCKETS = tuple(MANAGED_OBJECT_PREFIXES)
# Apply creates buckets: storage.buckets.create is checked on the project, before any bucket name
# exists for a condition to test. This custom role has only that (and list); everything else in
# Cloud Storage is granted on the blueprint's own bucket names.
BUCKET_CREATE_PERMISSIONS = ("storage.buckets.create", "storage.buckets.list")


def _custom_roles(ctx: GcpContext) -> list[str]:
    """The blueprint's own custom roles it grants on the project."""
    ids = []
    phases = ctx.phases
    if phases.training.enabled:
        ids.append(ctx.workbench.role_id)
    if phases.data.enabled and ctx.pipeline:
        ids += [ctx.pipeline.launch_role_id, ctx.pipeline.runner_role_id]
        if ctx.pipeline.approvers:  # pipeline.tf's model_approvers
            ids.append(ctx.pipeline.approver_role_id)
    return [f"projects/{ctx.project_id}/roles/{i}" for i in ids]


def _cel_list(items: list[str]) -> str:
    return "[" + ", ".join(f"'{i}'" for i in items) + "]"


def apis(spec: GcpSpec) -> tuple[str, ...]:
    """The APIs the CI identity needs in the project (render/gcp/build.py enables them)."""
    return APIS if spec.ci is not None and spec.ci.create_identity else ()


def build(spec: GcpSpec, ctx: GcpContext) -> dict[str, Any]:
    assert spec.ci is not None
    apis = sorted(ctx.apis)
    shared_apigee = ctx.apigee is not None and ctx.apigee.shared
    if shared_apigee:
        # The shared organisation lives in the provider's project: nothing Apigee here to manage.
        apis = [a for a in apis if a != "apigee.googleapis.com"]
    plan_roles = sorted({r for a in apis for r in PROJECT_ROLES.get(a, ((), ()))[0]})
    apply_roles = sorted({r for a in apis for r in PROJECT_ROLES.get(a, ((), ()))[1]})
    bucket = f"projects/_/buckets/{spec.state.bucket}"
    state_objects = f"{bucket}/objects/{spec.state.prefix}/"
    # data.tf creates the buckets; the notebooks' experiments bucket only with notebooks.
    phases = ctx.phases
    kinds = sorted(k for k in gcp_rules.BUCKET_KINDS if phases.data.enabled
                   and (k != "experiments" or phases.training.enabled))
    grantable = sorted(GRANTED_PROJECT_ROLES) + _custom_roles(ctx)
    subjects = ci_names.github_subjects(spec)
    # The subject names repository and environment exactly; apply also needs the default branch.
    condition = (f"assertion.repository == '{spec.ci.repository}' && ("
                 f"assertion.sub == '{subjects['plan']}' || "
                 f"(assertion.sub == '{subjects['apply']}' && "
                 f"assertion.ref == 'refs/heads/{spec.ci.default_branch}'))")
    return {
        "pool_id": ci_names.gcp_pool_id(spec),
        "provider_id": ci_names.GCP_WIF_PROVIDER_ID,
        "attribute_condition": condition,
        "service_account_ids": ci_names.gcp_service_account_ids(spec),
        "service_accounts": ci_names.gcp_service_accounts(spec),
        "plan_roles": plan_roles,
        "apply_roles": apply_roles,
        "state_bucket": spec.state.bucket,
        "state_conditions": {
            # objects.list is checked on the bucket itself; every other call on the object's name.
            "read": f"resource.name == '{bucket}' || resource.name.startsWith('{state_objects}')",
            "lock": f"resource.name == '{state_objects}default.tflock'",
        },
        # Resource names of the blueprint's buckets (google_storage_bucket.<kind>) that exist here.
        "bucket_kinds": kinds,
        "managed_object_kinds": [k for k in MANAGED_OBJECT_BUCKETS if k in kinds],
        # objects.get is checked on the object's name: only the prefixes Terraform uploads under.
        "managed_object_conditions": {
            k: " || ".join(f"resource.name.startsWith('projects/_/buckets/{ctx.buckets[k]}/objects/{prefix}')"
                           for prefix in MANAGED_OBJECT_PREFIXES[k])
            for k in MANAGED_OBJECT_BUCKETS if k in kinds},
        "grant_condition": ("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', [])"
                            f".hasOnly({_cel_list(grantable)})"),
        "grantable_roles": grantable,
        "bucket_create_role_id": "dsaas_" + ctx.name_prefix.replace("-", "_") + "_ci_buckets",
        "bucket_create_permissions": list(BUCKET_CREATE_PERMISSIONS),
        "outside_project": [OUTSIDE_PROJECT[a] for a in apis if a in OUTSIDE_PROJECT],
        "apigee_project": ctx.apigee.org_project if ctx.apigee is not None and shared_apigee else None,
    }
