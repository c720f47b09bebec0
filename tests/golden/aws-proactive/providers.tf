provider "aws" {
  region = "eu-west-1"
  # A blueprint belongs to one client account: refuse to run with credentials for another.
  allowed_account_ids = ["210987654321"]

  default_tags {
    tags = {
      client      = "globex"
      cost-center = "cc-4200"
      environment = "staging"
      managed-by  = "dsaas-infra"
      maturity    = "proactive"
      owner       = "ml-platform@globex.example"
    }
  }
}
