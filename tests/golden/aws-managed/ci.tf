# CI identity of the fleet repository dsaas-provider/fleet (rendered because ci.create_identity is set).
# GitHub Actions jobs log in with OIDC, no stored keys: the apply role only from the GitHub
# environment umbrella-prod (give it required reviewers), the read-only plan role only from
# umbrella-prod-plan (pull-request plans and scheduled drift).
# Create this file's resources once with an administrator's credentials: CI cannot log in before,
# and afterwards it may change their tags only (default_tags), nothing else (README: what each role may do).

# The GitHub OIDC provider is one per AWS account, shared by every client there: `dsaas-infra
# bootstrap` creates it (account baseline), at the ARN below; `dsaas-infra preflight`
# fails while it is missing.
locals {
  ci_oidc_provider_arn = "arn:aws:iam::345678901234:oidc-provider/token.actions.githubusercontent.com"
}

data "aws_iam_policy_document" "ci_trust_apply" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.ci_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    # Exactly this repository and environment: no other repository, branch or pull request.
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:dsaas-provider/fleet:environment:umbrella-prod"]
    }
  }
}

# max_session_duration: how long one CI login may last (the workflow's role-duration-seconds asks for it).
resource "aws_iam_role" "ci_apply" {
  name                 = "umbrella-prod-github-apply"
  description          = "GitHub Actions apply of dsaas-provider/fleet (environment umbrella-prod)"
  assume_role_policy   = data.aws_iam_policy_document.ci_trust_apply.json
  max_session_duration = 14400
}

data "aws_iam_policy_document" "ci_trust_plan" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.ci_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    # Exactly this repository and environment: no other repository, branch or pull request.
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:dsaas-provider/fleet:environment:umbrella-prod-plan"]
    }
  }
}

# max_session_duration: how long one CI login may last (the workflow's role-duration-seconds asks for it).
resource "aws_iam_role" "ci_plan" {
  name                 = "umbrella-prod-github-plan"
  description          = "GitHub Actions plan of dsaas-provider/fleet (environment umbrella-prod-plan)"
  assume_role_policy   = data.aws_iam_policy_document.ci_trust_plan.json
  max_session_duration = 3600
}

