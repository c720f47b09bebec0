# Phase 3, deployment: a private GKE cluster that serves models, its node pools and identities,
# and the Vertex AI endpoint for managed online predictions.

# --- Encryption grants for GKE ------------------------------------------------------------
# Application-layer secrets encryption: the GKE service agent wraps etcd secrets with the
# blueprint's key. The agent exists as soon as the Kubernetes Engine API is enabled.
resource "google_kms_crypto_key_iam_member" "gke_agent" {
  crypto_key_id = google_kms_crypto_key.keys["compute"].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.current.number}@container-engine-robot.iam.gserviceaccount.com"

  depends_on = [time_sleep.services]
}

# IAM grants on a key take a little while to reach the services that check them.
resource "time_sleep" "gke_kms_grant" {
  create_duration = "30s"

  depends_on = [google_kms_crypto_key_iam_member.gke_agent]
}

# --- Node identity --------------------------------------------------------------------------
# Nodes never run as the Compute Engine default account (Editor on the project): this one may
# only write logs and metrics and pull images from the blueprint's repository.
resource "google_service_account" "gke_nodes" {
  account_id   = "stark-prd-gke"
  display_name = "GKE nodes of stark-prod-serving"
  description  = "Least-privilege identity of the serving cluster's nodes"

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "gke_nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
  ])

  project = local.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.gke_nodes.email}"
}

resource "google_artifact_registry_repository_iam_member" "gke_nodes" {
  project    = google_artifact_registry_repository.models.project
  location   = google_artifact_registry_repository.models.location
  repository = google_artifact_registry_repository.models.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.gke_nodes.email}"
}

# --- Cluster --------------------------------------------------------------------------------
# The control plane CIDR allowed to reach the private endpoint: the cluster's own subnet (read
# back so that a reused network works the same as the one the blueprint creates).
data "google_compute_subnetwork" "gke" {
  self_link = local.subnetwork_self_link

  # A reused subnet is a literal path: without this the read races the Compute Engine API's
  # enabling on a fresh project.
  depends_on = [time_sleep.services]
}

resource "google_container_cluster" "serving" {
  #checkov:skip=CKV_GCP_12:Dataplane V2 (datapath_provider ADVANCED_DATAPATH) enforces network policies; the Calico network_policy block cannot be combined with it
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs a gke-security-groups group in the client's Workspace domain, which the spec does not know; set authenticator_groups_config once it exists
  name        = "stark-prod-serving"
  description = "Model serving for Stark Mobility \"Prod\" (prod)"
  # Regional: control plane and nodes spread over the region's zones (multi_az).
  location = "us-central1"

  network         = local.network_self_link
  subnetwork      = local.subnetwork_self_link
  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {
    cluster_secondary_range_name  = local.pods_range_name
    services_secondary_range_name = local.services_range_name
  }

  # Node pools are managed as their own resources: the default pool is created (with the same
  # hardened settings, see node_config) only because the API requires one, then removed.
  remove_default_node_pool = true
  initial_node_count       = 1
  node_config {
    machine_type      = "e2-small"
    service_account   = google_service_account.gke_nodes.email
    oauth_scopes      = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type        = "COS_CONTAINERD"
    disk_type         = "pd-balanced"
    disk_size_gb      = 50
    boot_disk_kms_key = google_kms_crypto_key.keys["compute"].id
    metadata = {
      disable-legacy-endpoints = "true"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  # The control plane has no public IP: its IP endpoint is private and only the subnet may use
  # it. Operators and the ML pipeline (which runs outside the VPC) use the DNS-based endpoint,
  # where every request is authenticated and authorised by IAM
  # (gcloud container clusters get-credentials --dns-endpoint).
  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = true
    master_global_access_config {
      enabled = false
    }
  }
  control_plane_endpoints_config {
    dns_endpoint_config {
      allow_external_traffic = true
    }
  }
  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled = false
    cidr_blocks {
      cidr_block   = data.google_compute_subnetwork.gke.ip_cidr_range
      display_name = "serving subnet"
    }
  }
  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  workload_identity_config {
    workload_pool = "stark-dsaas-prod.svc.id.goog"
  }
  enable_shielded_nodes       = true
  enable_intranode_visibility = true
  enable_legacy_abac          = false
  # Dataplane V2 (eBPF) enforces Kubernetes network policies and logs policy decisions.
  datapath_provider = "ADVANCED_DATAPATH"
  release_channel {
    channel = "STABLE"
  }
  # The project's Binary Authorization policy decides which images may run (allow-all until
  # the client tightens it to attested images from the blueprint's repository).
  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }
  database_encryption {
    state    = "ENCRYPTED"
    key_name = google_kms_crypto_key.keys["compute"].id
  }
  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }
  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]
    managed_prometheus {
      enabled = true
    }
  }
  addons_config {
    http_load_balancing {
      disabled = false
    }
    horizontal_pod_autoscaling {
      disabled = false
    }
    gce_persistent_disk_csi_driver_config {
      enabled = true
    }
  }
  vertical_pod_autoscaling {
    enabled = true
  }
  maintenance_policy {
    recurring_window {
      start_time = "2025-01-04T02:00:00Z"
      end_time   = "2025-01-04T08:00:00Z"
      recurrence = "FREQ=WEEKLY;BYDAY=SA,SU"
    }
  }

  resource_labels     = local.labels
  deletion_protection = true

  lifecycle {
    # Only the removed default pool reads node_config; changing it must not replace the cluster.
    ignore_changes = [node_config]
  }

  # The GKE agent's grant (secrets) and the Compute Engine agent's grant (boot disks, kms.tf).
  depends_on = [
    time_sleep.gke_kms_grant,
    time_sleep.kms_grants,
  ]
}

