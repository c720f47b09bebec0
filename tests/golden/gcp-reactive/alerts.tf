# Platform alerts next to the pipeline's own (monitoring.tf): rejected scheduled launches of the
# pipeline and data freshness (an hourly check of the curated table); each reaches the notification
# channels of monitoring.tf.

# --- Data freshness -----------------------------------------------------------------------------
# Every hour Cloud Scheduler asks BigQuery whether the curated table got new rows within the
# schedule's longest gap plus slack (90 h); the query fails (ERROR()) when it did not,
# Cloud Scheduler logs the failed attempt and alert data_stale fires. It catches runs that never
# start, runs that fail and raw data that stops arriving alike.
resource "google_project_iam_member" "scheduler_bigquery_jobs" {
  project = local.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.scheduler.member
}

resource "google_bigquery_dataset_iam_member" "scheduler_curated_reader" {
  dataset_id = google_bigquery_dataset.curated.dataset_id
  project    = local.project_id
  role       = "roles/bigquery.dataViewer"
  member     = google_service_account.scheduler.member
}

resource "google_cloud_scheduler_job" "freshness" {
  name             = "hooli-dev-freshness"
  project          = local.project_id
  region           = local.region
  description      = "Fails when the curated table got no new rows for 90 h (alert data_stale)."
  schedule         = "23 * * * *"
  time_zone        = "Etc/UTC"
  attempt_deadline = "180s"

  # One failed attempt is one alert: no retries.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "https://bigquery.googleapis.com/bigquery/v2/projects/${local.project_id}/queries"
    headers = {
      "Content-Type" = "application/json"
    }
    body = base64encode(jsonencode({
      query        = "SELECT IF(COALESCE(MAX(ingested_at), (SELECT MAX(creation_time) FROM `hooli-dsaas-dev.hooli_dev_curated.INFORMATION_SCHEMA.TABLES` WHERE table_name = 'training')) < TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 5400 MINUTE), ERROR('no new curated rows in hooli_dev_curated.training for more than 90 h'), 'fresh') AS freshness FROM `hooli-dsaas-dev.hooli_dev_curated.training` WHERE event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 15480 MINUTE)"
      useLegacySql = false
      location     = local.region
      timeoutMs    = 120000
    }))

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [
    google_project_iam_member.scheduler_bigquery_jobs,
    google_bigquery_dataset_iam_member.scheduler_curated_reader,
    google_bigquery_table.curated,
  ]
}

resource "google_monitoring_alert_policy" "scheduler_rejected" {
  display_name          = "Hooli Retail dev: a scheduled launch was rejected"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "Cloud Scheduler got an error answer (409 overlap, 403, 400, ...)"
    condition_matched_log {
      filter = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"hooli-dev-mlops-loop\" AND severity>=ERROR AND jsonPayload.\"@type\"=\"type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished\""
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
    content   = "A Cloud Scheduler launch was refused (409: the previous run is still going; 403: the launch identity lost a permission; 400: a bad request body). The run did not start: read the job's log in Cloud Scheduler, fix, then run the job by hand."
  }

  depends_on = [time_sleep.services]
}

resource "google_monitoring_alert_policy" "data_stale" {
  display_name          = "Hooli Retail dev: no new curated data"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "No new rows in a curated table for more than 90 h"
    condition_matched_log {
      filter = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"hooli-dev-freshness\" AND severity>=ERROR AND jsonPayload.\"@type\"=\"type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished\""
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
    content   = "A curated table got no new rows for more than 90 h (the schedule's longest gap plus slack; the failed check's error names it): no run succeeded, or no raw data arrived in its incoming/<dataset>/. Check the last runs in Vertex AI > Pipelines and that prefix of the raw bucket. The check is Cloud Scheduler job hooli-dev-freshness (hourly)."
  }

  depends_on = [time_sleep.services]
}
