# No Cloud Storage usage logs: they are written as group:cloud-storage-analytics@google.com,
# a grant that domain-restricted sharing (constraints/iam.allowedPolicyMemberDomains, on by
# default in newer organisations) rejects. Access to the data is in Cloud Audit Logs instead:
# admin activity always, data access (reads and writes) at the managed level.
# Raw data as delivered by the client's sources: cheaper storage classes as it ages, deleted
# only after phases.data.raw_retention_days when the spec sets it.
resource "google_storage_bucket" "raw" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "stark-dsaas-prod-prod-raw"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 2592000
  }

  lifecycle_rule {
    condition {
      age                   = 30
      matches_storage_class = ["STANDARD"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      age                   = 365
      matches_storage_class = ["STANDARD", "NEARLINE"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }

  lifecycle_rule {
    condition {
      age = 1825
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [time_sleep.kms_grants]
}

# Curated files: cleaned data and feature sets that training reads.
resource "google_storage_bucket" "curated" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "stark-dsaas-prod-prod-curated"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 2592000
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [time_sleep.kms_grants]
}

# What the pipeline runs and deploys: its code (train.py), the pipeline root (run artefacts,
# training sets, models). Written only by the pipeline's identities; notebooks may only read it.
resource "google_storage_bucket" "artifacts" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "stark-dsaas-prod-prod-artifacts"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 2592000
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 90
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [time_sleep.kms_grants]
}

# The notebooks' own space: experiments, samples, models of their own. Nothing the pipeline
# runs or deploys is read from here.
resource "google_storage_bucket" "experiments" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "stark-dsaas-prod-prod-experiments"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 2592000
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [time_sleep.kms_grants]
}

# The Dataflow job's code (UDF), schema, staging and temp files. A bucket of its own: whatever
# runs from here runs as the Dataflow workers (write access to the curated dataset), so only they
# and Terraform may write to it.
resource "google_storage_bucket" "dataflow" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "stark-dsaas-prod-prod-dataflow"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 2592000
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age            = 7
      matches_prefix = ["temp/", "bq-temp/"]
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [time_sleep.kms_grants]
}

# Who read or changed which data: data-access audit logs on the data services.
resource "google_project_iam_audit_config" "data_access" {
  for_each = toset(["bigquery.googleapis.com", "storage.googleapis.com"])

  project = local.project_id
  service = each.value

  audit_log_config {
    log_type = "ADMIN_READ"
  }

  audit_log_config {
    log_type = "DATA_READ"
  }

  audit_log_config {
    log_type = "DATA_WRITE"
  }

  depends_on = [time_sleep.services]
}

# Curated data for analysis and training, encrypted with the CMEK.
resource "google_bigquery_dataset" "curated" {
  dataset_id                 = "stark_prod_curated"
  project                    = local.project_id
  location                   = local.region
  friendly_name              = "Stark Mobility \"Prod\" curated data"
  description                = "Curated data loaded from the raw bucket by the pipeline's curate step (Dataflow)."
  delete_contents_on_destroy = false
  max_time_travel_hours      = 168

  default_encryption_configuration {
    kms_key_name = google_kms_crypto_key.keys["bigquery"].id
  }

  depends_on = [time_sleep.kms_grants]
}

# Each pipeline run's staging table (the Dataflow load, before the MERGE): a dataset of its own so
# that the Dataflow workers write there only, and every table expires after 3 days whatever
# happens to the run that created it (a retry of a run reloads its files into a fresh one).
resource "google_bigquery_dataset" "staging" {
  dataset_id                  = "stark_prod_curated_staging"
  project                     = local.project_id
  location                    = local.region
  friendly_name               = "Stark Mobility \"Prod\" curation staging"
  description                 = "Per-run staging tables of the pipeline's curate step; they expire after 3 days."
  default_table_expiration_ms = 259200000
  delete_contents_on_destroy  = true
  max_time_travel_hours       = 48

  default_encryption_configuration {
    kms_key_name = google_kms_crypto_key.keys["bigquery"].id
  }

  depends_on = [time_sleep.kms_grants]
}

