terraform {
  # Create the state bucket once, before the first init (versioned, uniform access), e.g.
  # gcloud storage buckets create gs://hooli-dsaas-dev-dev-tfstate --project=hooli-dsaas-dev --location=us-east1 --uniform-bucket-level-access --public-access-prevention
  backend "gcs" {
    bucket = "hooli-dsaas-dev-dev-tfstate"
    prefix = "dsaas-infra/hooli/dev"
  }
}
