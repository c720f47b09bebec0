# Phase 3, deployment: the Vertex AI endpoint for managed online predictions. No GKE cluster:
# nothing in the loop runs on one (the endpoint serves, Vertex AI Pipelines and Dataflow run the
# pipeline), and an idle cluster is a cost without a use (README: what serves, per level).

# --- Vertex AI endpoint ---------------------------------------------------------------------
# Created empty: no model exists before the first training run. The pipeline's deploy step
# deploys each approved version here with the traffic split of the spec's variants, the spec's
# replica counts and machine type, so Terraform leaves deployed models and the split alone.
resource "google_vertex_ai_endpoint" "main" {
  #checkov:skip=CKV2_GCP_33:Callers need IAM prediction rights (the Apigee proxy's account holds only aiplatform.endpoints.predict, on this endpoint alone) and use Google's TLS API; a private (peered or PSC) endpoint would also need a network path from the Apigee tenant network
  name         = "683965896"
  display_name = "stark-prod-endpoint"
  description  = "Online predictions for Stark Mobility \"Prod\" (prod); models are deployed by the ML pipeline"
  location     = local.region
  region       = local.region
  labels       = local.labels
  # Vertex AI endpoints have no deletion protection of their own: Terraform refuses to
  # destroy this one (set DELETE here first to tear a prod environment down on purpose).
  deletion_policy = "PREVENT"

  encryption_spec {
    kms_key_name = google_kms_crypto_key.keys["vertex"].id
  }

  lifecycle {
    # The pipeline deploys models and sets the split; its drift monitoring job turns on the
    # request/response logging (100% of requests, per deployed model, into
    # stark-dsaas-prod.model_deployment_monitoring_683965896.serving_predict): one logging configuration, the job's.
    ignore_changes = [traffic_split, predict_request_response_logging_config]
  }

  # The Vertex AI agent's grant on the key (kms.tf).
  depends_on = [
    time_sleep.kms_grants,
  ]
}
