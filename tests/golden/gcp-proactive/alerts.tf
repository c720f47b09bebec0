# Platform alerts next to the pipeline's (monitoring.tf): rejected scheduled launches and the
# public API's errors and latency, each to the notification channels of monitoring.tf.

resource "google_monitoring_alert_policy" "scheduler_rejected" {
  display_name          = "Globex Corp. EU staging: a scheduled launch was rejected"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  user_labels           = local.labels

  conditions {
    display_name = "Cloud Scheduler got an error answer (409 overlap, 403, 400, ...)"
    condition_matched_log {
      filter = "resource.type=\"cloud_scheduler_job\" AND severity>=ERROR AND jsonPayload.\"@type\"=\"type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished\""
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
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Predictions are slow end to end: check the endpoint's replicas and Apigee's target latency."
  }

  depends_on = [time_sleep.services]
}
