terraform {
  # Create the state bucket once, before the first init (versioned, uniform access), e.g.
  # gcloud storage buckets create gs://stark-terraform-state-prod --project=stark-dsaas-prod --location=us-central1 --uniform-bucket-level-access --public-access-prevention
  backend "gcs" {
    bucket = "stark-terraform-state-prod"
    prefix = "platform/dsaas/stark-prod"
  }
}
