# The MLOps loop: a Vertex AI pipeline (files/pipeline/pipeline.py, compiled to pipeline.yaml)
# that Cloud Scheduler starts on the data schedule. One run: curate the new raw files (Dataflow,
# quarantine, MERGE into the curated table) -> prepare the training set -> train (custom job) ->
# evaluate -> register the version with its evaluation -> gate -> batch prediction of the new files of
# inference/incoming/ in the raw bucket.

# --- Identity of the pipeline -----------------------------------------------------------------
# Every step runs as this account. It alone may start the Dataflow job as the workers' account,
# move raw files, write the curated table, start training jobs as the training account; only the scheduler's account may act as it.
resource "google_service_account" "pipeline" {
  account_id   = "hooli-dev-pipe"
  project      = local.project_id
  display_name = "Vertex AI pipeline (the MLOps loop)"

  depends_on = [time_sleep.services]
}

# In Vertex AI, only what the steps call and the run's metadata (custom role: no endpoint
# creation, no model deletion, no other kind of job).
resource "google_project_iam_custom_role" "pipeline_run" {
  project     = local.project_id
  role_id     = "dsaas_hooli_dev_pipeline_run"
  title       = "Run the MLOps pipeline's steps"
  description = "What the steps of the dsaas-infra MLOps pipeline call in Vertex AI (dsaas-infra)"
  permissions = ["aiplatform.artifacts.create", "aiplatform.artifacts.get", "aiplatform.artifacts.list", "aiplatform.artifacts.update", "aiplatform.batchPredictionJobs.create", "aiplatform.batchPredictionJobs.get", "aiplatform.contexts.addContextArtifactsAndExecutions", "aiplatform.contexts.addContextChildren", "aiplatform.contexts.create", "aiplatform.contexts.get", "aiplatform.contexts.list", "aiplatform.contexts.queryContextLineageSubgraph", "aiplatform.contexts.update", "aiplatform.customJobs.create", "aiplatform.customJobs.get", "aiplatform.executions.addExecutionEvents", "aiplatform.executions.create", "aiplatform.executions.get", "aiplatform.executions.list", "aiplatform.executions.queryExecutionInputsAndOutputs", "aiplatform.executions.update", "aiplatform.metadataSchemas.create", "aiplatform.metadataSchemas.get", "aiplatform.metadataSchemas.list", "aiplatform.metadataStores.create", "aiplatform.metadataStores.get", "aiplatform.modelEvaluations.import", "aiplatform.models.get", "aiplatform.models.upload", "aiplatform.operations.list", "aiplatform.pipelineJobs.get", "aiplatform.pipelineJobs.list"]

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "pipeline_run" {
  project = local.project_id
  role    = google_project_iam_custom_role.pipeline_run.name
  member  = google_service_account.pipeline.member
}

resource "google_project_iam_member" "pipeline" {
  for_each = toset([
    "roles/bigquery.jobUser",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
  ])

  project = local.project_id
  role    = each.value
  member  = google_service_account.pipeline.member
}

resource "google_project_iam_member" "pipeline_dataflow_developer" {
  #checkov:skip=CKV_GCP_49:launching the Dataflow Flex Template needs roles/dataflow.developer; the only account the pipeline can run jobs as is the worker SA (actAs bound on that SA alone)
  project = local.project_id
  role    = "roles/dataflow.developer"
  member  = google_service_account.pipeline.member
}

resource "google_service_account_iam_member" "pipeline_acts_as_dataflow" {
  service_account_id = google_service_account.dataflow.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.pipeline.member
}

# The training custom job runs as the training account (data in, model out; no Vertex AI rights).
resource "google_service_account_iam_member" "pipeline_acts_as_training" {
  service_account_id = google_service_account.training.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.pipeline.member
}

# The batch tier: the batch prediction job runs as the training account too (it already reads
# the models and writes under the pipeline root); it reads the claimed inference input, so it
# may read the raw bucket. The pipeline's account moves the input (inference/incoming/ ->
# inference/processing/<run>/ -> inference/processed/<run>/), the job writes the predictions
# to predictions/<run>/ of the artifacts bucket.
resource "google_storage_bucket_iam_member" "training_inference_reader" {
  bucket = google_storage_bucket.raw.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.training.member
}

# --- Training in the client's network -----------------------------------------------------------
# The custom training job gets a Private Service Connect interface in the blueprint's subnet
# (Vertex AI's recommended private connectivity for training): a private address, no external
# IP, the VPC's firewall rules and routes. Vertex AI adds its tenant project to the attachment's
# accept list itself, which needs Compute Network Admin for its service agent.
resource "google_compute_network_attachment" "training" {
  name                  = "${local.name_prefix}-training"
  project               = local.project_id
  region                = local.region
  description           = "Private Service Connect interface of the pipeline's training jobs"
  connection_preference = "ACCEPT_MANUAL"
  subnetworks           = [local.subnetwork_self_link]

  lifecycle {
    # Vertex AI manages the producer accept list (its tenant project).
    ignore_changes = [producer_accept_lists]
  }

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "vertex_agent_network_attachment" {
  #checkov:skip=CKV_GCP_42:Vertex AI's own service agent adds its tenant project to the training network attachment's accept list; Vertex AI's PSC interface setup grants it Compute Network Admin
  project = local.project_id
  role    = "roles/compute.networkAdmin"
  member  = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-aiplatform.iam.gserviceaccount.com"

  # Like every grant to a generated service agent: the agent is usable in IAM a little after
  # google_project_service_identity returns (kms.tf).
  depends_on = [time_sleep.service_agents]
}

# curate claims new files by moving them (incoming/ -> processing/<run>/ -> processed/<run>/).
resource "google_storage_bucket_iam_member" "pipeline_raw" {
  bucket = google_storage_bucket.raw.name
  role   = "roles/storage.objectUser"
  member = google_service_account.pipeline.member
}

# Pipeline root (run artefacts, curated snapshots, training sets, models) and the shipped code.
resource "google_storage_bucket_iam_member" "pipeline_artifacts" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = google_service_account.pipeline.member
}

# MERGE into the curated table and the quarantine table.
resource "google_bigquery_dataset_iam_member" "pipeline_curated" {
  dataset_id = google_bigquery_dataset.curated.dataset_id
  project    = local.project_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.pipeline.member
}

# Read and drop each run's staging table.
resource "google_bigquery_dataset_iam_member" "pipeline_staging" {
  dataset_id = google_bigquery_dataset.staging.dataset_id
  project    = local.project_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.pipeline.member
}

# --- Who starts it: Cloud Scheduler --------------------------------------------------------------
# The scheduler's account may create pipeline jobs and act as the pipeline's account, nothing else.
resource "google_project_iam_custom_role" "pipeline_launch" {
  project     = local.project_id
  role_id     = "dsaas_hooli_dev_pipeline_launch"
  title       = "Start the MLOps pipeline"
  description = "Create Vertex AI pipeline jobs (dsaas-infra)"
  permissions = ["aiplatform.pipelineJobs.create"]

  depends_on = [time_sleep.services]
}

resource "google_service_account" "scheduler" {
  account_id   = "hooli-dev-sched"
  project      = local.project_id
  display_name = "Cloud Scheduler: starts the MLOps pipeline"

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "scheduler_pipeline_launch" {
  project = local.project_id
  role    = google_project_iam_custom_role.pipeline_launch.name
  member  = google_service_account.scheduler.member
}

resource "google_service_account_iam_member" "scheduler_acts_as_pipeline" {
  service_account_id = google_service_account.pipeline.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.scheduler.member
}

# --- The shipped pipeline -------------------------------------------------------------------------
# The source and compiled spec (for audits and manual runs) and the training script the custom
# job runs from /gcs/<artifacts bucket>/pipeline/train.py.
resource "google_storage_bucket_object" "pipeline" {
  for_each = {
    "pipeline.py"   = "text/x-python"
    "pipeline.yaml" = "application/yaml"
    "train.py"      = "text/x-python"
  }

  bucket       = google_storage_bucket.artifacts.name
  name         = "pipeline/${each.key}"
  source       = "${path.module}/files/pipeline/${each.key}"
  content_type = each.value
}

locals {
  # The pipeline's parameters: everything client-specific is here, nothing in the compiled spec.
  # datasets: each raw dataset's curated table (incoming/<dataset>/ -> <dataset>, <dataset>_quarantine).
  pipeline_parameters = {
    project                     = local.project_id
    region                      = local.region
    raw_bucket                  = google_storage_bucket.raw.name
    dataflow_bucket             = google_storage_bucket.dataflow.name
    artifacts_bucket            = google_storage_bucket.artifacts.name
    dataset                     = google_bigquery_dataset.curated.dataset_id
    staging_dataset             = google_bigquery_dataset.staging.dataset_id
    datasets                    = [for name in ["training"] : google_bigquery_table.curated[name].table_id]
    training_dataset            = "training"
    dataflow_template           = "gs://dataflow-templates-us-east1/latest/flex/GCS_Text_to_BigQuery_Flex"
    dataflow_service_account    = google_service_account.dataflow.email
    subnetwork                  = local.subnetwork_self_link
    dataflow_kms_key            = google_kms_crypto_key.keys["compute"].id
    kms_key                     = google_kms_crypto_key.keys["vertex"].id
    dataflow_machine_type       = "n2-standard-2"
    dataflow_max_workers        = var.dataflow_max_workers
    training_enabled            = true
    loop_display_name           = "hooli-dev MLOps loop"
    label_field                 = "label"
    test_percent                = 20
    training_service_account    = google_service_account.training.email
    training_machine_type       = "e2-standard-4"
    model_id                    = "hooli-dev-model"
    model_display_name          = "hooli-dev-model"
    training_network_attachment = google_compute_network_attachment.training.id
    deploy_enabled              = false
    drift_enabled               = false
    batch_enabled               = true
    batch_service_account       = google_service_account.training.email
    approval                    = "auto"
    approval_metric             = "rootMeanSquaredError"
    approval_threshold          = 0
    approved_alias              = "approved"
    serving_machine_type        = "e2-standard-4"
    min_replicas                = 1
    max_replicas                = 1
  }
}

locals {
  # pipelineJobs.create's request of one run: the compiled spec inline (a job's payload may be up
  # to 1 MB), the pipeline's account, its key and the parameters.
  pipeline_request = {
    displayName    = "hooli-dev MLOps loop"
    pipelineSpec   = yamldecode(file("${path.module}/files/pipeline/pipeline.yaml"))
    serviceAccount = google_service_account.pipeline.email
    encryptionSpec = {
      kmsKeyName = google_kms_crypto_key.keys["vertex"].id
    }
    labels = local.labels
    runtimeConfig = {
      gcsOutputDirectory = "gs://${google_storage_bucket.artifacts.name}/pipeline-root"
      parameterValues    = local.pipeline_parameters
    }
  }
}

# One run of the loop on the spec's schedule (UTC): Cloud Scheduler calls pipelineJobs.create
# with the compiled spec inline (a job's payload may be up to 1 MB) as the pipeline's account.
# A retried launch (Cloud Scheduler retries when it gets no answer, also when the job was
# created) starts a second run: of the active runs with this display name only the earliest
# works, the others end at once (the pipeline's single_run step). Runs never load a file twice
# either way: each moves the files it loads out of incoming/ first.
resource "google_cloud_scheduler_job" "pipeline" {
  name             = "hooli-dev-mlops-loop"
  project          = local.project_id
  region           = local.region
  description      = "Starts one run of the MLOps pipeline (Vertex AI Pipelines)."
  schedule         = "30 1 * * 1-5"
  time_zone        = "Etc/UTC"
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
  }

  http_target {
    http_method = "POST"
    uri         = "https://${local.region}-aiplatform.googleapis.com/v1/projects/${local.project_id}/locations/${local.region}/pipelineJobs"
    headers = {
      "Content-Type" = "application/json"
    }
    body = base64encode(jsonencode(local.pipeline_request))

    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [
    google_project_iam_member.scheduler_pipeline_launch,
    google_service_account_iam_member.scheduler_acts_as_pipeline,
    google_project_iam_member.pipeline,
    google_project_iam_member.pipeline_run,
    google_project_iam_member.pipeline_dataflow_developer,
    google_service_account_iam_member.pipeline_acts_as_dataflow,
    google_storage_bucket_iam_member.pipeline_raw,
    google_storage_bucket_iam_member.pipeline_artifacts,
    google_bigquery_dataset_iam_member.pipeline_curated,
    google_bigquery_dataset_iam_member.pipeline_staging,
    google_bigquery_table.quarantine,
    google_storage_bucket_object.pipeline,
    google_project_iam_member.vertex_agent_network_attachment,
    google_storage_bucket_iam_member.training_inference_reader,
    google_project_iam_member.dataflow_worker,
    google_storage_bucket_iam_member.dataflow_raw_reader,
    google_storage_bucket_iam_member.dataflow_bucket,
    google_bigquery_dataset_iam_member.dataflow_staging_writer,
  ]
}
