"""GCP platform concerns across phases: keys per service family, Apigee ordering, org policy."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from dsaas_infra.render.gcp import kms as gcp_kms
from dsaas_infra.spec import load_spec, load_spec_text
from tests.conftest import REPO, example_specs
from tests.render.parsed_blueprint import ParsedBlueprint, parse

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}

SPEC = """\
apiVersion: dsaas-infra/v1
client: {{name: acme, environment: {env}, maturity: {maturity}, owner: ml@acme.example}}
cloud: gcp
gcp: {{project_id: acme-dsaas-{env}, region: {region}{gcp}}}
phases:
{phases}
"""


def render(maturity="managed", env="prod", region="europe-west1", phases="  {}",
           gcp=", apigee: {organization: dedicated}") -> ParsedBlueprint:
    return parse(load_spec_text(SPEC.format(
        maturity=maturity, env=env, region=region, phases=phases, gcp=gcp), "acme.yaml"))


@pytest.fixture(scope="module")
def examples() -> dict[str, ParsedBlueprint]:
    return {stem: parse(load_spec(path)) for stem, path in GCP_SPECS.items()}


def grants_by_key(bp: ParsedBlueprint) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for grant in bp.locals["kms_grants"].values():
        out.setdefault(grant["key"], set()).add(grant["agent"])
    return out


def test_one_key_per_service_family_granted_to_exactly_its_agents(examples):
    bp = examples["gcp-managed"]
    families = bp.locals["kms_keys"]
    assert set(families) == {"storage", "bigquery", "compute", "vertex", "registry"}
    assert grants_by_key(bp) == {
        "storage": {"storage"},
        "bigquery": {"bigquery"},
        # The Dataflow job's key is also its BigQuery loads' key (BigQueryIO), the drift
        # monitoring job's key also its BigQuery log tables' key: BigQuery's agent uses both.
        "compute": {"compute", "dataflow", "bigquery", "notebooks"},
        "vertex": {"aiplatform", "bigquery"},
        "registry": {"artifactregistry"},
        "logging": {"logging"},
    }
    # No GKE cluster, so no grant to GKE's agent (it would not exist without the API).
    assert ("google_kms_crypto_key_iam_member", "gke_agent") not in bp.resources
    # Every key name is distinct and follows the family.
    names = [v["name"] for v in families.values()]
    assert len(set(names)) == len(names) and all(n.startswith("stark-prod-") for n in names)


def test_each_service_uses_the_key_of_its_family(examples):
    bp = examples["gcp-managed"]
    key = '${{google_kms_crypto_key.keys["{}"].id}}'.format
    for name in ("raw", "curated", "artifacts", "dataflow"):
        assert bp.resources[("google_storage_bucket", name)]["encryption"][0]["default_kms_key_name"] == key("storage")
    assert bp.resources[("google_bigquery_dataset", "curated")]["default_encryption_configuration"][0][
        "kms_key_name"] == key("bigquery")
    assert bp.resources[("google_artifact_registry_repository", "models")]["kms_key_name"] == key("registry")
    assert bp.resources[("google_vertex_ai_endpoint", "main")]["encryption_spec"][0]["kms_key_name"] == key("vertex")
    log_bucket = bp.resources[("google_logging_project_bucket_config", "blueprint")]
    assert log_bucket["cmek_settings"][0]["kms_key_name"] == "${google_kms_crypto_key.logging.id}"
    assert bp.resources[("google_kms_key_ring", "logging")]["location"] == "global"
    assert "google_kms_crypto_key.main" not in "".join(bp.text(n) for n in bp.files if n.endswith(".tf"))


def test_reactive_without_serving_has_no_logging_or_vertex_endpoint_key():
    bp = render("reactive", env="dev", phases="  training: {enabled: false}\n  deployment: {enabled: false}")
    # vertex: the pipeline jobs the data schedule starts (curation runs in the pipeline).
    assert set(bp.locals["kms_keys"]) == {"storage", "bigquery", "compute", "vertex"}
    assert grants_by_key(bp)["vertex"] == {"aiplatform"}
    assert ("google_vertex_ai_endpoint", "main") not in bp.resources
    # The Dataflow job's key is also its BigQuery loads' key (Beam's BigQueryIO).
    assert grants_by_key(bp)["compute"] == {"compute", "dataflow", "bigquery"}
    assert ("google_kms_key_ring", "logging") not in bp.resources


def test_grants_wait_for_generated_service_agents(examples):
    bp = examples["gcp-proactive"]
    grants = bp.resources[("google_kms_crypto_key_iam_member", "agents")]
    assert grants["depends_on"] == ["${time_sleep.service_agents}"]
    wait = bp.resources[("time_sleep", "service_agents")]
    assert wait["depends_on"] == ["${google_project_service_identity.agents}"]
    # Storage, BigQuery and Logging agents are created by reading their data sources.
    for ds in ("google_storage_project_service_account", "google_bigquery_default_service_account"):
        assert any(t == ds for t, _ in bp.data), ds


@pytest.mark.parametrize("region, location", [
    ("europe-west1", "europe"), ("us-central1", "us"), ("asia-southeast1", "asia"),
    ("australia-southeast1", "australia-southeast1"),
])
def test_apigee_keys_are_in_separate_rings_database_multi_region(region, location):
    bp = render(region=region)
    db_ring = bp.resources[("google_kms_key_ring", "apigee_database")]
    disk_ring = bp.resources[("google_kms_key_ring", "apigee_disk")]
    assert db_ring["location"] == location == gcp_kms.apigee_database_location(region)
    assert disk_ring["location"] == "${local.region}"
    assert db_ring["name"] != disk_ring["name"]
    db = bp.resources[("google_kms_crypto_key", "apigee_database")]
    disk = bp.resources[("google_kms_crypto_key", "apigee_disk")]
    assert db["key_ring"] == "${google_kms_key_ring.apigee_database.id}"
    assert disk["key_ring"] == "${google_kms_key_ring.apigee_disk.id}"
    org = bp.resources[("google_apigee_organization", "main")]
    assert org["runtime_database_encryption_key_name"] == "${google_kms_crypto_key.apigee_database.id}"
    instance = bp.resources[("google_apigee_instance", "main")]
    assert instance["disk_encryption_key_name"] == "${google_kms_crypto_key.apigee_disk.id}"
    for key in ("apigee_database", "apigee_disk"):
        grant = bp.resources[("google_kms_crypto_key_iam_member", key)]
        assert grant["crypto_key_id"] == f"${{google_kms_crypto_key.{key}.id}}"
        assert grant["depends_on"] == ["${time_sleep.apigee_agent}"]
    assert set(bp.resources[("time_sleep", "apigee_kms_grant")]["depends_on"]) == {
        "${google_kms_crypto_key_iam_member.apigee_database}", "${google_kms_crypto_key_iam_member.apigee_disk}"}


def test_org_scoped_apigee_operations_run_one_at_a_time():
    bp = render()
    chain = [
        ("google_apigee_instance", "main"),
        ("google_apigee_environment", "main"),
        ("google_apigee_envgroup", "main"),
        ("google_apigee_envgroup_attachment", "main"),
        ("google_apigee_instance_attachment", "main"),
    ]

    def after(rtype: str, name: str) -> set[str]:
        body = bp.resources[(rtype, name)]
        refs = {d.strip("${}") for d in body.get("depends_on", [])}
        text = repr(body)
        refs |= {f"{t}.{n}" for t, n in chain if f"{t}.{n}." in text}
        return refs

    for (prev_type, prev_name), (rtype, name) in itertools.pairwise(chain):
        assert f"{prev_type}.{prev_name}" in after(rtype, name), (rtype, "must wait for", prev_type)


def test_certificate_name_carries_a_hash_of_the_hostname():
    bp = render()
    cert = bp.resources[("google_compute_managed_ssl_certificate", "api")]
    assert cert["name"] == "${local.name_prefix}-api-${substr(sha256(var.api_hostname), 0, 8)}"
    assert cert["lifecycle"][0]["create_before_destroy"] is True
    # 63 characters at most: the longest prefix (28) + "-api-" + 8 hex digits.
    assert len("x" * 28 + "-api-" + hashlib.sha256(b"h").hexdigest()[:8]) <= 63


def test_environment_type_is_the_cheapest_that_runs_the_proxy(examples):
    # JSONThreatProtection (in the proxy) is an Extensible policy: Base environments cannot deploy it.
    proxy = (REPO / "templates" / "gcp" / "files" / "apigee" / "predict" / "apiproxy" / "proxies" / "default.xml")
    assert "JSON-Threat-Protection" in proxy.read_text() or "JSONThreat" in proxy.read_text()
    for stem in ("gcp-proactive", "gcp-managed"):
        bp = examples[stem]
        envs = {k: v for k, v in bp.resources.items() if k[0] == "google_apigee_environment"}
        assert envs
        for body in envs.values():
            assert body["type"] == "INTERMEDIATE"


def test_a_base_environment_is_refused_because_the_proxy_cannot_run_there():
    from dsaas_infra.errors import SpecError

    with pytest.raises(SpecError, match="BASE cannot run the prediction proxy"):
        render(gcp=", apigee: {organization: dedicated, environment_type: BASE}")


def test_no_grant_to_the_storage_analytics_group(examples):
    for stem, bp in examples.items():
        for (rtype, _), body in bp.resources.items():
            if rtype.endswith("_iam_member"):
                assert "cloud-storage-analytics" not in body.get("member", ""), stem
        assert ("google_storage_bucket", "logs") not in bp.resources


SHARED = ", apigee: {project_id: dsaas-apigee-prod, instance: europe-west1}"


@pytest.fixture(scope="module")
def shared() -> ParsedBlueprint:
    return render(gcp=SHARED, phases="""\
  access:
    consumers: [{name: partner, rate_limit: 2.5, burst_limit: 8, quota_per_day: 500}]""")


def test_shared_organisation_adds_only_the_clients_own_apigee_resources(shared):
    types = {t for t, _ in shared.resources}
    for owned_by_the_provider in ("google_apigee_organization", "google_apigee_instance",
                                  "google_service_networking_connection", "google_compute_global_address"):
        assert owned_by_the_provider not in types or owned_by_the_provider == "google_compute_global_address"
    # The only global address left is the API's public one (no peering ranges).
    assert {n for t, n in shared.resources if t == "google_compute_global_address"} == {"api"}
    assert ("google_kms_key_ring", "apigee_database") not in shared.resources
    env = shared.resources[("google_apigee_environment", "main")]
    assert env["org_id"] == "${local.apigee_org_id}" and env["name"] == "acme-prod"
    assert shared.locals["apigee_org_id"] == "organizations/dsaas-apigee-prod"
    assert shared.locals["apigee_instance_id"] == "organizations/dsaas-apigee-prod/instances/europe-west1"
    instance = shared.data[("google_apigee_instance", "shared")]
    assert instance["org_id"] == "organizations/dsaas-apigee-prod" and instance["name"] == "europe-west1"
    neg = shared.resources[("google_compute_region_network_endpoint_group", "apigee")]
    assert neg["psc_target_service"] == "${local.apigee_service_attachment}"
    attach = shared.resources[("google_apigee_instance_attachment", "main")]
    assert attach["instance_id"] == "${local.apigee_instance_id}"
    # Org-scoped names carry the client and environment.
    consumers = shared.locals["api_consumers"]
    assert consumers["partner"]["product"] == "acme-prod-partner-predict"
    assert consumers["partner"]["developer_email"] == "ml+acme-prod-partner@acme.example"
    assert shared.resources[("google_apigee_api", "predict")]["name"] == "acme-prod-predict"
    # The proxy's account lives in the org's project and comes from the provider's baseline: the
    # blueprint reads it, creates no account there and sets no IAM on one (no IAM admin needed).
    proxy = shared.data[("google_service_account", "apigee_proxy")]
    assert proxy == {"project": "${local.apigee_org_name}",
                     "account_id": "acme-prd-api@dsaas-apigee-prod.iam.gserviceaccount.com",
                     "depends_on": ["${time_sleep.services}"]}
    assert ("google_service_account", "apigee_proxy") not in shared.resources
    assert not [k for k in shared.resources if k[0] == "google_service_account_iam_member"
                and "apigee" in k[1]]
    assert "apigee_agent" not in shared.locals
    deployment = shared.resources[("google_apigee_api_deployment", "predict")]
    assert deployment["service_account"] == "${data.google_service_account.apigee_proxy.email}"
    grant = shared.resources[("google_vertex_ai_endpoint_iam_member", "apigee_proxy")]
    assert grant["member"] == "serviceAccount:${data.google_service_account.apigee_proxy.email}"
    for rtype in ("google_apigee_api_product", "google_apigee_developer", "google_apigee_developer_app"):
        assert shared.resources[(rtype, "consumer")]["org_id"] == "${local.apigee_org_id}"
    readme = shared.text("README.md")
    assert "shared Apigee X organisation dsaas-apigee-prod" in readme.replace("\\", "")
    assert "consumer accept list" in readme
    flat = readme.replace("\\", "")
    assert "acme-prd-api@dsaas-apigee-prod.iam.gserviceaccount.com" in flat
    assert "roles/iam.serviceAccountAdmin" not in flat and "no IAM administration there" in flat


@pytest.mark.parametrize("gcp, where, fragment", [
    ("", "gcp.apigee", "set gcp.apigee.project_id and instance"),
    (", apigee: {project_id: dsaas-apigee-prod}", "gcp.apigee", "set gcp.apigee.instance"),
    (", apigee: {project_id: acme-dsaas-prod, instance: x1}", "gcp.apigee.project_id", "provider's project"),
    (", apigee: {organization: dedicated, instance: x1}", "gcp.apigee.instance", "only for organization: shared"),
])
def test_apigee_organisation_choice_is_checked(gcp, where, fragment):
    from dsaas_infra.errors import SpecError

    with pytest.raises(SpecError) as e:
        render(gcp=gcp)
    text = str(e.value)
    assert f": {where}: " in text and fragment in text, text


def test_shared_is_the_default_and_no_api_needs_no_organisation():
    from dsaas_infra.spec.gcp_settings import GcpApigee

    assert GcpApigee().organization == "shared"
    bp = render("reactive", env="dev", gcp="")  # reactive: no API, nothing to configure
    assert not any(t.startswith("google_apigee") for t, _ in bp.resources)


def test_environment_type_can_be_set_by_the_spec():
    bp = render(gcp=", apigee: {organization: dedicated, environment_type: COMPREHENSIVE}")
    assert bp.resources[("google_apigee_environment", "main")]["type"] == "COMPREHENSIVE"


@pytest.fixture(scope="module")
def notebooks() -> ParsedBlueprint:
    return render(phases="""\
  training:
    users: [ann, bob]
    user_emails: {bob: robert@partner.example}""")


def test_notebooks_cannot_change_models_or_endpoints_nor_act_as_the_pipeline(notebooks):
    role = notebooks.resources[("google_project_iam_custom_role", "notebook")]
    perms = set(role["permissions"])
    assert "aiplatform.customJobs.get" in perms and "aiplatform.models.get" in perms
    # A job created without a service account runs as the Custom Code Service Agent (writes
    # every bucket of the project): notebooks create no jobs at all.
    assert not any(p.endswith((".create", ".cancel")) and p.split(".")[1] in ("customJobs", "hyperparameterTuningJobs")
                   for p in perms)
    mutations = {p for p in perms if p.split(".")[1] in ("models", "endpoints", "pipelineJobs")
                 and p.split(".")[2] not in ("get", "list")}
    assert mutations == set()
    assert not any(p.startswith(("aiplatform.endpoints.predict", "iam.")) for p in perms)
    roles = notebooks.resources[("google_project_iam_member", "workbench")]["for_each"]
    assert "roles/aiplatform.user" not in roles
    assert notebooks.resources[("google_project_iam_member", "workbench_vertex")]["role"] == (
        "${google_project_iam_custom_role.notebook.name}")
    # The workbench account may act as no service account (not even itself: it starts no jobs).
    assert not [name for (rtype, name), body in notebooks.resources.items()
                if rtype == "google_service_account_iam_member"
                and body["member"] == "${google_service_account.workbench.member}"]


def test_each_user_owns_exactly_their_instance(notebooks):
    assert notebooks.locals["workbench_owners"] == {"ann": "ann@acme.example", "bob": "robert@partner.example"}
    wb = notebooks.resources[("google_workbench_instance", "users")]
    assert wb["instance_owners"] == ["${local.workbench_owners[each.key]}"]
    assert wb["enable_deletion_protection"] is True  # prod
    owners = notebooks.resources[("google_workbench_instance_iam_member", "owners")]
    assert owners["for_each"] == "${local.workbench_owners}"
    assert owners["name"] == "${google_workbench_instance.users[each.key].name}"
    assert owners["member"] == "user:${each.value}"
    users = notebooks.resources[("google_service_account_iam_member", "workbench_users")]
    assert users["service_account_id"] == "${google_service_account.workbench.name}"
    dev = render(env="dev", phases="  training: {users: [ann]}")
    assert dev.resources[("google_workbench_instance", "users")]["enable_deletion_protection"] is False


def test_no_firewall_rule_reaches_jupyter_and_dataflow_only_its_shuffle_ports(notebooks):
    rules = {n: b for (t, n), b in notebooks.resources.items() if t == "google_compute_firewall"}
    assert "allow_internal" not in rules
    for name, rule in rules.items():
        if "allow" in rule:
            assert "workbench" not in rule.get("target_tags", []), name
    assert rules["allow_dataflow"]["allow"] == [{"protocol": "tcp", "ports": ["12345-12346"]}]
    assert rules["allow_dataflow"]["source_tags"] == ["dataflow"]
    assert "source_ranges" not in rules["allow_dataflow"]


@pytest.mark.parametrize("phases, where, fragment", [
    ("  training: {gpu: t4}", "phases.training.gpu", "users is empty"),
    ("  training: {users: [ann], user_emails: {bob: b@x.example}}", "phases.training.user_emails.bob",
     "not in phases.training.users"),
])
def test_training_rules(phases, where, fragment):
    from dsaas_infra.errors import SpecError

    with pytest.raises(SpecError) as e:
        render(phases=phases)
    assert f": {where}: " in str(e.value) and fragment in str(e.value), str(e.value)


def test_rejected_launches_and_api_errors_alert_the_channels(examples):
    bp = examples["gcp-managed"]
    alerts = {n: b for (t, n), b in bp.resources.items() if t == "google_monitoring_alert_policy"}
    for name in ("scheduler_rejected", "api_5xx", "api_latency"):
        assert alerts[name]["notification_channels"] == "${local.notification_channels}", name
    log = alerts["scheduler_rejected"]["conditions"][0]["condition_matched_log"][0]["filter"].replace('\\"', '"')
    assert 'resource.type="cloud_scheduler_job"' in log and "severity>=ERROR" in log
    five = alerts["api_5xx"]["conditions"][0]["condition_threshold"][0]["filter"].replace('\\"', '"')
    assert "response_code_class = 500" in five and '"stark-prod-api"' in five
    # The forwarding rule the filters name is the blueprint's.
    assert bp.resources[("google_compute_global_forwarding_rule", "api")]["name"] == "${local.name_prefix}-api"
    reactive = examples["gcp-reactive"]
    names = {n for (t, n) in reactive.resources if t == "google_monitoring_alert_policy"}
    assert "scheduler_rejected" in names and "api_5xx" not in names


@pytest.mark.parametrize("stem", ["gcp-reactive", "gcp-proactive", "gcp-managed"])
def test_the_pipeline_account_holds_only_what_its_steps_call_in_vertex_ai(examples, stem):
    """A custom role instead of roles/aiplatform.user (which may create endpoints, delete models
    and run any job): the steps' calls for the phases this blueprint has (tests/files checks each
    call the steps make against these sets) and Vertex ML Metadata for the run's records."""
    from dsaas_infra.render.gcp import pipeline as gcp_pipeline

    bp = examples[stem]
    roles = bp.resources[("google_project_iam_member", "pipeline")]["for_each"]
    assert "roles/aiplatform.user" not in roles and not any("aiplatform" in r for r in roles)
    assert bp.resources[("google_project_iam_member", "pipeline_run")]["role"] == (
        "${google_project_iam_custom_role.pipeline_run.name}")
    perms = set(bp.resources[("google_project_iam_custom_role", "pipeline_run")]["permissions"])
    deploy = ("google_vertex_ai_endpoint", "main") in bp.resources
    drift = ("google_logging_metric", "drift_anomalies") in bp.resources
    expected = set(gcp_pipeline.PIPELINE_BASE_PERMISSIONS) | set(gcp_pipeline.PIPELINE_TRAINING_PERMISSIONS)
    expected |= set(gcp_pipeline.PIPELINE_DEPLOY_PERMISSIONS) if deploy else set()
    expected |= set(gcp_pipeline.PIPELINE_DRIFT_PERMISSIONS) if drift else set()
    # The batch tier (no endpoint): batch prediction jobs, and no deployment right at all.
    expected |= set(gcp_pipeline.PIPELINE_BATCH_PERMISSIONS) if not deploy else set()
    assert perms == expected
    assert (stem == "gcp-reactive") == any(p.startswith("aiplatform.batchPredictionJobs.") for p in perms)
    # Never: creating or deleting endpoints, deleting models, other kinds of jobs, IAM.
    assert not [p for p in perms if p in ("aiplatform.endpoints.create", "aiplatform.endpoints.delete",
                                          "aiplatform.models.delete", "aiplatform.pipelineJobs.create")
                or p.split(".")[1] in ("hyperparameterTuningJobs", "tuningJobs")
                or (p.split(".")[1] == "batchPredictionJobs" and deploy)
                or not p.startswith("aiplatform.")]
