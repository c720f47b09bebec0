# Phase 3, deployment: the Vertex AI endpoint for managed online predictions. No GKE cluster:
# nothing in the loop runs on one (the endpoint serves, Vertex AI Pipelines and Dataflow run the
# pipeline), and an idle cluster is a cost without a use (README: what serves, per level).

# --- Vertex AI endpoint ---------------------------------------------------------------------
# Created empty: no model exists before the first training run. The pipeline's deploy step
# deploys each approved version here with the traffic split of the spec's variants, the spec's
# replica counts and machine type, so Terraform leaves deployed models and the split alone.
resource "google_vertex_ai_endpoint" "main" {
  #checkov:skip=CKV2_GCP_33:Callers need IAM prediction rights (the Apigee proxy's account holds only aiplatform.endpoints.predict, on this endpoint alone) and use Google's TLS API; a private (peered or PSC) endpoint would also need a network path from the Apigee tenant network
  name            = "589183504"
  display_name    = "globex-eu-staging-endpoint"
  description     = "Online predictions for Globex Corp. EU (staging); models are deployed by the ML pipeline"
  location        = local.region
  region          = local.region
  labels          = local.labels
  deletion_policy = "DELETE"

  encryption_spec {
    kms_key_name = google_kms_crypto_key.keys["vertex"].id
  }

  # Every sampled request and response, per deployed model, in the prediction log dataset: the
  # variants' answers can be compared on the same traffic.
  predict_request_response_logging_config {
    enabled       = true
    sampling_rate = 0.1
    bigquery_destination {
      output_uri = "bq://${local.project_id}.${google_bigquery_dataset.prediction_log.dataset_id}.prediction_log"
    }
  }

  lifecycle {
    ignore_changes = [traffic_split]
  }

  # The Vertex AI agent's grant on the key (kms.tf) and on the log dataset.
  depends_on = [
    time_sleep.kms_grants,
    google_bigquery_dataset_iam_member.vertex_prediction_log,
  ]
}

# The request/response log: a dataset of its own, so that Vertex AI's agent writes there and
# nowhere else (it has no grant on the curated data).
resource "google_bigquery_dataset" "prediction_log" {
  dataset_id                 = "globex_eu_staging_prediction_log"
  project                    = local.project_id
  location                   = local.region
  friendly_name              = "globex-eu-staging-endpoint request/response log"
  description                = "Requests and responses of the Vertex AI endpoint, per deployed model (Vertex AI writes them)."
  delete_contents_on_destroy = false

  default_encryption_configuration {
    kms_key_name = google_kms_crypto_key.keys["bigquery"].id
  }

  depends_on = [time_sleep.kms_grants]
}

# Vertex AI writes the request/response log as its service agent.
resource "google_bigquery_dataset_iam_member" "vertex_prediction_log" {
  dataset_id = google_bigquery_dataset.prediction_log.dataset_id
  project    = local.project_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-aiplatform.iam.gserviceaccount.com"

  depends_on = [time_sleep.kms_grants]
}
