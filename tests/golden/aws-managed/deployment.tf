# Phase 3, deployment: the MLOps pipeline (Step Functions), started on a schedule by EventBridge
# Scheduler: Glue ETL -> prepare the training set (Glue, pluggable) -> SageMaker training
# -> drift baseline -> evaluation (processing job) -> model registry.
#
# Deployment follows approval, not training: when a model package of the group is Approved (by a
# human, or by the metric gate of phases.deployment.approval), EventBridge starts the
# deploy state machine. Its Lambda creates or updates the endpoint umbrella-prod-endpoint with one
# weighted production variant per spec variant (the challengers get the new model), waits until the
# endpoint is InService on the endpoint config it just deployed (anything else fails the execution
# with SageMaker's FailureReason), then sets up autoscaling, the drift schedule and prunes old versions.
# The endpoint is not a Terraform resource: no model exists when this blueprint is first applied.

locals {
  pipeline_sagemaker_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  pipeline_name          = "${local.name_prefix}-pipeline"
  # Known before the state machine exists, so its own policy can name it without a cycle.
  pipeline_state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.pipeline_name}"
  pipeline_job_prefix        = "umbrella-prod"
  # The default model: AWS's built-in XGBoost (CSV, label in the first column, no header).
  pipeline_training_image = data.aws_sagemaker_prebuilt_ecr_image.training.registry_path
  # Each run's training set is versioned: training-sets/<run id>/ of the curated bucket, written by
  # the prepare step.
  pipeline_training_data_prefix = "training-sets/"
  pipeline_model_output_prefix  = "models/"
  pipeline_model_output_uri     = "s3://${aws_s3_bucket.artifacts.bucket}/${local.pipeline_model_output_prefix}"
  endpoint_name                 = "umbrella-prod-endpoint"
  endpoint_arn                  = "${local.pipeline_sagemaker_arn}:endpoint/${local.endpoint_name}"
  # One production variant per spec variant: weight, instance type, autoscaling bounds.
  endpoint_variants = [{
    name                   = "champion"
    weight                 = 80
    instance_type          = "ml.m5.xlarge"
    initial_instance_count = 2
    min_capacity           = 2
    max_capacity           = 6
    }, {
    name                   = "challenger"
    weight                 = 20
    instance_type          = "ml.m5.xlarge"
    initial_instance_count = 2
    min_capacity           = 2
    max_capacity           = 6
  }]
}

# --- The prepare step: curated tables -> this run's training set (pluggable) --------------------

variable "training_dataset" {
  description = "Curated table (= raw dataset prefix) the default prepare step turns into the training set"
  type        = string
  default     = "training"
  nullable    = false
}

variable "training_label" {
  description = "Column of training_dataset that the model predicts (the default prepare step puts it first)"
  type        = string
  default     = "label"
  nullable    = false
}

variable "prepare_script_s3_uri" {
  description = "Your own prepare script (Glue 5.0 PySpark, honouring the contract in the README), uploaded under s3://<artifacts bucket>/glue/scripts/ where the Glue role reads scripts; null runs the shipped files/glue/prepare.py"
  type        = string
  default     = null
}

resource "aws_s3_object" "prepare_script" {
  bucket                 = aws_s3_bucket.artifacts.id
  key                    = "glue/scripts/prepare.py"
  source                 = "${path.module}/files/glue/prepare.py"
  source_hash            = filemd5("${path.module}/files/glue/prepare.py")
  content_type           = "text/x-python"
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data.arn
  bucket_key_enabled     = true

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]
}

resource "aws_glue_job" "prepare" {
  name                   = "${local.name_prefix}-prepare"
  description            = "Prepare step of the ML pipeline: curated table -> versioned training set"
  role_arn               = aws_iam_role.glue.arn
  glue_version           = aws_glue_job.etl.glue_version
  worker_type            = "G.1X"
  number_of_workers      = 2
  timeout                = 120
  max_retries            = 0
  security_configuration = aws_glue_security_configuration.main.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = coalesce(var.prepare_script_s3_uri, "s3://${aws_s3_bucket.artifacts.bucket}/${aws_s3_object.prepare_script.key}")
  }

  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = {
    "--job-language"            = "python"
    "--job-bookmark-option"     = "job-bookmark-disable"
    "--enable-metrics"          = "true"
    "--custom-logGroup-prefix"  = local.glue_log_group_prefix
    "--enable-glue-datacatalog" = "true"
    "--TempDir"                 = "s3://${aws_s3_bucket.artifacts.bucket}/glue/temp/"
    "--curated_path"            = "s3://${aws_s3_bucket.curated.bucket}/"
    "--database"                = aws_glue_catalog_database.main.name
    "--dataset"                 = var.training_dataset
    "--label"                   = var.training_label
    # Set per run by the pipeline: s3://<curated>/training-sets/<run id>/
    "--output_uri" = "s3://${aws_s3_bucket.curated.bucket}/${local.pipeline_training_data_prefix}manual/"
  }

  depends_on = [aws_iam_role_policy.glue, aws_cloudwatch_log_group.glue_etl]
}

# --- The evaluation step's script ---------------------------------------------------------------

resource "aws_s3_object" "evaluation_script" {
  bucket                 = aws_s3_bucket.artifacts.id
  key                    = "code/evaluation/evaluate.py"
  source                 = "${path.module}/files/evaluation/evaluate.py"
  source_hash            = filemd5("${path.module}/files/evaluation/evaluate.py")
  content_type           = "text/x-python"
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.training.arn
  bucket_key_enabled     = true

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]
}

data "aws_sagemaker_prebuilt_ecr_image" "training" {
  repository_name = "sagemaker-xgboost"
  image_tag       = "1.7-1"
}

# --- The SageMaker role of the pipeline's jobs and models -----------------------------------------

# Every job the pipeline launches (training, the evaluation and baseline processing jobs, the drift monitoring jobs)
# and every SageMaker model it or the deploy function creates run as this role, never as the notebooks'
# role: only the pipeline writes what it trains, evaluates and serves (models/, evaluation/, monitoring/, data-capture/
# of the artifacts bucket), so what a human approves is what the endpoint serves.
data "aws_iam_policy_document" "sagemaker_pipeline_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    # SageMaker documents both keys for its training, processing and transform jobs and for
    # inference (confused deputy prevention): only this account's SageMaker resources in this
    # region may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["${local.pipeline_sagemaker_arn}:*"]
    }
  }
}

resource "aws_iam_role" "sagemaker_pipeline" {
  name                 = "umbrella-prod-sagemaker-pipeline"
  description          = "SageMaker jobs and models of the ML pipeline of ${local.name_prefix} (not the notebooks)"
  assume_role_policy   = data.aws_iam_policy_document.sagemaker_pipeline_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
  max_session_duration = 43200
}

