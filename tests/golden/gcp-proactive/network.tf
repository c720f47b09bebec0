# A custom-mode VPC for the client: one regional subnet, private Google access (workers and
# notebooks have no public IPs) and flow logs. No secondary ranges: no GKE cluster is created.
resource "google_compute_network" "main" {
  name                    = "${local.name_prefix}-vpc"
  project                 = local.project_id
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"

  depends_on = [time_sleep.services]
}

resource "google_compute_subnetwork" "main" {
  name                     = "${local.name_prefix}-${local.region}"
  project                  = local.project_id
  region                   = local.region
  network                  = google_compute_network.main.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Outbound internet (package mirrors, public images) for instances without public IPs.
resource "google_compute_router" "main" {
  name    = "${local.name_prefix}-router"
  project = local.project_id
  region  = local.region
  network = google_compute_network.main.id
}

resource "google_compute_router_nat" "main" {
  name                               = "${local.name_prefix}-nat"
  project                            = local.project_id
  region                             = local.region
  router                             = google_compute_router.main.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.main.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Ingress: deny everything by default, then allow only Dataflow workers to each other
# (12345-12346), GKE nodes and pods to the nodes, and Google's health checkers to the GKE
# nodes. Rules target network tags: Dataflow tags its workers
# "dataflow", the Workbench instances and GKE nodes carry theirs (training.tf, deployment.tf).
resource "google_compute_firewall" "deny_all_ingress" {
  name          = "${local.name_prefix}-deny-all-ingress"
  project       = local.project_id
  network       = google_compute_network.main.id
  direction     = "INGRESS"
  priority      = 65534
  source_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Dataflow workers exchange shuffle data with each other on TCP 12345-12346, nothing else.
resource "google_compute_firewall" "allow_dataflow" {
  name        = "${local.name_prefix}-allow-dataflow"
  project     = local.project_id
  network     = google_compute_network.main.id
  direction   = "INGRESS"
  priority    = 1000
  source_tags = ["dataflow"]
  target_tags = ["dataflow"]

  allow {
    protocol = "tcp"
    ports    = ["12345-12346"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# No rule admits anything to the Workbench instances: JupyterLab is reached through Google's
# Workbench proxy, which the instance connects out to, so no pod or VM can reach Jupyter.

locals {
  network_id           = google_compute_network.main.id
  network_self_link    = google_compute_network.main.self_link
  subnetwork_id        = google_compute_subnetwork.main.id
  subnetwork_self_link = google_compute_subnetwork.main.self_link
}
