# Platform alerts next to the pipeline's own (monitoring.tf): rejected scheduled launches of the
# pipeline, data freshness (an hourly check of the curated table), failed executions of the promote
# job, the public API's 5xx answers, latency and certificate (HTTPS check and expiry) and the
# billing budget; each reaches the notification channels of monitoring.tf.

# --- Data freshness -----------------------------------------------------------------------------
# Every hour Cloud Scheduler asks BigQuery whether the curated table got new rows within the
# schedule's longest gap plus slack (30 h); the query fails (ERROR()) when it did not,
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
  name             = "globex-eu-staging-freshness"
  project          = local.project_id
  region           = local.region
  description      = "Fails when the curated table got no new rows for 30 h (alert data_stale)."
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
      query        = "SELECT IF(COALESCE(MAX(ingested_at), (SELECT MAX(creation_time) FROM `globex-dsaas-staging.globex_eu_staging_curated.INFORMATION_SCHEMA.TABLES` WHERE table_name = 'training')) < TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1800 MINUTE), ERROR('no new curated rows in globex_eu_staging_curated.training for more than 30 h'), 'fresh') AS freshness FROM `globex-dsaas-staging.globex_eu_staging_curated.training` WHERE event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 11880 MINUTE)"
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

# --- The API's certificate --------------------------------------------------------------------
# An HTTPS check of the API host from Google's checkers, validating the certificate: it fails
# while the managed certificate is not ACTIVE and reports the days until it expires. Any answer
# below 500 passes (the check sends no API key, so Apigee answers 401).
resource "google_monitoring_uptime_check_config" "api" {
  display_name = "${local.name_prefix} API HTTPS and certificate"
  timeout      = "10s"
  period       = "300s"

  http_check {
    path           = "/"
    port           = 443
    use_ssl        = true
    validate_ssl   = true
    request_method = "GET"
    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
    accepted_response_status_codes {
      status_class = "STATUS_CLASS_4XX"
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = local.project_id
      host       = var.api_hostname
    }
  }

  user_labels = local.labels

  depends_on = [time_sleep.services]
}

resource "google_monitoring_alert_policy" "scheduler_rejected" {
  display_name          = "Globex Corp. EU staging: a scheduled launch was rejected"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "Cloud Scheduler got an error answer (409 overlap, 403, 400, ...)"
    condition_matched_log {
      filter = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"globex-eu-staging-mlops-loop\" AND severity>=ERROR AND jsonPayload.\"@type\"=\"type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished\""
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
  display_name          = "Globex Corp. EU staging: no new curated data"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "No new rows in a curated table for more than 30 h"
    condition_matched_log {
      filter = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"globex-eu-staging-freshness\" AND severity>=ERROR AND jsonPayload.\"@type\"=\"type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished\""
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
    content   = "A curated table got no new rows for more than 30 h (the schedule's longest gap plus slack; the failed check's error names it): no run succeeded, or no raw data arrived in its incoming/<dataset>/. Check the last runs in Vertex AI > Pipelines and that prefix of the raw bucket. The check is Cloud Scheduler job globex-eu-staging-freshness (hourly)."
  }

  depends_on = [time_sleep.services]
}

resource "google_monitoring_alert_policy" "promote_failed" {
  display_name          = "Globex Corp. EU staging: the promote job failed"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "An execution of Cloud Run job globex-eu-staging-promote failed"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_job\" AND resource.labels.job_name = \"globex-eu-staging-promote\" AND metric.type = \"run.googleapis.com/job/completed_execution_count\" AND metric.labels.result = \"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "An execution of the promote job globex-eu-staging-promote failed: no promote run was started, the approved version is not the champion. Read the execution's log (`gcloud run jobs executions list --job=globex-eu-staging-promote`), fix, then execute the job again."
  }

  depends_on = [time_sleep.services]
}

resource "google_monitoring_alert_policy" "approval_overdue" {
  display_name          = "Globex Corp. EU staging: model versions wait for approval"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "A model version has waited for the manual approval more than 7 days"
    condition_matched_log {
      filter = "logName=\"projects/globex-dsaas-staging/logs/dsaas-approval-overdue\""
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
    content   = "A registered model version has waited for approval more than 7 days: new versions are trained and held, nothing new is deployed. Review the versions and their evaluations in the Model Registry and approve one (README, gate), or reject them."
  }

  depends_on = [time_sleep.services]
}