data "aws_iam_policy_document" "sagemaker_pipeline" {
  statement {
    sid       = "ListPipelineBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.curated.arn, aws_s3_bucket.artifacts.arn]
  }
  statement {
    # Training, baseline and evaluation read the run's training set; the evaluation
    # job reads the shipped script.
    sid     = "ReadPipelineInputs"
    actions = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [
      "${aws_s3_bucket.curated.arn}/${local.pipeline_training_data_prefix}*",
      "${aws_s3_bucket.artifacts.arn}/code/*",
    ]
  }
  statement {
    # What the pipeline's jobs write and its models read: nobody else of the blueprint writes here.
    sid     = "WritePipelineOutputs"
    actions = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = [
      "${aws_s3_bucket.artifacts.arn}/models/*",
      "${aws_s3_bucket.artifacts.arn}/evaluation/*",
      "${aws_s3_bucket.artifacts.arn}/monitoring/*",
      "${aws_s3_bucket.artifacts.arn}/data-capture/*",
    ]
  }
  statement {
    sid       = "UseTheKeys"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    resources = [aws_kms_key.data.arn, aws_kms_key.training.arn, aws_kms_key.serving.arn]
  }
  statement {
    sid       = "GrantTheKeysToSageMakerResources"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.data.arn, aws_kms_key.training.arn, aws_kms_key.serving.arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullModelImages"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.models.arn]
  }
  statement {
    sid     = "WriteSageMakerLogs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/sagemaker/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/sagemaker/*:log-stream:*",
    ]
  }
  statement {
    sid       = "PublishSageMakerMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*", "aws/sagemaker/*", "SageMaker"]
    }
  }
  # The jobs and endpoints run in the private subnets with the SageMaker security group.
  statement {
    sid = "DescribeTheNetwork"
    actions = [
      "ec2:DescribeDhcpOptions",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "CreateNetworkInterfacesInThePrivateSubnets"
    actions   = ["ec2:CreateNetworkInterface"]
    resources = local.sagemaker_pipeline_eni_resources
  }
  statement {
    sid       = "ManageOwnNetworkInterfaces"
    actions   = ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"]
    resources = ["${local.ec2_arn_prefix}:network-interface/*"]
    condition {
      test     = "ArnEquals"
      variable = "ec2:Vpc"
      values   = ["${local.ec2_arn_prefix}:vpc/${local.vpc_id}"]
    }
  }
}

locals {
  # The jobs' network interfaces: only in the private subnets, with the SageMaker group.
  sagemaker_pipeline_eni_resources = concat(
    ["${local.ec2_arn_prefix}:network-interface/*", aws_security_group.sagemaker.arn],
    [for id in local.private_subnet_ids : "${local.ec2_arn_prefix}:subnet/${id}"],
  )
}

resource "aws_iam_role_policy" "sagemaker_pipeline" {
  name   = "least-privilege"
  role   = aws_iam_role.sagemaker_pipeline.id
  policy = data.aws_iam_policy_document.sagemaker_pipeline.json
}

# --- Step Functions: the pipeline ---------------------------------------------------------------

