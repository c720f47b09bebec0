# Exactly the APIs this blueprint uses. Never disabled on destroy: other workloads in the
# project may depend on them.
resource "google_project_service" "this" {
  for_each = toset([
    "aiplatform.googleapis.com",
    "apigee.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "bigquerystorage.googleapis.com",
    "billingbudgets.googleapis.com",
    "cloudkms.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "dataflow.googleapis.com",
    "dns.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "notebooks.googleapis.com",
    "run.googleapis.com",
    "servicenetworking.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
  ])

  project            = local.project_id
  service            = each.value
  disable_on_destroy = false
}

# A freshly enabled API can take a minute before every endpoint accepts calls.
resource "time_sleep" "services" {
  create_duration = "60s"

  depends_on = [google_project_service.this]
}

# Some service agents are only created on first use; generating them now lets the CMEK
# grants in kms.tf succeed on a fresh project (google-beta: not in the google provider).
resource "google_project_service_identity" "agents" {
  provider = google-beta
  for_each = toset([
    "aiplatform.googleapis.com",
    "artifactregistry.googleapis.com",
    "dataflow.googleapis.com",
    "notebooks.googleapis.com",
  ])

  project = local.project_id
  service = each.value

  depends_on = [time_sleep.services]
}
