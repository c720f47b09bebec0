# Phase 1, data: the customer-managed key, the data lake buckets and the Glue catalog and ETL.

###############################################################################
# KMS: managed level keeps one customer-managed key per service family. Each key policy lets
# the account administer the key (no use of it), the blueprint's roles of that family use it,
# the account's principals use it only through the family's AWS services, and the AWS services
# that encrypt on their own behalf do only what they need, tied to this account.
###############################################################################

resource "aws_kms_key" "data" {
  description             = "${local.display_name} (${local.name_prefix}): data key, encrypts raw and curated data, Glue job bookmarks and ETL scripts"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Administration only: without kms:Encrypt/Decrypt or kms:CreateGrant here (kms:Create*
        # would include CreateGrant), an IAM policy alone never lets a principal use this key.
        Sid       = "AccountAdministersKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:Delete*", "kms:Describe*", "kms:Disable*",
          "kms:Enable*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:RotateKeyOnDemand",
          "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:Update*",
        ]
        Resource = "*"
      },
      {
        Sid       = "RolesOfThisFamilyUseKey"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.glue.arn, aws_iam_role.sagemaker_execution.arn, aws_iam_role.sagemaker_pipeline.arn] }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
      },
      {
        # SageMaker, Lambda and the other services take grants for the resources they run.
        Sid       = "RolesOfThisFamilyGrantKeyToAwsResources"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.glue.arn, aws_iam_role.sagemaker_execution.arn, aws_iam_role.sagemaker_pipeline.arn] }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        # Terraform and operators: through the family's services only, never the KMS API itself.
        Sid       = "AccountUsesKeyThroughFamilyServices"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:CallerAccount" = local.account_id
            "kms:ViaService"    = ["s3.${local.region}.${local.dns_suffix}", "glue.${local.region}.${local.dns_suffix}"]
          }
        }
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "data" {
  name          = "alias/umbrella-prod-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_kms_key" "training" {
  description             = "${local.display_name} (${local.name_prefix}): training key, encrypts model artifacts, training and processing volumes, images and workspaces"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Administration only: without kms:Encrypt/Decrypt or kms:CreateGrant here (kms:Create*
        # would include CreateGrant), an IAM policy alone never lets a principal use this key.
        Sid       = "AccountAdministersKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:Delete*", "kms:Describe*", "kms:Disable*",
          "kms:Enable*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:RotateKeyOnDemand",
          "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:Update*",
        ]
        Resource = "*"
      },
      {
        Sid       = "RolesOfThisFamilyUseKey"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.deploy.arn, aws_iam_role.glue.arn, aws_iam_role.pipeline.arn, aws_iam_role.sagemaker_execution.arn, aws_iam_role.sagemaker_pipeline.arn] }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
      },
      {
        # SageMaker, Lambda and the other services take grants for the resources they run.
        Sid       = "RolesOfThisFamilyGrantKeyToAwsResources"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.deploy.arn, aws_iam_role.glue.arn, aws_iam_role.pipeline.arn, aws_iam_role.sagemaker_execution.arn, aws_iam_role.sagemaker_pipeline.arn] }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        # Terraform and operators: through the family's services only, never the KMS API itself.
        Sid       = "AccountUsesKeyThroughFamilyServices"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:CallerAccount" = local.account_id
            "kms:ViaService"    = ["s3.${local.region}.${local.dns_suffix}", "sagemaker.${local.region}.${local.dns_suffix}", "ecr.${local.region}.${local.dns_suffix}", "elasticfilesystem.${local.region}.${local.dns_suffix}", "ec2.${local.region}.${local.dns_suffix}"]
          }
        }
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "training" {
  name          = "alias/umbrella-prod-training"
  target_key_id = aws_kms_key.training.key_id
}

