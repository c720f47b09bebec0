terraform {
  required_version = ">= 1.11.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.0"
    }
    # Only for what the google provider lacks: google_project_service_identity (services.tf:
    # generates the service agents that are otherwise created lazily, so their CMEK grants work
    # on a fresh project) and the Vertex AI endpoint's IAM (access.tf).
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 8.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }
}
