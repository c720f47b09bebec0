# Phase 3, deployment: monitoring of the pipeline.
# Every alarm notifies the alerts topic (encrypted with the main key); e-mail subscribers must
# confirm the subscription AWS sends them before they receive anything.

resource "aws_sns_topic" "alerts" {
  name              = "${local.name_prefix}-alerts"
  display_name      = "initech prod ML alerts"
  kms_master_key_id = aws_kms_key.main.arn
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid     = "CloudWatchAlarms"
    actions = ["sns:Publish"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    resources = [aws_sns_topic.alerts.arn]
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.name_prefix}-*"]
    }
  }
  statement {
    # AWS Budgets of this account only (the confused-deputy keys, in the form AWS documents).
    sid     = "BudgetsCostBudget"
    actions = ["sns:Publish"]
    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }
    resources = [aws_sns_topic.alerts.arn]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.budget_source_arn]
    }
  }
  statement {
    sid     = "AccountPrincipals"
    actions = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    resources = [aws_sns_topic.alerts.arn]
  }
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["sns:Publish"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_sns_topic.alerts.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "alert_email" {
  for_each  = toset(["it-oncall@initech.example"])
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  alarm_actions = [aws_sns_topic.alerts.arn]
}

# --- The pipeline -------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "pipeline_failed" {
  alarm_name          = "${local.name_prefix}-pipeline-failed"
  alarm_description   = "An ML pipeline execution failed: see the Step Functions execution history."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.pipeline.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "pipeline_timed_out" {
  alarm_name          = "${local.name_prefix}-pipeline-timed-out"
  alarm_description   = "An ML pipeline execution ran past its timeout."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsTimedOut"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.pipeline.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "schedule_dead_letters" {
  alarm_name          = "${local.name_prefix}-pipeline-schedule-dead-letters"
  alarm_description   = "EventBridge Scheduler could not start the ML pipeline (messages in its dead-letter queue)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.scheduler_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- Curation: quarantined records ----------------------------------------------------------------

# The ETL job quarantines records it cannot curate (files/glue/etl.py) and publishes, per run, how
# many it curated and quarantined. More than 5% quarantined in an hour alarms; an hour
# without a run has no records and is not a breach (the freshness alarms below cover silence).
resource "aws_cloudwatch_metric_alarm" "etl_quarantined_records" {
  alarm_name          = "${local.name_prefix}-etl-quarantined-records"
  alarm_description   = "More than 5% of the records of an ETL run were quarantined: see s3://${aws_s3_bucket.curated.bucket}/_quarantine/<table>/ for each record and its reason."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 5
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "share"
    expression  = "IF(curated + quarantined > 0, 100 * quarantined / (curated + quarantined), 0)"
    label       = "Quarantined records (%)"
    return_data = true
  }

  metric_query {
    id = "curated"
    metric {
      namespace   = "DSaaS/Curation"
      metric_name = "RecordsCurated"
      dimensions  = { JobName = aws_glue_job.etl.name }
      stat        = "Sum"
      period      = 3600
    }
  }

  metric_query {
    id = "quarantined"
    metric {
      namespace   = "DSaaS/Curation"
      metric_name = "RecordsQuarantined"
      dimensions  = { JobName = aws_glue_job.etl.name }
      stat        = "Sum"
      period      = 3600
    }
  }
}

# --- Freshness: silence is a failure ----------------------------------------------------------------

# The schedule (30 2 * * 1-5 UTC) leaves at most 72 h between runs; with 12 h for a run to
# finish, 84 hourly periods without a success alarm. Both metrics exist only when
# something happened, so a missing datapoint is deliberately a breach (treat_missing_data =
# "breaching"): a schedule that stopped, a pipeline that never starts or sources that stopped
# delivering all look like no data, and each must reach a human.
# A run skipped because the previous one still runs ends Succeeded too: it is subtracted, so a
# run that hangs while the schedule keeps starting (and skipping) runs alarms here.
resource "aws_cloudwatch_metric_alarm" "pipeline_stale" {
  alarm_name          = "${local.name_prefix}-pipeline-stale"
  alarm_description   = "No ML pipeline run did its work in the last 84 hours (schedule 30 2 * * 1-5 UTC + 12 h; runs skipped because a previous one still runs do not count): see the Step Functions executions and the schedule."
  evaluation_periods  = 84
  datapoints_to_alarm = 84
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "completed"
    expression  = "FILL(succeeded, 0) - FILL(skipped, 0)"
    label       = "Pipeline runs that did the work"
    return_data = true
  }

  metric_query {
    id = "succeeded"
    metric {
      namespace   = "AWS/States"
      metric_name = "ExecutionsSucceeded"
      dimensions  = { StateMachineArn = aws_sfn_state_machine.pipeline.arn }
      stat        = "Sum"
      period      = 3600
    }
  }

  metric_query {
    id = "skipped"
    metric {
      namespace   = "DSaaS/Pipeline"
      metric_name = "RunsSkipped"
      dimensions  = { StateMachine = local.pipeline_name }
      stat        = "Sum"
      period      = 3600
    }
  }
}

# The overlap itself: a run found the previous one still going, i.e. that one has run for more
# than the time between two scheduled runs. One e-mail per skipped run; the stale alarm above
# follows once it has gone on for the schedule gap + 12 h.
resource "aws_cloudwatch_metric_alarm" "pipeline_overlap" {
  alarm_name          = "${local.name_prefix}-pipeline-overlap"
  alarm_description   = "A pipeline run was skipped because the previous run is still going (longer than the time between two scheduled runs): check it for a hung step in the Step Functions console."
  namespace           = "DSaaS/Pipeline"
  metric_name         = "RunsSkipped"
  dimensions          = { StateMachine = local.pipeline_name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "curated_data_stale" {
  alarm_name          = "${local.name_prefix}-curated-data-stale"
  alarm_description   = "The ETL curated no new record in the last 84 hours (schedule 30 2 * * 1-5 UTC + 12 h): check that the sources still deliver to the raw bucket."
  namespace           = "DSaaS/Curation"
  metric_name         = "RecordsCurated"
  dimensions          = { JobName = aws_glue_job.etl.name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 84
  datapoints_to_alarm = 84
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
