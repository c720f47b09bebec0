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
  bucket_id      = "stark-prod-logs"
  description    = "Logs of the DSaaS platform's own resources (dsaas-infra)"
  retention_days = 731

  cmek_settings {
    kms_key_name = google_kms_crypto_key.logging.id
  }

  lifecycle {
    # A destroy would delete the logs (audit trails at managed) with the bucket.
    prevent_destroy = true
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
  # - the Vertex AI endpoint
  # - Model Monitoring anomalies
  # - data-access audit logs of the blueprint's buckets and dataset
  blueprint_logs = "(resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=~\"^stark-prod-\") OR (resource.type=\"cloud_run_job\" AND resource.labels.job_name=~\"^stark-prod-\") OR (resource.type=\"aiplatform.googleapis.com/PipelineJob\" AND resource.labels.pipeline_job_id=~\"^dsaas-mlops-loop-\") OR (resource.type=\"dataflow_step\" AND resource.labels.job_name=~\"^curate-\") OR (resource.type=\"aiplatform.googleapis.com/Endpoint\" AND resource.labels.endpoint_id=\"683965896\") OR (logName=\"projects/stark-dsaas-prod/logs/aiplatform.googleapis.com%2Fmodel_monitoring_anomaly\") OR (logName=\"projects/stark-dsaas-prod/logs/cloudaudit.googleapis.com%2Fdata_access\" AND (protoPayload.resourceName:\"projects/_/buckets/stark-dsaas-prod-prod-artifacts\" OR protoPayload.resourceName:\"projects/_/buckets/stark-dsaas-prod-prod-curated\" OR protoPayload.resourceName:\"projects/_/buckets/stark-dsaas-prod-prod-dataflow\" OR protoPayload.resourceName:\"projects/_/buckets/stark-dsaas-prod-prod-experiments\" OR protoPayload.resourceName:\"projects/_/buckets/stark-dsaas-prod-prod-raw\" OR protoPayload.resourceName:\"projects/stark-dsaas-prod/datasets/stark_prod_curated\"))"
}

# A sink to a log bucket of the same project needs no grant for its writer identity.
resource "google_logging_project_sink" "blueprint" {
  name                   = "stark-prod-logs"
  project                = local.project_id
  description            = "The DSaaS platform's own logs, to its log bucket (dsaas-infra)"
  destination            = "logging.googleapis.com/${google_logging_project_bucket_config.blueprint.id}"
  filter                 = local.blueprint_logs
  unique_writer_identity = true
}

# The same entries, out of the project's _Default bucket (an exclusion on the _Default sink).
# Created after the sink: no entry is dropped from both.
resource "google_logging_project_exclusion" "blueprint" {
  name        = "stark-prod-logs"
  project     = local.project_id
  description = "Stored in the DSaaS platform's log bucket stark-prod-logs instead (dsaas-infra)"
  filter      = local.blueprint_logs

  depends_on = [google_logging_project_sink.blueprint]
}

