# Docker images of training and serving containers, encrypted with the CMEK. Tags are
# immutable: pipelines tag images with the commit they were built from.
resource "google_artifact_registry_repository" "models" {
  repository_id          = "${local.name_prefix}-models"
  project                = local.project_id
  location               = local.region
  format                 = "DOCKER"
  description            = "Training and serving images"
  kms_key_name           = google_kms_crypto_key.keys["registry"].id
  cleanup_policy_dry_run = false

  docker_config {
    immutable_tags = true
  }

  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"

    condition {
      tag_state  = "UNTAGGED"
      older_than = "604800s"
    }
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"

    most_recent_versions {
      keep_count = 20
    }
  }

  depends_on = [time_sleep.kms_grants]
}

# Experiment tracking for training runs (the Vertex AI model registry needs no resource: the
# pipeline registers models in it).
resource "google_vertex_ai_tensorboard" "main" {
  display_name = "${local.name_prefix}-tensorboard"
  project      = local.project_id
  region       = local.region
  description  = "Training runs of the DSaaS platform"

  encryption_spec {
    kms_key_name = google_kms_crypto_key.keys["vertex"].id
  }

  depends_on = [time_sleep.kms_grants]
}

# No metadata store here: Vertex AI Pipelines record runs, artifacts and lineage in the
# project's store "default", which a project that already ran a Vertex AI pipeline or experiment
# has (creating it again fails with 409, and it cannot be imported with another key). Where there
# is none, the first pipeline run creates it with the run's key (keys["vertex"], pipeline.tf's
# encryptionSpec); where there is one, runs use it with its own key. The preflight check
# gcp-metadata-store says which (README).

# The pipeline's training custom jobs run as this account (only the pipeline's account may act
# as it): read curated data, write the model under the pipeline root, push and pull images. No
# Vertex AI role: registering and deploying models is the pipeline account's job.
resource "google_service_account" "training" {
  account_id   = "stark-prd-train"
  project      = local.project_id
  display_name = "Vertex AI training jobs"

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "training" {
  for_each = toset([
    "roles/bigquery.jobUser",
    "roles/bigquery.readSessionUser",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
  ])

  project = local.project_id
  role    = each.value
  member  = google_service_account.training.member
}

resource "google_storage_bucket_iam_member" "training_curated_reader" {
  bucket = google_storage_bucket.curated.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.training.member
}

# The artifacts bucket holds what the pipeline runs and deploys (its code, the pipeline root,
# models): written only by the pipeline's identities (this one and the pipeline's), read by notebooks.
resource "google_storage_bucket_iam_member" "training_artifacts_writer" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = google_service_account.training.member
}

resource "google_bigquery_dataset_iam_member" "training_curated_reader" {
  dataset_id = google_bigquery_dataset.curated.dataset_id
  project    = local.project_id
  role       = "roles/bigquery.dataViewer"
  member     = google_service_account.training.member
}

# Pipelines build their training images and push them here, tagged with the commit (tags are
# immutable and the writer role cannot delete versions: a pushed image is never replaced).
resource "google_artifact_registry_repository_iam_member" "training_writer" {
  repository = google_artifact_registry_repository.models.name
  project    = local.project_id
  location   = local.region
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.training.member
}

# Workbench instances run as this account: explore raw and curated data, read the pipeline's
# artifacts, keep their own work in the experiments bucket, build and push images. It cannot act
# as the training (or any pipeline) account, cannot write the code, pipeline root or models the
# pipeline deploys, and cannot change models or endpoints: notebook users never touch production.
resource "google_service_account" "workbench" {
  account_id   = "stark-prd-wb"
  project      = local.project_id
  display_name = "Vertex AI Workbench instances"

  depends_on = [time_sleep.services]
}

