# Phase 3, deployment: the MLOps pipeline (Step Functions) that runs
# Glue ETL -> SageMaker training -> model -> model registry -> endpoint deploy,
# started on a schedule by EventBridge Scheduler.
#
# Why the SageMaker endpoint is not a Terraform resource: an endpoint needs a model, and no model
# exists when this blueprint is first applied. The pipeline's deploy step (Lambda "deploy") creates
# the endpoint umbrella-prod-endpoint on its first run and updates it on later runs, with one weighted
# production variant per spec variant. Once the endpoint is InService, the state machine registers
# autoscaling for each variant and the Lambda creates the drift monitoring schedule.
# Terraform owns everything around it: roles, alarms (fine before the endpoint exists), the API.

locals {
  pipeline_sagemaker_arn = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  pipeline_name          = "${local.name_prefix}-pipeline"
  # Known before the state machine exists, so its own policy can name it without a cycle.
  pipeline_state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.pipeline_name}"
  pipeline_job_prefix        = "umbrella-prod"
  # The default model: AWS's built-in XGBoost (CSV, label in the first column, no header).
  pipeline_training_image = data.aws_sagemaker_prebuilt_ecr_image.training.registry_path
  # Where the pipeline reads and writes. Feature sets for training (CSV, label first, no header)
  # come from the data scientists or a client-specific feature step, not from the generic ETL.
  pipeline_training_data_prefix = "training/train/"
  pipeline_training_data_uri    = "s3://${aws_s3_bucket.curated.bucket}/${local.pipeline_training_data_prefix}"
  pipeline_model_output_uri     = "s3://${aws_s3_bucket.artifacts.bucket}/models/"
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

data "aws_sagemaker_prebuilt_ecr_image" "training" {
  repository_name = "sagemaker-xgboost"
  image_tag       = "1.7-1"
}

# --- Step Functions: the pipeline ---------------------------------------------------------------

