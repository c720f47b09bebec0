# DSaaS platform of client globex-eu on GCP (staging, proactive).
# Rendered by dsaas-infra 0.2.0 from the client spec: edit the spec and re-render
# rather than editing these files.

data "google_project" "current" {
  project_id = local.project_id

  depends_on = [time_sleep.services]
}

locals {
  name_prefix = "globex-eu-staging"
  project_id  = "globex-dsaas-staging"
  region      = "europe-west1"
  # Also set as provider default_labels; resources whose labels are not covered by
  # default_labels (e.g. Dataflow job labels) use this map.
  labels = {
    client      = "globex-eu"
    cost-center = "cc-4200"
    environment = "staging"
    managed-by  = "dsaas-infra"
    maturity    = "proactive"
    owner       = "ml-platform_at_globex_example"
  }
}