# One curated table per raw dataset (files under incoming/<dataset>/ of the raw bucket): one row
# per record_id. The pipeline MERGEs each run's staging table of the dataset into it (a
# re-delivered record updates its row, never duplicates it).
resource "google_bigquery_table" "curated" {
  for_each = toset(["transactions", "customers"])

  dataset_id          = google_bigquery_dataset.curated.dataset_id
  project             = local.project_id
  table_id            = each.value
  description         = "Curated records of raw dataset ${each.value}, one per record_id (MERGEd by the pipeline's curate step)."
  deletion_protection = true
  schema              = jsonencode(jsondecode(file("${path.module}/files/dataflow/curated_schema.json"))["BigQuery Schema"])
  clustering          = ["source"]

  time_partitioning {
    type  = "DAY"
    field = "event_time"
  }

  encryption_configuration {
    kms_key_name = google_kms_crypto_key.keys["bigquery"].id
  }
}

# Each dataset's lines the Dataflow UDF could not curate (not JSON, no id, bad date): kept with
# the reason, never loaded into the curated table, never fatal to a run (a run whose new lines of
# a dataset were all rejected fails after keeping them here). The curate step moves them here.
resource "google_bigquery_table" "quarantine" {
  for_each = toset(["transactions", "customers"])

  dataset_id          = google_bigquery_dataset.curated.dataset_id
  project             = local.project_id
  table_id            = "${each.value}_quarantine"
  description         = "Raw lines of dataset ${each.value} the curation rejected, with the reason and the pipeline run."
  deletion_protection = true
  schema = jsonencode([
    { name = "run_id", type = "STRING", mode = "REQUIRED", description = "Pipeline run that read the line" },
    { name = "line", type = "STRING", mode = "NULLABLE", description = "The raw line" },
    { name = "error", type = "STRING", mode = "REQUIRED", description = "Why it was rejected" },
    { name = "quarantined_at", type = "TIMESTAMP", mode = "REQUIRED", description = "When" },
  ])

  time_partitioning {
    type  = "DAY"
    field = "quarantined_at"
  }

  encryption_configuration {
    kms_key_name = google_kms_crypto_key.keys["bigquery"].id
  }
}

# The Dataflow job's inputs, shipped with the blueprint.
resource "google_storage_bucket_object" "dataflow_udf" {
  bucket       = google_storage_bucket.dataflow.name
  name         = "udf/transform.js"
  source       = "${path.module}/files/dataflow/transform.js"
  content_type = "application/javascript"
}

# The schema of each run's staging table (the UDF's output, quarantined lines included).
resource "google_storage_bucket_object" "dataflow_schema" {
  bucket       = google_storage_bucket.dataflow.name
  name         = "schema/staging_schema.json"
  source       = "${path.module}/files/dataflow/staging_schema.json"
  content_type = "application/json"
}

# Dataflow workers run as a dedicated service account with only what the job needs.
resource "google_service_account" "dataflow" {
  account_id   = "stark-prd-df"
  project      = local.project_id
  display_name = "Dataflow workers (raw -> curated)"

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "dataflow_worker" {
  for_each = toset(["roles/dataflow.worker", "roles/bigquery.jobUser"])

  project = local.project_id
  role    = each.value
  member  = google_service_account.dataflow.member
}

resource "google_storage_bucket_iam_member" "dataflow_raw_reader" {
  bucket = google_storage_bucket.raw.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.dataflow.member
}

# Staging and temp files (and the job's inputs) live in the Dataflow bucket; the workers have no
# access to the artifacts bucket.
resource "google_storage_bucket_iam_member" "dataflow_bucket" {
  bucket = google_storage_bucket.dataflow.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.dataflow.member
}

# Beam checks the staging and temp locations with buckets.get when the Flex Template launcher
# builds the job as this account; objectAdmin has no bucket permissions (apache/beam#20708).
resource "google_storage_bucket_iam_member" "dataflow_bucket_get" {
  bucket = google_storage_bucket.dataflow.name
  role   = "roles/storage.legacyBucketReader"
  member = google_service_account.dataflow.member
}

# The workers write the run's staging table only: the curate step MERGEs it into the curated table.
resource "google_bigquery_dataset_iam_member" "dataflow_staging_writer" {
  dataset_id = google_bigquery_dataset.staging.dataset_id
  project    = local.project_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.dataflow.member
}
