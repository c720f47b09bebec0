terraform {
  backend "s3" {
    bucket  = "globex-staging-tfstate-210987654321"
    key     = "dsaas-infra/globex/staging/terraform.tfstate"
    region  = "eu-west-1"
    encrypt = true
    # S3 native locking (Terraform >= 1.11): a lock file next to the state, no DynamoDB table.
    use_lockfile = true
  }
}
