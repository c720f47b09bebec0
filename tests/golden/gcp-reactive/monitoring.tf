# Phase 3, deployment: monitoring of the pipeline and the models, and the blueprint's logs.

# --- The blueprint's logs -------------------------------------------------------------------
# The blueprint's own log entries go to a log bucket of its own, kept for
# phases.data.log_retention_days and encrypted with the logging key (a global key: Cloud Logging
# only accepts a key from the bucket's location). The project's _Default bucket is left as the
# project has it (other workloads' logs, their retention and key): an exclusion with the same
# filter keeps the routed entries out of it, so they are stored once. An entry no route matches
# stays in _Default. Log-based metrics count every entry the project receives, and log-based
# alerts scan every entry a project sink routes to a bucket: the alerts still see these.
resource "google_logging_project_bucket_config" "blueprint" {
  project        = local.project_id
  location       = "global"
  bucket_id      = "hooli-dev-logs"
  description    = "Logs of the DSaaS platform's own resources (dsaas-infra)"
  retention_days = 30

  cmek_settings {
    kms_key_name = google_kms_crypto_key.logging.id
  }

  lifecycle {
    # A destroy would delete the logs (audit trails at managed) with the bucket.
    prevent_destroy = false
  }

  # The Cloud Logging service account's grant on the key (kms.tf).
  depends_on = [time_sleep.kms_grants]
}

locals {
  # The blueprint's log entries, one route per kind (README):
  # - Cloud Scheduler jobs (pipeline launches, freshness check)
  # - Cloud Run jobs (promote)
  # - Vertex AI pipeline runs
  # - Dataflow curate jobs
  blueprint_logs = "(resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=~\"^hooli-dev-\") OR (resource.type=\"cloud_run_job\" AND resource.labels.job_name=~\"^hooli-dev-\") OR (resource.type=\"aiplatform.googleapis.com/PipelineJob\" AND resource.labels.pipeline_job_id=~\"^dsaas-mlops-loop-\") OR (resource.type=\"dataflow_step\" AND resource.labels.job_name=~\"^curate-\")"
}

# A sink to a log bucket of the same project needs no grant for its writer identity.
resource "google_logging_project_sink" "blueprint" {
  name                   = "hooli-dev-logs"
  project                = local.project_id
  description            = "The DSaaS platform's own logs, to its log bucket (dsaas-infra)"
  destination            = "logging.googleapis.com/${google_logging_project_bucket_config.blueprint.id}"
  filter                 = local.blueprint_logs
  unique_writer_identity = true
}

# The same entries, out of the project's _Default bucket (an exclusion on the _Default sink).
# Created after the sink: no entry is dropped from both.
resource "google_logging_project_exclusion" "blueprint" {
  name        = "hooli-dev-logs"
  project     = local.project_id
  description = "Stored in the DSaaS platform's log bucket hooli-dev-logs instead (dsaas-infra)"
  filter      = local.blueprint_logs

  depends_on = [google_logging_project_sink.blueprint]
}

# --- Notification channels ------------------------------------------------------------------
# One e-mail channel per address of deployment.alert_emails (the client owner when empty).
resource "google_monitoring_notification_channel" "email" {
  for_each = toset(["it-oncall@hooli.example"])

  display_name = "${each.value} (${local.name_prefix})"
  type         = "email"
  labels = {
    email_address = each.value
  }
  user_labels = local.labels

  depends_on = [time_sleep.services]
}

locals {
  notification_channels = [for c in google_monitoring_notification_channel.email : c.id]
}

# --- Alert policies -------------------------------------------------------------------------
resource "google_monitoring_alert_policy" "dataflow_failed" {
  display_name          = "Hooli Retail dev: Dataflow job failed"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "A Dataflow job of the data pipeline failed"
    condition_threshold {
      filter          = "resource.type = \"dataflow_job\" AND metric.type = \"dataflow.googleapis.com/job/is_failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A Dataflow job (raw -> curated) failed. Open the job in the Dataflow console, read its logs and rerun the scheduled template once fixed."
  }

  depends_on = [time_sleep.services]
}

# Vertex AI Pipelines write a log entry for every state change of a run.
resource "google_monitoring_alert_policy" "pipeline_failed" {
  display_name          = "Hooli Retail dev: ML pipeline run failed"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "A Vertex AI pipeline run failed"
    condition_matched_log {
      filter = "resource.type=\"aiplatform.googleapis.com/PipelineJob\" AND jsonPayload.state=\"PIPELINE_STATE_FAILED\""
    }
  }

  alert_strategy {
    notification_rate_limit {
      period = "3600s"
    }
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A run of the ML pipeline (training -> evaluation -> deployment) failed. Open Vertex AI > Pipelines for the failed step and its logs."
  }

  depends_on = [time_sleep.services]
}