resource "google_monitoring_alert_policy" "api_5xx" {
  display_name          = "Globex Corp. EU staging: prediction API 5xx"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "More than 10 5xx answers in 5 minutes"
    condition_threshold {
      filter          = "resource.type = \"https_lb_rule\" AND resource.labels.forwarding_rule_name = \"globex-eu-staging-api\" AND metric.type = \"loadbalancing.googleapis.com/https/request_count\" AND metric.labels.response_code_class = 500"
      comparison      = "COMPARISON_GT"
      threshold_value = 10
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The API load balancer answered 5xx (Apigee or the model backend failed). Check Apigee analytics and the Vertex AI endpoint's logs."
  }

  depends_on = [time_sleep.services]
}

resource "google_monitoring_alert_policy" "api_latency" {
  display_name          = "Globex Corp. EU staging: prediction API latency"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "p99 latency at the load balancer above 2000 ms for 5 minutes"
    condition_threshold {
      filter          = "resource.type = \"https_lb_rule\" AND resource.labels.forwarding_rule_name = \"globex-eu-staging-api\" AND metric.type = \"loadbalancing.googleapis.com/https/total_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = 2000
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_99"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Predictions are slow end to end: check the endpoint's replicas and Apigee's target latency."
  }

  depends_on = [time_sleep.services]
}

resource "google_monitoring_alert_policy" "api_certificate" {
  display_name          = "Globex Corp. EU staging: API certificate or endpoint failing"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "The HTTPS check of the API host fails (certificate not ACTIVE or invalid, or no answer)"
    condition_threshold {
      filter          = format("metric.type = \"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.label.check_id = \"%s\" AND resource.type = \"uptime_url\"", google_monitoring_uptime_check_config.api.uptime_check_id)
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "600s"
      aggregations {
        alignment_period     = "1200s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The HTTPS check of the API host fails from more than one region: the managed certificate is not ACTIVE (its DNS A record does not point at output api_ip_address, or it is still provisioning), TLS fails, or the load balancer does not answer. See `gcloud compute ssl-certificates list` for the certificate's status."
  }

  depends_on = [time_sleep.services]
}

resource "google_monitoring_alert_policy" "api_certificate_expiry" {
  display_name          = "Globex Corp. EU staging: API certificate expiring"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "The API certificate expires in less than 14 days"
    condition_threshold {
      filter          = format("metric.type = \"monitoring.googleapis.com/uptime_check/time_until_ssl_cert_expires\" AND metric.label.check_id = \"%s\" AND resource.type = \"uptime_url\"", google_monitoring_uptime_check_config.api.uptime_check_id)
      comparison      = "COMPARISON_LT"
      threshold_value = 14
      duration        = "600s"
      aggregations {
        alignment_period     = "1200s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_MIN"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The managed certificate is not being renewed (Google renews it about a month before it expires): check that the DNS A record of the API host still points at output api_ip_address and the certificate's status."
  }

  depends_on = [time_sleep.services]
}

# --- Billing budget -----------------------------------------------------------------------------
# budget.monthly_usd on this project's costs; actual spend and the month's forecast reach the
# notification channels (at most 5: Cloud Billing's limit) and the billing account's admins.
resource "google_billing_budget" "main" {
  billing_account = "01A2B3-C4D5E6-F7A8B9"
  display_name    = "globex-eu-staging monthly budget"

  budget_filter {
    projects        = ["projects/${data.google_project.current.number}"]
    calendar_period = "MONTH"
  }

  amount {
    specified_amount {
      currency_code = "USD"
      units         = "4000"
    }
  }

  threshold_rules {
    threshold_percent = 0.5
    spend_basis       = "CURRENT_SPEND"
  }

  threshold_rules {
    threshold_percent = 0.9
    spend_basis       = "CURRENT_SPEND"
  }

  threshold_rules {
    threshold_percent = 1
    spend_basis       = "CURRENT_SPEND"
  }

  threshold_rules {
    threshold_percent = 1
    spend_basis       = "FORECASTED_SPEND"
  }

  all_updates_rule {
    monitoring_notification_channels = slice(local.notification_channels, 0, min(5, length(local.notification_channels)))
    disable_default_iam_recipients   = false
  }

  depends_on = [time_sleep.services]
}
