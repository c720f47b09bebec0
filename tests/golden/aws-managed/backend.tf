terraform {
  backend "s3" {
    bucket  = "umbrella-terraform-state-345678901234"
    key     = "platform/dsaas/umbrella-prod/terraform.tfstate"
    region  = "us-west-2"
    encrypt = true
    # S3 native locking (Terraform >= 1.11): a lock file next to the state, no DynamoDB table.
    use_lockfile = true
  }
}
