# Phase 3, deployment: monitoring of the pipeline, the endpoint and the API.
# Every alarm notifies the alerts topic (encrypted with the main key); e-mail subscribers must
# confirm the subscription AWS sends them before they receive anything.

resource "aws_sns_topic" "alerts" {
  name              = "${local.name_prefix}-alerts"
  display_name      = "umbrella prod ML alerts"
  kms_master_key_id = aws_kms_key.pipeline.arn
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
    # The drift rule below reports monitoring executions with violations or failures.
    sid     = "EventBridgeDriftRule"
    actions = ["sns:Publish"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    resources = [aws_sns_topic.alerts.arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.drift.arn]
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
  for_each  = toset(["head-of-data@umbrella.example", "mlops-oncall@umbrella.example"])
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

# The schedule (0 */6 * * * UTC) leaves at most 6 h between runs; with 6 h for a run to
# finish, 12 hourly periods without a success alarm. Both metrics exist only when
# something happened, so a missing datapoint is deliberately a breach (treat_missing_data =
# "breaching"): a schedule that stopped, a pipeline that never starts or sources that stopped
# delivering all look like no data, and each must reach a human.
# A run skipped because the previous one still runs ends Succeeded too: it is subtracted, so a
# run that hangs while the schedule keeps starting (and skipping) runs alarms here.
resource "aws_cloudwatch_metric_alarm" "pipeline_stale" {
  alarm_name          = "${local.name_prefix}-pipeline-stale"
  alarm_description   = "No ML pipeline run did its work in the last 12 hours (schedule 0 */6 * * * UTC + 6 h; runs skipped because a previous one still runs do not count): see the Step Functions executions and the schedule."
  evaluation_periods  = 12
  datapoints_to_alarm = 12
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
# follows once it has gone on for the schedule gap + 6 h.
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
  alarm_description   = "The ETL curated no new record in the last 12 hours (schedule 0 */6 * * * UTC + 6 h): check that the sources still deliver to the raw bucket."
  namespace           = "DSaaS/Curation"
  metric_name         = "RecordsCurated"
  dimensions          = { JobName = aws_glue_job.etl.name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 12
  datapoints_to_alarm = 12
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- The deploy state machine: a failed deployment (rolled back, failed endpoint, no settle) ---

resource "aws_cloudwatch_metric_alarm" "deploy_failed" {
  alarm_name          = "${local.name_prefix}-deploy-failed"
  alarm_description   = "A model deployment failed (the cause is SageMaker's FailureReason): see the deploy state machine's execution history."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.deploy.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "model_approved_dead_letters" {
  alarm_name          = "${local.name_prefix}-model-approved-dead-letters"
  alarm_description   = "EventBridge could not start the deployment of an approved model (messages in its dead-letter queue): start the deploy state machine by hand."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.model_approved_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "model_approved_failed_invocations" {
  alarm_name          = "${local.name_prefix}-model-approved-failed-invocations"
  alarm_description   = "EventBridge failed to start the deploy state machine for an approved model (AWS/Events FailedInvocations of the rule): check the rule's role, then start the deployment by hand."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.model_approved.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "deploy_timed_out" {
  alarm_name          = "${local.name_prefix}-deploy-timed-out"
  alarm_description   = "A model deployment ran past its timeout."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsTimedOut"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.deploy.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- Drift: a monitoring execution with violations, or one that failed, reaches the alert topic -

resource "aws_cloudwatch_event_rule" "drift" {
  name        = "${local.name_prefix}-drift"
  description = "Model Monitor executions of ${local.endpoint_name} that report violations or fail"
  # Monitoring executions are processing jobs that carry their schedule's ARN (SageMaker ARNs
  # are lowercase); a completed execution with violations exits "CompletedWithViolations".
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Processing Job State Change"]
    detail = {
      MonitoringScheduleArn = [lower("${local.pipeline_sagemaker_arn}:monitoring-schedule/${local.endpoint_name}-drift")]
      "$or" = [
        { ProcessingJobStatus = ["Failed", "Stopped"] },
        { ExitMessage = [{ prefix = "CompletedWithViolations" }] },
      ]
    }
  })
}

resource "aws_cloudwatch_event_target" "drift" {
  rule = aws_cloudwatch_event_rule.drift.name
  arn  = aws_sns_topic.alerts.arn

  input_transformer {
    input_paths = {
      job     = "$.detail.ProcessingJobName"
      status  = "$.detail.ProcessingJobStatus"
      message = "$.detail.ExitMessage"
    }
    input_template = "\"Drift monitoring of ${local.endpoint_name}: job <job> is <status>: <message>. Reports: s3://${aws_s3_bucket.artifacts.bucket}/monitoring/reports/${local.endpoint_name}/\""
  }
}

# A drift event EventBridge could not deliver to the alerts topic (permissions, the key) would
# otherwise be lost silently: the rule's failed invocations alarm (CloudWatch, not EventBridge,
# publishes the alarm to the topic).
resource "aws_cloudwatch_metric_alarm" "drift_failed_invocations" {
  alarm_name          = "${local.name_prefix}-drift-failed-invocations"
  alarm_description   = "EventBridge could not publish a drift report to the alerts topic (AWS/Events FailedInvocations of the drift rule): check the topic and key policies; reports are in s3://${aws_s3_bucket.artifacts.bucket}/monitoring/reports/${local.endpoint_name}/."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.drift.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- Lambda functions ---------------------------------------------------------------------------

locals {
  monitored_functions = {
    deploy  = { name = aws_lambda_function.deploy.function_name }
    predict = { name = aws_lambda_function.predict.function_name }
  }
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each            = local.monitored_functions
  alarm_name          = "${local.name_prefix}-lambda-${each.key}-errors"
  alarm_description   = "The ${each.value.name} Lambda function reported errors."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each            = local.monitored_functions
  alarm_name          = "${local.name_prefix}-lambda-${each.key}-throttles"
  alarm_description   = "The ${each.value.name} Lambda function was throttled: the account's Lambda concurrency is exhausted (see the README on quotas)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- The SageMaker endpoint (created by the pipeline; the alarms wait for its metrics) ----------
# These alarms also roll an endpoint update back: the deploy function passes them to SageMaker
# (deploy_config.rollout), which watches them while it bakes the new fleet.

resource "aws_cloudwatch_metric_alarm" "endpoint_5xx" {
  for_each            = { for v in local.endpoint_variants : v.name => v }
  alarm_name          = "${local.name_prefix}-endpoint-${each.key}-5xx"
  alarm_description   = "Variant ${each.key} of ${local.endpoint_name} returned server errors."
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  dimensions          = { EndpointName = local.endpoint_name, VariantName = each.key }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "endpoint_latency" {
  for_each            = { for v in local.endpoint_variants : v.name => v }
  alarm_name          = "${local.name_prefix}-endpoint-${each.key}-latency"
  alarm_description   = "Variant ${each.key} of ${local.endpoint_name}: p90 model latency above 1000 ms for 15 minutes."
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  dimensions          = { EndpointName = local.endpoint_name, VariantName = each.key }
  extended_statistic  = "p90"
  unit                = "Microseconds"
  period              = 300
  evaluation_periods  = 3
  threshold           = 1000000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- Dashboard ----------------------------------------------------------------------------------

locals {
  dashboard_widgets = concat(
    [
      {
        type   = "metric"
        x      = 0
        y      = 0
        width  = 12
        height = 6
        properties = {
          title  = "ML pipeline executions"
          region = local.region
          stat   = "Sum"
          period = 3600
          view   = "timeSeries"
          metrics = [
            ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", aws_sfn_state_machine.pipeline.arn],
            ["AWS/States", "ExecutionsFailed", "StateMachineArn", aws_sfn_state_machine.pipeline.arn],
            ["AWS/States", "ExecutionsTimedOut", "StateMachineArn", aws_sfn_state_machine.pipeline.arn],
          ]
        }
      },
      {
        type   = "metric"
        x      = 12
        y      = 0
        width  = 12
        height = 6
        properties = {
          title  = "Lambda errors and throttles"
          region = local.region
          stat   = "Sum"
          period = 300
          view   = "timeSeries"
          metrics = concat(
            [for k, f in local.monitored_functions : ["AWS/Lambda", "Errors", "FunctionName", f.name]],
            [for k, f in local.monitored_functions : ["AWS/Lambda", "Throttles", "FunctionName", f.name]],
          )
        }
      },
    ],
    [
      {
        type   = "metric"
        x      = 0
        y      = 6
        width  = 12
        height = 6
        properties = {
          title   = "Endpoint invocations per variant (A/B split)"
          region  = local.region
          stat    = "Sum"
          period  = 300
          view    = "timeSeries"
          metrics = [for v in local.endpoint_variants : ["AWS/SageMaker", "Invocations", "EndpointName", local.endpoint_name, "VariantName", v.name]]
        }
      },
      {
        type   = "metric"
        x      = 12
        y      = 6
        width  = 12
        height = 6
        properties = {
          title   = "Model latency p90 per variant (microseconds)"
          region  = local.region
          stat    = "p90"
          period  = 300
          view    = "timeSeries"
          metrics = [for v in local.endpoint_variants : ["AWS/SageMaker", "ModelLatency", "EndpointName", local.endpoint_name, "VariantName", v.name]]
        }
      },
      {
        type   = "metric"
        x      = 0
        y      = 12
        width  = 12
        height = 6
        properties = {
          title  = "Endpoint errors per variant"
          region = local.region
          stat   = "Sum"
          period = 300
          view   = "timeSeries"
          metrics = concat(
            [for v in local.endpoint_variants : ["AWS/SageMaker", "Invocation5XXErrors", "EndpointName", local.endpoint_name, "VariantName", v.name]],
            [for v in local.endpoint_variants : ["AWS/SageMaker", "Invocation4XXErrors", "EndpointName", local.endpoint_name, "VariantName", v.name]],
          )
        }
      },
      {
        type   = "metric"
        x      = 12
        y      = 12
        width  = 12
        height = 6
        properties = {
          # The metric autoscaling tracks: above the target line the variant scales out.
          title   = "Invocations per instance per variant (autoscaling target 70)"
          region  = local.region
          stat    = "Sum"
          period  = 60
          view    = "timeSeries"
          metrics = [for v in local.endpoint_variants : ["AWS/SageMaker", "InvocationsPerInstance", "EndpointName", local.endpoint_name, "VariantName", v.name]]
          annotations = {
            horizontal = [{ label = "autoscaling target", value = 70 }]
          }
        }
      },
    ],
    [
      {
        type   = "metric"
        x      = 0
        y      = 18
        width  = 24
        height = 6
        properties = {
          title  = "Prediction API: requests, errors, latency"
          region = local.region
          period = 300
          view   = "timeSeries"
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiName", aws_api_gateway_rest_api.main.name, "Stage", aws_api_gateway_stage.main.stage_name, { stat = "Sum" }],
            ["AWS/ApiGateway", "4XXError", "ApiName", aws_api_gateway_rest_api.main.name, "Stage", aws_api_gateway_stage.main.stage_name, { stat = "Sum" }],
            ["AWS/ApiGateway", "5XXError", "ApiName", aws_api_gateway_rest_api.main.name, "Stage", aws_api_gateway_stage.main.stage_name, { stat = "Sum" }],
            ["AWS/ApiGateway", "Latency", "ApiName", aws_api_gateway_rest_api.main.name, "Stage", aws_api_gateway_stage.main.stage_name, { stat = "p90", yAxis = "right" }],
          ]
        }
      },
    ],
  )
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = "${local.name_prefix}-ml"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
