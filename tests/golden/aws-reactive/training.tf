# Phase 2, training: the SageMaker workspace of the data scientists, the model registry, the
# image repository and the notebooks' execution role (the pipeline's jobs and models run as a
# role of their own, aws_iam_role.sagemaker_pipeline in deployment.tf).

###############################################################################
# Notebooks' execution role (least privilege: this blueprint's buckets, key, repository and
# registry; it writes only scratch/ of the artifacts bucket)
###############################################################################

data "aws_iam_policy_document" "sagemaker_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    # SageMaker documents aws:SourceAccount for its execution roles (confused deputy
    # prevention): only this account's SageMaker resources may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "sagemaker_execution" {
  name                 = "initech-prod-sagemaker-execution"
  description          = "SageMaker notebooks or Studio of ${local.name_prefix}, and the jobs they start"
  assume_role_policy   = data.aws_iam_policy_document.sagemaker_assume.json
  max_session_duration = 43200
}

locals {
  sagemaker_arn_prefix = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  ec2_arn_prefix       = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
}

data "aws_iam_policy_document" "sagemaker_execution" {
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
    sid       = "ReadCuratedDataAndArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.curated.arn}/*", "${aws_s3_bucket.artifacts.arn}/*"]
  }

  # The only place the notebooks (and the jobs they start) write. Not the curated data and
  # training sets, nor the models, evaluations, monitoring, code or Glue scripts the pipeline
  # writes and runs: a notebook cannot change what was evaluated and approved, nor the code
  # other roles run.
  statement {
    sid       = "WriteScratch"
    actions   = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/scratch/*"]
  }

  statement {
    sid       = "UseTheMainKey"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    resources = [aws_kms_key.main.arn]
  }

  statement {
    sid       = "GrantTheMainKeyToSageMakerResources"
    actions   = ["kms:CreateGrant"]
    resources = [aws_kms_key.main.arn]

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
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.models.arn]
  }

  statement {
    sid     = "WriteSageMakerLogs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:GetLogEvents", "logs:PutLogEvents"]
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

  # Jobs and workspaces run in the private subnets: SageMaker creates their network interfaces.
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
    sid     = "CreateNetworkInterfacesInThePrivateSubnets"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["${local.ec2_arn_prefix}:network-interface/*"],
      [for id in local.private_subnet_ids : "${local.ec2_arn_prefix}:subnet/${id}"],
    )
  }

  # Studio adds the security groups it manages for its home file system (NFS) to its apps'
  # interfaces: any group of this VPC, not only the blueprint's.
  statement {
    sid       = "UseSecurityGroupsOfThisVpc"
    actions   = ["ec2:CreateNetworkInterface"]
    resources = ["${local.ec2_arn_prefix}:security-group/*"]

    condition {
      test     = "ArnEquals"
      variable = "ec2:Vpc"
      values   = ["${local.ec2_arn_prefix}:vpc/${local.vpc_id}"]
    }
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

  # Listing and search cannot be scoped to resources in IAM: these name exactly what Studio and
  # the SDK list; listings that can be scoped are granted on this account's ARNs below.
  statement {
    sid = "BrowseSageMaker"
    actions = [
      "sagemaker:GetSearchSuggestions",
      "sagemaker:ListAlgorithms",
      "sagemaker:ListAppImageConfigs",
      "sagemaker:ListApps",
      "sagemaker:ListAutoMLJobs",
      "sagemaker:ListCodeRepositories",
      "sagemaker:ListDataQualityJobDefinitions",
      "sagemaker:ListDomains",
      "sagemaker:ListEndpointConfigs",
      "sagemaker:ListEndpoints",
      "sagemaker:ListExperiments",
      "sagemaker:ListHyperParameterTuningJobs",
      "sagemaker:ListImages",
      "sagemaker:ListInferenceRecommendationsJobs",
      "sagemaker:ListMlflowTrackingServers",
      "sagemaker:ListModelMetadata",
      "sagemaker:ListModelPackageGroups",
      "sagemaker:ListModels",
      "sagemaker:ListMonitoringExecutions",
      "sagemaker:ListMonitoringSchedules",
      "sagemaker:ListNotebookInstances",
      "sagemaker:ListPipelines",
      "sagemaker:ListProcessingJobs",
      "sagemaker:ListSpaces",
      "sagemaker:ListStudioLifecycleConfigs",
      "sagemaker:ListTrainingJobs",
      "sagemaker:ListTransformJobs",
      "sagemaker:ListTrialComponents",
      "sagemaker:ListTrials",
      "sagemaker:ListUserProfiles",
      "sagemaker:Search",
    ]
    resources = ["*"]
  }

  statement {
    sid = "WorkWithSageMakerResourcesOfThisAccount"
    actions = [
      "sagemaker:AddTags",
      "sagemaker:BatchDescribeModelPackage",
      "sagemaker:CreateApp",
      "sagemaker:CreateExperiment",
      "sagemaker:CreateSpace",
      "sagemaker:CreateTransformJob",
      "sagemaker:CreateTrial",
      "sagemaker:CreateTrialComponent",
      "sagemaker:DeleteApp",
      "sagemaker:DeleteModel",
      "sagemaker:DeleteSpace",
      "sagemaker:Describe*",
      "sagemaker:InvokeEndpoint",
      "sagemaker:List*",
      "sagemaker:StopHyperParameterTuningJob",
      "sagemaker:StopProcessingJob",
      "sagemaker:StopTrainingJob",
      "sagemaker:StopTransformJob",
      "sagemaker:UpdateSpace",
      "sagemaker:UpdateTrialComponent",
    ]
    resources = ["${local.sagemaker_arn_prefix}:*"]
  }

  # Training, processing and tuning jobs and models run where their request says: a job
  # without VpcConfig runs on SageMaker's own network, with internet access. This role may only
  # create them inside the private subnets, with the blueprint's SageMaker security group (whose
  # egress reaches the VPC endpoints and S3 only). Transform jobs take their network from their
  # model (CreateTransformJob has no VPC settings nor condition keys), and the only models this
  # role can create are these.
  statement {
    sid = "CreateJobsAndModelsOnlyInThePrivateSubnets"
    actions = [
      "sagemaker:CreateHyperParameterTuningJob",
      "sagemaker:CreateModel",
      "sagemaker:CreateProcessingJob",
      "sagemaker:CreateTrainingJob",
    ]
    resources = ["${local.sagemaker_arn_prefix}:*"]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSubnets"
      values   = local.private_subnet_ids
    }

    condition {
      test     = "Null"
      variable = "sagemaker:VpcSubnets"
      values   = ["false"]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "sagemaker:VpcSecurityGroupIds"
      values   = [aws_security_group.sagemaker.id]
    }

    condition {
      test     = "Null"
      variable = "sagemaker:VpcSecurityGroupIds"
      values   = ["false"]
    }
  }

  # Notebooks and jobs run as this role: they may register a model for review, never approve one
  # (no UpdateModelPackage, and a package they create must be PendingManualApproval). Approval,
  # which deploys, stays with a human outside this role (README: Evaluation and approval).
  statement {
    sid     = "RegisterModelsForReview"
    actions = ["sagemaker:CreateModelPackage"]
    resources = [
      aws_sagemaker_model_package_group.main.arn,
      "${local.sagemaker_arn_prefix}:model-package/${aws_sagemaker_model_package_group.main.model_package_group_name}/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "sagemaker:ModelApprovalStatus"
      values   = ["PendingManualApproval"]
    }
  }

  statement {
    sid       = "ReadTheModelGroup"
    actions   = ["sagemaker:DescribeModelPackageGroup"]
    resources = [aws_sagemaker_model_package_group.main.arn]
  }

  statement {
    sid     = "ReadTheCatalog"
    actions = ["glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      aws_glue_catalog_database.main.arn,
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.main.name}/*",
    ]
  }

  statement {
    # The notebooks' idle auto-stop (files/notebook/autostop.py) stops its own instance.
    sid       = "NotebooksStopWhenIdle"
    actions   = ["sagemaker:StopNotebookInstance"]
    resources = [for name in values(local.notebooks) : "${local.sagemaker_arn_prefix}:notebook-instance/${name}"]
  }

  statement {
    sid       = "PassThisRoleToSageMakerOnly"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.sagemaker_execution.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "sagemaker_execution" {
  name   = "least-privilege"
  role   = aws_iam_role.sagemaker_execution.id
  policy = data.aws_iam_policy_document.sagemaker_execution.json
}

# IAM is eventually consistent: SageMaker rejects a workspace whose brand-new role it cannot
# assume yet, so workspaces wait a little after the role and its policy exist.
resource "time_sleep" "sagemaker_execution_role" {
  create_duration = "30s"

  triggers = {
    role_arn = aws_iam_role.sagemaker_execution.arn
    policy   = aws_iam_role_policy.sagemaker_execution.policy
  }
}

###############################################################################
# Model registry and image repository
###############################################################################

resource "aws_sagemaker_model_package_group" "main" {
  model_package_group_name        = "initech-prod-models"
  model_package_group_description = "Model registry of ${local.name_prefix}: every trained model version, with its approval status"
}

resource "aws_ecr_repository" "models" {
  name                 = "initech/prod/models"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }
}

resource "aws_ecr_lifecycle_policy" "models" {
  repository = aws_ecr_repository.models.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Drop untagged layers left by failed or superseded pushes after 14 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 14
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the 100 most recent images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = 100
        }
        action = { type = "expire" }
      },
    ]
  })
}

###############################################################################
# Notebook instances: one per data scientist, in the private subnets
###############################################################################

locals {
  # user -> notebook instance name, spread over the private subnets.
  notebooks = {
    peter = "initech-prod-peter"
    samir = "initech-prod-samir"
  }
}

# Idle auto-stop: on every start the instance installs files/notebook/autostop.py, which cron runs
# every 5 minutes; after 60 minutes without Jupyter activity (no busy kernel, no request)
# it stops the instance (StopNotebookInstance through the SageMaker API endpoint). Work on the
# volume is kept; the user starts the instance again from the console or the API.
resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "autostop" {
  name = "${local.name_prefix}-autostop"
  on_start = base64encode(templatefile("${path.module}/files/notebook/on-start.sh", {
    autostop     = file("${path.module}/files/notebook/autostop.py")
    idle_seconds = 3600
  }))
}

resource "aws_sagemaker_notebook_instance" "workspace" {
  for_each               = local.notebooks
  name                   = each.value
  instance_type          = "ml.t3.medium"
  platform_identifier    = "notebook-al2-v3"
  role_arn               = aws_iam_role.sagemaker_execution.arn
  subnet_id              = element(local.private_subnet_ids, index(keys(local.notebooks), each.key))
  security_groups        = [aws_security_group.sagemaker.id]
  direct_internet_access = "Disabled"
  root_access            = "Disabled"
  kms_key_id             = aws_kms_key.main.arn
  volume_size            = 20
  # Stops the instance after 60 idle minutes: it bills by the hour while in service.
  lifecycle_config_name = aws_sagemaker_notebook_instance_lifecycle_configuration.autostop.name

  instance_metadata_service_configuration {
    minimum_instance_metadata_service_version = "2"
  }

  tags = {
    user = each.key
  }

  depends_on = [aws_vpc_endpoint.interface, aws_vpc_endpoint.s3, time_sleep.sagemaker_execution_role]
}
