terraform {
  backend "s3" {
    bucket  = "initech-prod-tfstate-123456789012"
    key     = "dsaas-infra/initech/prod/terraform.tfstate"
    region  = "us-east-1"
    encrypt = true
    # S3 native locking (Terraform >= 1.11): a lock file next to the state, no DynamoDB table.
    use_lockfile = true
  }
}
