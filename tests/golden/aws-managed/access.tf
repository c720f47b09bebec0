# Phase 4, access: the prediction API. A regional REST API with one method, POST /predict, backed
# by a Lambda function that calls the SageMaker endpoint umbrella-prod-endpoint. Every call needs an API
# key; each consumer gets its own key and usage plan (throttle and daily quota), and its own
# IAM role: calls are signed with SigV4 (AWS_IAM authorization) by a principal allowed to assume it.
# A WAF web ACL (AWS managed rule groups plus a per-IP rate limit) guards the public stage.
# API Gateway's account-wide CloudWatch role is not set here: `dsaas-infra bootstrap` owns it,
# once per account and region (a second client's stack would overwrite it, a destroy break it).

locals {
  api_stage_name = "v1"

  # consumer -> throttle (requests per second, burst) and daily quota.
  api_consumers = {
    web-shop = {
      rate_limit    = 200
      burst_limit   = 400
      quota_per_day = 5000000
    }
    partner-b = {
      rate_limit    = 20
      burst_limit   = 40
      quota_per_day = 50000
    }
  }
}

# --- The prediction Lambda ----------------------------------------------------------------------

data "archive_file" "predict" {
  type             = "zip"
  source_file      = "${path.module}/files/lambda/predict.py"
  output_path      = "${path.module}/build/predict.zip"
  output_file_mode = "0644"
}

resource "aws_cloudwatch_log_group" "predict" {
  name              = "/aws/lambda/${local.name_prefix}-predict"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_iam_role" "predict" {
  name                 = "${local.name_prefix}-predict"
  description          = "Lambda: serves POST /predict from the SageMaker endpoint"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
}

