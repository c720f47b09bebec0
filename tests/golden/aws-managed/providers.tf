provider "aws" {
  region = "us-west-2"
  # A blueprint belongs to one client account: refuse to run with credentials for another.
  allowed_account_ids = ["345678901234"]

  default_tags {
    tags = {
      client      = "umbrella"
      compliance  = "iso-27001"
      cost-center = "cc-9001"
      environment = "prod"
      managed-by  = "dsaas-infra"
      maturity    = "managed"
      owner       = "mlops@umbrella.example"
    }
  }
}
