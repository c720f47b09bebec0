# Network of the training phase: private subnets with no route to the internet from this
# blueprint (the reused VPC's own routes are the client's). SageMaker reaches AWS APIs
# through VPC endpoints; the S3 gateway endpoint's policy lets this account's principals reach
# this account's buckets only (plus read-only AWS-owned buckets ECR and the AMI repositories serve
# from), so data cannot leave through it to another account's bucket.

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

# The subnets' zones: an interface endpoint takes at most one subnet per zone, and only in zones
# that offer its service.
# The VPC is a filter of the lookup: a subnet of aws.network.subnet_ids outside the VPC
# aws.network.vpc_id fails the plan ("no matching EC2 Subnet found").
data "aws_subnet" "reused" {
  for_each = toset(["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"])
  id       = each.value
  vpc_id   = "vpc-0a1b2c3d4e5f60718"
}

# The route tables explicitly associated with the subnets, for the S3 gateway endpoint. A subnet
# without one uses the VPC's main route table, which this blueprint never changes unless the spec
# names it in aws.network.route_table_ids.
data "aws_route_tables" "explicit" {
  for_each = toset(["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"])
  vpc_id   = data.aws_vpc.main.id

  filter {
    name   = "association.subnet-id"
    values = [each.value]
  }

  lifecycle {
    postcondition {
      condition     = length(self.ids) > 0
      error_message = "A subnet of aws.network.subnet_ids has no route table of its own (it uses the VPC's main route table): this blueprint does not change the main route table unless aws.network.route_table_ids names it, or list s3 in aws.network.existing_endpoints if the VPC already routes S3 through a gateway endpoint."
    }
  }
}

locals {
  private_route_table_ids = sort(distinct(flatten([for subnet, tables in data.aws_route_tables.explicit : tables.ids])))
}

locals {
  vpc_id             = data.aws_vpc.main.id
  private_subnet_ids = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
  subnet_zone        = { for id, subnet in data.aws_subnet.reused : id => subnet.availability_zone }
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
  # The interface endpoints this blueprint creates (reactive: the least that keeps training private, in one zone).
  interface_endpoint_services = ["logs", "sagemaker.api", "sts"]
}

data "aws_vpc_endpoint_service" "interface" {
  for_each     = toset(local.interface_endpoint_services)
  service_name = "com.amazonaws.${local.region}.${each.value}"
  service_type = "Interface"
}

locals {
  # Per endpoint: one subnet per zone, only in zones that offer the service, at most
  # 1 zone(s) (cost: every zone of an interface endpoint bills by the hour).
  endpoint_zone_subnets = {
    for service, offer in data.aws_vpc_endpoint_service.interface : service => [
      for zone, ids in {
        for id in sort(local.private_subnet_ids) : local.subnet_zone[id] => id... if contains(offer.availability_zones, local.subnet_zone[id])
      } : ids[0]
    ]
  }
  endpoint_subnet_ids = {
    for service, ids in local.endpoint_zone_subnets : service => slice(ids, 0, min(1, length(ids)))
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
# serve code are readable: ECR image layers and Amazon Linux packages (prod-us-east-1-starport-layer-bucket, amazonlinux-2-repos-us-east-1).
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
        Resource  = [for bucket in ["prod-us-east-1-starport-layer-bucket", "amazonlinux-2-repos-us-east-1"] : "arn:${local.partition}:s3:::${bucket}/*"]
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
