# No Cloud Storage usage logs: they are written as group:cloud-storage-analytics@google.com,
# a grant that domain-restricted sharing (constraints/iam.allowedPolicyMemberDomains, on by
# default in newer organisations) rejects. Access to the data is in Cloud Audit Logs instead:
# admin activity always, data access (reads and writes) at the managed level.
# Raw data as delivered by the client's sources, kept for raw_retention_days.
resource "google_storage_bucket" "raw" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "hooli-dsaas-dev-dev-raw"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 604800
  }

  lifecycle_rule {
    condition {
      age = 90
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
    prevent_destroy = false
  }

  depends_on = [time_sleep.kms_grants]
}

# Curated files: cleaned data and feature sets that training reads.
resource "google_storage_bucket" "curated" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "hooli-dsaas-dev-dev-curated"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 604800
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
    prevent_destroy = false
  }

  depends_on = [time_sleep.kms_grants]
}

# Model artifacts and pipeline outputs.
resource "google_storage_bucket" "artifacts" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "hooli-dsaas-dev-dev-artifacts"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 604800
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
    prevent_destroy = false
  }

  depends_on = [time_sleep.kms_grants]
}

# The Dataflow job's code (UDF), schema, staging and temp files. A bucket of its own: whatever
# runs from here runs as the Dataflow workers (write access to the curated dataset), so only they
# and Terraform may write to it, unlike the artifacts bucket that notebooks and pipelines write.
resource "google_storage_bucket" "dataflow" {
  #checkov:skip=CKV_GCP_62:usage logs need a grant to cloud-storage-analytics@google.com that domain-restricted sharing rejects; Cloud Audit Logs record access
  name                        = "hooli-dsaas-dev-dev-dataflow"
  project                     = local.project_id
  location                    = upper(local.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.keys["storage"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 604800
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
    prevent_destroy = false
  }

  depends_on = [time_sleep.kms_grants]
}

# Curated data for analysis and training, encrypted with the CMEK.
resource "google_bigquery_dataset" "curated" {
  dataset_id                 = "hooli_dev_curated"
  project                    = local.project_id
  location                   = local.region
  friendly_name              = "Hooli Retail curated data"
  description                = "Curated data loaded from the raw bucket by the scheduled Dataflow job."
  delete_contents_on_destroy = false
  max_time_travel_hours      = 48

  default_encryption_configuration {
    kms_key_name = google_kms_crypto_key.keys["bigquery"].id
  }

  depends_on = [time_sleep.kms_grants]
}

# The table the Dataflow job appends to; its schema is the file the job itself reads.
resource "google_bigquery_table" "events" {
  #checkov:skip=CKV_GCP_121:the spec sets phases.data.prevent_destroy false (sandbox teardown)
  dataset_id          = google_bigquery_dataset.curated.dataset_id
  project             = local.project_id
  table_id            = "events"
  description         = "Records loaded from the raw bucket (one JSON object per line)."
  deletion_protection = false
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

# The latest version of each record: a re-delivered file is loaded again, so readers use this.
resource "google_bigquery_table" "events_latest" {
  #checkov:skip=CKV_GCP_80:a view stores no data; its rows come from the CMEK-encrypted events table
  #checkov:skip=CKV_GCP_121:the spec sets phases.data.prevent_destroy false (sandbox teardown)
  dataset_id          = google_bigquery_dataset.curated.dataset_id
  project             = local.project_id
  table_id            = "events_latest"
  description         = "Latest version of each record of the events table (deduplicated on record_id)."
  deletion_protection = false

  view {
    query          = "SELECT * EXCEPT (row_rank) FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY record_id ORDER BY ingested_at DESC) AS row_rank FROM `${local.project_id}.${google_bigquery_dataset.curated.dataset_id}.${google_bigquery_table.events.table_id}`) WHERE row_rank = 1"
    use_legacy_sql = false
  }
}

# The Dataflow job's inputs, shipped with the blueprint.
resource "google_storage_bucket_object" "dataflow_udf" {
  bucket       = google_storage_bucket.dataflow.name
  name         = "udf/transform.js"
  source       = "${path.module}/files/dataflow/transform.js"
  content_type = "application/javascript"
}

resource "google_storage_bucket_object" "dataflow_schema" {
  bucket       = google_storage_bucket.dataflow.name
  name         = "schema/curated_schema.json"
  source       = "${path.module}/files/dataflow/curated_schema.json"
  content_type = "application/json"
}

# Dataflow workers run as a dedicated service account with only what the job needs.
resource "google_service_account" "dataflow" {
  account_id   = "hooli-dev-df"
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

resource "google_bigquery_dataset_iam_member" "dataflow_curated_writer" {
  dataset_id = google_bigquery_dataset.curated.dataset_id
  project    = local.project_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.dataflow.member
}

# Cloud Scheduler launches the job with its own identity: it may create Dataflow jobs and
# run them as the worker account, nothing else.
resource "google_service_account" "scheduler" {
  account_id   = "hooli-dev-sched"
  project      = local.project_id
  display_name = "Cloud Scheduler: launches the raw -> curated Dataflow job"

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "scheduler_dataflow_developer" {
  #checkov:skip=CKV_GCP_49:launching Dataflow jobs needs roles/dataflow.developer; the only account it can run jobs as is the worker SA (actAs bound on that SA alone)
  project = local.project_id
  role    = "roles/dataflow.developer"
  member  = google_service_account.scheduler.member
}

resource "google_service_account_iam_member" "scheduler_acts_as_dataflow" {
  service_account_id = google_service_account.dataflow.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.scheduler.member
}

# raw -> curated on the spec's schedule (UTC): Cloud Scheduler calls the Dataflow API to launch
# Google's "Text Files on Cloud Storage to BigQuery" Flex Template, so nothing has to be built
# before the first apply. The UDF (files/dataflow/transform.js) is where cleaning goes.
# The request body is fixed, so every run has the same job name: Dataflow refuses a second
# running job of that name (409), so a run still going when the next is due makes that launch
# fail after its retries instead of overlapping it (two runs would load the same files twice).
resource "google_cloud_scheduler_job" "raw_to_curated" {
  name             = "${local.name_prefix}-raw-to-curated"
  project          = local.project_id
  region           = local.region
  description      = "Launches the raw -> curated Dataflow job."
  schedule         = "30 1 * * 1-5"
  time_zone        = "Etc/UTC"
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
  }

  http_target {
    http_method = "POST"
    uri         = "https://dataflow.googleapis.com/v1b3/projects/${local.project_id}/locations/${local.region}/flexTemplates:launch"
    headers = {
      "Content-Type" = "application/json"
    }
    body = base64encode(jsonencode({
      launchParameter = {
        jobName              = "hooli-dev-raw-to-curated"
        containerSpecGcsPath = "gs://dataflow-templates-us-east1/latest/flex/GCS_Text_to_BigQuery_Flex"
        parameters = {
          inputFilePattern                    = var.dataflow_input_pattern
          JSONPath                            = "gs://${google_storage_bucket.dataflow.name}/${google_storage_bucket_object.dataflow_schema.name}"
          outputTable                         = "${local.project_id}:${google_bigquery_dataset.curated.dataset_id}.${google_bigquery_table.events.table_id}"
          javascriptTextTransformGcsPath      = "gs://${google_storage_bucket.dataflow.name}/${google_storage_bucket_object.dataflow_udf.name}"
          javascriptTextTransformFunctionName = "transform"
          bigQueryLoadingTemporaryDirectory   = "gs://${google_storage_bucket.dataflow.name}/bq-temp"
        }
        environment = {
          serviceAccountEmail  = google_service_account.dataflow.email
          tempLocation         = "gs://${google_storage_bucket.dataflow.name}/temp"
          stagingLocation      = "gs://${google_storage_bucket.dataflow.name}/staging"
          subnetwork           = local.subnetwork_self_link
          ipConfiguration      = "WORKER_IP_PRIVATE"
          kmsKeyName           = google_kms_crypto_key.keys["compute"].id
          machineType          = "n2-standard-2"
          maxWorkers           = var.dataflow_max_workers
          additionalUserLabels = local.labels
        }
      }
    }))

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [
    google_project_iam_member.scheduler_dataflow_developer,
    google_service_account_iam_member.scheduler_acts_as_dataflow,
    google_project_iam_member.dataflow_worker,
    google_storage_bucket_iam_member.dataflow_raw_reader,
    google_storage_bucket_iam_member.dataflow_bucket,
    google_bigquery_dataset_iam_member.dataflow_curated_writer,
  ]
}
