terraform {
  backend "s3" {
    bucket         = "umbrella-terraform-state-345678901234"
    key            = "platform/dsaas/umbrella-prod/terraform.tfstate"
    region         = "us-west-2"
    encrypt        = true
    dynamodb_table = "umbrella-terraform-state-345678901234-lock"
  }
}
