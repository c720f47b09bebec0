# A custom-mode VPC for the client: one regional subnet, private Google access (workers and
# notebooks have no public IPs) and flow logs. No secondary ranges: no GKE cluster is created.
resource "google_compute_network" "main" {
  name                    = "${local.name_prefix}-vpc"
  project                 = local.project_id
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
  # Egress restricted (gcp.egress): no route to the internet, only to restricted.googleapis.com.
  delete_default_routes_on_create = true

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
    flow_sampling        = 1
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# --- Egress: Google APIs only ------------------------------------------------------------------
# The network has no default route: the only ways out of the subnet are these routes to Google's
# API addresses (restricted.googleapis.com serves only the APIs VPC Service Controls supports;
# private.googleapis.com the Workbench proxy). No Cloud NAT: workloads cannot reach the internet
# (package mirrors, images outside Google's registries, any other host).
resource "google_compute_route" "google_apis" {
  for_each = toset(["199.36.153.4/30", "199.36.153.8/30"])

  name             = "${local.name_prefix}-google-apis-${replace(replace(each.value, ".", "-"), "/", "-")}"
  project          = local.project_id
  network          = google_compute_network.main.id
  dest_range       = each.value
  next_hop_gateway = "default-internet-gateway"
  priority         = 1000
  description      = "Google APIs only (no internet route)"
}

# Private DNS: Google API, registry and Workbench proxy names resolve to those addresses inside the VPC.
resource "google_dns_managed_zone" "restricted" {
  for_each = local.dns_zones

  name        = "${local.name_prefix}-${each.key}"
  project     = local.project_id
  dns_name    = each.value.dns_name
  description = "Google APIs through restricted.googleapis.com (no internet egress)"
  visibility  = "private"

  private_visibility_config {
    networks {
      network_url = google_compute_network.main.id
    }
  }

  depends_on = [time_sleep.services]
}

resource "google_dns_record_set" "restricted_a" {
  for_each = google_dns_managed_zone.restricted

  project      = local.project_id
  managed_zone = each.value.name
  name         = local.dns_zones[each.key].a_name
  type         = "A"
  ttl          = 300
  rrdatas      = local.dns_zones[each.key].addresses
}

resource "google_dns_record_set" "restricted_cname" {
  for_each = google_dns_managed_zone.restricted

  project      = local.project_id
  managed_zone = each.value.name
  name         = "*.${each.value.dns_name}"
  type         = "CNAME"
  ttl          = 300
  rrdatas      = [local.dns_zones[each.key].a_name]
}

locals {
  dns_zones = {
    gcr = {
      dns_name  = "gcr.io."
      a_name    = "gcr.io."
      addresses = ["199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"]
    }
    googleapis = {
      dns_name  = "googleapis.com."
      a_name    = "restricted.googleapis.com."
      addresses = ["199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"]
    }
    kernels-content = {
      dns_name  = "kernels.googleusercontent.com."
      a_name    = "kernels.googleusercontent.com."
      addresses = ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"]
    }
    notebooks = {
      dns_name  = "notebooks.cloud.google.com."
      a_name    = "notebooks.cloud.google.com."
      addresses = ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"]
    }
    notebooks-content = {
      dns_name  = "notebooks.googleusercontent.com."
      a_name    = "notebooks.googleusercontent.com."
      addresses = ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"]
    }
    pkg-dev = {
      dns_name  = "pkg.dev."
      a_name    = "pkg.dev."
      addresses = ["199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"]
    }
  }
}

# Egress firewall: deny everything, then allow the subnet itself (Dataflow shuffle, internal
# calls) and HTTPS to Google's API addresses.
resource "google_compute_firewall" "deny_all_egress" {
  name               = "${local.name_prefix}-deny-all-egress"
  project            = local.project_id
  network            = google_compute_network.main.id
  direction          = "EGRESS"
  priority           = 65534
  destination_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "allow_restricted_apis_egress" {
  name               = "${local.name_prefix}-allow-restricted-apis"
  project            = local.project_id
  network            = google_compute_network.main.id
  direction          = "EGRESS"
  priority           = 1000
  destination_ranges = ["199.36.153.4/30", "199.36.153.8/30"]

  allow {
    protocol = "tcp"
    ports    = ["443"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "allow_subnet_egress" {
  name               = "${local.name_prefix}-allow-subnet-egress"
  project            = local.project_id
  network            = google_compute_network.main.id
  direction          = "EGRESS"
  priority           = 1000
  destination_ranges = [var.subnet_cidr]

  allow {
    protocol = "all"
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
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
