# Phase 4, access: Apigee X in front of the models, one API product, developer and app (API key)
# per consumer, each with its own quota and rate limits.

variable "api_hostname" {
  description = "Public host name of the prediction API (the Apigee environment group). Set it to a name in the client's own domain: the .example placeholder can never get a certificate."
  type        = string
  default     = "api.stark.prod.example"

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

# --- The provider's shared Apigee organisation ---------------------------------------------
# The organisation, its runtime instance, peering and keys belong to the provider's Apigee
# baseline (project dsaas-apigee-prod), created once for every client; this blueprint adds
# the client's own environment, environment group, proxy, products, developers and apps to it.
data "google_apigee_instance" "shared" {
  org_id = "organizations/dsaas-apigee-prod"
  name   = "us-central1"

  depends_on = [time_sleep.services]
}

locals {
  apigee_org_id             = "organizations/dsaas-apigee-prod"
  apigee_org_name           = "dsaas-apigee-prod"
  apigee_instance_id        = "organizations/dsaas-apigee-prod/instances/us-central1"
  apigee_service_attachment = data.google_apigee_instance.shared.service_attachment
  apigee_instance_host      = data.google_apigee_instance.shared.host
}

# --- Environment ----------------------------------------------------------------------------
# Apigee runs one long-running operation per organisation at a time and rejects the others
# with "the resource is locked by another operation". Older providers retry that only for
# google_apigee_instance; magic-modules PR #18649 (merged 2026-08-14) adds the retry to the other
# org-scoped resources in the google 8.x releases built after it. Within this blueprint the chain below runs them one
# at a time (environment -> environment group -> group attachment -> instance attachment);
# other clients' applies on the same organisation can still collide: run them one after the
# other, or re-run the apply.
resource "google_apigee_environment" "main" {
  name         = "stark-prod"
  org_id       = local.apigee_org_id
  display_name = "Stark Mobility \"Prod\" prod"
  description  = "Environment of the prediction API"
  # INTERMEDIATE: the proxy's JSON threat protection is an Extensible policy, which Base environments cannot run; Comprehensive adds only multi-region features one region does not use.
  type = "INTERMEDIATE"

  depends_on = [time_sleep.services]
}

resource "google_apigee_envgroup" "main" {
  name      = "stark-prod"
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
  name           = "stark-prod-predict"
  config_bundle  = "${path.module}/files/apigee/predict.zip"
  detect_md5hash = filemd5("${path.module}/files/apigee/predict.zip")

  depends_on = [time_sleep.services]
}

# The proxy's service account: Apigee deploys proxies as an account of the organisation's
# project, so it is the provider's Apigee baseline that creates it (one per client
# environment), lets the organisation's Apigee service agent mint its tokens
# (roles/iam.serviceAccountTokenCreator) and lets this blueprint's apply identity deploy with it
# (roles/iam.serviceAccountUser on that account alone). The apply identity holds no IAM admin
# role in the shared project: creating accounts or setting their IAM there would reach every
# other client's proxy account. Preflight checks the account and the actAs (README).
data "google_service_account" "apigee_proxy" {
  project    = local.apigee_org_name
  account_id = "stark-prd-api@dsaas-apigee-prod.iam.gserviceaccount.com"

  depends_on = [time_sleep.services]
}

# Least privilege: only the predict permission, and only on this endpoint. No predefined role
# fits (roles/aiplatform.user also deploys, undeploys and deletes models and endpoints).
resource "google_project_iam_custom_role" "endpoint_predict" {
  project     = local.project_id
  role_id     = "dsaas_stark_prod_predict"
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
  member   = "serviceAccount:${data.google_service_account.apigee_proxy.email}"
}

resource "google_apigee_api_deployment" "predict" {
  org_id          = google_apigee_api.predict.org_id
  environment     = google_apigee_environment.main.name
  proxy_id        = google_apigee_api.predict.name
  revision        = google_apigee_api.predict.latest_revision_id
  service_account = data.google_service_account.apigee_proxy.email

  depends_on = [google_apigee_instance_attachment.main]
}

# --- Consumers ------------------------------------------------------------------------------
locals {
  api_consumers = {
    fleet-app = {
      product         = "stark-prod-fleet-app-predict"
      display_name    = "Predictions for fleet-app"
      quota           = "5000000"
      quota_interval  = "1"
      quota_time_unit = "day"
      attributes = {
        access                = "private"
        rate_limit_per_second = "200"
        burst_limit           = "400"
        spike_arrest_rate     = "400ps"
        rate_limit_per_minute = "12000"
      }
      developer_email = "mlops+stark-prod-fleet-app@stark.example"
      first_name      = "fleet-app"
      last_name       = "Stark Mobility \"Prod\""
      user_name       = "fleet-app"
      app             = "fleet-app-app"
    }
    partner-portal = {
      product         = "stark-prod-partner-portal-predict"
      display_name    = "Predictions for partner-portal"
      quota           = "10000"
      quota_interval  = "1"
      quota_time_unit = "day"
      attributes = {
        access                = "private"
        rate_limit_per_second = "10"
        burst_limit           = "20"
        spike_arrest_rate     = "20ps"
        rate_limit_per_minute = "600"
      }
      developer_email = "mlops+stark-prod-partner-portal@stark.example"
      first_name      = "partner-portal"
      last_name       = "Stark Mobility \"Prod\""
      user_name       = "partner-portal"
      app             = "partner-portal-app"
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

# Cloud Armor (access.waf): OWASP and CVE signatures, adaptive protection against L7 DDoS.
resource "google_compute_security_policy" "api" {
  name        = "${local.name_prefix}-api"
  description = "WAF in front of the prediction API"
  type        = "CLOUD_ARMOR"

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable = true
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1000
    description = "SQL injection"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1001
    description = "Cross-site scripting"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('xss-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1002
    description = "Local file inclusion"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('lfi-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1003
    description = "Remote code execution"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('rce-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1004
    description = "HTTP protocol attacks"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('protocolattack-v33-stable', {'sensitivity': 1})"
      }
    }
  }

  rule {
    action      = "deny(403)"
    priority    = 1005
    description = "Log4j CVE-2021-44228 and other CVEs"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Everything the rules above let through (Apigee checks the API key)"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }

  depends_on = [time_sleep.services]
}

resource "google_compute_backend_service" "apigee" {
  name                  = "${local.name_prefix}-apigee"
  description           = "Apigee X runtime behind Private Service Connect"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  security_policy       = google_compute_security_policy.api.id

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