# --- Notification channels ------------------------------------------------------------------
# One e-mail channel per address of deployment.alert_emails (the client owner when empty).
resource "google_monitoring_notification_channel" "email" {
  for_each = toset(["head-of-data@stark.example", "mlops-oncall@stark.example"])

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
  display_name          = "Stark Mobility \"Prod\" prod: Dataflow job failed"
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
  display_name          = "Stark Mobility \"Prod\" prod: ML pipeline run failed"
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

resource "google_monitoring_alert_policy" "endpoint_errors" {
  display_name          = "Stark Mobility \"Prod\" prod: Vertex AI endpoint errors"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "More than 10 failed predictions in 5 minutes"
    condition_threshold {
      filter          = "resource.type = \"aiplatform.googleapis.com/Endpoint\" AND resource.labels.endpoint_id = \"683965896\" AND metric.type = \"aiplatform.googleapis.com/prediction/online/error_count\""
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
    content   = "The Vertex AI endpoint returns errors. Check the deployed model's logs and the last deployment of the ML pipeline."
  }

  depends_on = [google_vertex_ai_endpoint.main]
}

resource "google_monitoring_alert_policy" "endpoint_latency" {
  display_name          = "Stark Mobility \"Prod\" prod: Vertex AI endpoint latency"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "p99 prediction latency above 1000 ms for 5 minutes"
    condition_threshold {
      filter          = "resource.type = \"aiplatform.googleapis.com/Endpoint\" AND resource.labels.endpoint_id = \"683965896\" AND metric.type = \"aiplatform.googleapis.com/prediction/online/prediction_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1000
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Predictions are slow. Check the endpoint's replica count and utilisation, and whether a new model version is heavier."
  }

  depends_on = [google_vertex_ai_endpoint.main]
}

# --- Drift detection ------------------------------------------------------------------------
# Vertex AI Model Monitoring needs a deployed model, which only exists after the first
# pipeline run: the pipeline's deploy step creates the model deployment monitoring job on the
# endpoint (drift objectives on the inputs, anomaly logging on, the key below for encryption).
# What can exist before that is here: a log-based metric counting the job's anomaly entries
# and an alert on it, so that drift alerts work from the job's first anomaly on.
resource "google_logging_metric" "drift_anomalies" {
  name        = "stark-prod-drift-anomalies"
  description = "Anomalies (feature drift) reported by Vertex AI Model Monitoring"
  filter      = "logName=\"projects/stark-dsaas-prod/logs/aiplatform.googleapis.com%2Fmodel_monitoring_anomaly\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [time_sleep.services]
}

# A new log-based metric takes a moment before alert policies can reference its type.
resource "time_sleep" "drift_metric" {
  create_duration = "60s"

  depends_on = [google_logging_metric.drift_anomalies]
}

resource "google_monitoring_alert_policy" "drift" {
  display_name          = "Stark Mobility \"Prod\" prod: model drift detected"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "Vertex AI Model Monitoring reported a drift anomaly"
    condition_threshold {
      filter          = "metric.type = \"logging.googleapis.com/user/${google_logging_metric.drift_anomalies.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The distribution of the model's inputs drifted past the monitoring thresholds. Review the anomaly in Vertex AI > Model Monitoring and consider retraining."
  }

  depends_on = [time_sleep.drift_metric]
}

# --- Dashboard ------------------------------------------------------------------------------
resource "google_monitoring_dashboard" "main" {
  dashboard_json = jsonencode({
    displayName = "Stark Mobility \"Prod\" prod: ML platform"
    gridLayout = {
      columns = "2"
      widgets = [{
        title = "Dataflow failed jobs"
        xyChart = {
          dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "resource.type = \"dataflow_job\" AND metric.type = \"dataflow.googleapis.com/job/is_failed\""
                aggregation = {
                  alignmentPeriod  = "60s"
                  perSeriesAligner = "ALIGN_MAX"
                }
              }
            }
          }]
        }
        }, {
        title = "Vertex AI predictions / s"
        xyChart = {
          dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "resource.type = \"aiplatform.googleapis.com/Endpoint\" AND resource.labels.endpoint_id = \"683965896\" AND metric.type = \"aiplatform.googleapis.com/prediction/online/prediction_count\""
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_RATE"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
            }
          }]
        }
        }, {
        title = "Vertex AI prediction errors / s"
        xyChart = {
          dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "resource.type = \"aiplatform.googleapis.com/Endpoint\" AND resource.labels.endpoint_id = \"683965896\" AND metric.type = \"aiplatform.googleapis.com/prediction/online/error_count\""
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_RATE"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
            }
          }]
        }
        }, {
        title = "Vertex AI latency p99 (ms)"
        xyChart = {
          dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "resource.type = \"aiplatform.googleapis.com/Endpoint\" AND resource.labels.endpoint_id = \"683965896\" AND metric.type = \"aiplatform.googleapis.com/prediction/online/prediction_latencies\""
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_PERCENTILE_99"
                  crossSeriesReducer = "REDUCE_MAX"
                }
              }
            }
          }]
        }
        }, {
        title = "Drift anomalies (Vertex AI Model Monitoring)"
        xyChart = {
          dataSets = [{
            plotType = "LINE"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type = \"logging.googleapis.com/user/stark-prod-drift-anomalies\""
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_DELTA"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
            }
          }]
        }
      }]
    }
  })

  depends_on = [time_sleep.services]
}