resource "google_container_node_pool" "general" {
  name     = "general"
  cluster  = google_container_cluster.serving.id
  location = google_container_cluster.serving.location

  initial_node_count = 1
  autoscaling {
    # Totals over the region's zones, so the spec's instance counts mean the whole pool.
    total_min_node_count = 2
    total_max_node_count = 8
    location_policy      = "BALANCED"
  }
  management {
    auto_repair  = true
    auto_upgrade = true
  }
  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type      = "n2-standard-4"
    image_type        = "COS_CONTAINERD"
    disk_type         = "pd-balanced"
    disk_size_gb      = 100
    boot_disk_kms_key = google_kms_crypto_key.keys["compute"].id
    service_account   = google_service_account.gke_nodes.email
    oauth_scopes      = ["https://www.googleapis.com/auth/cloud-platform"]
    resource_labels   = local.labels
    # Firewall target (network.tf: VPC-internal traffic and load balancer health checks).
    tags = ["stark-prod-gke-node"]

    labels = {
      "dsaas-infra/pool"    = "general"
      "dsaas-infra/serving" = "true"
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  lifecycle {
    # The autoscaler owns the node count after creation.
    ignore_changes = [initial_node_count]
  }
}

# --- Workload identity of the model servers --------------------------------------------------
# Pods running as Kubernetes service account serving/model-server act as
# this Google account: read-only access to the model artifacts, nothing else.
resource "google_service_account" "serving" {
  account_id   = "stark-prd-serve"
  display_name = "Model servers of stark-prod-serving"
  description  = "Workload Identity of the model-serving pods on GKE"

  depends_on = [time_sleep.services]
}

resource "google_storage_bucket_iam_member" "serving_artifacts" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.serving.email}"
}

resource "google_service_account_iam_member" "serving_workload_identity" {
  service_account_id = google_service_account.serving.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:stark-dsaas-prod.svc.id.goog[serving/model-server]"

  # The workload identity pool exists once the first cluster with Workload Identity does.
  depends_on = [google_container_cluster.serving]
}

# The ML pipeline (training service account) rolls new model servers out to the cluster. IAM
# only lets it reach the control plane (DNS endpoint) and read the cluster: GKE has no
# cluster-level IAM, and roles/container.developer would give it every Kubernetes object of
# every cluster in the project. What it may change inside the cluster is Kubernetes RBAC: a
# cluster admin binds it to the edit role in namespace serving (README, after apply).
resource "google_project_iam_custom_role" "gke_connect" {
  project     = local.project_id
  role_id     = "dsaas_stark_prod_gke_connect"
  title       = "GKE control plane access, no Kubernetes objects"
  description = "Reach and read GKE clusters; Kubernetes RBAC decides the rest (dsaas-infra)"
  permissions = ["container.clusters.connect", "container.clusters.get", "container.clusters.getCredentials"]

  depends_on = [time_sleep.services]
}

resource "google_project_iam_member" "pipeline_gke_connect" {
  project = local.project_id
  role    = google_project_iam_custom_role.gke_connect.name
  member  = "serviceAccount:${google_service_account.training.email}"
}

# --- Vertex AI endpoint ---------------------------------------------------------------------
# Created empty: no model exists before the first training run. The ML pipeline uploads each
# trained model to the registry and deploys it here with the traffic split of the spec's
# variants (output serving_variants), so Terraform leaves deployed models and the split alone.
resource "google_vertex_ai_endpoint" "main" {
  #checkov:skip=CKV2_GCP_33:Callers need IAM prediction rights (the Apigee proxy's account holds only aiplatform.endpoints.predict, on this endpoint alone) and use Google's TLS API; a private (peered or PSC) endpoint would also need a network path from the Apigee tenant network
  name         = "683965896"
  display_name = "stark-prod-endpoint"
  description  = "Online predictions for Stark Mobility \"Prod\" (prod); models are deployed by the ML pipeline"
  location     = local.region
  region       = local.region
  labels       = local.labels

  encryption_spec {
    kms_key_name = google_kms_crypto_key.keys["vertex"].id
  }

  lifecycle {
    ignore_changes = [traffic_split]
  }

  # The Vertex AI agent's grant on the key (kms.tf).
  depends_on = [time_sleep.kms_grants]
}
