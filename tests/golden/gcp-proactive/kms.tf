# Customer-managed keys (CMEK), one per service family: a key is granted only to the service
# agents of its family, so a compromised or misconfigured service can decrypt its own data
# only. Software keys cost cents a month; HSM keys about a dollar.
resource "google_kms_key_ring" "main" {
  name     = "globex-eu-staging-keyring"
  location = local.region
  project  = local.project_id

  depends_on = [time_sleep.services]
}

locals {
  kms_keys = {
    storage = {
      name    = "globex-eu-staging-storage"
      purpose = "Cloud Storage buckets"
    }
    bigquery = {
      name    = "globex-eu-staging-bigquery"
      purpose = "BigQuery curated dataset"
    }
    compute = {
      name    = "globex-eu-staging-compute"
      purpose = "persistent disks (Dataflow workers, Workbench instances), the Dataflow job's BigQuery loads"
    }
    vertex = {
      name    = "globex-eu-staging-vertex"
      purpose = "Vertex AI (TensorBoard, metadata, endpoint, pipeline jobs, models)"
    }
    registry = {
      name    = "globex-eu-staging-registry"
      purpose = "Artifact Registry images"
    }
  }
}

resource "google_kms_crypto_key" "keys" {
  for_each = local.kms_keys

  name                       = each.value.name
  key_ring                   = google_kms_key_ring.main.id
  purpose                    = "ENCRYPT_DECRYPT"
  rotation_period            = "7776000s"
  destroy_scheduled_duration = "2592000s"
  labels = {
    family = each.key
  }

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }

  lifecycle {
    # Destroying a key schedules the destruction of its versions: everything encrypted with it
    # becomes unreadable once destroy_scheduled_duration has passed (phases.data.prevent_destroy).
    prevent_destroy = true
  }
}

# Cloud Logging only accepts a key in the log bucket's location, and the blueprint's log bucket
# is global (monitoring.tf). Software protection: the key must sit in location global.
resource "google_kms_key_ring" "logging" {
  name     = "globex-eu-staging-logging"
  location = "global"
  project  = local.project_id

  depends_on = [time_sleep.services]
}

resource "google_kms_crypto_key" "logging" {
  name                       = "globex-eu-staging-logging"
  key_ring                   = google_kms_key_ring.logging.id
  purpose                    = "ENCRYPT_DECRYPT"
  rotation_period            = "7776000s"
  destroy_scheduled_duration = "2592000s"
  labels = {
    family = "logging"
  }

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }

  lifecycle {
    prevent_destroy = true
  }
}

# Reading the project's CMEK settings makes Cloud Logging create its service account.
data "google_logging_project_cmek_settings" "current" {
  project = local.project_id

  depends_on = [time_sleep.services]
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
  # The service agents that encrypt and decrypt with the keys on the blueprint's behalf.
  kms_agents = {
    # Vertex AI: TensorBoard, metadata store, endpoint, pipeline jobs and models
    aiplatform = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-aiplatform.iam.gserviceaccount.com"
    # Artifact Registry: the image repository
    artifactregistry = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
    # BigQuery: the curated dataset and its tables
    bigquery = "serviceAccount:${data.google_bigquery_default_service_account.bq.email}"
    # Compute Engine: persistent disks of Dataflow workers, Workbench instances and GKE nodes
    compute = "serviceAccount:service-${data.google_project.current.number}@compute-system.iam.gserviceaccount.com"
    # Dataflow: job state and worker disks
    dataflow = "serviceAccount:service-${data.google_project.current.number}@dataflow-service-producer-prod.iam.gserviceaccount.com"
    # Cloud Logging: the blueprint's own log bucket
    logging = "serviceAccount:${data.google_logging_project_cmek_settings.current.service_account_id}"
    # Workbench: the instances' disks
    notebooks = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-notebooks.iam.gserviceaccount.com"
    # Cloud Storage: the buckets
    storage = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
  }
  # One grant per key and agent of its family: key -> agents.
  kms_grants = {
    storage-storage = {
      key   = "storage"
      agent = "storage"
    }
    bigquery-bigquery = {
      key   = "bigquery"
      agent = "bigquery"
    }
    compute-compute = {
      key   = "compute"
      agent = "compute"
    }
    compute-dataflow = {
      key   = "compute"
      agent = "dataflow"
    }
    compute-bigquery = {
      key   = "compute"
      agent = "bigquery"
    }
    compute-notebooks = {
      key   = "compute"
      agent = "notebooks"
    }
    vertex-aiplatform = {
      key   = "vertex"
      agent = "aiplatform"
    }
    registry-artifactregistry = {
      key   = "registry"
      agent = "artifactregistry"
    }
    logging-logging = {
      key   = "logging"
      agent = "logging"
    }
  }
}

# Service agents generated on request (services.tf) become usable in IAM a little later.
resource "time_sleep" "service_agents" {
  create_duration = "30s"

  depends_on = [google_project_service_identity.agents]
}

resource "google_kms_crypto_key_iam_member" "agents" {
  for_each = local.kms_grants

  crypto_key_id = each.value.key == "logging" ? google_kms_crypto_key.logging.id : google_kms_crypto_key.keys[each.value.key].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = local.kms_agents[each.value.agent]

  depends_on = [time_sleep.service_agents]
}

# IAM grants on a key take a little while to reach the services that check them.
resource "time_sleep" "kms_grants" {
  create_duration = "30s"

  depends_on = [google_kms_crypto_key_iam_member.agents]
}