resource "aws_kms_key" "logs" {
  description             = "${local.display_name} (${local.name_prefix}): logs key, encrypts CloudWatch log groups and the audit trail"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Administration only: without kms:Encrypt/Decrypt or kms:CreateGrant here (kms:Create*
        # would include CreateGrant), an IAM policy alone never lets a principal use this key.
        Sid       = "AccountAdministersKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:Delete*", "kms:Describe*", "kms:Disable*",
          "kms:Enable*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:RotateKeyOnDemand",
          "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:Update*",
        ]
        Resource = "*"
      },
      {
        Sid       = "RolesOfThisFamilyUseKey"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.glue.arn] }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
      },
      {
        # SageMaker, Lambda and the other services take grants for the resources they run.
        Sid       = "RolesOfThisFamilyGrantKeyToAwsResources"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.glue.arn] }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        # Terraform and operators: through the family's services only, never the KMS API itself.
        Sid       = "AccountUsesKeyThroughFamilyServices"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:CallerAccount" = local.account_id
            "kms:ViaService"    = ["s3.${local.region}.${local.dns_suffix}"]
          }
        }
      },
      {
        Sid       = "CloudWatchLogsEncryptsThisBlueprintsLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.${local.dns_suffix}" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = [
              for name in local.kms_log_group_names : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"
            ]
          }
        }
      },
      {
        Sid       = "CloudTrailEncryptsTheAuditTrail"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.${local.dns_suffix}" }
        Action    = ["kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceArn" = local.audit_trail_arn }
          StringLike   = { "kms:EncryptionContext:aws:cloudtrail:arn" = local.audit_trail_arn }
        }
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "logs" {
  name          = "alias/umbrella-prod-logs"
  target_key_id = aws_kms_key.logs.key_id
}

resource "aws_kms_key" "serving" {
  description             = "${local.display_name} (${local.name_prefix}): serving key, encrypts endpoint volumes, captured requests and the predict function"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Administration only: without kms:Encrypt/Decrypt or kms:CreateGrant here (kms:Create*
        # would include CreateGrant), an IAM policy alone never lets a principal use this key.
        Sid       = "AccountAdministersKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:Delete*", "kms:Describe*", "kms:Disable*",
          "kms:Enable*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:RotateKeyOnDemand",
          "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:Update*",
        ]
        Resource = "*"
      },
      {
        Sid       = "RolesOfThisFamilyUseKey"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.deploy.arn, aws_iam_role.predict.arn, aws_iam_role.sagemaker_pipeline.arn] }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
      },
      {
        # SageMaker, Lambda and the other services take grants for the resources they run.
        Sid       = "RolesOfThisFamilyGrantKeyToAwsResources"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.deploy.arn, aws_iam_role.predict.arn, aws_iam_role.sagemaker_pipeline.arn] }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        # Terraform and operators: through the family's services only, never the KMS API itself.
        Sid       = "AccountUsesKeyThroughFamilyServices"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:CallerAccount" = local.account_id
            "kms:ViaService"    = ["s3.${local.region}.${local.dns_suffix}", "sagemaker.${local.region}.${local.dns_suffix}", "lambda.${local.region}.${local.dns_suffix}"]
          }
        }
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "serving" {
  name          = "alias/umbrella-prod-serving"
  target_key_id = aws_kms_key.serving.key_id
}

