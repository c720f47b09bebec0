terraform {
  # 1.11: S3 native state locking (backend.tf use_lockfile).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    # Packages the Lambda handlers from files/ at plan time.
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7"
    }
    # Waits for IAM to propagate a new role before SageMaker is asked to assume it.
    time = {
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }
}
