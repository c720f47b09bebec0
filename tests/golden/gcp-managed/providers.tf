provider "google" {
  project = "stark-dsaas-prod"
  region  = "us-central1"

  # Every resource that takes labels gets these: client, environment, maturity, owner,
  # managed-by and the client's tags as GCP labels.
  default_labels = {
    client              = "stark"
    compliance          = "iso-27001"
    cost-center         = "cc-7781"
    data-classification = "confidential"
    environment         = "prod"
    managed-by          = "dsaas-infra"
    maturity            = "managed"
    owner               = "mlops_at_stark_example"
  }
}

provider "google-beta" {
  project = "stark-dsaas-prod"
  region  = "us-central1"

  default_labels = {
    client              = "stark"
    compliance          = "iso-27001"
    cost-center         = "cc-7781"
    data-classification = "confidential"
    environment         = "prod"
    managed-by          = "dsaas-infra"
    maturity            = "managed"
    owner               = "mlops_at_stark_example"
  }
}
