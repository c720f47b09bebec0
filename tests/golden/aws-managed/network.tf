# Network of the training phase: private subnets with no route to the internet. SageMaker reaches AWS APIs
# through VPC endpoints; the S3 gateway endpoint's policy lets this account's principals reach
# this account's buckets only (plus read-only AWS-owned buckets ECR and the AMI repositories serve
# from), so data cannot leave through it to another account's bucket.

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:zones are taken in the region's order among those offering every interface endpoint; the zone letters an account has vary, so names cannot be pinned in a rendered blueprint, and a subnet keeps the zone it was created in
  # No state filter: a zone that is briefly impaired must not shift the list and move subnets.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

# Some zones do not offer every endpoint service (us-east-1's use1-az3 lacks several SageMaker
# ones): subnets go only to zones where every interface endpoint of this blueprint is offered
# (data.aws_vpc_endpoint_service.interface, below).
locals {
  subnet_zones = [
    for zone in data.aws_availability_zones.available.names : zone
    if alltrue([for service in data.aws_vpc_endpoint_service.interface : contains(service.availability_zones, zone)])
  ]
}

# The zones are pinned at the first apply: if AWS later offers the endpoints in more zones, the
# list above grows or shifts, and a subnet added afterwards (multi_az turned on) must not land
# in a zone an existing subnet already uses (an interface endpoint takes one subnet per zone).
resource "terraform_data" "subnet_zones" {
  input = local.subnet_zones

  lifecycle {
    ignore_changes = [input]
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.42.0.0/16"
  # Interface endpoints with private DNS need both.
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = local.name_prefix
  }

  lifecycle {
    precondition {
      condition     = length(local.subnet_zones) >= 3
      error_message = "This blueprint spreads its private subnets over 3 availability zones, but fewer zones of this region offer every VPC endpoint SageMaker needs here. Reuse a VPC (aws.network) or turn multi_az off."
    }
  }
}

resource "aws_subnet" "private" {
  count                   = 3
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(aws_vpc.main.cidr_block, 4, count.index)
  availability_zone       = terraform_data.subnet_zones.output[count.index]
  map_public_ip_on_launch = false

  tags = {
    Name = "${local.name_prefix}-private-${count.index + 1}"
  }

  lifecycle {
    precondition {
      condition     = count.index < length(terraform_data.subnet_zones.output)
      error_message = "Fewer zones offered every VPC endpoint when this VPC was created than the subnets now need; reuse a VPC (aws.network) or turn multi_az off."
    }
  }
}

# No internet gateway and no NAT: the only routes are the VPC itself and the S3 gateway endpoint.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id

  tags = {
    Name = "${local.name_prefix}-private"
  }
}