resource "aws_cloudwatch_log_group" "pipeline" {
  # The /aws/vendedlogs/ prefix keeps Step Functions' log delivery within the resource policy limits.
  name              = "/aws/vendedlogs/states/${local.name_prefix}-pipeline"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

data "aws_iam_policy_document" "pipeline_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name                 = "${local.name_prefix}-pipeline"
  description          = "Step Functions: runs the MLOps pipeline"
  assume_role_policy   = data.aws_iam_policy_document.pipeline_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "SkipOverlappingRuns"
    actions   = ["states:ListExecutions"]
    resources = [local.pipeline_state_machine_arn]
  }
  statement {
    # A skipped run is counted; PutMetricData has no resource-level permissions: AWS requires
    # "*", the condition pins the namespace.
    sid       = "CountSkippedRuns"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["DSaaS/Pipeline"]
    }
  }
  statement {
    sid       = "RunEtlJob"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    resources = [aws_glue_job.etl.arn, aws_glue_job.prepare.arn]
  }
  statement {
    # A training job or model without VpcConfig would run on SageMaker's network, with internet
    # access: the pipeline may only create them in the private subnets with the SageMaker group
    # (local.pipeline_vpc_config). The batch transform job runs in its model's network.
    sid     = "CreateTrainingJobsAndModelsInThePrivateSubnets"
    actions = ["sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob"]
    resources = [
      "${local.pipeline_sagemaker_arn}:training-job/${local.pipeline_job_prefix}-*",
      "${local.pipeline_sagemaker_arn}:processing-job/${local.pipeline_job_prefix}-*",
    ]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSubnets"
      values   = local.pipeline_vpc_config.Subnets
    }
    condition {
      test     = "Null"
      variable = "sagemaker:VpcSubnets"
      values   = ["false"]
    }
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSecurityGroupIds"
      values   = local.pipeline_vpc_config.SecurityGroupIds
    }
    condition {
      test     = "Null"
      variable = "sagemaker:VpcSecurityGroupIds"
      values   = ["false"]
    }
  }
  statement {
    sid = "RunSageMakerJobs"
    actions = [
      "sagemaker:DescribeTrainingJob",
      "sagemaker:StopTrainingJob",
      "sagemaker:DescribeProcessingJob",
      "sagemaker:StopProcessingJob",
      "sagemaker:AddTags",
    ]
    resources = [
      "${local.pipeline_sagemaker_arn}:training-job/${local.pipeline_job_prefix}-*",
      "${local.pipeline_sagemaker_arn}:processing-job/${local.pipeline_job_prefix}-*",
      "${local.pipeline_sagemaker_arn}:model/${local.pipeline_job_prefix}-*",
    ]
  }
  statement {
    sid       = "LookForNewData"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.curated.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.pipeline_training_data_prefix}*"]
    }
  }
  statement {
    sid       = "ReadEvaluationMetrics"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/evaluation/*"]
  }
  statement {
    # RecordModelArtifact: HeadObject of the trained model.tar.gz (its version for the registry).
    sid       = "RecordTrainedModelVersions"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/${local.pipeline_model_output_prefix}*"]
  }
  statement {
    sid     = "TagRegisteredModels"
    actions = ["sagemaker:AddTags"]
    resources = [
      aws_sagemaker_model_package_group.main.arn,
      "${local.pipeline_sagemaker_arn}:model-package/${aws_sagemaker_model_package_group.main.model_package_group_name}/*",
    ]
  }
  statement {
    sid     = "RegisterModel"
    actions = ["sagemaker:CreateModelPackage"]
    resources = [
      aws_sagemaker_model_package_group.main.arn,
      "${local.pipeline_sagemaker_arn}:model-package/${aws_sagemaker_model_package_group.main.model_package_group_name}/*",
    ]
    # Manual approval: the pipeline registers for review only; a human approves (which deploys).
    condition {
      test     = "StringEquals"
      variable = "sagemaker:ModelApprovalStatus"
      values   = ["PendingManualApproval"]
    }
  }
  statement {
    # The .sync integrations learn about job completion through these managed EventBridge rules.
    sid     = "SyncJobEvents"
    actions = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = [
      "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule",
      "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule",
    ]
  }
  statement {
    sid       = "PassSageMakerRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.sagemaker_pipeline.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
  statement {
    sid       = "NotifyFailures"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }
  statement {
    # State machine data, the alerts topic and the jobs' volumes and outputs use the main key.
    sid       = "UseMainKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.training.arn, aws_kms_key.pipeline.arn]
  }
  statement {
    sid       = "GrantMainKeyToSageMakerJobs"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.training.arn, aws_kms_key.pipeline.arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
  statement {
    # Log delivery and X-Ray APIs have no resource-level permissions: AWS requires "*".
    sid = "LogDeliveryAndTracing"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

locals {
  pipeline_lambda_errors = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]
  # API-level SageMaker errors (throttling, a momentary limit) are worth another try; a job
  # that ran and failed is not.
  pipeline_sagemaker_retry = [{
    ErrorEquals     = ["SageMaker.AmazonSageMakerException"]
    IntervalSeconds = 60
    MaxAttempts     = 3
    BackoffRate     = 2
  }]
  pipeline_catch = [{
    ErrorEquals = ["States.ALL"]
    ResultPath  = "$.error"
    Next        = "NotifyFailure"
  }]
  pipeline_job_tags = [
    { Key = "client", Value = "umbrella" },
    { Key = "environment", Value = "prod" },
    { Key = "managed-by", Value = "dsaas-infra" },
  ]
  pipeline_vpc_config = {
    SecurityGroupIds = [aws_security_group.sagemaker.id]
    Subnets          = local.private_subnet_ids
  }
  # Where a run's versioned training set lands: training-sets/<run id>/{train,validation,test,baseline}/.
  pipeline_run_data_format = "s3://${aws_s3_bucket.curated.bucket}/${local.pipeline_training_data_prefix}{}/"

  pipeline_definition = {
    Comment        = "${local.name_prefix}: ETL, training set, training, evaluation, registration"
    StartAt        = "CheckOverlap"
    TimeoutSeconds = 172800
    States = {
      # A scheduled run that finds the previous one still going stops: two runs would train
      # twice and contend for the same jobs.
      CheckOverlap = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:sfn:listExecutions"
        Parameters = {
          StateMachineArn = local.pipeline_state_machine_arn
          StatusFilter    = "RUNNING"
          MaxResults      = 2
        }
        ResultSelector = {
          "running.$" = "States.ArrayLength($.Executions)"
        }
        ResultPath = "$.overlap"
        Catch      = local.pipeline_catch
        Next       = "AloneOrNot"
      }
      AloneOrNot = {
        Type = "Choice"
        Choices = [{
          Variable           = "$.overlap.running"
          NumericGreaterThan = 1
          Next               = "PreviousRunStillGoing"
        }]
        Default = "NameRun"
      }
      # The skipped run is counted (RunsSkipped): the freshness alarm counts only runs that did
      # the work, so a run that hangs while the schedule keeps starting runs does not pass for
      # healthy, and the overlap alarm names it.
      PreviousRunStillGoing = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:cloudwatch:putMetricData"
        Parameters = {
          Namespace = "DSaaS/Pipeline"
          MetricData = [{
            MetricName = "RunsSkipped"
            Dimensions = [{ Name = "StateMachine", Value = local.pipeline_name }]
            Value      = 1
            Unit       = "Count"
          }]
        }
        ResultPath = null
        Catch      = local.pipeline_catch
        Next       = "SkippedForRunningExecution"
      }
      SkippedForRunningExecution = {
        Type    = "Succeed"
        Comment = "Another execution of the pipeline is running; this one leaves the work to it."
      }
      # Every job of a run shares one name: <prefix>-<uuid>, with -eval/-base for the
      # processing jobs (at most 63 characters).
      NameRun = {
        Type = "Pass"
        Parameters = {
          "id.$" = "States.UUID()"
        }
        ResultPath = "$.run"
        Next       = "JobName"
      }
      JobName = {
        Type = "Pass"
        Parameters = {
          "id.$"             = "$.run.id"
          "job_name.$"       = "States.Format('{}-{}', '${local.pipeline_job_prefix}', $.run.id)"
          "data_uri.$"       = "States.Format('${local.pipeline_run_data_format}', $.run.id)"
          "data_prefix.$"    = "States.Format('${local.pipeline_training_data_prefix}{}/train/', $.run.id)"
          "evaluation_uri.$" = "States.Format('s3://${aws_s3_bucket.artifacts.bucket}/evaluation/{}/', $.run.id)"
          "evaluation_key.$" = "States.Format('evaluation/{}/evaluation.json', $.run.id)"
          "baseline_uri.$"   = "States.Format('s3://${aws_s3_bucket.artifacts.bucket}/monitoring/baseline/{}/', $.run.id)"
        }
        ResultPath = "$.run"
        Next       = "RunEtl"
      }
      RunEtl = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::glue:startJobRun.sync"
        Parameters = {
          JobName = aws_glue_job.etl.name
        }
        ResultSelector = {
          "JobRunId.$" = "$.Id"
          "State.$"    = "$.JobRunState"
        }
        ResultPath = "$.etl"
        Retry = [{
          ErrorEquals     = ["Glue.ConcurrentRunsExceededException", "Glue.ThrottlingException"]
          IntervalSeconds = 60
          MaxAttempts     = 5
          BackoffRate     = 2
        }]
        Catch = local.pipeline_catch
        Next  = "PrepareTrainingSet"
      }
      # The pluggable step: curated tables -> this run's training set (see the README,
      # "The prepare step"). Its contract: write CSV, label first, no header, to
      # <data_uri>train/, validation/ and test/ (and the features alone to baseline/).
      PrepareTrainingSet = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::glue:startJobRun.sync"
        Parameters = {
          JobName = aws_glue_job.prepare.name
          Arguments = {
            "--output_uri.$" = "$.run.data_uri"
          }
        }
        ResultSelector = {
          "JobRunId.$" = "$.Id"
          "State.$"    = "$.JobRunState"
        }
        ResultPath = "$.prepare"
        Retry = [{
          ErrorEquals     = ["Glue.ConcurrentRunsExceededException", "Glue.ThrottlingException"]
          IntervalSeconds = 60
          MaxAttempts     = 5
          BackoffRate     = 2
        }]
        Catch = local.pipeline_catch
        Next  = "CheckTrainingData"
      }
      CheckTrainingData = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:s3:listObjectsV2"
        Parameters = {
          Bucket     = aws_s3_bucket.curated.bucket
          "Prefix.$" = "$.run.data_prefix"
          MaxKeys    = 1
        }
        ResultSelector = {
          "count.$" = "$.KeyCount"
        }
        ResultPath = "$.training_data"
        Catch      = local.pipeline_catch
        Next       = "HasTrainingData"
      }
      HasTrainingData = {
        Type = "Choice"
        Choices = [{
          Variable           = "$.training_data.count"
          NumericGreaterThan = 0
          Next               = "Train"
        }]
        Default = "NoTrainingData"
      }
      # No training set is a failure that alerts, not a quiet success: the prepare step ran
      # and wrote nothing.
      NoTrainingData = {
        Type = "Pass"
        Parameters = {
          Error     = "NoTrainingData"
          "Cause.$" = "States.Format('The prepare step wrote no training data under s3://${aws_s3_bucket.curated.bucket}/{}', $.run.data_prefix)"
        }
        ResultPath = "$.error"
        Next       = "NotifyFailure"
      }
      Train = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::sagemaker:createTrainingJob.sync"
        Parameters = {
          "TrainingJobName.$" = "$.run.job_name"
          AlgorithmSpecification = {
            TrainingImage     = local.pipeline_training_image
            TrainingInputMode = "File"
          }
          RoleArn = aws_iam_role.sagemaker_pipeline.arn
          # The built-in XGBoost's settings; on a GPU instance, tree_method gpu_hist trains there.
          HyperParameters = {
            objective   = "reg:squarederror"
            num_round   = "100"
            tree_method = "gpu_hist"
          }
          InputDataConfig = [{
            ChannelName = "train"
            ContentType = "text/csv"
            DataSource = {
              S3DataSource = {
                S3DataType             = "S3Prefix"
                "S3Uri.$"              = "States.Format('{}train/', $.run.data_uri)"
                S3DataDistributionType = "FullyReplicated"
              }
            }
          }]
          OutputDataConfig = {
            S3OutputPath = local.pipeline_model_output_uri
            KmsKeyId     = aws_kms_key.training.arn
          }
          ResourceConfig = {
            InstanceCount  = 1
            InstanceType   = "ml.g4dn.xlarge"
            VolumeSizeInGB = 30
          }
          StoppingCondition = {
            MaxRuntimeInSeconds = 86400
          }
          VpcConfig                             = local.pipeline_vpc_config
          EnableNetworkIsolation                = true
          EnableInterContainerTrafficEncryption = true
          Tags                                  = local.pipeline_job_tags
        }
        ResultSelector = {
          "ModelDataUrl.$"   = "$.ModelArtifacts.S3ModelArtifacts"
          "TrainingJobArn.$" = "$.TrainingJobArn"
        }
        ResultPath = "$.training"
        Retry      = local.pipeline_sagemaker_retry
        Catch      = local.pipeline_catch
        Next       = "RecordModelArtifact"
      }
      # The S3 version of the trained model.tar.gz (the bucket is versioned), before it is
      # evaluated: the model package records it, and the deploy step refuses a package whose
      # artifact is no longer that version (files/lambda/deploy.py, verify_artifact).
      RecordModelArtifact = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:s3:headObject"
        Parameters = {
          Bucket  = aws_s3_bucket.artifacts.bucket
          "Key.$" = "States.Format('${local.pipeline_model_output_prefix}{}/output/model.tar.gz', $.run.job_name)"
        }
        ResultSelector = {
          "version_id.$" = "$.VersionId"
        }
        ResultPath = "$.model_artifact"
        Catch      = local.pipeline_catch
        Next       = "Baseline"
      }
      # Model Monitor's analyzer suggests statistics and constraints from this run's training
      # features: the drift schedule of the deployed model checks live traffic against them.
      Baseline = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::sagemaker:createProcessingJob.sync"
        Parameters = {
          "ProcessingJobName.$" = "States.Format('{}-base', $.run.job_name)"
          AppSpecification = {
            ImageUri = "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
          }
          Environment = {
            dataset_format             = jsonencode({ csv = { header = false } })
            dataset_source             = "/opt/ml/processing/input/baseline_dataset_input"
            output_path                = "/opt/ml/processing/output"
            publish_cloudwatch_metrics = "Disabled"
          }
          ProcessingInputs = [{
            InputName = "baseline_dataset_input"
            S3Input = {
              "S3Uri.$"              = "States.Format('{}baseline/', $.run.data_uri)"
              LocalPath              = "/opt/ml/processing/input/baseline_dataset_input"
              S3DataType             = "S3Prefix"
              S3InputMode            = "File"
              S3DataDistributionType = "FullyReplicated"
            }
          }]
          ProcessingOutputConfig = {
            Outputs = [{
              OutputName = "monitoring_output"
              S3Output = {
                "S3Uri.$"    = "$.run.baseline_uri"
                LocalPath    = "/opt/ml/processing/output"
                S3UploadMode = "EndOfJob"
              }
            }]
            KmsKeyId = aws_kms_key.training.arn
          }
          ProcessingResources = {
            ClusterConfig = {
              InstanceCount  = 1
              InstanceType   = "ml.m5.large"
              VolumeSizeInGB = 20
              VolumeKmsKeyId = aws_kms_key.training.arn
            }
          }
          NetworkConfig = {
            EnableNetworkIsolation                = true
            EnableInterContainerTrafficEncryption = true
            VpcConfig                             = local.pipeline_vpc_config
          }
          RoleArn = aws_iam_role.sagemaker_pipeline.arn
          StoppingCondition = {
            MaxRuntimeInSeconds = 3600
          }
          Tags = local.pipeline_job_tags
        }
        ResultSelector = {
          "ProcessingJobArn.$" = "$.ProcessingJobArn"
        }
        ResultPath = "$.baseline"
        Retry      = local.pipeline_sagemaker_retry
        Catch      = local.pipeline_catch
        Next       = "Evaluate"
      }
      # The shipped script files/evaluation/evaluate.py scores the model on the held-out test
      # split and writes evaluation.json (SageMaker's model quality format) next to the run.
      Evaluate = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::sagemaker:createProcessingJob.sync"
        Parameters = {
          "ProcessingJobName.$" = "States.Format('{}-eval', $.run.job_name)"
          AppSpecification = {
            ImageUri            = local.pipeline_training_image
            ContainerEntrypoint = ["python3", "/opt/ml/processing/code/evaluate.py"]
          }
          ProcessingInputs = [
            {
              InputName = "code"
              S3Input = {
                S3Uri       = "s3://${aws_s3_bucket.artifacts.bucket}/${aws_s3_object.evaluation_script.key}"
                LocalPath   = "/opt/ml/processing/code"
                S3DataType  = "S3Prefix"
                S3InputMode = "File"
              }
            },
            {
              InputName = "model"
              S3Input = {
                "S3Uri.$"   = "$.training.ModelDataUrl"
                LocalPath   = "/opt/ml/processing/model"
                S3DataType  = "S3Prefix"
                S3InputMode = "File"
              }
            },
            {
              InputName = "test"
              S3Input = {
                "S3Uri.$"   = "States.Format('{}test/', $.run.data_uri)"
                LocalPath   = "/opt/ml/processing/test"
                S3DataType  = "S3Prefix"
                S3InputMode = "File"
              }
            },
          ]
          ProcessingOutputConfig = {
            Outputs = [{
              OutputName = "evaluation"
              S3Output = {
                "S3Uri.$"    = "$.run.evaluation_uri"
                LocalPath    = "/opt/ml/processing/evaluation"
                S3UploadMode = "EndOfJob"
              }
            }]
            KmsKeyId = aws_kms_key.training.arn
          }
          ProcessingResources = {
            ClusterConfig = {
              InstanceCount  = 1
              InstanceType   = "ml.m5.large"
              VolumeSizeInGB = 20
              VolumeKmsKeyId = aws_kms_key.training.arn
            }
          }
          NetworkConfig = {
            EnableNetworkIsolation                = true
            EnableInterContainerTrafficEncryption = true
            VpcConfig                             = local.pipeline_vpc_config
          }
          RoleArn = aws_iam_role.sagemaker_pipeline.arn
          StoppingCondition = {
            MaxRuntimeInSeconds = 3600
          }
          Tags = local.pipeline_job_tags
        }
        ResultSelector = {
          "ProcessingJobArn.$" = "$.ProcessingJobArn"
        }
        ResultPath = "$.evaluation"
        Retry      = local.pipeline_sagemaker_retry
        Catch      = local.pipeline_catch
        Next       = "ReadMetrics"
      }
      ReadMetrics = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:s3:getObject"
        Parameters = {
          Bucket  = aws_s3_bucket.artifacts.bucket
          "Key.$" = "$.run.evaluation_key"
        }
        ResultSelector = {
          "report.$" = "States.StringToJson($.Body)"
        }
        ResultPath = "$.metrics"
        Catch      = local.pipeline_catch
        Next       = "Gate"
      }
      # Approval is manual (phases.deployment.approval): a human approves in the registry.
      Gate = {
        Type       = "Pass"
        Result     = "PendingManualApproval"
        ResultPath = "$.approval"
        Next       = "RegisterModel"
      }
      RegisterModel = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:sagemaker:createModelPackage"
        Parameters = {
          ModelPackageGroupName       = aws_sagemaker_model_package_group.main.model_package_group_name
          "ModelPackageDescription.$" = "States.Format('Trained by pipeline run {}', $.run.id)"
          "ModelApprovalStatus.$"     = "$.approval"
          InferenceSpecification = {
            Containers = [{
              Image            = local.pipeline_training_image
              "ModelDataUrl.$" = "$.training.ModelDataUrl"
            }]
            SupportedContentTypes                   = ["text/csv"]
            SupportedResponseMIMETypes              = ["text/csv"]
            SupportedRealtimeInferenceInstanceTypes = ["ml.m5.xlarge"]
          }
          ModelMetrics = {
            ModelQuality = {
              Statistics = {
                ContentType = "application/json"
                "S3Uri.$"   = "States.Format('{}evaluation.json', $.run.evaluation_uri)"
              }
            }
          }
          DriftCheckBaselines = {
            ModelDataQuality = {
              Statistics = {
                ContentType = "application/json"
                "S3Uri.$"   = "States.Format('{}statistics.json', $.run.baseline_uri)"
              }
              Constraints = {
                ContentType = "application/json"
                "S3Uri.$"   = "States.Format('{}constraints.json', $.run.baseline_uri)"
              }
            }
          }
          CustomerMetadataProperties = {
            "run_id.$"       = "$.run.id"
            "training_job.$" = "$.run.job_name"
            # What the deploy step checks before it creates a model from this package.
            "model_data_version_id.$" = "$.model_artifact.version_id"
          }
        }
        ResultSelector = {
          "ModelPackageArn.$" = "$.ModelPackageArn"
        }
        ResultPath = "$.model_package"
        Catch      = local.pipeline_catch
        Next       = "Registered"
      }
      # Deployment follows approval, not training: the registry's "Approved" event starts the
      # deploy state machine (aws_cloudwatch_event_rule.model_approved).
      Registered = {
        Type    = "Succeed"
        Comment = "The evaluated model is in the registry; approving it deploys it."
      }
      NotifyFailure = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::sns:publish"
        Parameters = {
          TopicArn    = aws_sns_topic.alerts.arn
          Subject     = "${local.name_prefix}: ML pipeline failed"
          "Message.$" = "States.Format('Pipeline execution {} failed: {}', $$.Execution.Id, States.JsonToString($.error))"
        }
        ResultPath = null
        Next       = "FailureCause"
      }
      # The execution fails with the failed step's error and cause (the pipeline-failed alarm
      # and the e-mail above both report it). The error name goes into the cause: a Fail state
      # may not re-raise the States.* errors a Catch receives.
      FailureCause = {
        Type = "Pass"
        Parameters = {
          "text.$" = "States.Format('{}: {}', $.error.Error, $.error.Cause)"
        }
        ResultPath = "$.failure"
        Next       = "Failed"
      }
      Failed = {
        Type      = "Fail"
        Error     = "PipelineFailed"
        CausePath = "$.failure.text"
      }
    }
  }
}

resource "aws_sfn_state_machine" "pipeline" {
  name       = local.pipeline_name
  type       = "STANDARD"
  role_arn   = aws_iam_role.pipeline.arn
  definition = jsonencode(local.pipeline_definition)

  logging_configuration {
    # Execution data holds ARNs, S3 URIs and errors, never client records: log it for debugging.
    log_destination        = "${aws_cloudwatch_log_group.pipeline.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = aws_kms_key.pipeline.arn
    kms_data_key_reuse_period_seconds = 300
  }

  depends_on = [aws_iam_role_policy.pipeline]
}

# The endpoint's container logs: created here so that they are encrypted and expire (SageMaker
# would otherwise create the group on first use, unencrypted and kept forever).
resource "aws_cloudwatch_log_group" "endpoint" {
  name              = "/aws/sagemaker/Endpoints/${local.endpoint_name}"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

# --- EventBridge Scheduler: runs the pipeline on the spec's schedule ----------------------------

resource "aws_sqs_queue" "scheduler_dlq" {
  name                      = "${local.name_prefix}-pipeline-schedule-dlq"
  kms_master_key_id         = aws_kms_key.pipeline.arn
  message_retention_seconds = 1209600
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name                 = "${local.name_prefix}-pipeline-schedule"
  description          = "EventBridge Scheduler: starts the ML pipeline"
  assume_role_policy   = data.aws_iam_policy_document.scheduler_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartPipeline"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.pipeline.arn]
  }
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.scheduler_dlq.arn]
  }
  statement {
    # The schedule's input, the state machine and the dead-letter queue use the main key.
    sid       = "UseMainKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.pipeline.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "start-pipeline"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "pipeline" {
  name                         = "${local.name_prefix}-pipeline"
  description                  = "Runs the ML pipeline: 0 */6 * * * (UTC cron)"
  schedule_expression          = "cron(0 */6 * * ? *)"
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = aws_kms_key.pipeline.arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.pipeline.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ trigger = "schedule" })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.scheduler_dlq.arn
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}

