terraform {
  backend "s3" {
    bucket         = "initech-prod-tfstate-123456789012"
    key            = "dsaas-infra/initech/prod/terraform.tfstate"
    region         = "us-east-1"
    encrypt        = true
    dynamodb_table = "initech-prod-tfstate-123456789012-lock"
  }
}
