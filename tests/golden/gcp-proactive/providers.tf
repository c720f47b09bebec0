provider "google" {
  project = "globex-dsaas-staging"
  region  = "europe-west1"

  # Every resource that takes labels gets these: client, environment, maturity, owner,
  # managed-by and the client's tags as GCP labels.
  default_labels = {
    client      = "globex-eu"
    cost-center = "cc-4200"
    environment = "staging"
    managed-by  = "dsaas-infra"
    maturity    = "proactive"
    owner       = "ml-platform_at_globex_example"
  }
}

provider "google-beta" {
  project = "globex-dsaas-staging"
  region  = "europe-west1"

  default_labels = {
    client      = "globex-eu"
    cost-center = "cc-4200"
    environment = "staging"
    managed-by  = "dsaas-infra"
    maturity    = "proactive"
    owner       = "ml-platform_at_globex_example"
  }
}