resource "aws_kms_key" "pipeline" {
  description             = "${local.display_name} (${local.name_prefix}): pipeline key, encrypts the state machines, alerts, dead-letter queues and the deploy function"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Administration only: without kms:Encrypt/Decrypt or kms:CreateGrant here (kms:Create*
        # would include CreateGrant), an IAM policy alone never lets a principal use this key.
        Sid       = "AccountAdministersKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action = [
          "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:Delete*", "kms:Describe*", "kms:Disable*",
          "kms:Enable*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:RotateKeyOnDemand",
          "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:Update*",
        ]
        Resource = "*"
      },
      {
        Sid       = "RolesOfThisFamilyUseKey"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.deploy.arn, aws_iam_role.deploy_pipeline.arn, aws_iam_role.model_approved.arn, aws_iam_role.pipeline.arn, aws_iam_role.scheduler.arn] }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
      },
      {
        # SageMaker, Lambda and the other services take grants for the resources they run.
        Sid       = "RolesOfThisFamilyGrantKeyToAwsResources"
        Effect    = "Allow"
        Principal = { AWS = [aws_iam_role.deploy.arn, aws_iam_role.deploy_pipeline.arn, aws_iam_role.model_approved.arn, aws_iam_role.pipeline.arn, aws_iam_role.scheduler.arn] }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        # Terraform and operators: through the family's services only, never the KMS API itself.
        Sid       = "AccountUsesKeyThroughFamilyServices"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "kms:CallerAccount" = local.account_id
            "kms:ViaService"    = ["states.${local.region}.${local.dns_suffix}", "sns.${local.region}.${local.dns_suffix}", "sqs.${local.region}.${local.dns_suffix}", "lambda.${local.region}.${local.dns_suffix}", "scheduler.${local.region}.${local.dns_suffix}"]
          }
        }
      },
      {
        # CloudWatch alarms publish to the encrypted alerts topic.
        Sid       = "CloudWatchAlarmsOfThisAccountPublishToEncryptedTopics"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.${local.dns_suffix}" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*" }
        }
      },
      {
        # The cost budget (budget.tf) notifies the encrypted alerts topic.
        Sid       = "CostBudgetPublishesToEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = "budgets.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = local.budget_source_arn }
        }
      },
      {
        # EventBridge rules publish to these encrypted topics (the drift rule: alerts). The SNS
        # guide does not support aws:SourceAccount / aws:SourceArn in the key policy for
        # EventBridge-to-encrypted topics (the topic policy keeps aws:SourceArn): scoped by the
        # topic SNS names in the encryption context instead.
        Sid       = "EventBridgePublishesToThisBlueprintsEncryptedTopics"
        Effect    = "Allow"
        Principal = { Service = "events.${local.dns_suffix}" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "kms:EncryptionContext:aws:sns:topicArn" = [for suffix in ["alerts"] : "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.name_prefix}-${suffix}"] }
        }
      },
      {
        # EventBridge sends the approval rule's dead letters to these encrypted queues: scoped by
        # the queue ARN SQS passes as encryption context (the queue policy keeps aws:SourceArn).
        Sid       = "EventBridgeSendsToThisBlueprintsEncryptedQueues"
        Effect    = "Allow"
        Principal = { Service = "events.${local.dns_suffix}" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "kms:EncryptionContext:aws:sqs:arn" = [for suffix in ["model-approved-dlq"] : "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.name_prefix}-${suffix}"] }
        }
      },
      {
        # Step Functions delivers the encrypted state machines' execution logs as vended logs.
        Sid       = "LogDeliveryOfThisAccountDecryptsVendedLogs"
        Effect    = "Allow"
        Principal = { Service = "delivery.logs.${local.dns_suffix}" }
        Action    = "kms:Decrypt"
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "pipeline" {
  name          = "alias/umbrella-prod-pipeline"
  target_key_id = aws_kms_key.pipeline.key_id
}

locals {
  # The log groups this blueprint encrypts with the logs key (names; * matches within a name).
  kms_log_group_names = concat(["/aws-glue/jobs/umbrella-prod-etl/*", "/aws/vpc/flow-logs/umbrella-prod", "/aws/vendedlogs/states/umbrella-prod-*", "/aws/lambda/umbrella-prod-*", "/aws/sagemaker/Endpoints/umbrella-prod-endpoint", "/aws/apigateway/umbrella-prod-api/*", "aws-waf-logs-umbrella-prod-api"], ["API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.main.id}/*"])
}

###############################################################################
# S3: access logs bucket. S3 server access logging only delivers to buckets
# encrypted with SSE-S3, so this one bucket cannot use the customer key.
###############################################################################

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_145:S3 server access log delivery requires SSE-S3 (AES256) on the target bucket
  #checkov:skip=CKV_AWS_18:this is the access-log target; logging it into itself would loop
  #checkov:skip=CKV_AWS_144:single-region platform; cross-region replication is a DR decision per client
  bucket        = "umbrella-prod-logs-345678901234"
  force_destroy = false

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = 731
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_notification" "logs" {
  bucket      = aws_s3_bucket.logs.id
  eventbridge = true
}

data "aws_iam_policy_document" "logs_bucket" {
  statement {
    sid       = "S3ServerAccessLogDeliveryFromThisBlueprint"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values = [
        aws_s3_bucket.raw.arn,
        aws_s3_bucket.curated.arn,
        aws_s3_bucket.artifacts.arn,
      ]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }

  # The audit trail (audit.tf) delivers here, under cloudtrail/.
  statement {
    sid       = "CloudTrailChecksTheBucket"
    effect    = "Allow"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.logs.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.audit_trail_arn]
    }
  }

  statement {
    sid       = "CloudTrailDeliversTheAuditTrail"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/cloudtrail/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.audit_trail_arn]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

