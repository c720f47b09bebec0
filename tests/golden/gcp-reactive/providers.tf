provider "google" {
  project = "hooli-dsaas-dev"
  region  = "us-east1"

  # Every resource that takes labels gets these: client, environment, maturity, owner,
  # managed-by and the client's tags as GCP labels.
  default_labels = {
    client      = "hooli"
    cost-center = "rt-0042"
    environment = "dev"
    managed-by  = "dsaas-infra"
    maturity    = "reactive"
    owner       = "data_at_hooli_example"
    team        = "retail-analytics"
  }
}

provider "google-beta" {
  project = "hooli-dsaas-dev"
  region  = "us-east1"

  default_labels = {
    client      = "hooli"
    cost-center = "rt-0042"
    environment = "dev"
    managed-by  = "dsaas-infra"
    maturity    = "reactive"
    owner       = "data_at_hooli_example"
    team        = "retail-analytics"
  }
}
