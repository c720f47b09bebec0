terraform {
  backend "s3" {
    bucket         = "globex-staging-tfstate-210987654321"
    key            = "dsaas-infra/globex/staging/terraform.tfstate"
    region         = "eu-west-1"
    encrypt        = true
    dynamodb_table = "globex-staging-tfstate-210987654321-lock"
  }
}
