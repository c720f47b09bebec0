# DSaaS platform of client hooli on GCP (dev, reactive).
# Rendered by dsaas-infra 0.2.0 from the client spec: edit the spec and re-render
# rather than editing these files.

data "google_project" "current" {
  project_id = local.project_id

  depends_on = [time_sleep.services]
}

locals {
  name_prefix = "hooli-dev"
  project_id  = "hooli-dsaas-dev"
  region      = "us-east1"
  # Also set as provider default_labels; resources whose labels are not covered by
  # default_labels (e.g. Dataflow job labels) use this map.
  labels = {
    client      = "hooli"
    cost-center = "rt-0042"
    environment = "dev"
    managed-by  = "dsaas-infra"
    maturity    = "reactive"
    owner       = "data_at_hooli_example"
    team        = "retail-analytics"
  }
}