# --- Lambda: the pipeline's deploy step ---------------------------------------------------------

# Shared by the deploy and predict Lambda functions, which only call AWS APIs (SageMaker API and
# runtime through the interface endpoints, S3 through the gateway endpoint): HTTPS out only, and
# the private subnets have no route to the internet.
resource "aws_security_group" "lambda" {
  name        = "${local.name_prefix}-lambda"
  description = "Deploy and predict Lambda functions: HTTPS to AWS APIs through VPC endpoints"
  vpc_id      = local.vpc_id

  tags = {
    Name = "${local.name_prefix}-lambda"
  }
}

locals {
  lambda_ec2_arn = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  lambda_eni_resources = concat(
    ["${local.lambda_ec2_arn}:network-interface/*", aws_security_group.lambda.arn],
    [for id in local.private_subnet_ids : "${local.lambda_ec2_arn}:subnet/${id}"],
  )
}

# HTTPS to the interface endpoints' security group and to S3's prefix list (the gateway
# endpoint): nothing else, whatever routes the subnets have.
resource "aws_vpc_security_group_egress_rule" "lambda_https" {
  security_group_id            = aws_security_group.lambda.id
  description                  = "HTTPS to the interface VPC endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.vpc_endpoints.id
}

resource "aws_vpc_security_group_egress_rule" "lambda_s3" {
  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_prefix_list.s3.id
}

