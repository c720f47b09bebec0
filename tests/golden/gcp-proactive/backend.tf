terraform {
  # Create the state bucket once, before the first init (versioned, uniform access), e.g.
  # gcloud storage buckets create gs://globex-dsaas-staging-staging-tfstate --project=globex-dsaas-staging --location=europe-west1 --uniform-bucket-level-access --public-access-prevention
  backend "gcs" {
    bucket = "globex-dsaas-staging-staging-tfstate"
    prefix = "dsaas-infra/globex-eu/staging"
  }
}