# Vertex AI for notebooks without roles/aiplatform.user (which also deploys, undeploys, re-splits
# and deletes models and endpoints): experiments and read-only views, see NOTEBOOK_PERMISSIONS.
resource "google_project_iam_custom_role" "notebook" {
  project     = local.project_id
  role_id     = "dsaas_stark_prod_notebook"
  title       = "Vertex AI for notebooks (no model or endpoint changes)"
  description = "Experiments (studies, TensorBoard, metadata), read-only models, endpoints and jobs (dsaas-infra)"
  permissions = ["aiplatform.artifacts.create", "aiplatform.artifacts.get", "aiplatform.artifacts.list", "aiplatform.artifacts.update", "aiplatform.contexts.addContextArtifactsAndExecutions", "aiplatform.contexts.addContextChildren", "aiplatform.contexts.create", "aiplatform.contexts.get", "aiplatform.contexts.list", "aiplatform.contexts.queryContextLineageSubgraph", "aiplatform.contexts.update", "aiplatform.customJobs.get", "aiplatform.customJobs.list", "aiplatform.datasets.get", "aiplatform.datasets.list", "aiplatform.endpoints.get", "aiplatform.endpoints.list", "aiplatform.executions.addExecutionEvents", "aiplatform.executions.create", "aiplatform.executions.get", "aiplatform.executions.list", "aiplatform.executions.queryExecutionInputsAndOutputs", "aiplatform.executions.update", "aiplatform.hyperparameterTuningJobs.get", "aiplatform.hyperparameterTuningJobs.list", "aiplatform.locations.get", "aiplatform.locations.list", "aiplatform.metadataSchemas.create", "aiplatform.metadataSchemas.get", "aiplatform.metadataSchemas.list", "aiplatform.metadataStores.get", "aiplatform.modelEvaluations.get", "aiplatform.modelEvaluations.list", "aiplatform.models.get", "aiplatform.models.list", "aiplatform.operations.list", "aiplatform.pipelineJobs.get", "aiplatform.pipelineJobs.list", "aiplatform.studies.create", "aiplatform.studies.get", "aiplatform.studies.list", "aiplatform.studies.update", "aiplatform.tensorboardExperiments.create", "aiplatform.tensorboardExperiments.get", "aiplatform.tensorboardExperiments.list", "aiplatform.tensorboardExperiments.update", "aiplatform.tensorboardExperiments.write", "aiplatform.tensorboardRuns.batchCreate", "aiplatform.tensorboardRuns.create", "aiplatform.tensorboardRuns.get", "aiplatform.tensorboardRuns.list", "aiplatform.tensorboardRuns.update", "aiplatform.tensorboardRuns.write", "aiplatform.tensorboardTimeSeries.batchCreate", "aiplatform.tensorboardTimeSeries.batchRead", "aiplatform.tensorboardTimeSeries.create", "aiplatform.tensorboardTimeSeries.get", "aiplatform.tensorboardTimeSeries.list", "aiplatform.tensorboardTimeSeries.read", "aiplatform.tensorboardTimeSeries.update", "aiplatform.tensorboards.get", "aiplatform.tensorboards.list", "aiplatform.trials.create", "aiplatform.trials.get", "aiplatform.trials.list", "aiplatform.trials.update"]

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "workbench_vertex" {
  project = local.project_id
  role    = google_project_iam_custom_role.notebook.name
  member  = google_service_account.workbench.member
}

resource "google_project_iam_member" "workbench" {
  for_each = toset([
    "roles/bigquery.jobUser",
    "roles/bigquery.readSessionUser",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
  ])

  project = local.project_id
  role    = each.value
  member  = google_service_account.workbench.member
}

resource "google_storage_bucket_iam_member" "workbench_raw_reader" {
  bucket = google_storage_bucket.raw.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.workbench.member
}

resource "google_storage_bucket_iam_member" "workbench_curated_writer" {
  bucket = google_storage_bucket.curated.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.workbench.member
}

# Read only: train.py, the pipeline root and the models are the pipeline's (see training_artifacts_writer).
resource "google_storage_bucket_iam_member" "workbench_artifacts_reader" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.workbench.member
}