resource "aws_route_table_association" "private" {
  count          = 3
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# Takes over the VPC's default security group and removes all its rules: nothing may use it.
resource "aws_default_security_group" "main" {
  vpc_id = aws_vpc.main.id

  tags = {
    Name = "${local.name_prefix}-default-unused"
  }
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/aws/vpc/flow-logs/umbrella-prod"
  retention_in_days = 731
  kms_key_id        = aws_kms_key.logs.arn
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc-flow-log/*"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name                 = "umbrella-prod-vpc-flow-logs"
  description          = "Delivers the VPC flow logs of ${local.name_prefix} to CloudWatch Logs"
  assume_role_policy   = data.aws_iam_policy_document.flow_logs_assume.json
  permissions_boundary = aws_iam_policy.ci_boundary.arn
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    sid       = "DeliverToTheFlowLogGroup"
    actions   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_group.flow_logs.arn, "${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }

  # The delivery service looks its log group up before writing.
  statement {
    sid       = "FindTheFlowLogGroup"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "deliver-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

resource "aws_flow_log" "main" {
  vpc_id                   = aws_vpc.main.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60

  tags = {
    Name = "${local.name_prefix}-vpc"
  }

  # Delivery starts at once: the role must already be allowed to write.
  depends_on = [aws_iam_role_policy.flow_logs]
}

locals {
  vpc_id                  = aws_vpc.main.id
  private_subnet_ids      = aws_subnet.private[*].id
  private_route_table_ids = [aws_route_table.private.id]
  subnet_zone             = { for subnet in aws_subnet.private : subnet.id => subnet.availability_zone }
}

###############################################################################
# Security groups: SageMaker workloads, and the interface endpoints they call.
###############################################################################

resource "aws_security_group" "sagemaker" {
  #checkov:skip=CKV2_AWS_5:attached to the SageMaker Studio domain (default_user_settings, default_space_settings, domain_settings), which checkov does not follow
  name        = "umbrella-prod-sagemaker"
  description = "SageMaker Studio apps, notebook instances and jobs of ${local.name_prefix}"
  vpc_id      = local.vpc_id

  tags = {
    Name = "umbrella-prod-sagemaker"
  }
}

resource "aws_vpc_security_group_ingress_rule" "sagemaker_self" {
  security_group_id            = aws_security_group.sagemaker.id
  description                  = "Studio apps and distributed training nodes talk to each other"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.sagemaker.id
}

resource "aws_vpc_security_group_egress_rule" "sagemaker_self" {
  security_group_id            = aws_security_group.sagemaker.id
  description                  = "Studio apps and distributed training nodes talk to each other"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.sagemaker.id
}

resource "aws_vpc_security_group_egress_rule" "sagemaker_endpoints" {
  security_group_id            = aws_security_group.sagemaker.id
  description                  = "HTTPS to the interface VPC endpoints of AWS APIs"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.vpc_endpoints.id
}

data "aws_prefix_list" "s3" {
  name = "com.amazonaws.${local.region}.s3"
}

resource "aws_vpc_security_group_egress_rule" "sagemaker_s3" {
  security_group_id = aws_security_group.sagemaker.id
  description       = "HTTPS to S3 through the gateway endpoint (data, artifacts, image layers)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_prefix_list.s3.id
}

resource "aws_security_group" "vpc_endpoints" {
  name        = "umbrella-prod-vpc-endpoints"
  description = "Interface VPC endpoints of ${local.name_prefix}: HTTPS from SageMaker only"
  vpc_id      = local.vpc_id

  tags = {
    Name = "umbrella-prod-vpc-endpoints"
  }
}

resource "aws_vpc_security_group_ingress_rule" "vpc_endpoints_from_sagemaker" {
  security_group_id            = aws_security_group.vpc_endpoints.id
  description                  = "HTTPS from SageMaker workloads"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.sagemaker.id
}

###############################################################################
# VPC endpoints
###############################################################################

locals {
  # The interface endpoints this blueprint creates (what SageMaker, Studio and the Lambda functions call).
  interface_endpoint_services = ["application-autoscaling", "ecr.api", "ecr.dkr", "glue", "kms", "logs", "monitoring", "sagemaker.api", "sagemaker.runtime", "sts"]
}

data "aws_vpc_endpoint_service" "interface" {
  for_each     = toset(local.interface_endpoint_services)
  service_name = "com.amazonaws.${local.region}.${each.value}"
  service_type = "Interface"
}

locals {
  # Per endpoint: one subnet per zone, only in zones that offer the service.
  endpoint_zone_subnets = {
    for service, offer in data.aws_vpc_endpoint_service.interface : service => [
      for zone, ids in {
        for id in sort(local.private_subnet_ids) : local.subnet_zone[id] => id... if contains(offer.availability_zones, local.subnet_zone[id])
      } : ids[0]
    ]
  }
  endpoint_subnet_ids = {
    for service, ids in local.endpoint_zone_subnets : service => slice(ids, 0, min(99, length(ids)))
  }

  # Data perimeter: the interface endpoints serve principals of this account only.
  vpc_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyThisAccountsPrincipals"
        Effect    = "Allow"
        Principal = "*"
        Action    = "*"
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:PrincipalAccount" = local.account_id }
        }
      },
    ]
  })
}

resource "aws_vpc_endpoint" "interface" {
  for_each            = toset(local.interface_endpoint_services)
  vpc_id              = local.vpc_id
  service_name        = "com.amazonaws.${local.region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.endpoint_subnet_ids[each.value]
  security_group_ids  = [aws_security_group.vpc_endpoints.id]
  policy              = local.vpc_endpoint_policy

  tags = {
    Name = "${local.name_prefix}-${each.value}"
  }

  lifecycle {
    precondition {
      condition     = length(local.endpoint_subnet_ids[each.value]) > 0
      error_message = "None of the private subnets is in a zone that offers this VPC endpoint service: add a subnet in one of its zones (aws ec2 describe-vpc-endpoint-services)."
    }
  }
}

# S3 gateway endpoint. Its policy is the network half of the data perimeter: this account's
# principals reach this account's buckets only (a notebook holding another account's
# credentials cannot use it, nor write to another account's bucket); AWS-owned buckets that
# serve code are readable: ECR image layers and Amazon Linux packages (prod-us-west-2-starport-layer-bucket, amazonlinux-2-repos-us-west-2).
locals {
  s3_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ThisAccountsPrincipalsToThisAccountsBuckets"
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:*"
        Resource  = "*"
        Condition = {
          StringEquals = {
            "aws:PrincipalAccount" = local.account_id
            "aws:ResourceAccount"  = local.account_id
          }
        }
      },
      {
        # Layer downloads are presigned by ECR (not this account's principal): read only.
        Sid       = "ReadAwsOwnedBucketsServingImagesAndPackages"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["s3:GetObject"]
        Resource  = [for bucket in ["prod-us-west-2-starport-layer-bucket", "amazonlinux-2-repos-us-west-2"] : "arn:${local.partition}:s3:::${bucket}/*"]
      },
    ]
  })
}

resource "aws_vpc_endpoint" "s3" {
  count             = 1
  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.private_route_table_ids
  policy            = local.s3_endpoint_policy

  tags = {
    Name = "${local.name_prefix}-s3"
  }
}