resource "aws_vpc_security_group_ingress_rule" "vpc_endpoints_from_lambda" {
  security_group_id            = aws_security_group.vpc_endpoints.id
  description                  = "HTTPS from the deploy and predict Lambda functions"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda.id
}

data "archive_file" "deploy" {
  type             = "zip"
  source_file      = "${path.module}/files/lambda/deploy.py"
  output_path      = "${path.module}/build/deploy.zip"
  output_file_mode = "0644"
}

resource "aws_cloudwatch_log_group" "deploy" {
  name              = "/aws/lambda/${local.name_prefix}-deploy"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    # No aws:SourceAccount: Lambda does not document sending it when it assumes an execution
    # role, and a condition on a missing key would refuse every invocation.
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${local.name_prefix}-deploy"
  description          = "Lambda: creates or updates the SageMaker endpoint for the pipeline"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid = "ManageEndpoint"
    actions = [
      "sagemaker:CreateEndpointConfig",
      "sagemaker:DescribeEndpointConfig",
      "sagemaker:DeleteEndpointConfig",
      "sagemaker:CreateEndpoint",
      "sagemaker:UpdateEndpoint",
      "sagemaker:DeleteEndpoint",
      "sagemaker:DescribeEndpoint",
      "sagemaker:DescribeModel",
      "sagemaker:DeleteModel",
      "sagemaker:AddTags",
      # prune reads an endpoint config's previous-endpoint-config tag (the rollback target).
      "sagemaker:ListTags",
    ]
    resources = [
      local.endpoint_arn,
      "${local.pipeline_sagemaker_arn}:endpoint-config/${local.endpoint_name}-*",
      "${local.pipeline_sagemaker_arn}:model/${local.endpoint_name}-v*",
    ]
  }
  statement {
    # A model from an approved package, only in the private subnets with the SageMaker group
    # (without VpcConfig it would run on SageMaker's network, with internet access).
    sid       = "CreateModelsInThePrivateSubnets"
    actions   = ["sagemaker:CreateModel"]
    resources = ["${local.pipeline_sagemaker_arn}:model/${local.endpoint_name}-v*"]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSubnets"
      values   = local.pipeline_vpc_config.Subnets
    }
    condition {
      test     = "Null"
      variable = "sagemaker:VpcSubnets"
      values   = ["false"]
    }
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSecurityGroupIds"
      values   = local.pipeline_vpc_config.SecurityGroupIds
    }
    condition {
      test     = "Null"
      variable = "sagemaker:VpcSecurityGroupIds"
      values   = ["false"]
    }
  }
  statement {
    # verify_artifact: HeadObject of a package's model.tar.gz (its current version) before CreateModel.
    sid       = "CheckModelArtifactVersions"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.artifacts.arn}/${local.pipeline_model_output_prefix}*"]
  }
  statement {
    sid     = "ReadAndPruneModelPackages"
    actions = ["sagemaker:DescribeModelPackage", "sagemaker:DeleteModelPackage", "sagemaker:ListModelPackages"]
    resources = [
      aws_sagemaker_model_package_group.main.arn,
      "${local.pipeline_sagemaker_arn}:model-package/${aws_sagemaker_model_package_group.main.model_package_group_name}/*",
    ]
  }
  statement {
    # These list calls have no resource-level permissions: AWS requires "*".
    sid       = "ListVersionsToPrune"
    actions   = ["sagemaker:ListEndpointConfigs", "sagemaker:ListModels"]
    resources = ["*"]
  }
  statement {
    sid       = "PassSageMakerRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.sagemaker_pipeline.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
  statement {
    # Application Auto Scaling has no resource-level permissions for these actions: AWS requires
    # "*"; the condition pins them to SageMaker.
    sid = "AutoscaleVariants"
    actions = [
      "application-autoscaling:RegisterScalableTarget",
      "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:PutScalingPolicy",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "application-autoscaling:service-namespace"
      values   = ["sagemaker"]
    }
  }
  statement {
    # The Describe actions support no condition key (Service Authorization Reference): under the
    # service-namespace condition above they would be denied, and the deploy that releases a
    # variant leaving the spec or changing type (release_autoscaling) would fail. Read-only.
    sid = "ReadAutoscaling"
    actions = [
      "application-autoscaling:DescribeScalableTargets",
      "application-autoscaling:DescribeScalingPolicies",
    ]
    resources = ["*"]
  }
  statement {
    # What registering a variant as a scalable target requires of the caller.
    sid       = "ScaleEndpointVariants"
    actions   = ["sagemaker:UpdateEndpointWeightsAndCapacities"]
    resources = [local.endpoint_arn]
  }
  statement {
    # Target tracking creates and maintains its own alarms, named after the endpoint, with its
    # service-linked role; PutScalingPolicy still checks that the caller may manage them
    # (docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html).
    sid       = "TargetTrackingAlarms"
    actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:TargetTracking-endpoint/${local.endpoint_name}/*"]
  }
  statement {
    # The endpoint alarms that roll an update back: the function leaves out those missing or
    # already in ALARM (files/lambda/deploy.py, rollback_alarms).
    sid       = "ReadRollbackAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = [for alarm in local.rollback_alarms : alarm.arn]
  }
  statement {
    sid       = "AutoscalingServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"]
    condition {
      test     = "StringLike"
      variable = "iam:AWSServiceName"
      values   = ["sagemaker.application-autoscaling.amazonaws.com"]
    }
  }
  statement {
    sid = "ManageDriftMonitoring"
    actions = [
      "sagemaker:CreateDataQualityJobDefinition",
      "sagemaker:DescribeDataQualityJobDefinition",
      "sagemaker:DeleteDataQualityJobDefinition",
      "sagemaker:CreateMonitoringSchedule",
      "sagemaker:UpdateMonitoringSchedule",
      "sagemaker:DescribeMonitoringSchedule",
      "sagemaker:AddTags",
    ]
    resources = [
      "${local.pipeline_sagemaker_arn}:data-quality-job-definition/${local.endpoint_name}-*",
      "${local.pipeline_sagemaker_arn}:monitoring-schedule/${local.endpoint_name}-*",
    ]
  }
  statement {
    # The function only lists the baseline prefix to learn whether a baseline was uploaded
    # (ListObjectsV2 with Prefix = monitoring/baseline/); the monitoring jobs read the files
    # with the pipeline's SageMaker role (aws_iam_role.sagemaker_pipeline).
    sid       = "ListDriftBaseline"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.artifacts.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["monitoring/baseline/*"]
    }
  }
  statement {
    # Environment variables and SageMaker volumes use the main key.
    sid       = "UseMainKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.training.arn, aws_kms_key.serving.arn, aws_kms_key.pipeline.arn]
  }
  statement {
    sid       = "GrantMainKeyToEndpoints"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.training.arn, aws_kms_key.serving.arn, aws_kms_key.pipeline.arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.deploy.arn}:*"]
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

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

locals {
  # The alarms SageMaker watches while it bakes a new fleet (monitoring.tf): each variant's 5xx
  # alarm, then latency alarms: 4 here, SageMaker takes at most 10.
  rollback_alarms = [
    aws_cloudwatch_metric_alarm.endpoint_5xx["champion"],
    aws_cloudwatch_metric_alarm.endpoint_5xx["challenger"],
    aws_cloudwatch_metric_alarm.endpoint_latency["champion"],
    aws_cloudwatch_metric_alarm.endpoint_latency["challenger"],
  ]
}

# SageMaker reads the rollback alarms as the models' execution role (the pipeline's SageMaker role) during an update
# (docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
data "aws_iam_policy_document" "sagemaker_rollback_alarms" {
  statement {
    sid       = "ReadRollbackAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = [for alarm in local.rollback_alarms : alarm.arn]
  }
}

resource "aws_iam_role_policy" "sagemaker_rollback_alarms" {
  name   = "rollback-alarms"
  role   = aws_iam_role.sagemaker_pipeline.id
  policy = data.aws_iam_policy_document.sagemaker_rollback_alarms.json
}

locals {
  # Everything the deploy Lambda needs, as one JSON environment variable.
  deploy_config = {
    endpoint_name       = local.endpoint_name
    variants            = local.endpoint_variants
    volume_kms          = true
    kms_key_arn         = aws_kms_key.serving.arn
    invocations_target  = 70
    retained_versions   = 10
    model_package_group = aws_sagemaker_model_package_group.main.model_package_group_name
    sagemaker_role_arn  = aws_iam_role.sagemaker_pipeline.arn
    # Only model data under this prefix deploys (only the pipeline's SageMaker role writes it).
    model_data_prefix = local.pipeline_model_output_uri
    # ... with the metrics of the same run (training job <job_prefix>-<run id>, evaluation/<run id>/).
    job_prefix            = local.pipeline_job_prefix
    evaluation_prefix     = "s3://${aws_s3_bucket.artifacts.bucket}/evaluation/"
    subnet_ids            = local.private_subnet_ids
    security_group_ids    = [aws_security_group.sagemaker.id]
    drift_detection       = true
    data_capture_percent  = 20
    data_capture_uri      = "s3://${aws_s3_bucket.artifacts.bucket}/data-capture"
    monitor_image         = "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
    monitor_reports_uri   = "s3://${aws_s3_bucket.artifacts.bucket}/monitoring/reports"
    baseline_bucket       = aws_s3_bucket.artifacts.bucket
    baseline_prefix       = "monitoring/baseline/"
    monitor_schedule      = "cron(0 * ? * * *)"
    monitor_instance_type = "ml.m5.large"

    # Blue/green updates with a baking period and automatic rollback (serving.py, Rollout).
    rollout = {
      alarm_names           = [for alarm in local.rollback_alarms : alarm.alarm_name]
      bake_seconds          = 1200
      max_execution_seconds = 4800
    }

    tags = {
      client      = "umbrella"
      compliance  = "iso-27001"
      cost-center = "cc-9001"
      environment = "prod"
      managed-by  = "dsaas-infra"
      maturity    = "managed"
      owner       = "mlops@umbrella.example"
    }
  }
}

resource "aws_lambda_function" "deploy" {
  #checkov:skip=CKV_AWS_272:code signing needs a Signer profile and signed artifacts; this code is packaged from the reviewed blueprint by Terraform itself
  #checkov:skip=CKV_AWS_115:no reserved concurrency on purpose since only the deploy state machine invokes it, one call at a time, from the pool AWS keeps 100 unreserved next to the predict function's reservation (the preflight checks the account has both)
  #checkov:skip=CKV_AWS_116:only Step Functions invokes it, synchronously (a failed call fails the task and the execution alarms); a dead-letter queue only receives failed asynchronous invocations
  function_name    = "${local.name_prefix}-deploy"
  description      = "ML pipeline deploy step: endpoint ${local.endpoint_name}"
  role             = aws_iam_role.deploy.arn
  runtime          = "python3.12"
  handler          = "deploy.handler"
  architectures    = ["arm64"]
  filename         = data.archive_file.deploy.output_path
  source_code_hash = data.archive_file.deploy.output_base64sha256
  timeout          = 300
  memory_size      = 256
  kms_key_arn      = aws_kms_key.pipeline.arn

  environment {
    variables = {
      DEPLOY_CONFIG = jsonencode(local.deploy_config)
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
    log_group             = aws_cloudwatch_log_group.deploy.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  depends_on = [aws_iam_role_policy.deploy]
}

# --- Step Functions: the deploy state machine (runs on approval or promotion) -------------------

locals {
  deploy_name              = "${local.name_prefix}-deploy"
  deploy_state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.deploy_name}"
  deploy_lambda_retry = [{
    ErrorEquals     = local.pipeline_lambda_errors
    IntervalSeconds = 5
    MaxAttempts     = 3
    BackoffRate     = 2
  }]
  deploy_catch = [{
    ErrorEquals = ["States.ALL"]
    ResultPath  = "$.error"
    Next        = "NotifyFailure"
  }]
  # Every answer of the deploy Lambda has these keys (files/lambda/deploy.py, answer()).
  deploy_answer = {
    "state.$"           = "$.Payload.state"
    "reason.$"          = "$.Payload.reason"
    "endpoint_config.$" = "$.Payload.endpoint_config"
    "variants.$"        = "$.Payload.variants"
    # The package this deployment put on the endpoint: the approved one, or on a promotion the
    # promoted model's (the Lambda looks it up); null when it cannot be known.
    "model_package_arn.$" = "$.Payload.model_package_arn"
  }

  deploy_definition = {
    Comment        = "${local.name_prefix}: deploy an approved model to ${local.endpoint_name}, or promote the challenger"
    StartAt        = "Start"
    TimeoutSeconds = 21600
    States = {
      # Input: {"model_package_arn": "..."} from the approval event, or {"promote": true}
      # (optionally "challenger": "<variant>") to move a challenger's model to the champion.
      Start = {
        Type = "Pass"
        Parameters = {
          count = 0
        }
        ResultPath = "$.polls"
        Next       = "Deploy"
      }
      Deploy = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = aws_lambda_function.deploy.arn
          Payload = {
            action           = "deploy"
            "execution_id.$" = "$$.Execution.Id"
            "input.$"        = "$$.Execution.Input"
          }
        }
        ResultSelector = local.deploy_answer
        ResultPath     = "$.deploy"
        Retry          = local.deploy_lambda_retry
        Catch          = local.deploy_catch
        Next           = "Deployed"
      }
      Deployed = {
        Type = "Choice"
        Choices = [
          { Variable = "$.deploy.state", StringEquals = "updating", Next = "WaitForEndpoint" },
          { Variable = "$.deploy.state", StringEquals = "unchanged", Next = "Autoscale" },
          { Variable = "$.deploy.state", StringEquals = "busy", Next = "CountBusyWait" },
        ]
        Default = "DeployFailed"
      }
      # The endpoint is changing (another deployment, a SageMaker update): wait and ask again,
      # at most 120 times.
      CountBusyWait = {
        Type = "Pass"
        Parameters = {
          "count.$" = "States.MathAdd($.polls.count, 1)"
        }
        ResultPath = "$.polls"
        Next       = "BusyTooLong"
      }
      BusyTooLong = {
        Type = "Choice"
        Choices = [{
          Variable           = "$.polls.count"
          NumericGreaterThan = 120
          Next               = "GaveUpWaiting"
        }]
        Default = "WaitWhileBusy"
      }
      WaitWhileBusy = {
        Type    = "Wait"
        Seconds = 120
        Next    = "Deploy"
      }
      WaitForEndpoint = {
        Type    = "Wait"
        Seconds = 60
        Next    = "CheckEndpoint"
      }
      CheckEndpoint = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = aws_lambda_function.deploy.arn
          Payload = {
            action              = "check"
            "endpoint_config.$" = "$.deploy.endpoint_config"
          }
        }
        ResultSelector = local.deploy_answer
        ResultPath     = "$.check"
        Retry          = local.deploy_lambda_retry
        Catch          = local.deploy_catch
        Next           = "Serving"
      }
      # Success only when the endpoint is InService on the config this execution deployed.
      Serving = {
        Type = "Choice"
        Choices = [
          { Variable = "$.check.state", StringEquals = "in_service", Next = "Autoscale" },
          { Variable = "$.check.state", StringEquals = "busy", Next = "CountPoll" },
        ]
        Default = "CheckFailed"
      }
      CountPoll = {
        Type = "Pass"
        Parameters = {
          "count.$" = "States.MathAdd($.polls.count, 1)"
        }
        ResultPath = "$.polls"
        Next       = "PolledTooLong"
      }
      PolledTooLong = {
        Type = "Choice"
        Choices = [{
          Variable           = "$.polls.count"
          NumericGreaterThan = 120
          Next               = "GaveUpWaiting"
        }]
        Default = "WaitForEndpoint"
      }
      GaveUpWaiting = {
        Type = "Pass"
        Parameters = {
          Error     = "EndpointNotReady"
          "Cause.$" = "States.Format('Endpoint ${local.endpoint_name} did not settle after {} checks', $.polls.count)"
        }
        ResultPath = "$.error"
        Next       = "NotifyFailure"
      }
      DeployFailed = {
        Type = "Pass"
        Parameters = {
          Error     = "DeploymentFailed"
          "Cause.$" = "$.deploy.reason"
        }
        ResultPath = "$.error"
        Next       = "NotifyFailure"
      }
      CheckFailed = {
        Type = "Pass"
        Parameters = {
          Error     = "DeploymentFailed"
          "Cause.$" = "$.check.reason"
        }
        ResultPath = "$.error"
        Next       = "NotifyFailure"
      }
      # Autoscaling per spec variant (min/max instances, invocations per instance); the
      # Lambda released only the variants that left or changed type before the update.
      Autoscale = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = aws_lambda_function.deploy.arn
          Payload = {
            action = "autoscale"
          }
        }
        ResultPath = null
        Retry      = local.deploy_lambda_retry
        Catch      = local.deploy_catch
        Next       = "MonitorDrift"
      }
      MonitorDrift = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = aws_lambda_function.deploy.arn
          Payload = {
            action = "monitor"
            # From the deploy step's answer, never the execution input: a promotion's input
            # ({"promote": true}) has no package, and a JSONPath to a missing key fails the
            # execution with States.Runtime, which no States.ALL catcher catches.
            "model_package_arn.$" = "$.deploy.model_package_arn"
          }
        }
        ResultPath = null
        Retry      = local.deploy_lambda_retry
        Catch      = local.deploy_catch
        Next       = "Prune"
      }
      # Old endpoint configs, models and model packages beyond 10 are deleted.
      Prune = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = aws_lambda_function.deploy.arn
          Payload = {
            action = "prune"
          }
        }
        ResultPath = null
        Retry      = local.deploy_lambda_retry
        Catch      = local.deploy_catch
        Next       = "Succeeded"
      }
      NotifyFailure = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::sns:publish"
        Parameters = {
          TopicArn    = aws_sns_topic.alerts.arn
          Subject     = "${local.name_prefix}: model deployment failed"
          "Message.$" = "States.Format('Deployment {} to ${local.endpoint_name} failed: {}', $$.Execution.Id, States.JsonToString($.error))"
        }
        ResultPath = null
        Next       = "FailureCause"
      }
      FailureCause = {
        Type = "Pass"
        Parameters = {
          "text.$" = "States.Format('{}: {}', $.error.Error, $.error.Cause)"
        }
        ResultPath = "$.failure"
        Next       = "Failed"
      }
      Failed = {
        Type      = "Fail"
        Error     = "DeploymentFailed"
        CausePath = "$.failure.text"
      }
      Succeeded = {
        Type = "Succeed"
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "deploy_pipeline" {
  name              = "/aws/vendedlogs/states/${local.deploy_name}"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_iam_role" "deploy_pipeline" {
  name                 = "${local.name_prefix}-deploy-pipeline"
  description          = "Step Functions: deploys approved models to the endpoint"
  assume_role_policy   = data.aws_iam_policy_document.pipeline_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
}

data "aws_iam_policy_document" "deploy_pipeline" {
  statement {
    sid       = "InvokeDeployStep"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.deploy.arn, "${aws_lambda_function.deploy.arn}:*"]
  }
  statement {
    sid       = "NotifyFailures"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }
  statement {
    sid       = "UseMainKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.pipeline.arn]
  }
  statement {
    # Log delivery and X-Ray APIs have no resource-level permissions: AWS requires "*".
    sid = "LogDeliveryAndTracing"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "deploy_pipeline" {
  name   = "deploy-pipeline"
  role   = aws_iam_role.deploy_pipeline.id
  policy = data.aws_iam_policy_document.deploy_pipeline.json
}

resource "aws_sfn_state_machine" "deploy" {
  name       = local.deploy_name
  type       = "STANDARD"
  role_arn   = aws_iam_role.deploy_pipeline.arn
  definition = jsonencode(local.deploy_definition)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.deploy_pipeline.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = aws_kms_key.pipeline.arn
    kms_data_key_reuse_period_seconds = 300
  }

  depends_on = [aws_iam_role_policy.deploy_pipeline]
}

# --- EventBridge: an approved model package starts the deploy state machine ---------------------

resource "aws_cloudwatch_event_rule" "model_approved" {
  name        = "${local.name_prefix}-model-approved"
  description = "A model package of ${aws_sagemaker_model_package_group.main.model_package_group_name} was approved: deploy it"
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [aws_sagemaker_model_package_group.main.model_package_group_name]
      ModelApprovalStatus   = ["Approved"]
      ModelPackageStatus    = ["Completed"]
    }
  })
}

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "model_approved" {
  name                 = "${local.name_prefix}-model-approved"
  description          = "EventBridge: starts the deploy state machine when a model is approved"
  assume_role_policy   = data.aws_iam_policy_document.events_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
}

data "aws_iam_policy_document" "model_approved" {
  statement {
    sid       = "StartDeployment"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.deploy.arn]
  }
  statement {
    sid       = "UseMainKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.pipeline.arn]
  }
}

resource "aws_iam_role_policy" "model_approved" {
  name   = "start-deployment"
  role   = aws_iam_role.model_approved.id
  policy = data.aws_iam_policy_document.model_approved.json
}

resource "aws_cloudwatch_event_target" "model_approved" {
  rule     = aws_cloudwatch_event_rule.model_approved.name
  arn      = aws_sfn_state_machine.deploy.arn
  role_arn = aws_iam_role.model_approved.arn

  input_transformer {
    input_paths = {
      package = "$.detail.ModelPackageArn"
    }
    input_template = <<-EOT
      {"model_package_arn": <package>, "trigger": "approval"}
    EOT
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }

  # An approval EventBridge could not turn into a deployment lands here and alarms.
  dead_letter_config {
    arn = aws_sqs_queue.model_approved_dlq.arn
  }
}

resource "aws_sqs_queue" "model_approved_dlq" {
  name                      = "${local.name_prefix}-model-approved-dlq"
  kms_master_key_id         = aws_kms_key.pipeline.arn
  message_retention_seconds = 1209600
}

data "aws_iam_policy_document" "model_approved_dlq" {
  statement {
    sid     = "ApprovalRuleDeadLetters"
    actions = ["sqs:SendMessage"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    resources = [aws_sqs_queue.model_approved_dlq.arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.model_approved.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "model_approved_dlq" {
  queue_url = aws_sqs_queue.model_approved_dlq.id
  policy    = data.aws_iam_policy_document.model_approved_dlq.json
}