data "aws_iam_policy_document" "predict" {
  statement {
    sid       = "InvokeEndpoint"
    actions   = ["sagemaker:InvokeEndpoint"]
    resources = [local.endpoint_arn]
  }
  statement {
    # Environment variables use the main key.
    sid       = "UseMainKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.serving.arn]
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.predict.arn}:*"]
  }
  statement {
    # The function's network interfaces: only in the private subnets, with the Lambda group.
    sid       = "CreateNetworkInterfaces"
    actions   = ["ec2:CreateNetworkInterface"]
    resources = local.lambda_eni_resources
  }
  statement {
    sid       = "ManageNetworkInterfaces"
    actions   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = ["${local.lambda_ec2_arn}:network-interface/*"]
  }
  statement {
    # Describe calls and X-Ray writes have no resource-level permissions: AWS requires "*".
    sid       = "DescribeNetworkAndTrace"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "predict" {
  name   = "predict"
  role   = aws_iam_role.predict.id
  policy = data.aws_iam_policy_document.predict.json
}

resource "aws_lambda_function" "predict" {
  #checkov:skip=CKV_AWS_272:code signing needs a Signer profile and signed artifacts; this code is packaged from the reviewed blueprint by Terraform itself
  #checkov:skip=CKV_AWS_116:only API Gateway invokes it, synchronously (the caller gets the error); a dead-letter queue only receives failed asynchronous invocations
  function_name    = "${local.name_prefix}-predict"
  description      = "Prediction API: calls the SageMaker endpoint ${local.endpoint_name}"
  role             = aws_iam_role.predict.arn
  runtime          = "python3.12"
  handler          = "predict.handler"
  architectures    = ["arm64"]
  filename         = data.archive_file.predict.output_path
  source_code_hash = data.archive_file.predict.output_base64sha256
  timeout          = 25
  memory_size      = 512
  kms_key_arn      = aws_kms_key.serving.arn
  # What the stage's rate needs at 1 s per call; the preflight checks the account's
  # "Concurrent executions" quota (L-B99A9384) leaves AWS's 100 unreserved next to it.
  reserved_concurrent_executions = 220

  environment {
    variables = {
      ENDPOINT_NAME = local.endpoint_name
    }
  }

  tracing_config {
    mode = "Active"
  }

  vpc_config {
    subnet_ids         = local.private_subnet_ids
    security_group_ids = [aws_security_group.lambda.id]
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.predict.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  depends_on = [aws_iam_role_policy.predict]
}

# --- The REST API -------------------------------------------------------------------------------

resource "aws_api_gateway_rest_api" "main" {
  name           = "${local.name_prefix}-api"
  description    = "Model predictions for Umbrella Analytics \"Prod\""
  api_key_source = "HEADER"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "predict" {
  rest_api_id = aws_api_gateway_rest_api.main.id
  parent_id   = aws_api_gateway_rest_api.main.root_resource_id
  path_part   = "predict"
}

resource "aws_api_gateway_model" "predict_request" {
  rest_api_id  = aws_api_gateway_rest_api.main.id
  name         = "PredictRequest"
  description  = "Rows of numeric features, in the order the model was trained on"
  content_type = "application/json"
  schema = jsonencode({
    "$schema"            = "http://json-schema.org/draft-04/schema#"
    title                = "PredictRequest"
    type                 = "object"
    required             = ["instances"]
    additionalProperties = false
    properties = {
      instances = {
        type     = "array"
        minItems = 1
        maxItems = 1000
        items = {
          type     = "array"
          minItems = 1
          maxItems = 10000
          items    = { type = "number" }
        }
      }
    }
  })
}

resource "aws_api_gateway_request_validator" "predict" {
  rest_api_id                 = aws_api_gateway_rest_api.main.id
  name                        = "body-and-parameters"
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_method" "predict" {
  rest_api_id          = aws_api_gateway_rest_api.main.id
  resource_id          = aws_api_gateway_resource.predict.id
  http_method          = "POST"
  authorization        = "AWS_IAM"
  api_key_required     = true
  request_validator_id = aws_api_gateway_request_validator.predict.id
  request_models = {
    "application/json" = aws_api_gateway_model.predict_request.name
  }
}

resource "aws_api_gateway_integration" "predict" {
  rest_api_id             = aws_api_gateway_rest_api.main.id
  resource_id             = aws_api_gateway_resource.predict.id
  http_method             = aws_api_gateway_method.predict.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.predict.invoke_arn
  timeout_milliseconds    = 29000
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowApiGatewayPredict"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.predict.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.main.execution_arn}/*/POST/predict"
}

resource "aws_api_gateway_deployment" "main" {
  rest_api_id = aws_api_gateway_rest_api.main.id
  description = "Managed by dsaas-infra"

  # A new deployment whenever the API's shape changes; the stage then moves to it.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.predict.id,
      aws_api_gateway_method.predict.id,
      aws_api_gateway_method.predict.api_key_required,
      aws_api_gateway_method.predict.authorization,
      aws_api_gateway_method.predict.request_validator_id,
      aws_api_gateway_model.predict_request.schema,
      aws_api_gateway_integration.predict.id,
      aws_api_gateway_integration.predict.uri,
      aws_api_gateway_rest_api_policy.main.policy,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.predict]
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.name_prefix}-api/access"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

# Created here (rather than by API Gateway on first use) so execution logs are encrypted and expire.
resource "aws_cloudwatch_log_group" "api_execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.main.id}/${local.api_stage_name}"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_api_gateway_stage" "main" {
  #checkov:skip=CKV_AWS_120:responses are per-request model predictions on POST; a cache would serve stale or other callers' results
  #checkov:skip=CKV2_AWS_51:client certificates authenticate API Gateway to HTTP backends; this API's only backend is a Lambda proxy integration
  rest_api_id          = aws_api_gateway_rest_api.main.id
  deployment_id        = aws_api_gateway_deployment.main.id
  stage_name           = local.api_stage_name
  description          = "Prediction API"
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      sourceIp           = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      apiKeyId           = "$context.identity.apiKeyId"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      protocol           = "$context.protocol"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integration.latency"
      integrationStatus  = "$context.integration.status"
      errorMessage       = "$context.error.message"
      wafResponseCode    = "$context.wafResponseCode"
      xrayTraceId        = "$context.xrayTraceId"
    })
  }

  # Execution logging needs the account's CloudWatch role (dsaas-infra bootstrap sets it; the
  # preflight checks it is there).
  depends_on = [aws_cloudwatch_log_group.api_execution]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:responses are per-request model predictions on POST; caching is off on purpose (and encrypted if ever enabled)
  rest_api_id = aws_api_gateway_rest_api.main.id
  stage_name  = aws_api_gateway_stage.main.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled = true
    logging_level   = "INFO"
    # Full request/response logging would copy client data into the logs.
    data_trace_enabled = false
    # The stage allows what all usage plans together allow; each key is held to its own plan.
    throttling_rate_limit  = 220
    throttling_burst_limit = 440
    caching_enabled        = false
    cache_data_encrypted   = true
  }
}

# --- Consumers: one API key and usage plan each -------------------------------------------------

resource "aws_api_gateway_api_key" "consumer" {
  for_each    = local.api_consumers
  name        = "${local.name_prefix}-${each.key}"
  description = "Prediction API key of consumer ${each.key}"
  enabled     = true
}

resource "aws_api_gateway_usage_plan" "consumer" {
  for_each    = local.api_consumers
  name        = "${local.name_prefix}-${each.key}"
  description = "Throttle and daily quota of consumer ${each.key}"

  api_stages {
    api_id = aws_api_gateway_rest_api.main.id
    stage  = aws_api_gateway_stage.main.stage_name
  }

  throttle_settings {
    rate_limit  = each.value.rate_limit
    burst_limit = each.value.burst_limit
  }

  quota_settings {
    limit  = each.value.quota_per_day
    period = "DAY"
  }
}

resource "aws_api_gateway_usage_plan_key" "consumer" {
  for_each      = local.api_consumers
  key_id        = aws_api_gateway_api_key.consumer[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.consumer[each.key].id
}

# Per consumer identity: an IAM role that may call POST /predict only. Exactly the consumer's
# principals (phases.access.consumers[].aws_principals) may assume it and sign their calls with
# SigV4; the API key still selects the consumer's usage plan.
data "aws_iam_policy_document" "consumer_assume" {
  for_each = local.api_consumer_principals

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = each.value
    }
  }
}

