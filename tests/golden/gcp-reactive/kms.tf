# One customer-managed key (CMEK) for everything that stores data: buckets, BigQuery,
# Artifact Registry, Vertex AI, Workbench and Dataflow disks.
resource "google_kms_key_ring" "main" {
  name     = "hooli-dev-keyring"
  location = local.region
  project  = local.project_id

  depends_on = [time_sleep.services]
}

resource "google_kms_crypto_key" "main" {
  name                       = "hooli-dev-cmek"
  key_ring                   = google_kms_key_ring.main.id
  purpose                    = "ENCRYPT_DECRYPT"
  rotation_period            = "7776000s"
  destroy_scheduled_duration = "2592000s"

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }

  lifecycle {
    # Destroying the key makes every bucket, dataset and disk encrypted with it unreadable.
    prevent_destroy = true
  }
}

# Reading these data sources makes Google create the storage and BigQuery service agents.
data "google_storage_project_service_account" "gcs" {
  project = local.project_id

  depends_on = [time_sleep.services]
}

data "google_bigquery_default_service_account" "bq" {
  project = local.project_id

  depends_on = [time_sleep.services]
}

locals {
  # The service agents that encrypt and decrypt with the key on the blueprint's behalf.
  kms_agents = {
    # Persistent disks of Dataflow workers and Workbench instances.
    compute          = "serviceAccount:service-${data.google_project.current.number}@compute-system.iam.gserviceaccount.com"
    storage          = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
    bigquery         = "serviceAccount:${data.google_bigquery_default_service_account.bq.email}"
    aiplatform       = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-aiplatform.iam.gserviceaccount.com"
    artifactregistry = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
    dataflow         = "serviceAccount:service-${data.google_project.current.number}@dataflow-service-producer-prod.iam.gserviceaccount.com"
    notebooks        = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-notebooks.iam.gserviceaccount.com"
  }
}

resource "google_kms_crypto_key_iam_member" "agents" {
  for_each = local.kms_agents

  crypto_key_id = google_kms_crypto_key.main.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value

  depends_on = [google_project_service_identity.agents]
}

# IAM grants on a key take a little while to reach the services that check them.
resource "time_sleep" "kms_grants" {
  create_duration = "30s"

  depends_on = [google_kms_crypto_key_iam_member.agents]
}