# --- Plan and drift: read what Terraform refreshes, take the state lock, change nothing ----------
# ReadOnlyAccess also reads data (object contents, log events, items, secrets): denied below, so
# plan reads configuration, its own state and the objects Terraform itself uploads, nothing else.
resource "aws_iam_role_policy_attachment" "ci_plan_read" {
  role       = aws_iam_role.ci_plan.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "ci_plan_lock" {
  statement {
    sid       = "StateLockObject"
    actions   = ["s3:DeleteObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::umbrella-terraform-state-345678901234/platform/dsaas/umbrella-prod/terraform.tfstate.tflock"]
  }
  # No object contents but its own state, its lock and the files this blueprint uploads (other
  # clients' state, the client's raw, curated and model data stay unreadable).
  statement {
    sid           = "NoObjectContents"
    effect        = "Deny"
    actions       = ["s3-object-lambda:GetObject", "s3:GetObject", "s3:GetObjectTorrent", "s3:GetObjectVersion", "s3:GetObjectVersionTorrent"]
    not_resources = ["arn:aws:s3:::umbrella-terraform-state-345678901234/platform/dsaas/umbrella-prod/terraform.tfstate", "arn:aws:s3:::umbrella-terraform-state-345678901234/platform/dsaas/umbrella-prod/terraform.tfstate.tflock", "arn:aws:s3:::umbrella-prod-artifacts-345678901234/code/*", "arn:aws:s3:::umbrella-prod-artifacts-345678901234/glue/scripts/*"]
  }
  # Keys decrypt only through S3, i.e. only the objects above (the state is SSE-KMS), and through
  # Step Functions and Lambda, which refresh needs for the CMK-encrypted state machines
  # (DescribeStateMachine) and Lambda environments (GetFunction); their execution data is denied below.
  statement {
    sid       = "DecryptOnlyThroughS3AndRefreshedServices"
    effect    = "Deny"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
    condition {
      test     = "StringNotEquals"
      variable = "kms:ViaService"
      values   = ["s3.us-west-2.amazonaws.com", "lambda.us-west-2.amazonaws.com", "states.us-west-2.amazonaws.com"]
    }
  }
  statement {
    # ReadOnlyAccess grants no kms:Decrypt; the keys' policies let the account decrypt through these services.
    sid       = "DecryptRefreshedConfiguration"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.serving.arn, aws_kms_key.pipeline.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["lambda.us-west-2.amazonaws.com", "states.us-west-2.amazonaws.com"]
    }
  }
  statement {
    sid       = "NoOtherData"
    effect    = "Deny"
    actions   = ["athena:GetQueryResults", "athena:GetQueryResultsStream", "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:GetRecords", "dynamodb:Query", "dynamodb:Scan", "kinesis:GetRecords", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:GetLogRecord", "logs:GetQueryResults", "logs:StartLiveTail", "logs:StartQuery", "sagemaker:BatchGetRecord", "sagemaker:GetRecord", "secretsmanager:GetSecretValue", "sqs:ReceiveMessage", "states:DescribeExecution", "states:GetExecutionHistory"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ci_plan_lock" {
  name   = "state-lock"
  role   = aws_iam_role.ci_plan.id
  policy = data.aws_iam_policy_document.ci_plan_lock.json
}

# --- Apply: the platform's services, IAM only on the blueprint's own names ------------------------
# Every role the blueprint creates carries this permissions boundary, and apply may create roles
# and write their policies only with it: a role apply writes itself an admin policy on (and then
# passes or assumes) can still do no more than this.
data "aws_iam_policy_document" "ci_boundary" {
  #checkov:skip=CKV_AWS_107:a permissions boundary grants nothing: it caps the roles of this blueprint (each also needs its own least-privilege policy), so it is written as everything but IAM changes and the state
  #checkov:skip=CKV_AWS_108:a permissions boundary grants nothing: it caps the roles of this blueprint (each also needs its own least-privilege policy), so it is written as everything but IAM changes and the state
  #checkov:skip=CKV_AWS_109:a permissions boundary grants nothing: it caps the roles of this blueprint (each also needs its own least-privilege policy), so it is written as everything but IAM changes and the state
  #checkov:skip=CKV_AWS_110:a permissions boundary grants nothing: it caps the roles of this blueprint (each also needs its own least-privilege policy), so it is written as everything but IAM changes and the state
  #checkov:skip=CKV_AWS_111:a permissions boundary grants nothing: it caps the roles of this blueprint (each also needs its own least-privilege policy), so it is written as everything but IAM changes and the state
  #checkov:skip=CKV_AWS_356:a permissions boundary grants nothing: it caps the roles of this blueprint (each also needs its own least-privilege policy), so it is written as everything but IAM changes and the state
  statement {
    sid         = "Services"
    not_actions = ["account:*", "iam:*", "organizations:*"]
    resources   = ["*"]
  }
  statement {
    sid       = "IamReadPassAndServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole", "iam:Get*", "iam:List*", "iam:PassRole"]
    resources = ["*"]
  }
  # No role of a blueprint touches the state bucket (every client's state).
  statement {
    sid       = "NoState"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::umbrella-terraform-state-345678901234", "arn:aws:s3:::umbrella-terraform-state-345678901234/*"]
  }
}

resource "aws_iam_policy" "ci_boundary" {
  name        = "dsaas-ci-boundary-umbrella-prod"
  description = "Permissions boundary of every role of umbrella-prod (no IAM changes, no state)"
  policy      = data.aws_iam_policy_document.ci_boundary.json
}

# PowerUserAccess: every service but IAM, Organizations and Account.
resource "aws_iam_role_policy_attachment" "ci_apply_services" {
  role       = aws_iam_role.ci_apply.name
  policy_arn = "arn:aws:iam::aws:policy/PowerUserAccess"
}

data "aws_iam_policy_document" "ci_apply_iam" {
  # Roles and their policies: only with the boundary on the role.
  statement {
    sid = "OwnRolesWithTheBoundary"
    actions = [
      "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
    ]
    resources = ["arn:aws:iam::345678901234:role/umbrella-prod-api-partner-b", "arn:aws:iam::345678901234:role/umbrella-prod-api-web-shop", "arn:aws:iam::345678901234:role/umbrella-prod-deploy", "arn:aws:iam::345678901234:role/umbrella-prod-deploy-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-github-apply", "arn:aws:iam::345678901234:role/umbrella-prod-github-plan", "arn:aws:iam::345678901234:role/umbrella-prod-glue", "arn:aws:iam::345678901234:role/umbrella-prod-model-approved", "arn:aws:iam::345678901234:role/umbrella-prod-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-pipeline-schedule", "arn:aws:iam::345678901234:role/umbrella-prod-predict", "arn:aws:iam::345678901234:role/umbrella-prod-sagemaker-execution", "arn:aws:iam::345678901234:role/umbrella-prod-sagemaker-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-vpc-flow-logs"]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.ci_boundary.arn]
    }
  }
  statement {
    sid = "OwnRoles"
    actions = [
      "iam:DeleteRole", "iam:PassRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["arn:aws:iam::345678901234:role/umbrella-prod-api-partner-b", "arn:aws:iam::345678901234:role/umbrella-prod-api-web-shop", "arn:aws:iam::345678901234:role/umbrella-prod-deploy", "arn:aws:iam::345678901234:role/umbrella-prod-deploy-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-github-apply", "arn:aws:iam::345678901234:role/umbrella-prod-github-plan", "arn:aws:iam::345678901234:role/umbrella-prod-glue", "arn:aws:iam::345678901234:role/umbrella-prod-model-approved", "arn:aws:iam::345678901234:role/umbrella-prod-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-pipeline-schedule", "arn:aws:iam::345678901234:role/umbrella-prod-predict", "arn:aws:iam::345678901234:role/umbrella-prod-sagemaker-execution", "arn:aws:iam::345678901234:role/umbrella-prod-sagemaker-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-vpc-flow-logs"]
  }
  # Terraform refreshes every IAM object of the blueprint (reading grants nothing).
  statement {
    sid       = "Read"
    actions   = ["iam:Get*", "iam:List*"]
    resources = ["arn:aws:iam::345678901234:role/umbrella-prod-api-partner-b", "arn:aws:iam::345678901234:role/umbrella-prod-api-web-shop", "arn:aws:iam::345678901234:role/umbrella-prod-deploy", "arn:aws:iam::345678901234:role/umbrella-prod-deploy-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-github-apply", "arn:aws:iam::345678901234:role/umbrella-prod-github-plan", "arn:aws:iam::345678901234:role/umbrella-prod-glue", "arn:aws:iam::345678901234:role/umbrella-prod-model-approved", "arn:aws:iam::345678901234:role/umbrella-prod-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-pipeline-schedule", "arn:aws:iam::345678901234:role/umbrella-prod-predict", "arn:aws:iam::345678901234:role/umbrella-prod-sagemaker-execution", "arn:aws:iam::345678901234:role/umbrella-prod-sagemaker-pipeline", "arn:aws:iam::345678901234:role/umbrella-prod-vpc-flow-logs", "arn:aws:iam::345678901234:oidc-provider/token.actions.githubusercontent.com", "arn:aws:iam::aws:policy/*", "arn:aws:iam::345678901234:policy/dsaas-ci-boundary-umbrella-prod"]
  }
  # The boundary's tags follow default_tags like every other resource's (tags grant nothing here:
  # no policy of the blueprint tests a resource or principal tag).
  statement {
    sid       = "TagTheBoundary"
    actions   = ["iam:TagPolicy", "iam:UntagPolicy"]
    resources = [aws_iam_policy.ci_boundary.arn]
  }
  # The CI roles and the boundary are changed by an administrator only, never from CI (but for
  # their tags: OwnRoles, TagTheBoundary); no role sheds its boundary.
  statement {
    sid    = "NotTheCiRoles"
    effect = "Deny"
    actions = [
      "iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole", "iam:UpdateRoleDescription",
    ]
    resources = [aws_iam_role.ci_apply.arn, aws_iam_role.ci_plan.arn]
  }
  statement {
    sid       = "NotTheBoundary"
    effect    = "Deny"
    actions   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"]
    resources = [aws_iam_policy.ci_boundary.arn]
  }
  statement {
    sid       = "NoRoleShedsItsBoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ci_apply_iam" {
  name   = "own-iam"
  role   = aws_iam_role.ci_apply.id
  policy = data.aws_iam_policy_document.ci_apply_iam.json
}

# S3: PowerUserAccess reaches every bucket of the account, the shared state bucket (every client's
# state) included. Apply keeps to this blueprint's buckets (their settings), the objects it uploads
# and its own state prefix: no object of the client's data.
data "aws_iam_policy_document" "ci_apply_s3" {
  statement {
    sid           = "OnlyOwnBucketsAndState"
    effect        = "Deny"
    actions       = ["s3:*", "s3-object-lambda:*"]
    not_resources = ["arn:aws:s3:::umbrella-prod-artifacts-345678901234", "arn:aws:s3:::umbrella-prod-curated-345678901234", "arn:aws:s3:::umbrella-prod-logs-345678901234", "arn:aws:s3:::umbrella-prod-raw-345678901234", "arn:aws:s3:::umbrella-prod-artifacts-345678901234/code/*", "arn:aws:s3:::umbrella-prod-artifacts-345678901234/glue/scripts/*", "arn:aws:s3:::umbrella-terraform-state-345678901234", "arn:aws:s3:::umbrella-terraform-state-345678901234/platform/dsaas/umbrella-prod/*"]
  }
  # The state bucket's settings and policy are the administrator's.
  statement {
    sid         = "StateBucketSettings"
    effect      = "Deny"
    not_actions = ["s3:ListBucket"]
    resources   = ["arn:aws:s3:::umbrella-terraform-state-345678901234"]
  }
  # Listing: only under its own prefix (and the workspace prefix the backend looks for).
  statement {
    sid       = "ListOwnStatePrefix"
    effect    = "Deny"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::umbrella-terraform-state-345678901234"]
    condition {
      test     = "StringNotLike"
      variable = "s3:prefix"
      values   = ["platform/dsaas/umbrella-prod/*", "env:/*"]
    }
    condition {
      test     = "Null"
      variable = "s3:prefix"
      values   = ["false"]
    }
  }
}

resource "aws_iam_role_policy" "ci_apply_s3" {
  name   = "own-buckets-and-state"
  role   = aws_iam_role.ci_apply.id
  policy = data.aws_iam_policy_document.ci_apply_s3.json
}

output "ci_role_arn" {
  description = "aws.ci_role_arn for the fleet repository (apply, environment umbrella-prod)."
  value       = aws_iam_role.ci_apply.arn
}

output "ci_plan_role_arn" {
  description = "aws.ci_plan_role_arn for the fleet repository (plan and drift, environment umbrella-prod-plan)."
  value       = aws_iam_role.ci_plan.arn
}
