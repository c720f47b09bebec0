# CI identity of the fleet repository dsaas-provider/fleet (rendered because ci.create_identity is set).
# GitHub Actions jobs log in with OIDC, no stored keys: the apply role only from the GitHub
# environment umbrella-prod (give it required reviewers), the read-only plan role only from
# umbrella-prod-plan (pull-request plans and scheduled drift).
# Create this file's resources once with an administrator's credentials: CI cannot log in before.

# The GitHub OIDC provider is one per AWS account, shared by every client there: `dsaas-infra
# bootstrap` creates it (account baseline), this stack only looks it up by its URL.
data "aws_iam_openid_connect_provider" "github" {
  url = "https://token.actions.githubusercontent.com"
}

locals {
  ci_oidc_provider_arn = data.aws_iam_openid_connect_provider.github.arn
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

resource "aws_iam_role" "ci_apply" {
  name                 = "umbrella-prod-github-apply"
  description          = "GitHub Actions apply of dsaas-provider/fleet (environment umbrella-prod)"
  assume_role_policy   = data.aws_iam_policy_document.ci_trust_apply.json
  max_session_duration = 3600
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

resource "aws_iam_role" "ci_plan" {
  name                 = "umbrella-prod-github-plan"
  description          = "GitHub Actions plan of dsaas-provider/fleet (environment umbrella-prod-plan)"
  assume_role_policy   = data.aws_iam_policy_document.ci_trust_plan.json
  max_session_duration = 3600
}

# Plan and drift read everything Terraform refreshes and take the state lock; they change nothing.
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
}

resource "aws_iam_role_policy" "ci_plan_lock" {
  name   = "state-lock"
  role   = aws_iam_role.ci_plan.id
  policy = data.aws_iam_policy_document.ci_plan_lock.json
}

# Apply manages the platform: every service but IAM (PowerUserAccess), and IAM only on the
# blueprint's own names, so that it can never grant itself or anyone else more.
resource "aws_iam_role_policy_attachment" "ci_apply_services" {
  role       = aws_iam_role.ci_apply.name
  policy_arn = "arn:aws:iam::aws:policy/PowerUserAccess"
}

data "aws_iam_policy_document" "ci_apply_iam" {
  statement {
    sid = "OwnNames"
    actions = [
      "iam:AttachRolePolicy", "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:CreateRole",
      "iam:DeleteInstanceProfile", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:DeleteRole",
      "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PassRole", "iam:PutRolePolicy",
      "iam:TagPolicy", "iam:TagRole", "iam:UntagPolicy", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:CreateInstanceProfile",
      "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
    ]
    resources = [
      "arn:aws:iam::345678901234:role/umbrella-prod-*",
      "arn:aws:iam::345678901234:policy/umbrella-prod-*",
      "arn:aws:iam::345678901234:instance-profile/umbrella-prod-*",
    ]
  }
  # Terraform refreshes every IAM object of the blueprint (reading grants nothing).
  statement {
    sid     = "Read"
    actions = ["iam:Get*", "iam:List*"]
    resources = [
      "arn:aws:iam::345678901234:role/umbrella-prod-*",
      "arn:aws:iam::345678901234:policy/umbrella-prod-*",
      "arn:aws:iam::345678901234:instance-profile/umbrella-prod-*",
      "arn:aws:iam::345678901234:oidc-provider/token.actions.githubusercontent.com",
      "arn:aws:iam::aws:policy/*",
    ]
  }
  # The CI roles themselves are changed by an administrator only, never from CI.
  statement {
    sid    = "NotTheCiRoles"
    effect = "Deny"
    actions = [
      "iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
      "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = [aws_iam_role.ci_apply.arn, aws_iam_role.ci_plan.arn]
  }
}

resource "aws_iam_role_policy" "ci_apply_iam" {
  name   = "own-iam"
  role   = aws_iam_role.ci_apply.id
  policy = data.aws_iam_policy_document.ci_apply_iam.json
}

output "ci_role_arn" {
  description = "aws.ci_role_arn for the fleet repository (apply, environment umbrella-prod)."
  value       = aws_iam_role.ci_apply.arn
}

output "ci_plan_role_arn" {
  description = "aws.ci_plan_role_arn for the fleet repository (plan and drift, environment umbrella-prod-plan)."
  value       = aws_iam_role.ci_plan.arn
}