###############################################################################
# S3: data lake buckets (raw, curated, artifacts), encrypted with the main key.
###############################################################################

# raw: raw data as delivered by the client's sources.
resource "aws_s3_bucket" "raw" {
  #checkov:skip=CKV_AWS_144:single-region platform; cross-region replication is a DR decision per client
  bucket        = "umbrella-prod-raw-345678901234"
  force_destroy = false

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "raw" {
  bucket = aws_s3_bucket.raw.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "raw" {
  bucket                  = aws_s3_bucket.raw.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "raw" {
  bucket = aws_s3_bucket.raw.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "raw" {
  bucket = aws_s3_bucket.raw.id

  rule {
    # S3 Bucket Keys cut KMS requests (and cost) by orders of magnitude for busy buckets.
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
  }
}

resource "aws_s3_bucket_logging" "raw" {
  bucket        = aws_s3_bucket.raw.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "raw/"

  target_object_key_format {
    partitioned_prefix {
      partition_date_source = "EventTime"
    }
  }

  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "raw" {
  bucket = aws_s3_bucket.raw.id

  # Raw data moves to cheaper storage classes as it ages; it is never deleted unless the spec sets phases.data.raw_retention_days.
  rule {
    id     = "age-raw-data"
    status = "Enabled"

    filter {}

    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }

    transition {
      days          = 365
      storage_class = "GLACIER_IR"
    }

    noncurrent_version_expiration {
      noncurrent_days = 365
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.raw]
}

resource "aws_s3_bucket_notification" "raw" {
  bucket = aws_s3_bucket.raw.id
  # S3 events go to EventBridge, where the pipeline (or the client) can react to new data.
  eventbridge = true
}

data "aws_iam_policy_document" "raw_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.raw.arn, "${aws_s3_bucket.raw.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.raw.arn, "${aws_s3_bucket.raw.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }

  # Identity perimeter (phases.data.perimeter): principals of other accounts are refused even
  # if an IAM policy or a mistaken grant would allow them; AWS services acting for this
  # account are not principals of another account.
  statement {
    sid       = "DenyPrincipalsOfOtherAccounts"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.raw.arn, "${aws_s3_bucket.raw.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "BoolIfExists"
      variable = "aws:PrincipalIsAWSService"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "raw" {
  bucket = aws_s3_bucket.raw.id
  policy = data.aws_iam_policy_document.raw_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.raw]
}

# curated: cleaned, partitioned Parquet written by the Glue ETL job.
resource "aws_s3_bucket" "curated" {
  #checkov:skip=CKV_AWS_144:single-region platform; cross-region replication is a DR decision per client
  bucket        = "umbrella-prod-curated-345678901234"
  force_destroy = false

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "curated" {
  bucket = aws_s3_bucket.curated.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "curated" {
  bucket                  = aws_s3_bucket.curated.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "curated" {
  bucket = aws_s3_bucket.curated.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "curated" {
  bucket = aws_s3_bucket.curated.id

  rule {
    # S3 Bucket Keys cut KMS requests (and cost) by orders of magnitude for busy buckets.
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
  }
}

resource "aws_s3_bucket_logging" "curated" {
  bucket        = aws_s3_bucket.curated.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "curated/"

  target_object_key_format {
    partitioned_prefix {
      partition_date_source = "EventTime"
    }
  }

  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "curated" {
  bucket = aws_s3_bucket.curated.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 365
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.curated]
}

resource "aws_s3_bucket_notification" "curated" {
  bucket = aws_s3_bucket.curated.id
  # S3 events go to EventBridge, where the pipeline (or the client) can react to new data.
  eventbridge = true
}

data "aws_iam_policy_document" "curated_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.curated.arn, "${aws_s3_bucket.curated.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.curated.arn, "${aws_s3_bucket.curated.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }

  # Identity perimeter (phases.data.perimeter): principals of other accounts are refused even
  # if an IAM policy or a mistaken grant would allow them; AWS services acting for this
  # account are not principals of another account.
  statement {
    sid       = "DenyPrincipalsOfOtherAccounts"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.curated.arn, "${aws_s3_bucket.curated.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "BoolIfExists"
      variable = "aws:PrincipalIsAWSService"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "curated" {
  bucket = aws_s3_bucket.curated.id
  policy = data.aws_iam_policy_document.curated_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.curated]
}

# artifacts: model artifacts, code, Glue scripts, data capture and monitoring output.
resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:single-region platform; cross-region replication is a DR decision per client
  bucket        = "umbrella-prod-artifacts-345678901234"
  force_destroy = false

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    # S3 Bucket Keys cut KMS requests (and cost) by orders of magnitude for busy buckets.
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.training.arn
    }
  }
}

resource "aws_s3_bucket_logging" "artifacts" {
  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "artifacts/"

  target_object_key_format {
    partitioned_prefix {
      partition_date_source = "EventTime"
    }
  }

  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "expire-glue-temporary-files"
    status = "Enabled"

    filter {
      prefix = "glue/temp/"
    }

    expiration {
      days = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 365
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

resource "aws_s3_bucket_notification" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  # S3 events go to EventBridge, where the pipeline (or the client) can react to new data.
  eventbridge = true
}

data "aws_iam_policy_document" "artifacts_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }

  # Identity perimeter (phases.data.perimeter): principals of other accounts are refused even
  # if an IAM policy or a mistaken grant would allow them; AWS services acting for this
  # account are not principals of another account.
  statement {
    sid       = "DenyPrincipalsOfOtherAccounts"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "BoolIfExists"
      variable = "aws:PrincipalIsAWSService"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

###############################################################################
# Glue: catalog and the ETL job raw -> curated (it catalogues its tables itself: no crawler).
###############################################################################

resource "aws_glue_catalog_database" "main" {
  name        = "umbrella_prod"
  description = "Raw and curated tables of ${local.display_name} (${local.name_prefix})"
}

resource "aws_glue_security_configuration" "main" {
  name = "umbrella-prod-glue"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = aws_kms_key.logs.arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = aws_kms_key.data.arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = aws_kms_key.data.arn
    }
  }
}

# The ETL job's logs. Glue 5.0 ignores --enable-continuous-cloudwatch-log and
# --continuous-log-logGroup: it writes to /aws-glue/jobs/error and /aws-glue/jobs/output, or to
# <prefix>/error and <prefix>/output with --custom-logGroup-prefix. With a security
# configuration that encrypts CloudWatch Logs (this one does), Glue inserts the configuration
# and role names: <prefix>/<security configuration>-role/<role>/error|output. Terraform creates
# exactly those two groups, so they are encrypted with the key and expire before the first run;
# the role may still create groups under /aws-glue/ should Glue ever name them otherwise.
locals {
  glue_log_group_prefix = "/aws-glue/jobs/umbrella-prod-etl"
}

resource "aws_cloudwatch_log_group" "glue_etl" {
  for_each          = toset(["error", "output"])
  name              = "${local.glue_log_group_prefix}/${aws_glue_security_configuration.main.name}-role/${aws_iam_role.glue.name}/${each.key}"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_s3_object" "glue_etl_script" {
  bucket                 = aws_s3_bucket.artifacts.id
  key                    = "glue/scripts/etl.py"
  source                 = "${path.module}/files/glue/etl.py"
  source_hash            = filemd5("${path.module}/files/glue/etl.py")
  content_type           = "text/x-python"
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data.arn
  bucket_key_enabled     = true

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]
}

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }

    # No aws:SourceAccount / aws:SourceArn: Glue does not document sending them when it assumes
    # a job role, and a condition on a missing key would refuse every run.
  }
}

resource "aws_iam_role" "glue" {
  name                 = "umbrella-prod-glue"
  description          = "Glue ETL job of ${local.name_prefix}: reads raw, writes curated"
  assume_role_policy   = data.aws_iam_policy_document.glue_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
  max_session_duration = 3600
}

data "aws_iam_policy_document" "glue" {
  statement {
    sid       = "ListDataBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.raw.arn, aws_s3_bucket.curated.arn, aws_s3_bucket.artifacts.arn]
  }

  statement {
    sid       = "ReadRawData"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.raw.arn}/*"]
  }

  statement {
    sid       = "ReadScripts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.artifacts.arn}/glue/scripts/*"]
  }

  statement {
    sid       = "WriteCuratedDataAndTemporaryFiles"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.curated.arn}/*", "${aws_s3_bucket.artifacts.arn}/glue/temp/*"]
  }

  statement {
    sid       = "UseTheMainKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.data.arn, aws_kms_key.training.arn, aws_kms_key.logs.arn]
  }

  statement {
    sid = "MaintainTheCatalog"
    # Writes: what files/glue/etl.py calls (catalog_batch: the table, its new columns, the batch's
    # partition). Reads: also for a plugged-in prepare script that reads the catalog (same role).
    actions = [
      "glue:BatchCreatePartition",
      "glue:BatchGetPartition",
      "glue:CreateTable",
      "glue:GetDatabase",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:GetTable",
      "glue:GetTables",
      "glue:UpdateTable",
    ]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      aws_glue_catalog_database.main.arn,
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.main.name}/*",
    ]
  }

  # The ETL reads its own bookmark to tell a retried batch from a committed one (files/glue/etl.py).
  statement {
    sid       = "ReadTheEtlBookmark"
    actions   = ["glue:GetJobBookmark"]
    resources = ["arn:${local.partition}:glue:${local.region}:${local.account_id}:job/umbrella-prod-etl"]
  }

  statement {
    sid     = "WriteGlueLogs"
    actions = ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/*:log-stream:*",
    ]
  }

  statement {
    sid       = "PublishGlueMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    # Glue's own job metrics, and the ETL's record counts (curated, quarantined) that alarm.
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue", "DSaaS/Curation"]
    }
  }
}

resource "aws_iam_role_policy" "glue" {
  name   = "least-privilege"
  role   = aws_iam_role.glue.id
  policy = data.aws_iam_policy_document.glue.json
}

variable "etl_required_columns" {
  description = "Per curated table, the columns every record must have a value in; a record without one is quarantined (with the reason) instead of curated, e.g. { sales = [\"order_id\", \"amount\"] }"
  type        = map(list(string))
  default     = {}
  nullable    = false
}

resource "aws_glue_job" "etl" {
  name         = "umbrella-prod-etl"
  description  = "ETL raw -> curated: cleans the raw data and writes partitioned Parquet"
  role_arn     = aws_iam_role.glue.arn
  glue_version = "5.0"
  worker_type  = "G.1X"
  # With auto scaling (--enable-auto-scaling) this is the most workers a run may use.
  number_of_workers = 10
  # FLEX runs on spare capacity at a lower price, for batch tiers whose runs may start later.
  execution_class        = "STANDARD"
  timeout                = 180
  max_retries            = 1
  security_configuration = aws_glue_security_configuration.main.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${aws_s3_bucket.artifacts.bucket}/${aws_s3_object.glue_etl_script.key}"
  }

  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = {
    "--job-language"        = "python"
    "--job-bookmark-option" = "job-bookmark-enable"
    "--enable-metrics"      = "true"
    "--enable-auto-scaling" = "true"
    # Glue 5.0 logs to <prefix>/... (see aws_cloudwatch_log_group.glue_etl).
    "--custom-logGroup-prefix"  = local.glue_log_group_prefix
    "--enable-glue-datacatalog" = "true"
    "--TempDir"                 = "s3://${aws_s3_bucket.artifacts.bucket}/glue/temp/"
    "--raw_path"                = "s3://${aws_s3_bucket.raw.bucket}/"
    "--curated_path"            = "s3://${aws_s3_bucket.curated.bucket}/"
    "--database"                = aws_glue_catalog_database.main.name
    "--source_format"           = "csv"
    # Records that cannot be curated (malformed, or without a required value) go to
    # s3://<curated>/_quarantine/<table>/ with the reason; a run never fails on them.
    "--quarantine_path"  = "s3://${aws_s3_bucket.curated.bucket}/_quarantine/"
    "--required_columns" = jsonencode(var.etl_required_columns)
    "--metric_namespace" = "DSaaS/Curation"
  }

  depends_on = [aws_iam_role_policy.glue, aws_cloudwatch_log_group.glue_etl]
}
