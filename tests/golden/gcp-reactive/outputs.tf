output "project_id" {
  description = "Project the blueprint is deployed in."
  value       = local.project_id
}

output "region" {
  description = "Region of every regional resource."
  value       = local.region
}

output "kms_keys" {
  description = "The customer-managed keys (CMEK) by service family."
  value       = { for family, key in google_kms_crypto_key.keys : family => key.id }
}

output "kms_key_id" {
  description = "The Vertex AI key: pipeline jobs and models pass it as encryption_spec_key_name."
  value       = google_kms_crypto_key.keys["vertex"].id
}

output "network_id" {
  description = "VPC the workloads run in."
  value       = local.network_id
}

output "subnetwork_id" {
  description = "Subnet the workloads run in."
  value       = local.subnetwork_id
}

output "buckets" {
  description = "Data buckets by role."
  value = {
    raw         = google_storage_bucket.raw.name
    curated     = google_storage_bucket.curated.name
    artifacts   = google_storage_bucket.artifacts.name
    dataflow    = google_storage_bucket.dataflow.name
    experiments = google_storage_bucket.experiments.name
  }
}

output "curated_dataset" {
  description = "BigQuery dataset of curated data."
  value       = google_bigquery_dataset.curated.dataset_id
}

output "pipeline_schedule_job" {
  description = "Cloud Scheduler job that starts the MLOps pipeline (run it now with gcloud scheduler jobs run)."
  value       = google_cloud_scheduler_job.pipeline.name
}

output "pipeline_service_account" {
  description = "Service account every step of the MLOps pipeline runs as."
  value       = google_service_account.pipeline.email
}

output "dataflow_service_account" {
  description = "Service account of the Dataflow workers."
  value       = google_service_account.dataflow.email
}

output "artifact_registry_repository" {
  description = "Docker repository for training and serving images."
  value       = "${local.region}-docker.pkg.dev/${local.project_id}/${google_artifact_registry_repository.models.repository_id}"
}

output "tensorboard" {
  description = "Vertex AI TensorBoard for training runs."
  value       = google_vertex_ai_tensorboard.main.id
}

output "training_service_account" {
  description = "Service account training pipelines and jobs run as."
  value       = google_service_account.training.email
}

output "workbench_service_account" {
  description = "Service account of the Workbench instances (grant users roles/iam.serviceAccountUser on it)."
  value       = google_service_account.workbench.email
}

output "workbench_instances" {
  description = "Workbench instance per user, with its JupyterLab proxy URI."
  value       = { for user, instance in google_workbench_instance.users : user => instance.proxy_uri }
}

# --- deployment -----------------------------------------------------------------------------
output "notification_channels" {
  description = "Cloud Monitoring e-mail channels (for the model monitoring job the pipeline creates)"
  value       = local.notification_channels
}