resource "aws_iam_role" "consumer" {
  for_each             = local.api_consumer_principals
  name                 = "${local.name_prefix}-api-${each.key}"
  description          = "Prediction API consumer ${each.key}: may call POST /predict"
  assume_role_policy   = data.aws_iam_policy_document.consumer_assume[each.key].json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
  max_session_duration = 3600
}

data "aws_iam_policy_document" "consumer_invoke" {
  statement {
    sid       = "InvokePredict"
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.main.execution_arn}/${local.api_stage_name}/POST/predict"]
  }
}

resource "aws_iam_role_policy" "consumer" {
  for_each = local.api_consumer_principals
  name     = "invoke-predict"
  role     = aws_iam_role.consumer[each.key].id
  policy   = data.aws_iam_policy_document.consumer_invoke.json
}

locals {
  # consumer -> principals allowed to assume its invoke role.
  api_consumer_principals = {
    web-shop  = ["arn:aws:iam::345678901234:role/web-shop-backend"]
    partner-b = ["arn:aws:iam::456789012345:role/partner-b-predict"]
  }
}

# The API's resource policy: only the consumers' roles may invoke POST /predict. A same-account
# caller is allowed by its IAM policy OR this policy, so the explicit Deny is what keeps every other
# principal of the account (an administrator, a notebook role) out. API Gateway applies a changed
# policy only with a new deployment: the deployment's triggers include it.
resource "aws_api_gateway_rest_api_policy" "main" {
  rest_api_id = aws_api_gateway_rest_api.main.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ConsumersInvokePredict"
        Effect    = "Allow"
        Principal = { AWS = "*" }
        Action    = "execute-api:Invoke"
        Resource  = "${aws_api_gateway_rest_api.main.execution_arn}/${local.api_stage_name}/POST/predict"
        Condition = { ArnEquals = { "aws:PrincipalArn" = [for role in aws_iam_role.consumer : role.arn] } }
      },
      {
        Sid       = "DenyEveryoneButTheConsumers"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "execute-api:Invoke"
        Resource  = "${aws_api_gateway_rest_api.main.execution_arn}/*"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = [for role in aws_iam_role.consumer : role.arn] } }
      },
    ]
  })
}

# --- Alarms -------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${local.name_prefix}-api-5xx"
  alarm_description   = "The prediction API returned server errors."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = { ApiName = aws_api_gateway_rest_api.main.name, Stage = aws_api_gateway_stage.main.stage_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "api_latency" {
  alarm_name          = "${local.name_prefix}-api-latency"
  alarm_description   = "The prediction API's p90 latency stayed above 5 seconds for 15 minutes."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = { ApiName = aws_api_gateway_rest_api.main.name, Stage = aws_api_gateway_stage.main.stage_name }
  extended_statistic  = "p90"
  period              = 300
  evaluation_periods  = 3
  threshold           = 5000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- WAF ----------------------------------------------------------------------------------------

resource "aws_wafv2_web_acl" "api" {
  name        = "${local.name_prefix}-api"
  description = "Prediction API: AWS managed rules and a per-IP rate limit"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"

        # Prediction batches legitimately exceed the rule's 8 KB body limit; API Gateway and
        # the request model still bound the body.
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-api-aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-api-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-ip-reputation"
    priority = 30

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAmazonIpReputationList"
        vendor_name = "AWS"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-api-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  rule {
    # Tor exits and anonymising VPNs are blocked; consumers calling from servers in cloud
    # hosting ranges are legitimate here, so that part of the group only counts.
    name     = "aws-anonymous-ip"
    priority = 35

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAnonymousIpList"
        vendor_name = "AWS"

        rule_action_override {
          name = "HostingProviderIPList"
          action_to_use {
            count {}
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-api-anonymous-ip"
      sampled_requests_enabled   = true
    }
  }

  rule {
    # Requests per client IP per 5 minutes: above what all consumers' plans allow together.
    name     = "rate-limit-per-ip"
    priority = 40

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = 99000
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name_prefix}-api-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.name_prefix}-api"
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "api" {
  resource_arn = aws_api_gateway_stage.main.arn
  web_acl_arn  = aws_wafv2_web_acl.api.arn
}

# WAF requires its log group's name to start with "aws-waf-logs-".
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${local.name_prefix}-api"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

data "aws_iam_policy_document" "waf_logs" {
  statement {
    sid     = "WafLogDelivery"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
    resources = ["${aws_cloudwatch_log_group.waf.arn}:*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:*"]
    }
  }
}

# Scoped to the log group (resource_arn), not an account policy: an account and region can hold only
# 10 account-scoped CloudWatch Logs resource policies, so the 11th client of the account would fail
# its apply; a log group's own policy does not count against that limit.
resource "aws_cloudwatch_log_resource_policy" "waf" {
  resource_arn    = aws_cloudwatch_log_group.waf.arn
  policy_document = data.aws_iam_policy_document.waf_logs.json
}

resource "aws_wafv2_web_acl_logging_configuration" "api" {
  resource_arn            = aws_wafv2_web_acl.api.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  # API keys and request signatures are credentials: never write them to the logs.
  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  depends_on = [aws_cloudwatch_log_resource_policy.waf]
}
