"""The GCP deployment and access phases, asserted on the parsed HCL of rendered blueprints."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dsaas_infra.render import render_blueprint
from dsaas_infra.render.gcp.serving import endpoint_id
from dsaas_infra.spec import load_spec, load_spec_text
from tests.conftest import BLUEPRINTS
from tests.render.parsed_blueprint import blocks, merge, parse_tf, parse_tf_files

BASE = """\
apiVersion: dsaas-infra/v1
client:
  name: acme
  display_name: ACME Analytics
  environment: {env}
  maturity: {maturity}
  owner: ml-platform@acme.example
cloud: gcp
gcp:
  project_id: acme-dsaas-{env}
  region: europe-west1
  apigee: {{organization: dedicated}}
phases:
{phases}
"""


def render(maturity: str = "proactive", env: str = "prod", phases: str = "  {}") -> dict[str, Any]:
    """Render a spec and parse every .tf file: {file name: normalised HCL dict}."""
    spec = load_spec_text(BASE.format(env=env, maturity=maturity, phases=phases))
    files = render_blueprint(spec)
    return parse_tf_files(files)


def resources(parsed: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    """Every resource of one type across the blueprint's files, by resource name."""
    return blocks(merge(parsed.values()), "resource", rtype)


def locals_of(parsed: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for body in parsed.values():
        for entry in body.get("locals", []):
            out.update(entry)
    return out


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    blocks = body[name]
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one {name} block"
    return blocks[0]


@pytest.fixture(scope="module")
def managed() -> dict[str, Any]:
    return render("managed", phases="""\
  deployment:
    gpu: t4
    min_instances: 2
    max_instances: 7
    alert_emails: [oncall@acme.example, data@acme.example]
  access:
    consumers:
      - {name: partner-a, rate_limit: 50, burst_limit: 100, quota_per_day: 100000}
      - {name: partner-b, rate_limit: 0.5, burst_limit: 5, quota_per_day: 2000}
""")


@pytest.fixture(scope="module")
def reactive() -> dict[str, Any]:
    return render("reactive", env="dev", phases="  deployment: {min_instances: 1, max_instances: 3}")


@pytest.mark.parametrize("level", ["reactive", "proactive", "managed"])
def test_no_level_pays_for_an_idle_gke_cluster(level):
    """Nothing in the loop runs on GKE (the endpoint serves, Vertex AI Pipelines and Dataflow run
    the pipeline): a cluster would be an idle cost, so no level creates one or enables its API."""
    tf = render(level, env="prod" if level == "managed" else "dev")
    assert not resources(tf, "google_container_cluster")
    assert not resources(tf, "google_container_node_pool")
    assert not resources(tf, "google_binary_authorization_policy")
    apis = str(resources(tf, "google_project_service")["this"]["for_each"])
    assert "container.googleapis.com" not in apis and "binaryauthorization" not in apis


def test_readme_says_what_serves_and_how_it_bills_per_level():
    reactive = render_blueprint(load_spec(BLUEPRINTS / "gcp-reactive.yaml"))["README.md"].decode()
    managed = render_blueprint(load_spec(BLUEPRINTS / "gcp-managed.yaml"))["README.md"].decode()
    assert "## What serves, and what it costs" in reactive and "## What serves, and what it costs" in managed
    assert "no endpoint at this level" in reactive and "Vertex AI endpoint" not in reactive.split(
        "## What serves")[1].split("## Plan")[0].split("| predictions")[0]
    assert "always on from the first deployment: at least 4 n2-standard-4 node" in " ".join(managed.split())
    # The reactive diagram shows no endpoint: none is deployed.
    diagram = reactive.split("```mermaid")[1].split("```")[0]
    assert "endpoint" not in diagram and "gke" not in diagram.lower()
    assert "ep[Vertex AI endpoint]" in managed.split("```mermaid")[1].split("```")[0]


def test_one_notification_channel_per_email(managed, reactive):
    channel = resources(managed, "google_monitoring_notification_channel")["email"]
    assert "data@acme.example" in str(channel["for_each"])
    assert "oncall@acme.example" in str(channel["for_each"])
    assert channel["type"] == "email"
    # No alert_emails: the client owner gets the alerts.
    fallback = resources(reactive, "google_monitoring_notification_channel")["email"]
    assert "ml-platform@acme.example" in str(fallback["for_each"])


def test_alert_policies_by_level(managed, reactive):
    policies = set(resources(managed, "google_monitoring_alert_policy"))
    assert {"dataflow_failed", "pipeline_failed", "endpoint_errors", "endpoint_latency",
            "drift"} <= policies and "gke_restarts" not in policies
    # Reactive: batch only, no endpoint, no drift, no dashboard.
    reactive_policies = set(resources(reactive, "google_monitoring_alert_policy"))
    assert {"dataflow_failed", "pipeline_failed"} <= reactive_policies
    assert not reactive_policies & {"gke_restarts", "endpoint_errors", "endpoint_latency", "drift"}
    assert not resources(reactive, "google_vertex_ai_endpoint")
    assert not resources(reactive, "google_monitoring_dashboard")
    assert resources(managed, "google_monitoring_dashboard")


def test_vertex_endpoint_is_cmek_encrypted_and_empty(managed):
    endpoint = resources(managed, "google_vertex_ai_endpoint")["main"]
    assert re.fullmatch(r"[1-9]\d{8}", endpoint["name"])
    assert block(endpoint, "encryption_spec")["kms_key_name"] == '${google_kms_crypto_key.keys["vertex"].id}'
    assert "deployed_models" not in endpoint


def test_prod_endpoint_is_protected_and_logs_requests_for_comparing_variants(managed):
    """Managed prod (two variants, drift monitoring): Terraform refuses to destroy the endpoint;
    every request and response is logged per deployed model by the one logging configuration
    there is, the monitoring job's (Terraform sets none and ignores it; the job's sampling rate
    is the endpoint's)."""
    endpoint = resources(managed, "google_vertex_ai_endpoint")["main"]
    assert endpoint["deletion_policy"] == "PREVENT"
    assert "predict_request_response_logging_config" not in endpoint
    assert endpoint["lifecycle"][0]["ignore_changes"] == ["traffic_split", "predict_request_response_logging_config"]
    # Vertex AI's agent writes no dataset of the blueprint's (the monitoring job has its own).
    assert not resources(managed, "google_bigquery_dataset_iam_member").get("vertex_prediction_log")
    params = next(b["pipeline_parameters"] for body in managed.values() for b in body.get("locals", [])
                  if "pipeline_parameters" in b)
    assert params["drift_enabled"] is True and params["drift_sample_rate"] == 1.0
    dev = resources(render("proactive", env="dev"), "google_vertex_ai_endpoint")["main"]
    assert dev["deletion_policy"] == "DELETE"


def test_without_drift_monitoring_terraform_logs_into_a_dataset_vertex_alone_writes():
    parsed = render("proactive", env="dev")
    endpoint = resources(parsed, "google_vertex_ai_endpoint")["main"]
    logging = block(endpoint, "predict_request_response_logging_config")
    assert logging["enabled"] is True and logging["sampling_rate"] == 0.1
    assert block(logging, "bigquery_destination")["output_uri"] == (
        "bq://${local.project_id}.${google_bigquery_dataset.prediction_log.dataset_id}.prediction_log")
    assert endpoint["lifecycle"][0]["ignore_changes"] == ["traffic_split"]
    dataset = resources(parsed, "google_bigquery_dataset")["prediction_log"]
    assert dataset["dataset_id"] == "acme_dev_prediction_log"
    assert block(dataset, "default_encryption_configuration")["kms_key_name"] == (
        '${google_kms_crypto_key.keys["bigquery"].id}')
    grants = resources(parsed, "google_bigquery_dataset_iam_member")
    vertex = {name: g for name, g in grants.items() if "gcp-sa-aiplatform" in g["member"]}
    assert list(vertex) == ["vertex_prediction_log"]  # no grant on the curated dataset
    assert vertex["vertex_prediction_log"]["dataset_id"] == "${google_bigquery_dataset.prediction_log.dataset_id}"
    assert vertex["vertex_prediction_log"]["role"] == "roles/bigquery.dataEditor"
    assert "${google_bigquery_dataset_iam_member.vertex_prediction_log}" in endpoint["depends_on"]


def test_log_retention_from_the_data_phase():
    parsed = render("proactive", phases="  data: {log_retention_days: 3653}")
    bucket = resources(parsed, "google_logging_project_bucket_config")["blueprint"]
    assert bucket["bucket_id"] == "acme-prod-logs"
    assert bucket["retention_days"] == 3650  # Cloud Logging's maximum


def test_one_product_developer_and_app_per_consumer_with_quota(managed):
    consumers = locals_of(managed)["api_consumers"]
    assert set(consumers) == {"partner-a", "partner-b"}
    assert consumers["partner-a"]["quota"] == "100000"
    assert consumers["partner-b"]["quota"] == "2000"
    assert consumers["partner-b"]["quota_time_unit"] == "day"
    # Bursts: burst_limit per (sliding) second; sustained: rate_limit per second, counted a minute.
    assert consumers["partner-b"]["attributes"]["spike_arrest_rate"] == "5ps"
    assert consumers["partner-b"]["attributes"]["rate_limit_per_minute"] == "30"
    assert consumers["partner-a"]["attributes"]["spike_arrest_rate"] == "100ps"
    assert consumers["partner-a"]["attributes"]["rate_limit_per_minute"] == "3000"
    assert consumers["partner-a"]["developer_email"] == "ml-platform+partner-a@acme.example"
    for rtype in ("google_apigee_api_product", "google_apigee_developer", "google_apigee_developer_app"):
        assert resources(managed, rtype)["consumer"]["for_each"] == "${local.api_consumers}"
    product = resources(managed, "google_apigee_api_product")["consumer"]
    assert product["quota"] == "${each.value.quota}"
    app = resources(managed, "google_apigee_developer_app")["consumer"]
    assert app["api_products"] == ["${google_apigee_api_product.consumer[each.key].name}"]


def test_apigee_is_wired_to_the_vpc_with_cmek(managed):
    org = resources(managed, "google_apigee_organization")["main"]
    assert org["authorized_network"] == "${local.network_id}"
    assert org["runtime_database_encryption_key_name"] == "${google_kms_crypto_key.apigee_database.id}"
    assert org["billing_type"] == "PAYG"
    instance = resources(managed, "google_apigee_instance")["main"]
    assert instance["disk_encryption_key_name"] == "${google_kms_crypto_key.apigee_disk.id}"
    peering = resources(managed, "google_service_networking_connection")["apigee"]
    assert peering["service"] == "servicenetworking.googleapis.com"


def test_access_disabled_renders_no_apigee():
    parsed = render("proactive", phases="  access: {enabled: false}")
    assert "access.tf" not in parsed
    for body in parsed.values():
        for entry in body.get("resource", []):
            assert not any(t.startswith("google_apigee_") for t in entry), entry.keys()


def test_serving_apis_follow_enabled_phases():
    from dsaas_infra.render.gcp.build import build_context

    with_api = build_context(load_spec_text(BASE.format(env="prod", maturity="proactive", phases="  {}")))
    without = build_context(load_spec_text(BASE.format(env="prod", maturity="reactive", phases="  {}")))
    assert with_api.serving_apis == sorted(with_api.serving_apis)
    assert "apigee.googleapis.com" in with_api.serving_apis
    assert "apigee.googleapis.com" not in without.serving_apis
    # No GKE cluster at any level: neither its API nor Workload Identity's token API.
    for ctx in (with_api, without):
        assert "container.googleapis.com" not in ctx.apis
        assert "iamcredentials.googleapis.com" not in ctx.apis
    assert "monitoring.googleapis.com" in without.serving_apis


def test_hostile_display_name_cannot_escape_strings():
    spec = load_spec_text(BASE.format(env="prod", maturity="managed", phases="  {}").replace(
        "ACME Analytics", "'x\" } resource \"evil\" ${file(\"/etc/passwd\")} %{ if 1 }'"))
    files = render_blueprint(spec)
    for name in ("deployment.tf", "monitoring.tf", "access.tf"):
        text = files[name].decode()
        parse_tf(text)
        # Only an escaped form may remain: "$${" / "%%{" or a \u escape, never a live template.
        assert not re.search(r"(?<![$])[$][{]file", text)
        assert not re.search(r"(?<![%])%[{] if", text)


def test_service_account_ids_fit_gcp_rules_for_the_longest_names():
    parsed = render("managed", env="staging")
    spec_text = BASE.format(env="staging", maturity="managed", phases="  {}").replace(
        "name: acme", "name: abcdefghij-klmnopqrs")
    longest = parse_tf_files(render_blueprint(load_spec_text(spec_text)))
    for blueprint in (parsed, longest):
        for sa in resources(blueprint, "google_service_account").values():
            assert re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", sa["account_id"]), sa["account_id"]
    assert resources(longest, "google_service_account")["pipeline"]["account_id"] == "abcdefghij-klmnopqrs-stg-pipe"


def test_endpoint_id_is_stable_and_nine_digits():
    first = endpoint_id("acme-dsaas-prod", "acme-prod")
    assert first == endpoint_id("acme-dsaas-prod", "acme-prod")
    assert first != endpoint_id("acme-dsaas-prod", "acme-staging")
    assert re.fullmatch(r"[1-9]\d{8}", first)


def test_api_proxy_is_shipped_and_targets_the_endpoint():
    spec = load_spec_text(BASE.format(env="prod", maturity="proactive", phases="  {}"))
    files = render_blueprint(spec)
    bundle = sorted(n for n in files if n.startswith("files/apigee/predict/"))
    assert "files/apigee/predict/apiproxy/predict.xml" in bundle
    assert not any(n.endswith(".j2") for n in bundle)
    target = files["files/apigee/predict/apiproxy/targets/vertex.xml"].decode()
    endpoint = endpoint_id("acme-dsaas-prod", "acme-prod")
    assert (f"<URL>https://europe-west1-aiplatform.googleapis.com/v1/projects/acme-dsaas-prod/"
            f"locations/europe-west1/endpoints/{endpoint}:predict</URL>") in target
    # Every policy the descriptor lists is shipped.
    descriptor = files["files/apigee/predict/apiproxy/predict.xml"].decode()
    for policy in re.findall(r"<Policy>([^<]+)</Policy>", descriptor):
        assert f"files/apigee/predict/apiproxy/policies/{policy}.xml" in files
    parsed = parse_tf_files(files)
    deployment = resources(parsed, "google_apigee_api_deployment")["predict"]
    assert deployment["service_account"] == "${google_service_account.apigee_proxy.email}"
    grant = resources(parsed, "google_vertex_ai_endpoint_iam_member")["apigee_proxy"]
    assert grant["endpoint"] == "${google_vertex_ai_endpoint.main.name}"
    product = resources(parsed, "google_apigee_api_product")["consumer"]
    assert product["proxies"] == ["${google_apigee_api.predict.name}"]


def test_shared_vpc_puts_peering_ranges_in_the_host_project():
    text = BASE.format(env="prod", maturity="proactive", phases="  {}").replace(
        "  region: europe-west1\n",
        "  region: europe-west1\n  network:\n"
        "    network: projects/host-net-proj/global/networks/shared\n"
        "    subnetwork: projects/host-net-proj/regions/europe-west1/subnetworks/ml\n",
    )
    files = render_blueprint(load_spec_text(text))
    parsed = parse_tf_files(files)
    for name in ("apigee_range", "apigee_support"):
        assert resources(parsed, "google_compute_global_address")[name]["project"] == "host-net-proj"


def test_apigee_proxy_may_only_predict_on_the_endpoint(managed):
    """roles/aiplatform.user would also let the proxy deploy, undeploy and delete models."""
    role = resources(managed, "google_project_iam_custom_role")["endpoint_predict"]
    assert role["permissions"] == ["aiplatform.endpoints.predict"]
    assert re.fullmatch(r"[A-Za-z0-9_.]{3,64}", role["role_id"]), role["role_id"]
    grant = resources(managed, "google_vertex_ai_endpoint_iam_member")["apigee_proxy"]
    assert grant["role"] == "${google_project_iam_custom_role.endpoint_predict.name}"
    # The proxy's account holds nothing else: no project-level role, no other resource grant.
    proxy = "google_service_account.apigee_proxy"
    for body in managed.values():
        for entry in body.get("resource", []):
            for rtype, named in entry.items():
                for name, res in named.items():
                    if proxy in str(res.get("member", "")):
                        assert (rtype, name) == ("google_vertex_ai_endpoint_iam_member", "apigee_proxy")


def test_readme_states_the_proxy_permission_exactly():
    spec = load_spec_text(BASE.format(env="prod", maturity="proactive", phases="  {}"))
    readme = render_blueprint(spec)["README.md"].decode()
    assert "aiplatform.endpoints.predict" in readme
    assert "prediction rights on that endpoint only" not in readme


def test_readme_names_what_the_internet_can_reach():
    """The API's load balancer address is public; no cluster control plane exists to reach."""
    with_api = render_blueprint(load_spec_text(BASE.format(env="prod", maturity="proactive", phases="  {}")))
    readme = with_api["README.md"].decode()
    assert "nothing has a public IP" not in readme.lower()
    reachable = readme.split("Reachable from the internet:", 1)[1].split("##", 1)[0]
    assert "load balancer's global IP address (output `api_ip_address`)" in reachable
    assert "DNS endpoint" not in reachable
    no_api = render_blueprint(load_spec_text(BASE.format(env="dev", maturity="reactive", phases="  {}")))
    reachable = no_api["README.md"].decode().split("Reachable from the internet:", 1)[1].split("##", 1)[0]
    assert "load balancer" not in reachable


def test_proxy_bundle_is_built_at_render_time_into_the_blueprint(managed):
    """Not built at plan time into an ignored folder (gone on another runner, so a saved plan
    fails to apply): the zip is part of the rendered tree and uploaded as it is."""
    api = resources(managed, "google_apigee_api")["predict"]
    assert api["config_bundle"] == "${path.module}/files/apigee/predict.zip"
    assert api["detect_md5hash"] == '${filemd5("${path.module}/files/apigee/predict.zip")}'
    assert "data" not in managed["access.tf"] or "archive_file" not in repr(managed["access.tf"]["data"])
    assert "archive" not in repr(managed["versions.tf"])


def test_api_hostname_placeholder_warns_and_bad_names_are_rejected(managed):
    variable = managed["access.tf"]["variable"][0]["api_hostname"]
    assert variable["default"].endswith(".example")
    assert "regex(" in block(variable, "validation")["condition"]
    # A check block warns without failing plan (a required variable would break plan without input).
    check = managed["access.tf"]["check"][0]["api_hostname_is_set"]
    assert 'endswith(var.api_hostname, ".example")' in block(check, "assert")["condition"]
    outputs = {k: v for body in managed.values() for entry in body.get("output", []) for k, v in entry.items()}
    assert "api_ip_address" in outputs["api_hostname"]["description"]


def test_peering_ranges_use_the_project_local_unless_shared_vpc(managed):
    for name in ("apigee_range", "apigee_support"):
        assert resources(managed, "google_compute_global_address")[name]["project"] == "${local.project_id}"


