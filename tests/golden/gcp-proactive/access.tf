# Phase 4, access: Apigee X in front of the models, one API product, developer and app (API key)
# per consumer, each with its own quota and rate limits.

variable "api_hostname" {
  description = "Public host name of the prediction API (the Apigee environment group). Set it to a name in the client's own domain: the .example placeholder can never get a certificate."
  type        = string
  default     = "api.globex-eu.staging.example"

  validation {
    condition     = can(regex("^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.api_hostname))
    error_message = "Must be a lowercase DNS host name such as api.example.com (no scheme, port or path)."
  }
}

# The placeholder default keeps `terraform plan` working without input, but Google can never
# issue a managed certificate for a .example name: warn (a check block does not fail the run)
# until api_hostname is set, e.g. api_hostname = "api.client.com" in a *.tfvars file.
check "api_hostname_is_set" {
  assert {
    condition     = !endswith(var.api_hostname, ".example")
    error_message = "api_hostname is the placeholder ${var.api_hostname}: set it to a host name in the client's domain (terraform.tfvars or -var), or the API certificate is never issued."
  }
}

# --- Private connectivity -------------------------------------------------------------------
# Apigee X runs in a Google-managed tenant network peered with the blueprint's VPC: a /22 for
# the runtime and a /28 for Apigee's support services, both chosen by Google from free space.
resource "google_compute_global_address" "apigee_range" {
  project       = local.project_id
  name          = "${local.name_prefix}-apigee"
  description   = "Apigee X runtime (service networking peering)"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 22
  network       = local.network_id

  depends_on = [time_sleep.services]
}

resource "google_compute_global_address" "apigee_support" {
  project       = local.project_id
  name          = "${local.name_prefix}-apigee-support"
  description   = "Apigee X support range (service networking peering)"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 28
  network       = local.network_id

  depends_on = [time_sleep.services]
}

resource "google_service_networking_connection" "apigee" {
  network = local.network_id
  service = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [
    google_compute_global_address.apigee_range.name,
    google_compute_global_address.apigee_support.name,
  ]
  # A reused network may already peer with service networking: update that peering instead.
  update_on_creation_fail = true
  # Deleting the peering fails while the producer (Apigee) still holds addresses; the
  # organisation's deletion releases them, so leave the peering to go with the network.
  deletion_policy = "ABANDON"
}

# --- Encryption -----------------------------------------------------------------------------
# Apigee requires its two key types in separate key rings ("About the Apigee encryption keys"):
# the runtime-database key in a multi-region location where there is one (the organisation's
# data is not tied to the instance region), the disk key in the instance's region. An
# organisation created with the wrong key cannot be changed in place.
resource "google_kms_key_ring" "apigee_database" {
  name     = "globex-eu-staging-apigee-db"
  location = "europe"
  project  = local.project_id

  depends_on = [time_sleep.services]
}

resource "google_kms_key_ring" "apigee_disk" {
  name     = "globex-eu-staging-apigee-disk"
  location = local.region
  project  = local.project_id

  depends_on = [time_sleep.services]
}

resource "google_kms_crypto_key" "apigee_database" {
  name                       = "globex-eu-staging-apigee-db"
  key_ring                   = google_kms_key_ring.apigee_database.id
  purpose                    = "ENCRYPT_DECRYPT"
  rotation_period            = "7776000s"
  destroy_scheduled_duration = "2592000s"
  labels = {
    family = "apigee-database"
  }

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key" "apigee_disk" {
  name                       = "globex-eu-staging-apigee-disk"
  key_ring                   = google_kms_key_ring.apigee_disk.id
  purpose                    = "ENCRYPT_DECRYPT"
  rotation_period            = "7776000s"
  destroy_scheduled_duration = "2592000s"
  labels = {
    family = "apigee-disk"
  }

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }

  lifecycle {
    prevent_destroy = true
  }
}

# The Apigee service agent only exists once it is asked for; it then encrypts the runtime
# database and the instance disks, each with its own key.
resource "google_project_service_identity" "apigee" {
  provider = google-beta
  project  = local.project_id
  service  = "apigee.googleapis.com"

  depends_on = [time_sleep.services]
}

# A freshly generated agent is not usable in IAM policies at once.
resource "time_sleep" "apigee_agent" {
  create_duration = "30s"

  depends_on = [google_project_service_identity.apigee]
}

resource "google_kms_crypto_key_iam_member" "apigee_database" {
  crypto_key_id = google_kms_crypto_key.apigee_database.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${google_project_service_identity.apigee.email}"

  depends_on = [time_sleep.apigee_agent]
}

resource "google_kms_crypto_key_iam_member" "apigee_disk" {
  crypto_key_id = google_kms_crypto_key.apigee_disk.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${google_project_service_identity.apigee.email}"

  depends_on = [time_sleep.apigee_agent]
}

resource "time_sleep" "apigee_kms_grant" {
  create_duration = "30s"

  depends_on = [
    google_kms_crypto_key_iam_member.apigee_database,
    google_kms_crypto_key_iam_member.apigee_disk,
  ]
}

# --- Organisation, instance, environment ----------------------------------------------------
# Apigee runs one long-running operation per organisation at a time and rejects the others
# with "the resource is locked by another operation". Older providers retry that only for
# google_apigee_instance; magic-modules PR #18649 (merged 2026-08-14) adds the retry to the other
# org-scoped resources in the google 8.x releases built after it. The chain below does not rely on it: instance ->
# environment -> environment group -> group attachment -> instance attachment, one at a time.
resource "google_apigee_organization" "main" {
  project_id                           = local.project_id
  display_name                         = "Globex Corp. EU staging"
  description                          = "Prediction API of the DSaaS platform (dsaas-infra)"
  analytics_region                     = local.region
  runtime_type                         = "CLOUD"
  billing_type                         = "PAYG"
  authorized_network                   = local.network_id
  runtime_database_encryption_key_name = google_kms_crypto_key.apigee_database.id
  # Deleted organisations are kept 24 hours (not 30 days) before the project can get a new one.
  retention = "MINIMUM"

  # Provisioning an organisation takes up to an hour.
  timeouts {
    create = "90m"
  }

  depends_on = [
    google_service_networking_connection.apigee,
    time_sleep.apigee_kms_grant,
  ]
}

resource "google_apigee_instance" "main" {
  name                     = "globex-eu-staging"
  org_id                   = google_apigee_organization.main.id
  location                 = local.region
  description              = "Apigee X runtime"
  disk_encryption_key_name = google_kms_crypto_key.apigee_disk.id
  ip_range                 = "${google_compute_global_address.apigee_range.address}/22,${google_compute_global_address.apigee_support.address}/28"

  timeouts {
    create = "90m"
  }
}

locals {
  apigee_org_id             = google_apigee_organization.main.id
  apigee_org_name           = google_apigee_organization.main.name
  apigee_instance_id        = google_apigee_instance.main.id
  apigee_service_attachment = google_apigee_instance.main.service_attachment
  apigee_instance_host      = google_apigee_instance.main.host
  apigee_agent              = "serviceAccount:${google_project_service_identity.apigee.email}"
}

resource "google_apigee_environment" "main" {
  name         = "staging"
  org_id       = local.apigee_org_id
  display_name = "Globex Corp. EU staging"
  description  = "Environment of the prediction API"
  # INTERMEDIATE: the proxy's JSON threat protection is an Extensible policy, which Base environments cannot run; Comprehensive adds only multi-region features one region does not use.
  type = "INTERMEDIATE"

  depends_on = [google_apigee_instance.main]
}

resource "google_apigee_envgroup" "main" {
  name      = "api"
  org_id    = local.apigee_org_id
  hostnames = [var.api_hostname]

  depends_on = [google_apigee_environment.main]
}

resource "google_apigee_envgroup_attachment" "main" {
  envgroup_id = google_apigee_envgroup.main.id
  environment = google_apigee_environment.main.name
}

resource "google_apigee_instance_attachment" "main" {
  instance_id = local.apigee_instance_id
  environment = google_apigee_environment.main.name

  depends_on = [google_apigee_envgroup_attachment.main]
}

# --- API proxy -----------------------------------------------------------------------------
# The proxy shipped in files/apigee/predict (base path /predict): it verifies the API key,
# applies the product's burst limit (spike arrest), sustained rate and daily quota, refuses
# bodies above 1048576 bytes or outside the JSON structure limits, drops the
# key and calls the Vertex AI endpoint with a Google access token of its own service account;
# every failure answers with a short JSON error of the proxy's own, never the backend's. An
# empty endpoint answers 502 until the ML pipeline deploys the first model.
# files/apigee/predict.zip is that folder zipped by dsaas-infra at render time (sorted entries,
# fixed times and modes): part of the reviewed tree, so a saved plan applies on any runner.
resource "google_apigee_api" "predict" {
  org_id         = local.apigee_org_name
  name           = "predict"
  config_bundle  = "${path.module}/files/apigee/predict.zip"
  detect_md5hash = filemd5("${path.module}/files/apigee/predict.zip")
}

resource "google_service_account" "apigee_proxy" {
  account_id   = "globex-eu-stg-api"
  display_name = "Apigee predict proxy"
  description  = "Identity of the Apigee proxy when it calls the Vertex AI endpoint"

  depends_on = [time_sleep.services]
}

# Least privilege: only the predict permission, and only on this endpoint. No predefined role
# fits (roles/aiplatform.user also deploys, undeploys and deletes models and endpoints).
resource "google_project_iam_custom_role" "endpoint_predict" {
  project     = local.project_id
  role_id     = "dsaas_globex_eu_staging_predict"
  title       = "Vertex AI endpoint predict only"
  description = "Online predictions on a Vertex AI endpoint, nothing else (dsaas-infra)"
  permissions = ["aiplatform.endpoints.predict"]

  depends_on = [time_sleep.services]
}

# Endpoint IAM is in google-beta.
resource "google_vertex_ai_endpoint_iam_member" "apigee_proxy" {
  provider = google-beta
  project  = local.project_id
  location = local.region
  endpoint = google_vertex_ai_endpoint.main.name
  role     = google_project_iam_custom_role.endpoint_predict.name
  member   = "serviceAccount:${google_service_account.apigee_proxy.email}"
}

# Apigee mints the proxy's access tokens through its service agent.
resource "google_service_account_iam_member" "apigee_proxy_tokens" {
  service_account_id = google_service_account.apigee_proxy.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.apigee_agent
}

# IAM bindings on a service account take up to a minute to reach every Google service.
resource "time_sleep" "apigee_proxy_grants" {
  create_duration = "60s"

  depends_on = [google_service_account_iam_member.apigee_proxy_tokens]
}

resource "google_apigee_api_deployment" "predict" {
  org_id          = google_apigee_api.predict.org_id
  environment     = google_apigee_environment.main.name
  proxy_id        = google_apigee_api.predict.name
  revision        = google_apigee_api.predict.latest_revision_id
  service_account = google_service_account.apigee_proxy.email

  depends_on = [
    google_apigee_instance_attachment.main,
    time_sleep.apigee_proxy_grants,
  ]
}

# --- Consumers ------------------------------------------------------------------------------
locals {
  api_consumers = {
    partner-a = {
      product         = "partner-a-predict"
      display_name    = "Predictions for partner-a"
      quota           = "100000"
      quota_interval  = "1"
      quota_time_unit = "day"
      attributes = {
        access                = "private"
        rate_limit_per_second = "50"
        burst_limit           = "100"
        spike_arrest_rate     = "100ps"
        rate_limit_per_minute = "3000"
      }
      developer_email = "ml-platform+partner-a@globex.example"
      first_name      = "partner-a"
      last_name       = "Globex Corp. EU"
      user_name       = "partner-a"
      app             = "partner-a-app"
    }
  }
}

resource "google_apigee_api_product" "consumer" {
  for_each = local.api_consumers

  org_id        = local.apigee_org_id
  name          = each.value.product
  display_name  = each.value.display_name
  description   = "Predictions API for consumer ${each.key}"
  approval_type = "auto"
  environments  = [google_apigee_environment.main.name]
  proxies       = [google_apigee_api.predict.name]
  api_resources = ["/", "/**"]

  quota           = each.value.quota
  quota_interval  = each.value.quota_interval
  quota_time_unit = each.value.quota_time_unit

  dynamic "attributes" {
    for_each = each.value.attributes
    content {
      name  = attributes.key
      value = attributes.value
    }
  }

  depends_on = [google_apigee_instance_attachment.main]
}

resource "google_apigee_developer" "consumer" {
  for_each = local.api_consumers

  org_id     = local.apigee_org_id
  email      = each.value.developer_email
  first_name = each.value.first_name
  last_name  = each.value.last_name
  user_name  = each.value.user_name

  depends_on = [google_apigee_instance_attachment.main]
}

resource "google_apigee_developer_app" "consumer" {
  for_each = local.api_consumers

  org_id          = local.apigee_org_id
  name            = each.value.app
  developer_email = google_apigee_developer.consumer[each.key].email
  api_products    = [google_apigee_api_product.consumer[each.key].name]
  callback_url    = "https://${var.api_hostname}/"
}

# --- Northbound: HTTPS load balancer -> Private Service Connect -> Apigee ---------------------
# Client applications reach the API at https://<api_hostname>/predict: a global external
# Application Load Balancer terminates TLS (Google-managed certificate, TLS 1.2+) and forwards
# to the Apigee instance's service attachment. The certificate is issued once the host name's
# DNS A record points at output api_ip_address.
resource "google_compute_region_network_endpoint_group" "apigee" {
  name                  = "${local.name_prefix}-apigee-psc"
  region                = local.region
  network_endpoint_type = "PRIVATE_SERVICE_CONNECT"
  psc_target_service    = local.apigee_service_attachment
  network               = local.network_id
  subnetwork            = local.subnetwork_id
}

resource "google_compute_global_address" "api" {
  name         = "${local.name_prefix}-api"
  description  = "Public address of the prediction API"
  address_type = "EXTERNAL"
  ip_version   = "IPV4"

  depends_on = [time_sleep.services]
}

# The name carries a hash of the host name: with create_before_destroy, a new api_hostname
# creates the new certificate next to the old one (a fixed name would collide, 409).
resource "google_compute_managed_ssl_certificate" "api" {
  name = "${local.name_prefix}-api-${substr(sha256(var.api_hostname), 0, 8)}"
  managed {
    domains = [var.api_hostname]
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [time_sleep.services]
}

resource "google_compute_ssl_policy" "api" {
  name            = "${local.name_prefix}-api"
  description     = "TLS 1.2+ with modern ciphers only"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"

  depends_on = [time_sleep.services]
}

resource "google_compute_backend_service" "apigee" {
  name                  = "${local.name_prefix}-apigee"
  description           = "Apigee X runtime behind Private Service Connect"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"

  backend {
    group = google_compute_region_network_endpoint_group.apigee.id
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

resource "google_compute_url_map" "api" {
  name            = "${local.name_prefix}-api"
  description     = "Every path of the API host goes to Apigee"
  default_service = google_compute_backend_service.apigee.id
}

resource "google_compute_target_https_proxy" "api" {
  name             = "${local.name_prefix}-api"
  url_map          = google_compute_url_map.api.id
  ssl_certificates = [google_compute_managed_ssl_certificate.api.id]
  ssl_policy       = google_compute_ssl_policy.api.id
}

resource "google_compute_global_forwarding_rule" "api" {
  name                  = "${local.name_prefix}-api"
  target                = google_compute_target_https_proxy.api.id
  ip_address            = google_compute_global_address.api.id
  ip_protocol           = "TCP"
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
