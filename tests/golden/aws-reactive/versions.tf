terraform {
  # 1.11: S3 native state locking (backend.tf use_lockfile).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    # Waits for IAM to propagate a new role before SageMaker is asked to assume it.
    time = {
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }
}