resource "aws_cloudwatch_log_group" "pipeline" {
  # The /aws/vendedlogs/ prefix keeps Step Functions' log delivery within the resource policy limits.
  name              = "/aws/vendedlogs/states/${local.name_prefix}-pipeline"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.main.arn
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
  name               = "${local.name_prefix}-pipeline"
  description        = "Step Functions: runs the MLOps pipeline"
  assume_role_policy = data.aws_iam_policy_document.pipeline_assume.json
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "SkipOverlappingRuns"
    actions   = ["states:ListExecutions"]
    resources = [local.pipeline_state_machine_arn]
  }
  statement {
    sid       = "RunEtlJob"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    resources = [aws_glue_job.etl.arn]
  }
  statement {
    # A training job or model without VpcConfig would run on SageMaker's network, with internet
    # access: the pipeline may only create them in the private subnets with the SageMaker group
    # (local.pipeline_vpc_config). The batch transform job runs in its model's network.
    sid     = "CreateTrainingJobsAndModelsInThePrivateSubnets"
    actions = ["sagemaker:CreateTrainingJob", "sagemaker:CreateModel"]
    resources = [
      "${local.pipeline_sagemaker_arn}:training-job/${local.pipeline_job_prefix}-*",
      "${local.pipeline_sagemaker_arn}:model/${local.pipeline_job_prefix}-*",
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
      "sagemaker:AddTags",
    ]
    resources = [
      "${local.pipeline_sagemaker_arn}:training-job/${local.pipeline_job_prefix}-*",
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
    sid     = "RegisterModel"
    actions = ["sagemaker:CreateModelPackage", "sagemaker:AddTags"]
    resources = [
      aws_sagemaker_model_package_group.main.arn,
      "${local.pipeline_sagemaker_arn}:model-package/${aws_sagemaker_model_package_group.main.model_package_group_name}/*",
    ]
  }
  statement {
    # DescribeEndpoint for the wait loop; the rest is what registering autoscaling requires.
    sid = "WatchAndScaleEndpoint"
    actions = [
      "sagemaker:DescribeEndpoint",
      "sagemaker:DescribeEndpointConfig",
      "sagemaker:UpdateEndpointWeightsAndCapacities",
    ]
    resources = [local.endpoint_arn, "${local.pipeline_sagemaker_arn}:endpoint-config/${local.endpoint_name}-*"]
  }
  statement {
    # Application Auto Scaling has no resource-level permissions for these actions: AWS requires
    # "*"; the condition pins them to SageMaker.
    sid = "AutoscaleVariants"
    actions = [
      "application-autoscaling:RegisterScalableTarget",
      "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:PutScalingPolicy",
      "application-autoscaling:DescribeScalableTargets",
      "application-autoscaling:DescribeScalingPolicies",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "application-autoscaling:service-namespace"
      values   = ["sagemaker"]
    }
  }
  statement {
    # Target tracking creates and maintains its own alarms, named after the endpoint.
    sid       = "TargetTrackingAlarms"
    actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:TargetTracking-endpoint/${local.endpoint_name}/*"]
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
    sid       = "InvokeDeployStep"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.deploy.arn, "${aws_lambda_function.deploy.arn}:*"]
  }
  statement {
    # The .sync integrations learn about job completion through these managed EventBridge rules.
    sid     = "SyncJobEvents"
    actions = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = [
      "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule",
    ]
  }
  statement {
    sid       = "PassSageMakerRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.sagemaker_execution.arn]
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
    resources = [aws_kms_key.main.arn]
  }
  statement {
    sid       = "GrantMainKeyToSageMakerJobs"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.main.arn]
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

  pipeline_definition = {
    Comment        = "${local.name_prefix}: ETL, training, registration and deployment"
    StartAt        = "CheckOverlap"
    TimeoutSeconds = 172800
    States = {
      # A scheduled run that finds the previous one still going stops: two runs would train
      # twice and contend for the endpoint.
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
      PreviousRunStillGoing = {
        Type    = "Succeed"
        Comment = "Another execution of the pipeline is running; this one leaves the work to it."
      }
      # Every job of a run shares one name: <prefix>-<uuid> (at most 63 characters).
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
          "id.$"       = "$.run.id"
          "job_name.$" = "States.Format('{}-{}', '${local.pipeline_job_prefix}', $.run.id)"
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
        Next  = "CheckTrainingData"
      }
      # Feature sets for training are prepared by the data scientists (or a client-specific
      # step); until the first one exists, a run ends here successfully instead of alerting.
      CheckTrainingData = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:s3:listObjectsV2"
        Parameters = {
          Bucket  = aws_s3_bucket.curated.bucket
          Prefix  = local.pipeline_training_data_prefix
          MaxKeys = 1
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
      NoTrainingData = {
        Type    = "Succeed"
        Comment = "No training data yet: the ETL ran; training waits for the first feature set."
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
          RoleArn = aws_iam_role.sagemaker_execution.arn
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
                S3Uri                  = local.pipeline_training_data_uri
                S3DataDistributionType = "FullyReplicated"
              }
            }
          }]
          OutputDataConfig = {
            S3OutputPath = local.pipeline_model_output_uri
            KmsKeyId     = aws_kms_key.main.arn
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
        Next       = "CreateModel"
      }
      CreateModel = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::sagemaker:createModel"
        Parameters = {
          "ModelName.$" = "$.run.job_name"
          PrimaryContainer = {
            Image            = local.pipeline_training_image
            "ModelDataUrl.$" = "$.training.ModelDataUrl"
          }
          ExecutionRoleArn       = aws_iam_role.sagemaker_execution.arn
          VpcConfig              = local.pipeline_vpc_config
          EnableNetworkIsolation = true
          Tags                   = local.pipeline_job_tags
        }
        ResultSelector = {
          "ModelArn.$" = "$.ModelArn"
        }
        ResultPath = "$.model"
        Catch      = local.pipeline_catch
        Next       = "RegisterModel"
      }
      RegisterModel = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:sagemaker:createModelPackage"
        Parameters = {
          ModelPackageGroupName       = aws_sagemaker_model_package_group.main.model_package_group_name
          "ModelPackageDescription.$" = "States.Format('Trained by pipeline run {}', $.run.id)"
          ModelApprovalStatus         = "Approved"
          InferenceSpecification = {
            Containers = [{
              Image            = local.pipeline_training_image
              "ModelDataUrl.$" = "$.training.ModelDataUrl"
            }]
            SupportedContentTypes                   = ["text/csv"]
            SupportedResponseMIMETypes              = ["text/csv"]
            SupportedRealtimeInferenceInstanceTypes = ["ml.m5.xlarge"]
          }
        }
        ResultSelector = {
          "ModelPackageArn.$" = "$.ModelPackageArn"
        }
        ResultPath = "$.model_package"
        Catch      = local.pipeline_catch
        Next       = "ListVariants"
      }
      ListVariants = {
        Type       = "Pass"
        Result     = local.endpoint_variants
        ResultPath = "$.variants"
        Next       = "ReleaseAutoscaling"
      }
      # SageMaker rejects some endpoint updates while a variant is an autoscaling target: let
      # go of the targets first (none exist before the first deployment).
      ReleaseAutoscaling = {
        Type      = "Map"
        ItemsPath = "$.variants"
        ItemSelector = {
          "resource_id.$" = "States.Format('endpoint/{}/variant/{}', '${local.endpoint_name}', $$.Map.Item.Value.name)"
        }
        ItemProcessor = {
          ProcessorConfig = { Mode = "INLINE" }
          StartAt         = "Deregister"
          States = {
            Deregister = {
              Type     = "Task"
              Resource = "arn:${local.partition}:states:::aws-sdk:applicationautoscaling:deregisterScalableTarget"
              Parameters = {
                ServiceNamespace  = "sagemaker"
                ScalableDimension = "sagemaker:variant:DesiredInstanceCount"
                "ResourceId.$"    = "$.resource_id"
              }
              # Best effort: nothing is registered before the first deployment, and a real
              # problem resurfaces in the endpoint update or in Autoscale, which alert.
              Catch = [{
                ErrorEquals = ["States.TaskFailed"]
                Next        = "NotRegistered"
              }]
              End = true
            }
            NotRegistered = {
              Type = "Pass"
              End  = true
            }
          }
        }
        ResultPath = null
        Catch      = local.pipeline_catch
        Next       = "Deploy"
      }
      Deploy = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = aws_lambda_function.deploy.arn
          Payload = {
            action                = "deploy"
            "run_id.$"            = "$.run.id"
            "model_name.$"        = "$.run.job_name"
            "model_package_arn.$" = "$.model_package.ModelPackageArn"
            # {"deploy_mode": "all"} in the execution input promotes the new model to every
            # variant; the default keeps the first variant's model and updates the others.
            "options.$" = "$$.Execution.Input"
          }
        }
        ResultSelector = {
          "busy.$"            = "$.Payload.busy"
          "endpoint_config.$" = "$.Payload.endpoint_config"
          "mode.$"            = "$.Payload.mode"
        }
        ResultPath = "$.deploy"
        Retry = [{
          ErrorEquals     = local.pipeline_lambda_errors
          IntervalSeconds = 5
          MaxAttempts     = 3
          BackoffRate     = 2
        }]
        Catch = local.pipeline_catch
        Next  = "DeployedOrBusy"
      }
      # The deploy step answers {"busy": true} while the endpoint is changing (an answer, not an
      # error, so the Lambda error alarm stays quiet): wait and call it again. The execution's
      # TimeoutSeconds bounds the loop, and its timed-out alarm reports an endpoint that never
      # settles.
      DeployedOrBusy = {
        Type = "Choice"
        Choices = [{
          Variable      = "$.deploy.busy"
          BooleanEquals = false
          Next          = "WaitForEndpoint"
        }]
        Default = "WaitForBusyEndpoint"
      }
      WaitForBusyEndpoint = {
        Type    = "Wait"
        Seconds = 120
        Next    = "Deploy"
      }
      WaitForEndpoint = {
        Type    = "Wait"
        Seconds = 60
        Next    = "DescribeEndpoint"
      }
      DescribeEndpoint = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::aws-sdk:sagemaker:describeEndpoint"
        Parameters = {
          EndpointName = local.endpoint_name
        }
        ResultSelector = {
          "status.$" = "$.EndpointStatus"
        }
        ResultPath = "$.endpoint"
        Catch      = local.pipeline_catch
        Next       = "EndpointReady"
      }
      EndpointReady = {
        Type = "Choice"
        Choices = [
          {
            Variable     = "$.endpoint.status"
            StringEquals = "InService"
            Next         = "Autoscale"
          },
          {
            Or = [
              { Variable = "$.endpoint.status", StringEquals = "Creating" },
              { Variable = "$.endpoint.status", StringEquals = "Updating" },
              { Variable = "$.endpoint.status", StringEquals = "SystemUpdating" },
            ]
            Next = "WaitForEndpoint"
          },
        ]
        Default = "EndpointFailed"
      }
      EndpointFailed = {
        Type = "Pass"
        Parameters = {
          Error     = "EndpointFailed"
          "Cause.$" = "States.Format('Endpoint {} ended in status {}', '${local.endpoint_name}', $.endpoint.status)"
        }
        ResultPath = "$.error"
        Next       = "NotifyFailure"
      }
      # Autoscaling per variant between min and max instances, tracking invocations per instance.
      Autoscale = {
        Type      = "Map"
        ItemsPath = "$.variants"
        ItemSelector = {
          "resource_id.$"  = "States.Format('endpoint/{}/variant/{}', '${local.endpoint_name}', $$.Map.Item.Value.name)"
          "policy_name.$"  = "States.Format('{}-{}-invocations', '${local.endpoint_name}', $$.Map.Item.Value.name)"
          "min_capacity.$" = "$$.Map.Item.Value.min_capacity"
          "max_capacity.$" = "$$.Map.Item.Value.max_capacity"
        }
        ItemProcessor = {
          ProcessorConfig = { Mode = "INLINE" }
          StartAt         = "RegisterTarget"
          States = {
            RegisterTarget = {
              Type     = "Task"
              Resource = "arn:${local.partition}:states:::aws-sdk:applicationautoscaling:registerScalableTarget"
              Parameters = {
                ServiceNamespace  = "sagemaker"
                ScalableDimension = "sagemaker:variant:DesiredInstanceCount"
                "ResourceId.$"    = "$.resource_id"
                "MinCapacity.$"   = "$.min_capacity"
                "MaxCapacity.$"   = "$.max_capacity"
              }
              ResultPath = null
              Next       = "TrackInvocations"
            }
            TrackInvocations = {
              Type     = "Task"
              Resource = "arn:${local.partition}:states:::aws-sdk:applicationautoscaling:putScalingPolicy"
              Parameters = {
                ServiceNamespace  = "sagemaker"
                ScalableDimension = "sagemaker:variant:DesiredInstanceCount"
                PolicyType        = "TargetTrackingScaling"
                "ResourceId.$"    = "$.resource_id"
                "PolicyName.$"    = "$.policy_name"
                TargetTrackingScalingPolicyConfiguration = {
                  TargetValue      = 70
                  ScaleOutCooldown = 60
                  ScaleInCooldown  = 300
                  PredefinedMetricSpecification = {
                    PredefinedMetricType = "SageMakerVariantInvocationsPerInstance"
                  }
                }
              }
              ResultPath = null
              End        = true
            }
          }
        }
        ResultPath = null
        Catch      = local.pipeline_catch
        Next       = "MonitorDrift"
      }
      MonitorDrift = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = aws_lambda_function.deploy.arn
          Payload = {
            action     = "monitor"
            "run_id.$" = "$.run.id"
          }
        }
        ResultSelector = {
          "schedule.$" = "$.Payload.monitoring_schedule"
        }
        ResultPath = "$.monitoring"
        Retry = [{
          ErrorEquals     = local.pipeline_lambda_errors
          IntervalSeconds = 5
          MaxAttempts     = 3
          BackoffRate     = 2
        }]
        Catch = local.pipeline_catch
        Next  = "Succeeded"
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
        Next       = "Failed"
      }
      Failed = {
        Type  = "Fail"
        Error = "PipelineFailed"
        Cause = "A pipeline step failed; see the execution history and the alert e-mail."
      }
      Succeeded = {
        Type = "Succeed"
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
    kms_key_id                        = aws_kms_key.main.arn
    kms_data_key_reuse_period_seconds = 300
  }

  depends_on = [aws_iam_role_policy.pipeline]
}

# The endpoint's container logs: created here so that they are encrypted and expire (SageMaker
# would otherwise create the group on first use, unencrypted and kept forever).
resource "aws_cloudwatch_log_group" "endpoint" {
  name              = "/aws/sagemaker/Endpoints/${local.endpoint_name}"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.main.arn
}

# --- EventBridge Scheduler: runs the pipeline on the spec's schedule ----------------------------

resource "aws_sqs_queue" "scheduler_dlq" {
  name                      = "${local.name_prefix}-pipeline-schedule-dlq"
  kms_master_key_id         = aws_kms_key.main.arn
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
  name               = "${local.name_prefix}-pipeline-schedule"
  description        = "EventBridge Scheduler: starts the ML pipeline"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
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
    resources = [aws_kms_key.main.arn]
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
  kms_key_arn                  = aws_kms_key.main.arn

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

resource "aws_vpc_security_group_egress_rule" "lambda_https" {
  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to the interface endpoints in the VPC and S3 through its gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
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

resource "aws_sqs_queue" "deploy_dlq" {
  name                      = "${local.name_prefix}-deploy-dlq"
  kms_master_key_id         = aws_kms_key.main.arn
  message_retention_seconds = 1209600
}

resource "aws_cloudwatch_log_group" "deploy" {
  name              = "/aws/lambda/${local.name_prefix}-deploy"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.main.arn
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name               = "${local.name_prefix}-deploy"
  description        = "Lambda: creates or updates the SageMaker endpoint for the pipeline"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid = "ManageEndpoint"
    actions = [
      "sagemaker:CreateEndpointConfig",
      "sagemaker:DescribeEndpointConfig",
      "sagemaker:CreateEndpoint",
      "sagemaker:UpdateEndpoint",
      "sagemaker:DeleteEndpoint",
      "sagemaker:DescribeEndpoint",
      "sagemaker:AddTags",
    ]
    resources = [
      local.endpoint_arn,
      "${local.pipeline_sagemaker_arn}:endpoint-config/${local.endpoint_name}-*",
    ]
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
    sid       = "PassSageMakerRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.sagemaker_execution.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
  statement {
    # The function only lists the baseline prefix to learn whether a baseline was uploaded
    # (ListObjectsV2 with Prefix = monitoring/baseline/); the monitoring jobs read the files
    # with the SageMaker execution role.
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
    # Environment variables, the dead-letter queue and SageMaker volumes use the main key.
    sid       = "UseMainKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.main.arn]
  }
  statement {
    sid       = "GrantMainKeyToEndpoints"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.main.arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.deploy_dlq.arn]
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
  # Everything the deploy Lambda needs, as one JSON environment variable.
  deploy_config = {
    endpoint_name         = local.endpoint_name
    variants              = local.endpoint_variants
    volume_kms            = true
    kms_key_arn           = aws_kms_key.main.arn
    invocations_target    = 70
    drift_detection       = true
    data_capture_uri      = "s3://${aws_s3_bucket.artifacts.bucket}/data-capture"
    monitor_image         = "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
    monitor_reports_uri   = "s3://${aws_s3_bucket.artifacts.bucket}/monitoring/reports"
    baseline_bucket       = aws_s3_bucket.artifacts.bucket
    baseline_prefix       = "monitoring/baseline/"
    monitor_schedule      = "cron(0 * ? * * *)"
    monitor_instance_type = "ml.m5.large"
    sagemaker_role_arn    = aws_iam_role.sagemaker_execution.arn
    subnet_ids            = local.private_subnet_ids
    security_group_ids    = [aws_security_group.sagemaker.id]

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
  #checkov:skip=CKV_AWS_115:no reserved concurrency on purpose since new accounts have a concurrency quota of 10 and AWS keeps 10 unreserved, so any reservation fails the apply; only the pipeline invokes it, one execution at a time
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
  kms_key_arn      = aws_kms_key.main.arn

  environment {
    variables = {
      DEPLOY_CONFIG = jsonencode(local.deploy_config)
    }
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.deploy_dlq.arn
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
