provider "aws" {
  region = "us-east-1"
  # A blueprint belongs to one client account: refuse to run with credentials for another.
  allowed_account_ids = ["123456789012"]

  default_tags {
    tags = {
      client              = "initech"
      cost-center         = "it-0042"
      data-classification = "internal"
      environment         = "prod"
      managed-by          = "dsaas-infra"
      maturity            = "reactive"
      owner               = "data@initech.example"
    }
  }
}