# The notebooks' own scratch space: experiments, exported samples, models that are not the pipeline's.
resource "google_storage_bucket_iam_member" "workbench_experiments_writer" {
  bucket = google_storage_bucket.experiments.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.workbench.member
}

resource "google_bigquery_dataset_iam_member" "workbench_curated_reader" {
  dataset_id = google_bigquery_dataset.curated.dataset_id
  project    = local.project_id
  role       = "roles/bigquery.dataViewer"
  member     = google_service_account.workbench.member
}

resource "google_artifact_registry_repository_iam_member" "workbench_writer" {
  repository = google_artifact_registry_repository.models.name
  project    = local.project_id
  location   = local.region
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.workbench.member
}

locals {
  # Each data scientist's Google account (phases.training.user_emails, default
  # <user>@<the client owner's domain>): the single owner of their instance.
  workbench_owners = {
    tony   = "tony@stark.example"
    pepper = "pepper@stark.example"
    rhodey = "rhodey@stark.example"
  }
}

# One Workbench instance per data scientist: no public IP (reached through the Workbench
# proxy), shielded VM, CMEK disks, in the blueprint's subnet. Single-user: only its owner can
# open JupyterLab.
resource "google_workbench_instance" "users" {
  for_each = {
    tony   = "stark-prod-wb-tony"
    pepper = "stark-prod-wb-pepper"
    rhodey = "stark-prod-wb-rhodey"
  }

  name                 = each.value
  project              = local.project_id
  location             = var.workbench_zone
  disable_proxy_access = false
  instance_owners      = [local.workbench_owners[each.key]]
  # Prod notebooks hold work that is not in git yet: refuse deletion (also by terraform destroy).
  enable_deletion_protection = true

  gce_setup {
    machine_type         = "g2-standard-8"
    disable_public_ip    = true
    enable_ip_forwarding = false
    tags                 = ["workbench"]
    metadata = {
      # Stop idle instances (cost); root off and no file downloads from JupyterLab.
      idle-timeout-seconds       = "10800"
      notebook-disable-root      = "true"
      notebook-disable-downloads = "true"
      serial-port-logging-enable = "false"
      install-nvidia-driver      = "True"
    }

    accelerator_configs {
      type       = "NVIDIA_L4"
      core_count = 1
    }

    service_accounts {
      email = google_service_account.workbench.email
    }

    boot_disk {
      disk_size_gb    = 150
      disk_type       = "PD_BALANCED"
      disk_encryption = "CMEK"
      kms_key         = google_kms_crypto_key.keys["compute"].id
    }

    data_disks {
      disk_size_gb    = 100
      disk_type       = "PD_BALANCED"
      disk_encryption = "CMEK"
      kms_key         = google_kms_crypto_key.keys["compute"].id
    }

    shielded_instance_config {
      # The NVIDIA driver installed on first boot is not signed for Secure Boot.
      enable_secure_boot          = false
      enable_vtpm                 = true
      enable_integrity_monitoring = true
    }

    network_interfaces {
      network = local.network_id
      subnet  = local.subnetwork_id
    }
  }

  labels = {
    workbench-user = each.key
  }

  depends_on = [
    time_sleep.kms_grants,
    google_project_iam_member.workbench,
    google_project_iam_member.workbench_vertex,
  ]
}

# What each listed user may do: open and start/stop their own instance (idle instances stop),
# and run as its account inside JupyterLab; nothing on other users' instances.
resource "google_workbench_instance_iam_member" "owners" {
  for_each = local.workbench_owners

  project  = local.project_id
  location = var.workbench_zone
  name     = google_workbench_instance.users[each.key].name
  role     = "roles/notebooks.admin"
  member   = "user:${each.value}"
}

resource "google_service_account_iam_member" "workbench_users" {
  for_each = local.workbench_owners

  service_account_id = google_service_account.workbench.name
  role               = "roles/iam.serviceAccountUser"
  member             = "user:${each.value}"
}
