# Platform alerts next to the pipeline's (monitoring.tf): rejected scheduled launches and the
# public API's errors and latency, each to the notification channels of monitoring.tf.

resource "google_monitoring_alert_policy" "scheduler_rejected" {
  display_name          = "Hooli Retail dev: a scheduled launch was rejected"
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
