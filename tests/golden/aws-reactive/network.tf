# Network of the training phase: private subnets with no route to the internet. SageMaker
# reaches AWS APIs through VPC endpoints only, so notebooks and jobs cannot send data anywhere
# but to this account's services (add a NAT gateway or a package mirror deliberately if needed).

# The client's own VPC and private subnets (aws.network in the spec).
data "aws_vpc" "main" {
  id = "vpc-0a1b2c3d4e5f60718"

  lifecycle {
    # Interface endpoints with private DNS (ours or the VPC's own) only resolve with both on;
    # without them SageMaker would call the public API names and find no route.
    postcondition {
      condition     = self.enable_dns_support && self.enable_dns_hostnames
      error_message = "The reused VPC (aws.network.vpc_id) must have DNS resolution and DNS hostnames enabled: the VPC endpoints' private DNS names need both."
    }
  }
}

# The route tables of the subnets, for the S3 gateway endpoint. A subnet without an explicit
# association uses the VPC's main route table, which a lookup by subnet does not return.
data "aws_route_tables" "explicit" {
  for_each = toset(["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"])
  vpc_id   = data.aws_vpc.main.id

  filter {
    name   = "association.subnet-id"
    values = [each.value]
  }
}

data "aws_route_tables" "main" {
  vpc_id = data.aws_vpc.main.id

  filter {
    name   = "association.main"
    values = ["true"]
  }
}

locals {
  vpc_id             = data.aws_vpc.main.id
  private_subnet_ids = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
  private_route_table_ids = sort(distinct(flatten([
    for subnet, tables in data.aws_route_tables.explicit :
    length(tables.ids) > 0 ? tables.ids : data.aws_route_tables.main.ids
  ])))
  create_vpc_endpoints = var.create_vpc_endpoints
}

# Without our endpoints, SageMaker reaches the VPC's existing endpoints on HTTPS. The rule allows
# the VPC's own address range only: even if these subnets route to a NAT gateway, SageMaker's
# group cannot reach the internet through it.
resource "aws_vpc_security_group_egress_rule" "sagemaker_https_in_vpc" {
  count             = var.create_vpc_endpoints ? 0 : 1
  security_group_id = aws_security_group.sagemaker.id
  description       = "HTTPS to the existing VPC endpoints of the reused VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = data.aws_vpc.main.cidr_block
}

###############################################################################
# Security groups: SageMaker workloads, and the interface endpoints they call.
###############################################################################

resource "aws_security_group" "sagemaker" {
  name        = "initech-prod-sagemaker"
  description = "SageMaker Studio apps, notebook instances and jobs of ${local.name_prefix}"
  vpc_id      = local.vpc_id

  tags = {
    Name = "initech-prod-sagemaker"
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
  name        = "initech-prod-vpc-endpoints"
  description = "Interface VPC endpoints of ${local.name_prefix}: HTTPS from SageMaker only"
  vpc_id      = local.vpc_id

  tags = {
    Name = "initech-prod-vpc-endpoints"
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
  interface_endpoint_services = ["ecr.api", "ecr.dkr", "glue", "kms", "logs", "monitoring", "sagemaker.api", "sagemaker.runtime", "sts"]
}

locals {
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
  for_each            = local.create_vpc_endpoints ? toset(local.interface_endpoint_services) : toset([])
  vpc_id              = local.vpc_id
  service_name        = "com.amazonaws.${local.region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.private_subnet_ids
  security_group_ids  = [aws_security_group.vpc_endpoints.id]
  policy              = local.vpc_endpoint_policy

  tags = {
    Name = "${local.name_prefix}-${each.value}"
  }
}

# S3 keeps the default (full) endpoint policy: ECR image layers are served from AWS-owned buckets.
resource "aws_vpc_endpoint" "s3" {
  count             = local.create_vpc_endpoints ? 1 : 0
  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.private_route_table_ids

  tags = {
    Name = "${local.name_prefix}-s3"
  }
}
