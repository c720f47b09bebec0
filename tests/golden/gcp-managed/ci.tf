# CI identity of the fleet repository dsaas-provider/fleet (rendered because ci.create_identity is set).
# GitHub Actions jobs log in with Workload Identity Federation, no stored keys:
# - apply: only jobs in the GitHub environment stark-prod on the branch main
#   (give the environment required reviewers);
# - plan (read-only): only jobs in stark-prod-plan (pull-request plans, scheduled drift).
# Create this file's resources once with an administrator's credentials: CI cannot log in before,
# and it may not change them afterwards (they grant what no CI role may grant).

# A deleted pool keeps its id for 30 days: after a destroy, undelete it rather than re-creating it.
resource "google_iam_workload_identity_pool" "github" {
  project                   = local.project_id
  workload_identity_pool_id = "stark-prd-github"
  display_name              = "GitHub Actions"
  description               = "Fleet repository dsaas-provider/fleet, environments stark-prod and stark-prod-plan"

  depends_on = [time_sleep.services]
}

resource "google_iam_workload_identity_pool_provider" "github" {
  project                            = local.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  display_name                       = "GitHub Actions OIDC"
  # Only this repository's jobs in the client's two environments get in; apply only on the
  # default branch (a workflow on another branch naming the environment stays out).
  attribute_condition = "assertion.repository == 'dsaas-provider/fleet' && (assertion.sub == 'repo:dsaas-provider/fleet:environment:stark-prod-plan' || (assertion.sub == 'repo:dsaas-provider/fleet:environment:stark-prod' && assertion.ref == 'refs/heads/main'))"
  attribute_mapping = {
    "google.subject"        = "assertion.sub"
    "attribute.repository"  = "assertion.repository"
    "attribute.environment" = "assertion.environment"
  }
  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "ci_apply" {
  project      = local.project_id
  account_id   = "stark-prd-ci"
  display_name = "GitHub Actions apply"
  description  = "Fleet CI apply of dsaas-provider/fleet (environment stark-prod)"

  depends_on = [time_sleep.services]
}

# Exactly the jobs of the environment stark-prod (the pool admits only the repository).
resource "google_service_account_iam_member" "ci_apply_wif" {
  service_account_id = google_service_account.ci_apply.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.environment/stark-prod"
}

resource "google_service_account" "ci_plan" {
  project      = local.project_id
  account_id   = "stark-prd-cipl"
  display_name = "GitHub Actions plan"
  description  = "Fleet CI plan of dsaas-provider/fleet (environment stark-prod-plan)"

  depends_on = [time_sleep.services]
}

# Exactly the jobs of the environment stark-prod-plan (the pool admits only the repository).
resource "google_service_account_iam_member" "ci_plan_wif" {
  service_account_id = google_service_account.ci_plan.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.environment/stark-prod-plan"
}

# Plan and drift read what Terraform refreshes (each service's viewer role) and change nothing.
resource "google_project_iam_member" "ci_plan" {
  for_each = toset([
    "roles/aiplatform.viewer",
    "roles/artifactregistry.reader",
    "roles/bigquery.metadataViewer",
    "roles/browser",
    "roles/cloudkms.viewer",
    "roles/cloudscheduler.viewer",
    "roles/compute.networkViewer",
    "roles/compute.viewer",
    "roles/dns.reader",
    "roles/iam.securityReviewer",
    "roles/iam.serviceAccountViewer",
    "roles/iam.workloadIdentityPoolViewer",
    "roles/logging.viewer",
    "roles/monitoring.viewer",
    "roles/notebooks.viewer",
    "roles/run.viewer",
    "roles/serviceusage.serviceUsageViewer",
  ])

  project = local.project_id
  role    = each.value
  member  = google_service_account.ci_plan.member
}

# Bucket settings of the blueprint's own buckets, and the objects Terraform manages there (the files
# it ships), never the client's raw or curated data. Granted on each bucket: no project-wide storage role.
resource "google_storage_bucket_iam_member" "ci_plan_buckets" {
  for_each = toset(["artifacts", "curated", "dataflow", "experiments", "raw"])

  bucket = {
    "artifacts"   = google_storage_bucket.artifacts.name
    "curated"     = google_storage_bucket.curated.name
    "dataflow"    = google_storage_bucket.dataflow.name
    "experiments" = google_storage_bucket.experiments.name
    "raw"         = google_storage_bucket.raw.name
  }[each.value]
  role   = "roles/storage.legacyBucketReader"
  member = google_service_account.ci_plan.member
}

# Only the objects Terraform uploads (code, templates): models, training sets, exports and temp
# files in the same buckets are client data plan never reads.
resource "google_storage_bucket_iam_member" "ci_plan_managed_objects" {
  for_each = {
    "artifacts" = "resource.name.startsWith('projects/_/buckets/stark-dsaas-prod-prod-artifacts/objects/pipeline/')"
    "dataflow"  = "resource.name.startsWith('projects/_/buckets/stark-dsaas-prod-prod-dataflow/objects/udf/') || resource.name.startsWith('projects/_/buckets/stark-dsaas-prod-prod-dataflow/objects/schema/')"
  }

  bucket = {
    "artifacts" = google_storage_bucket.artifacts.name
    "dataflow"  = google_storage_bucket.dataflow.name
  }[each.key]
  role   = "roles/storage.objectViewer"
  member = google_service_account.ci_plan.member
  condition {
    title       = "terraform-managed-objects"
    description = "Only the objects Terraform uploads"
    expression  = each.value
  }
}

# The state: read under this blueprint's prefix only, and write only the lock object.
resource "google_storage_bucket_iam_member" "ci_plan_state" {
  bucket = "stark-terraform-state-prod"
  role   = "roles/storage.objectViewer"
  member = google_service_account.ci_plan.member
  condition {
    title       = "own-state-prefix"
    description = "Only this blueprint's state prefix"
    expression  = "resource.name == 'projects/_/buckets/stark-terraform-state-prod' || resource.name.startsWith('projects/_/buckets/stark-terraform-state-prod/objects/platform/dsaas/stark-prod/')"
  }
}

resource "google_storage_bucket_iam_member" "ci_plan_lock" {
  bucket = "stark-terraform-state-prod"
  role   = "roles/storage.objectUser"
  member = google_service_account.ci_plan.member
  condition {
    title       = "own-state-lock"
    description = "Only this blueprint's lock object"
    expression  = "resource.name == 'projects/_/buckets/stark-terraform-state-prod/objects/platform/dsaas/stark-prod/default.tflock'"
  }
}

# Apply creates everything in the blueprint, so it holds each service's admin role on this project
# (README: what that means). Cloud Storage, custom roles and project IAM are scoped below.
resource "google_project_iam_member" "ci_apply" {
  #checkov:skip=CKV_GCP_41:apply creates the blueprint's service accounts and the resources that run as them (Dataflow, Scheduler, Workbench, Vertex AI): it must act as them
  #checkov:skip=CKV_GCP_49:apply manages the blueprint's service accounts; it is gated by the GitHub environment and the default branch, and may grant only the blueprint's own roles
  for_each = toset([
    "roles/aiplatform.admin",
    "roles/artifactregistry.admin",
    "roles/bigquery.dataOwner",
    "roles/browser",
    "roles/cloudkms.admin",
    "roles/cloudscheduler.admin",
    "roles/compute.loadBalancerAdmin",
    "roles/compute.networkAdmin",
    "roles/compute.securityAdmin",
    "roles/dns.admin",
    "roles/iam.securityReviewer",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityPoolViewer",
    "roles/logging.configWriter",
    "roles/monitoring.editor",
    "roles/notebooks.admin",
    "roles/run.admin",
    "roles/servicenetworking.networksAdmin",
    "roles/serviceusage.serviceUsageAdmin",
  ])

  project = local.project_id
  role    = each.value
  member  = google_service_account.ci_apply.member
}

# Project IAM: only grants of the roles the blueprint itself grants (never owner, editor or storage).
resource "google_project_iam_member" "ci_apply_grants" {
  #checkov:skip=CKV_GCP_49:the condition lets apply grant only the blueprint's own roles
  project = local.project_id
  role    = "roles/resourcemanager.projectIamAdmin"
  member  = google_service_account.ci_apply.member
  condition {
    title       = "blueprint-roles-only"
    description = "Grants only of the roles this blueprint grants"
    expression  = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/aiplatform.user', 'roles/bigquery.jobUser', 'roles/bigquery.readSessionUser', 'roles/compute.networkAdmin', 'roles/dataflow.developer', 'roles/dataflow.worker', 'roles/logging.logWriter', 'roles/monitoring.metricWriter', 'projects/stark-dsaas-prod/roles/dsaas_stark_prod_notebook', 'projects/stark-dsaas-prod/roles/dsaas_stark_prod_pipeline_launch', 'projects/stark-dsaas-prod/roles/dsaas_stark_prod_pipeline_run'])"
  }
}

# Cloud Storage: creating buckets is checked on the project (there is no bucket to grant on yet);
# this role has only that. Everything else is granted on each of the blueprint's own buckets.
resource "google_project_iam_custom_role" "ci_buckets" {
  project     = local.project_id
  role_id     = "dsaas_stark_prod_ci_buckets"
  title       = "dsaas CI: create buckets"
  description = "Create and list buckets, nothing inside them"
  permissions = ["storage.buckets.create", "storage.buckets.list"]

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "ci_apply_bucket_create" {
  project = local.project_id
  role    = google_project_iam_custom_role.ci_buckets.name
  member  = google_service_account.ci_apply.member
}

resource "google_storage_bucket_iam_member" "ci_apply_buckets" {
  for_each = toset(["artifacts", "curated", "dataflow", "experiments", "raw"])

  bucket = {
    "artifacts"   = google_storage_bucket.artifacts.name
    "curated"     = google_storage_bucket.curated.name
    "dataflow"    = google_storage_bucket.dataflow.name
    "experiments" = google_storage_bucket.experiments.name
    "raw"         = google_storage_bucket.raw.name
  }[each.value]
  role   = "roles/storage.admin"
  member = google_service_account.ci_apply.member
}

resource "google_storage_bucket_iam_member" "ci_apply_state" {
  bucket = "stark-terraform-state-prod"
  role   = "roles/storage.objectUser"
  member = google_service_account.ci_apply.member
  condition {
    title       = "own-state-prefix"
    description = "Only this blueprint's state prefix"
    expression  = "resource.name == 'projects/_/buckets/stark-terraform-state-prod' || resource.name.startsWith('projects/_/buckets/stark-terraform-state-prod/objects/platform/dsaas/stark-prod/')"
  }
}

output "ci_workload_identity_provider" {
  description = "gcp.workload_identity_provider the fleet's CI logs in with (dsaas-infra fleet derives it from gcp.project_number)."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "ci_service_account" {
  description = "Apply account (environment stark-prod)."
  value       = google_service_account.ci_apply.email
}

output "ci_plan_service_account" {
  description = "Read-only plan and drift account (environment stark-prod-plan)."
  value       = google_service_account.ci_plan.email
}
