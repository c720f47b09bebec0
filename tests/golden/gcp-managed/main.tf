# DSaaS platform of client stark on GCP (prod, managed).
# Rendered by dsaas-infra 0.2.0 from the client spec: edit the spec and re-render
# rather than editing these files.

data "google_project" "current" {
  project_id = local.project_id

  depends_on = [time_sleep.services]
}

locals {
  name_prefix = "stark-prod"
  project_id  = "stark-dsaas-prod"
  region      = "us-central1"
  # Also set as provider default_labels; resources whose labels are not covered by
  # default_labels (e.g. Dataflow job labels) use this map.
  labels = {
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
