# DSaaS platform of client globex, staging environment.
# Rendered by dsaas-infra 0.2.0 from the client spec; edit the spec and re-render rather
# than editing these files (`dsaas-infra render` refuses to overwrite hand edits).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  # <client>-<environment>: the prefix of every name in this blueprint.
  name_prefix = "globex-staging"
  # Free text from the spec, escaped: used in descriptions only, never in names.
  display_name = "Globex Corp."
  account_id   = data.aws_caller_identity.current.account_id
  region       = data.aws_region.current.region
  partition    = data.aws_partition.current.partition
  dns_suffix   = data.aws_partition.current.dns_suffix
}
