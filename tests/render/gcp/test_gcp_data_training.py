"""The GCP blueprint's shared files, data and training phases, asserted on the parsed HCL."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess

import pytest

from dsaas_infra import schemas
from dsaas_infra.render import render_blueprint
from dsaas_infra.render.gcp import build as gcp
from dsaas_infra.render.gcp import ci as gcp_ci
from dsaas_infra.render.gcp import network as gcp_network
from dsaas_infra.render.gcp import serving as gcp_serving
from dsaas_infra.spec import load_spec, load_spec_text
from dsaas_infra.spec.cron import to_unix_cron
from dsaas_infra.validate import pipeline
from tests.conftest import BLUEPRINTS
from tests.render.parsed_blueprint import blocks, merge, parse_tf_files

GCP_SPECS = sorted(BLUEPRINTS.glob("gcp-*.yaml"))

BASE = """\
apiVersion: dsaas-infra/v1
client:
  name: initrode
  environment: dev
  maturity: {maturity}
  owner: Data.Team@initrode.example
  tags: {{Team: Data-Science, cost-center: cc-1}}
cloud: gcp
gcp:
  project_id: initrode-ml-dev
  region: europe-west1
  apigee: {{organization: dedicated}}
{network}phases:
  data: {{schedule: "0 4 * * 1-5", raw_retention_days: 30}}
  training: {{users: {users}, gpu: {gpu}}}
  deployment: {{enabled: {serving}}}
  access: {{enabled: {serving}}}
"""
REUSED = """\
  network:
    network: projects/host-proj-1/global/networks/shared
    subnetwork: projects/host-proj-1/regions/europe-west1/subnetworks/ml
"""


def spec_text(maturity="proactive", network="", users="[alice]", gpu="none", serving="false"):
    return BASE.format(maturity=maturity, network=network, users=users, gpu=gpu, serving=serving)


def parse(files: dict[str, bytes]) -> dict[str, list]:
    """All top-level blocks of every .tf file, merged: {block kind: [bodies]}."""
    return merge(parse_tf_files(files).values())


def resources(tf: dict[str, list], rtype: str) -> dict[str, dict]:
    return blocks(tf, "resource", rtype)


def render_text(text: str) -> dict[str, list]:
    return parse(render_blueprint(load_spec_text(text, "initrode.yaml")))


@pytest.fixture(scope="module")
def examples() -> dict[str, dict[str, list]]:
    return {p.stem: parse(render_blueprint(load_spec(p))) for p in GCP_SPECS}


def test_there_is_a_gcp_example_per_maturity():
    assert {load_spec(p).client.maturity for p in GCP_SPECS} == {"reactive", "proactive", "managed"}


@pytest.mark.parametrize("stem", [p.stem for p in GCP_SPECS])
def test_every_bucket_is_private_versioned_and_encrypted_with_the_cmek(examples, stem):
    buckets = resources(examples[stem], "google_storage_bucket")
    assert set(buckets) >= {"raw", "curated", "artifacts", "dataflow"}
    for name, bucket in buckets.items():
        assert bucket["uniform_bucket_level_access"] is True, name
        assert bucket["public_access_prevention"] == "enforced", name
        assert bucket["versioning"][0]["enabled"] is True, name
        assert bucket["encryption"][0]["default_kms_key_name"] == '${google_kms_crypto_key.keys["storage"].id}', name
        # Usage logs would need a grant that domain-restricted sharing rejects.
        assert "logging" not in bucket, name


def _raw_rules(tf) -> tuple[list, list]:
    raw = resources(tf, "google_storage_bucket")["raw"]
    deletes = [r["condition"][0].get("age") for r in raw["lifecycle_rule"] if r["action"][0]["type"] == "Delete"]
    moves = [(r["condition"][0]["age"], r["condition"][0]["matches_storage_class"], r["action"][0]["storage_class"])
             for r in raw["lifecycle_rule"] if r["action"][0]["type"] == "SetStorageClass"]
    return deletes, moves


def test_raw_data_ages_into_cheaper_classes_and_is_deleted_only_when_the_spec_asks(examples):
    """As on AWS (issue 9/10): transitions by default, deletion only with raw_retention_days."""
    for stem in ("gcp-reactive", "gcp-proactive", "gcp-managed"):
        spec = load_spec(BLUEPRINTS / f"{stem}.yaml")
        keep = spec.phases.data.raw_retention_days  # set in the example spec, or None: never deleted
        deletes, moves = _raw_rules(examples[stem])
        # Besides the noncurrent-version rule (no age), a Delete only where the spec asks for one.
        assert [a for a in deletes if a is not None] == ([keep] if keep else []), stem
        assert moves == [(30, ["STANDARD"], "NEARLINE"),
                         (spec.phases.data.raw_archive_days, ["STANDARD", "NEARLINE"], "COLDLINE")], stem
    # The spec asks for deletion after 30 days (BASE): deleted then, no class change before it.
    deletes, moves = _raw_rules(render_text(spec_text()))
    assert 30 in deletes and moves == []
    # Deleted after 400 days, archived at 200: both transitions, then the deletion.
    deletes, moves = _raw_rules(render_text(spec_text().replace(
        "raw_retention_days: 30", "raw_retention_days: 400, raw_archive_days: 200")))
    assert 400 in deletes and [m[0] for m in moves] == [30, 200]


def test_raw_retention_and_prevent_destroy_follow_the_spec(examples):
    raw = resources(examples["gcp-reactive"], "google_storage_bucket")["raw"]
    # gcp-reactive.yaml turns prevent_destroy off; the others keep the maturity default (on).
    assert raw["lifecycle"][0]["prevent_destroy"] is False and raw["force_destroy"] is True
    managed_raw = resources(examples["gcp-managed"], "google_storage_bucket")["raw"]
    assert managed_raw["lifecycle"][0]["prevent_destroy"] is True and managed_raw["force_destroy"] is False


def toset(expr: str) -> set[str]:
    """The strings of a rendered ``toset([...])`` expression."""
    assert expr.startswith("${toset([") and expr.endswith("])}"), expr
    return set(json.loads(expr.removeprefix("${toset(").removesuffix(")}")))


def test_enabled_apis_are_exactly_what_the_phases_use():
    tf = render_text(spec_text())
    service = resources(tf, "google_project_service")["this"]
    assert toset(service["for_each"]) == {
        "aiplatform.googleapis.com", "artifactregistry.googleapis.com", "bigquery.googleapis.com",
        "bigquerystorage.googleapis.com", "cloudkms.googleapis.com",
        "cloudresourcemanager.googleapis.com", "cloudscheduler.googleapis.com",
        "compute.googleapis.com", "dataflow.googleapis.com", "iam.googleapis.com",
        "logging.googleapis.com", "notebooks.googleapis.com", "serviceusage.googleapis.com",
        "storage.googleapis.com",
    }
    assert service["disable_on_destroy"] is False


@pytest.mark.parametrize("stem", [p.stem for p in GCP_SPECS])
def test_enabled_apis_include_the_serving_phases_needs(examples, stem):
    spec = load_spec(BLUEPRINTS / f"{stem}.yaml")
    listed = toset(resources(examples[stem], "google_project_service")["this"]["for_each"])
    serving = set(gcp_serving.build_context(spec, spec.name_prefix).serving_apis)
    # ci.create_identity adds what Workload Identity Federation needs (tests/render/gcp/test_ci_identity_gcp.py).
    ci = set(gcp_ci.APIS) if spec.ci is not None and spec.ci.create_identity else set()
    # The promote job (pipeline.tf) is a Cloud Run job, where there is an endpoint to promote to.
    promote = {"run.googleapis.com"} if resources(examples[stem], "google_cloud_run_v2_job") else set()
    # A billing budget (alerts.tf) needs the Billing Budgets API.
    budget = {"billingbudgets.googleapis.com"} if resources(examples[stem], "google_billing_budget") else set()
    assert listed == set(gcp._apis(spec)) | serving | set(gcp_network.extra_apis(spec)) | ci | promote | budget


def test_cmek_keys_rotate_are_protected_and_every_agent_is_granted(examples):
    tf = examples["gcp-managed"]
    key = resources(tf, "google_kms_crypto_key")["keys"]
    assert key["rotation_period"] == "7776000s"
    assert key["lifecycle"][0]["prevent_destroy"] is True
    assert key["version_template"][0]["protection_level"] == "HSM"
    agents = next(b["kms_agents"] for b in tf["locals"] if "kms_agents" in b)
    assert set(agents) == {"compute", "storage", "bigquery", "aiplatform", "artifactregistry",
                           "dataflow", "notebooks", "logging"}
    identities = resources(tf, "google_project_service_identity")["agents"]
    assert identities["provider"] == "google-beta"
    reactive_key = resources(examples["gcp-reactive"], "google_kms_crypto_key")["keys"]
    assert reactive_key["version_template"][0]["protection_level"] == "SOFTWARE"


def test_providers_are_pinned_to_the_major_of_the_schema_snapshot(examples):
    tf = examples["gcp-proactive"]
    required = next(t["required_providers"][0] for t in tf["terraform"] if "required_providers" in t)
    major = schemas.load("google")["version"].split(".")[0]
    assert required["google"]["version"] == f"~> {major}.0"
    assert required["google-beta"]["version"] == f"~> {major}.0"
    backend = next(t["backend"][0]["gcs"] for t in tf["terraform"] if "backend" in t)
    spec = load_spec(BLUEPRINTS / "gcp-proactive.yaml")
    assert backend == {"bucket": spec.state.bucket, "prefix": spec.state.prefix}


def test_default_labels_carry_identity_and_normalised_tags():
    tf = render_text(spec_text())
    labels = next(p["google"]["default_labels"] for p in tf["provider"] if "google" in p)
    assert labels == {
        "client": "initrode", "environment": "dev", "maturity": "proactive",
        "owner": "data_team_at_initrode_example", "managed-by": "dsaas-infra",
        "team": "data-science", "cost-center": "cc-1",
    }


def test_scheduler_starts_the_pipeline_as_its_account_in_utc(examples):
    """The data schedule starts the Vertex AI pipeline (its curate step launches Dataflow)."""
    spec = load_spec(BLUEPRINTS / "gcp-proactive.yaml")
    tf = examples["gcp-proactive"]
    job = resources(tf, "google_cloud_scheduler_job")["pipeline"]
    assert job["time_zone"] == "Etc/UTC"
    assert job["schedule"] == to_unix_cron(spec.phases.data.schedule)
    target = job["http_target"][0]
    assert target["uri"].endswith("/locations/${local.region}/pipelineJobs")
    assert target["oauth_token"][0]["service_account_email"] == "${google_service_account.scheduler.email}"
    assert target["body"] == "${base64encode(jsonencode(local.pipeline_request))}"
    request = next(b["pipeline_request"] for b in tf["locals"] if "pipeline_request" in b)
    assert request["pipelineSpec"] == '${yamldecode(file("${path.module}/files/pipeline/pipeline.yaml"))}'
    assert request["serviceAccount"] == "${google_service_account.pipeline.email}"
    assert request["encryptionSpec"]["kmsKeyName"] == '${google_kms_crypto_key.keys["vertex"].id}'
    assert request["runtimeConfig"]["parameterValues"] == "${local.pipeline_parameters}"
    params = next(b["pipeline_parameters"] for b in tf["locals"] if "pipeline_parameters" in b)
    assert params["dataflow_service_account"] == "${google_service_account.dataflow.email}"
    assert params["subnetwork"] == "${local.subnetwork_self_link}"
    assert params["dataflow_kms_key"] == '${google_kms_crypto_key.keys["compute"].id}'
    assert params["kms_key"] == '${google_kms_crypto_key.keys["vertex"].id}'
    assert params["dataflow_template"].endswith("/GCS_Text_to_BigQuery_Flex")
    # The scheduler may create pipeline jobs and act as the pipeline's account, nothing more.
    role = resources(tf, "google_project_iam_custom_role")["pipeline_launch"]
    assert role["permissions"] == ["aiplatform.pipelineJobs.create"]
    grant = resources(tf, "google_project_iam_member")["scheduler_pipeline_launch"]
    assert grant["role"] == "${google_project_iam_custom_role.pipeline_launch.name}"
    acts = resources(tf, "google_service_account_iam_member")
    assert acts["scheduler_acts_as_pipeline"]["service_account_id"] == "${google_service_account.pipeline.name}"
    assert acts["pipeline_acts_as_dataflow"]["service_account_id"] == "${google_service_account.dataflow.name}"
    assert not any(a["member"] == "${google_service_account.scheduler.member}"
                   for n, a in acts.items() if n != "scheduler_acts_as_pipeline")


def test_pipeline_parameters_carry_the_specs_serving_choices(examples):
    spec = load_spec(BLUEPRINTS / "gcp-managed.yaml")
    params = next(b["pipeline_parameters"] for b in examples["gcp-managed"]["locals"]
                  if "pipeline_parameters" in b)
    d = spec.phases.deployment
    assert params["variants"] == [{"name": v.name, "weight": v.weight} for v in d.variants]
    assert (params["min_replicas"], params["max_replicas"]) == (d.min_instances, d.max_instances)
    assert params["serving_machine_type"] == "n2-standard-4"  # size medium
    assert params["training_machine_type"] == "n2-standard-8"  # size large; sklearn needs no GPU
    assert params["approval"] == "manual" and params["deploy_enabled"] is True
    assert params["drift_enabled"] is True
    assert params["endpoint"] == "${google_vertex_ai_endpoint.main.name}"
    reactive = next(b["pipeline_parameters"] for b in examples["gcp-reactive"]["locals"]
                    if "pipeline_parameters" in b)
    assert reactive["deploy_enabled"] is False and "endpoint" not in reactive
    # The batch tier: each run scores the new inference input on the spec's serving size, as the
    # training account, every evaluated version approved (no threshold in the spec, as on AWS).
    r = load_spec(BLUEPRINTS / "gcp-reactive.yaml").phases.deployment
    assert reactive["batch_enabled"] is True and "batch_enabled" not in params
    assert reactive["batch_service_account"] == "${google_service_account.training.email}"
    assert (reactive["min_replicas"], reactive["max_replicas"]) == (r.min_instances, r.max_instances)
    assert reactive["serving_machine_type"] == "e2-standard-4"  # size small
    assert reactive["approval"] == "auto"
    grant = resources(examples["gcp-reactive"], "google_storage_bucket_iam_member")["training_inference_reader"]
    assert (grant["bucket"], grant["role"], grant["member"]) == (
        "${google_storage_bucket.raw.name}", "roles/storage.objectViewer", "${google_service_account.training.member}")
    assert "training_inference_reader" not in resources(examples["gcp-managed"], "google_storage_bucket_iam_member")
    # A metric threshold in the spec replaces the manual approval.
    text = spec_text(serving="true").replace(
        "deployment: {enabled: true}",
        "deployment: {enabled: true, alert_emails: [a@initrode.example], approval: {metric: r2, threshold: 0.8}}")
    params = next(b["pipeline_parameters"] for b in render_text(text)["locals"] if "pipeline_parameters" in b)
    assert (params["approval"], params["approval_metric"], params["approval_threshold"]) == (
        "threshold", "rSquared", 0.8)


def test_curated_dataset_and_table_use_the_cmek_and_the_shipped_schema(examples):
    tf = examples["gcp-proactive"]
    dataset = resources(tf, "google_bigquery_dataset")["curated"]
    encryption = dataset["default_encryption_configuration"][0]
    assert encryption["kms_key_name"] == '${google_kms_crypto_key.keys["bigquery"].id}'
    assert "access" not in dataset  # no public (or any extra) access entries
    table = resources(tf, "google_bigquery_table")["curated"]  # one per dataset (for_each)
    assert table["encryption_configuration"][0]["kms_key_name"] == '${google_kms_crypto_key.keys["bigquery"].id}'
    schema_file = render_blueprint(load_spec(BLUEPRINTS / "gcp-proactive.yaml"))["files/dataflow/curated_schema.json"]
    fields = {f["name"] for f in json.loads(schema_file)["BigQuery Schema"]}
    assert table["time_partitioning"][0]["field"] in fields
    assert set(table["clustering"]) <= fields


def test_workbench_instances_have_no_public_ip_shielded_vm_and_cmek_disks(examples):
    tf = examples["gcp-proactive"]
    wb = resources(tf, "google_workbench_instance")["users"]
    assert set(wb["for_each"]) == {"alice", "bob"}
    setup = wb["gce_setup"][0]
    assert setup["disable_public_ip"] is True
    assert setup["shielded_instance_config"][0] == {
        "enable_secure_boot": True, "enable_vtpm": True, "enable_integrity_monitoring": True,
    }
    for disk in ("boot_disk", "data_disks"):
        assert setup[disk][0]["disk_encryption"] == "CMEK"
        assert setup[disk][0]["kms_key"] == '${google_kms_crypto_key.keys["compute"].id}'
    assert setup["service_accounts"][0]["email"] == "${google_service_account.workbench.email}"
    assert setup["network_interfaces"][0]["subnet"] == "${local.subnetwork_id}"


def test_vertex_tensorboard_pipeline_runs_and_registry_use_the_cmek(examples):
    tf = examples["gcp-proactive"]
    key = '${google_kms_crypto_key.keys["vertex"].id}'
    assert resources(tf, "google_vertex_ai_tensorboard")["main"]["encryption_spec"][0]["kms_key_name"] == key
    # No metadata store: the project's "default" may exist already (409); the first run creates it
    # with the run's key where it does not (preflight check gcp-metadata-store says which).
    for stem, blueprint in examples.items():
        assert resources(blueprint, "google_vertex_ai_metadata_store") == {}, stem
    request = {k: v for body in tf["locals"] for k, v in body.items()}["pipeline_request"]
    assert request["encryptionSpec"]["kmsKeyName"] == key
    repo = resources(tf, "google_artifact_registry_repository")["models"]
    assert repo["kms_key_name"] == '${google_kms_crypto_key.keys["registry"].id}'
    assert repo["docker_config"][0]["immutable_tags"] is True


def test_no_users_means_no_workbench_instance():
    tf = render_text(spec_text(users="[]"))
    assert resources(tf, "google_workbench_instance") == {}
    assert "google_vertex_ai_tensorboard" in {t for b in tf["resource"] for t in b}


def test_gpu_maps_to_its_machine_family_and_accelerator():
    wb = resources(render_text(spec_text(gpu="l4")), "google_workbench_instance")["users"]
    setup = wb["gce_setup"][0]
    assert setup["machine_type"] == "g2-standard-8"
    assert setup["accelerator_configs"][0] == {"type": "NVIDIA_L4", "core_count": 1}


def test_training_roles_are_bound_on_the_exact_resources():
    tf = render_text(spec_text())
    buckets = resources(tf, "google_storage_bucket_iam_member")
    assert buckets["training_curated_reader"]["bucket"] == "${google_storage_bucket.curated.name}"
    assert buckets["training_curated_reader"]["role"] == "roles/storage.objectViewer"
    repo = resources(tf, "google_artifact_registry_repository_iam_member")["training_writer"]
    assert repo["repository"] == "${google_artifact_registry_repository.models.name}"
    # The README says training pipelines push their images: that needs the writer role.
    assert repo["role"] == "roles/artifactregistry.writer"
    assert repo["member"] == "${google_service_account.training.member}"
    project_roles = set()
    for body in resources(tf, "google_project_iam_member").values():
        project_roles.update(toset(body["for_each"]) if "for_each" in body else {body["role"]})
    assert not any(r in project_roles for r in ("roles/owner", "roles/editor", "roles/storage.admin",
                                                "roles/storage.objectAdmin", "roles/bigquery.admin"))


def test_created_network_has_private_access_flow_logs_and_nat_and_no_gke_ranges():
    tf = render_text(spec_text())
    subnet = resources(tf, "google_compute_subnetwork")["main"]
    assert subnet["private_ip_google_access"] is True
    assert "secondary_ip_range" not in subnet  # no GKE cluster is created
    assert subnet["log_config"][0]["metadata"] == "INCLUDE_ALL_METADATA"
    assert resources(tf, "google_compute_network")["main"]["auto_create_subnetworks"] is False
    nat = resources(tf, "google_compute_router_nat")["main"]
    assert nat["log_config"][0]["enable"] is True
    deny = resources(tf, "google_compute_firewall")["deny_all_ingress"]
    assert deny["deny"][0]["protocol"] == "all" and deny["direction"] == "INGRESS"


def test_reused_network_creates_no_network_resources():
    tf = render_text(spec_text(network=REUSED))
    created = {t for b in tf["resource"] for t in b}
    assert not created & {"google_compute_network", "google_compute_subnetwork",
                          "google_compute_router", "google_compute_router_nat",
                          "google_compute_firewall"}
    net = next(b for b in tf["locals"] if "network_id" in b)
    assert net["network_id"] == "projects/host-proj-1/global/networks/shared"
    assert net["subnetwork_self_link"] == (
        "https://www.googleapis.com/compute/v1/projects/host-proj-1/regions/europe-west1/subnetworks/ml")


@pytest.mark.parametrize("maturity", ["reactive", "proactive", "managed"])
@pytest.mark.parametrize("network", ["", REUSED])
@pytest.mark.parametrize("users", ["[]", "[alice, bob]"])
def test_variants_pass_syntax_references_and_provider_schema(tmp_path, maturity, network, users):
    serving = "false" if maturity == "reactive" else "true"
    text = spec_text(maturity=maturity, network=network, users=users, serving=serving)
    if serving == "true":
        text = text.replace("deployment: {enabled: true}",
                            "deployment: {enabled: true, alert_emails: [a@initrode.example]}")
    for name, content in render_blueprint(load_spec_text(text, "initrode.yaml")).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    report = pipeline.run([(tmp_path, "initrode")], skip=("format", "terraform", "security"))
    errors = [f"{f.rule_id} {f.location()}: {f.message}" for s in report.stages
              for f in s.findings if f.severity == "error"]
    assert errors == []


def test_schema_snapshot_knows_every_resource_type_used(examples):
    snapshot = schemas.load("google")
    beta = schemas.load("google-beta")
    for stem, tf in examples.items():
        for block in tf["resource"]:
            for rtype in block:
                if rtype.startswith("google_"):
                    assert rtype in snapshot["resources"] or rtype in beta["resources"], (stem, rtype)


@pytest.mark.parametrize("stem", [p.stem for p in GCP_SPECS])
def test_every_provider_used_is_pinned_in_versions_tf(examples, stem):
    tf = examples[stem]
    required = next(t["required_providers"][0] for t in tf["terraform"] if "required_providers" in t)
    used = set()
    for kind in ("resource", "data"):
        for block in tf.get(kind, []):
            for rtype, named in block.items():
                used.add(rtype.split("_")[0])
                used.update(body["provider"] for body in named.values() if "provider" in body)
    assert used <= set(required), used - set(required)
    assert all(p["version"].startswith("~> ") for p in required.values())


def test_the_gcp_and_aws_proactive_examples_are_the_same_client():
    aws, gcp_spec = load_spec(BLUEPRINTS / "aws-proactive.yaml"), load_spec(BLUEPRINTS / "gcp-proactive.yaml")
    # One spec per client-environment (blueprints/ renders as one fleet): only the names differ.
    same_names = {"name": gcp_spec.client.name, "display_name": gcp_spec.client.display_name}
    assert aws.client.model_copy(update=same_names) == gcp_spec.client
    # Only the per-cloud defaults differ (AWS: IAM authentication, WAF always).
    cloud_specific = {"access": {"auth", "waf"}}

    def shared(phases) -> dict:
        values = dataclasses.asdict(phases)
        for phase, keys in cloud_specific.items():
            for key in keys:
                del values[phase][key]
        # Who may act as a consumer with IAM (SigV4) authentication: AWS only.
        values["access"]["consumers"] = [c.model_dump(exclude={"aws_principals"}) if hasattr(c, "model_dump")
                                         else {k: v for k, v in c.items() if k != "aws_principals"}
                                         for c in values["access"]["consumers"]]
        return values

    assert shared(aws.phases) == shared(gcp_spec.phases)
    readme = render_blueprint(gcp_spec)["README.md"].decode()
    for phase in ("data", "training", "deployment", "access"):
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{phase}` |"))
        assert "S3" in row or "SageMaker" in row or "Step Functions" in row or "API Gateway" in row


def test_managed_clients_get_data_access_audit_logs_and_longer_soft_delete(examples):
    managed, proactive = examples["gcp-managed"], examples["gcp-proactive"]
    audit = resources(managed, "google_project_iam_audit_config")["data_access"]
    assert toset(audit["for_each"]) == {"storage.googleapis.com", "bigquery.googleapis.com"}
    assert {c["log_type"] for c in audit["audit_log_config"]} == {"ADMIN_READ", "DATA_READ", "DATA_WRITE"}
    assert resources(proactive, "google_project_iam_audit_config") == {}
    soft = {stem: resources(tf, "google_storage_bucket")["raw"]["soft_delete_policy"][0]["retention_duration_seconds"]
            for stem, tf in examples.items()}
    assert soft["gcp-managed"] == 30 * 86400 and soft["gcp-proactive"] == 7 * 86400


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="needs node to run the Dataflow UDF")
def test_dataflow_udf_curates_good_lines_and_marks_malformed_ones_for_quarantine(tmp_path):
    """The UDF never throws (one throw fails the whole Dataflow job, and every later run with it):
    malformed lines come back with `error` set, for the curate step's quarantine table."""
    files = render_blueprint(load_spec(BLUEPRINTS / "gcp-proactive.yaml"))
    staging = json.loads(files["files/dataflow/staging_schema.json"])["BigQuery Schema"]
    curated = json.loads(files["files/dataflow/curated_schema.json"])["BigQuery Schema"]
    assert {f["name"] for f in staging} == {f["name"] for f in curated} | {"error"}
    script = tmp_path / "run.js"
    script.write_text(
        files["files/dataflow/transform.js"].decode()
        + "\nprocess.argv.slice(2).forEach(function (l) { console.log(transform(l)); });\n"
    )
    good = '{"id": 7, "event_time": "2026-01-02T03:04:05Z", "source": "pos", "amount": 3}'
    bad = ["[1, 2]", "not json", '{"event_time": "2026-01-01"}', '{"id": 1, "event_time": "yesterday"}']
    out = subprocess.run([NODE, str(script), good, *bad], capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 5 and all(set(r) == {f["name"] for f in staging} for r in rows)
    assert rows[0]["error"] is None
    assert rows[0]["record_id"] == "7" and rows[0]["event_time"] == "2026-01-02T03:04:05.000Z"
    assert json.loads(rows[0]["payload"])["amount"] == 3
    reasons = [r["error"] for r in rows[1:]]
    assert reasons[0] == "expected one JSON object per line"
    assert reasons[2] == "record without an id" and reasons[3] == "event_time is not a date"
    assert reasons[1]  # the JSON parser's message
    assert [r["payload"] for r in rows[1:]] == bad and all(r["record_id"] is None for r in rows[1:])
    # One UDF for every dataset: lines of two datasets with different fields are curated alike,
    # each keeping its own fields in payload (the curated tables share the envelope schema).
    sales = '{"id": "s1", "amount": 3.5, "label": 1}'
    customers = '{"id": 42, "country": "BE", "segment": "smb"}'
    out = subprocess.run([NODE, str(script), sales, customers, "{not json"], capture_output=True, text=True,
                         check=True)
    s_row, c_row, broken = [json.loads(line) for line in out.stdout.splitlines()]
    assert (s_row["record_id"], s_row["error"], json.loads(s_row["payload"])["amount"]) == ("s1", None, 3.5)
    assert (c_row["record_id"], c_row["error"], json.loads(c_row["payload"])["segment"]) == ("42", None, "smb")
    assert broken["error"] and broken["payload"] == "{not json"
    # The curated table takes only good rows: the MERGE's source filters on error IS NULL.
    curate = (BLUEPRINTS.parent / "templates/gcp/files/pipeline/pipeline.py").read_text()
    assert "WHERE error IS NULL" in curate and "WHERE s.error IS NOT NULL" in curate


@pytest.mark.parametrize("stem", [p.stem for p in GCP_SPECS])
def test_only_the_dataflow_workers_can_write_the_code_they_run(examples, stem):
    """The UDF runs as the Dataflow workers (bigquery.dataEditor on the curated dataset): anyone
    who can write it can act as them. It and the staging files live in a bucket of their own
    that no other account may write to; the Dataflow job reads nothing from the artifacts bucket."""
    tf = examples[stem]
    objects = resources(tf, "google_storage_bucket_object")
    assert {o["bucket"] for n, o in objects.items() if n.startswith("dataflow")} == {
        "${google_storage_bucket.dataflow.name}"}
    # The Dataflow job's code comes from the dataflow bucket alone (the curate step's launch).
    curate = (BLUEPRINTS.parent / "templates/gcp/files/pipeline/pipeline.py").read_text()
    assert 'f"gs://{dataflow_bucket}/udf/transform.js"' in curate
    assert 'f"gs://{dataflow_bucket}/schema/staging_schema.json"' in curate
    read_only = {"roles/storage.objectViewer", "roles/storage.legacyBucketReader"}
    on_dataflow = [g for g in resources(tf, "google_storage_bucket_iam_member").values()
                   if g["bucket"] == "${google_storage_bucket.dataflow.name}"]
    assert on_dataflow, "no grant on the dataflow bucket: the workers could not stage"
    for grant in on_dataflow:
        # The CI apply account (ci.create_identity) administers every bucket of the blueprint and
        # already acts as the workers (tests/render/test_ci_identity_gcp.py).
        if grant["role"] not in read_only and grant["member"] != "${google_service_account.ci_apply.member}":
            assert grant["member"] == "${google_service_account.dataflow.member}", grant
    # No project-wide storage write role that would reach the bucket anyway.
    for body in resources(tf, "google_project_iam_member").values():
        roles = toset(body["for_each"]) if "for_each" in body else {body["role"]}
        assert not any(r.startswith("roles/storage.") for r in roles), roles


def _quota_rows(readme: str) -> dict[str, tuple[str, str]]:
    """README quota table: {metric: (scope, needed)}."""
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1] in ("regional", "global"):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


def test_readme_lists_the_gpu_and_vcpu_quotas_the_blueprint_needs():
    """GPU quotas are 0 on fresh projects; vCPUs must cover Dataflow's maximum and the notebooks.
    The endpoint's replicas and training jobs count against Vertex AI's quotas, not these."""
    spec = load_spec(BLUEPRINTS / "gcp-managed.yaml")
    readme = render_blueprint(spec)["README.md"].decode()
    rows = _quota_rows(readme)
    users = len(spec.phases.training.users)
    assert rows["NVIDIA_L4_GPUS"] == ("regional", f"{users} GPUs")
    assert rows["GPUS_ALL_REGIONS"] == ("global", f"{users} GPUs")
    d, df = spec.phases.deployment, gcp.DATAFLOW["managed"]
    # Dataflow workers (n2-standard-4); no GKE pool any more.
    assert rows["N2_CPUS"] == ("regional", f"{4 * df.max_workers} vCPUs")
    assert d.max_instances  # (the endpoint's replicas are a Vertex AI quota)
    assert "CPUS_ALL_REGIONS" in rows

    # A deployment GPU adds no Compute Engine GPU: only the two notebooks count.
    text = spec_text(maturity="managed", users="[ann, bob]", gpu="t4", serving="true").replace(
        "deployment: {enabled: true}", "deployment: {enabled: true, gpu: t4, max_instances: 5}")
    rows = _quota_rows(render_blueprint(load_spec_text(text, "initrode.yaml"))["README.md"].decode())
    assert rows["NVIDIA_T4_GPUS"] == ("regional", "2 GPUs")
    assert rows["GPUS_ALL_REGIONS"] == ("global", "2 GPUs")


def test_main_tf_header_is_plain_text():
    """A Markdown-escaped display name in an HCL comment showed as a literal \\"; the header names
    the client by its validated name instead."""
    spec = load_spec(BLUEPRINTS / "gcp-managed.yaml")
    assert '"' in (spec.client.display_name or "")
    header = render_blueprint(spec)["main.tf"].decode().splitlines()[0]
    assert header == f"# DSaaS platform of client {spec.client.name} on GCP (prod, managed)."


def test_firewall_rules_target_only_the_blueprints_workloads(examples):
    """Without target tags the internal and health-check rules opened every VM in the VPC."""
    tf = examples["gcp-proactive"]
    rules = resources(tf, "google_compute_firewall")
    workbench_tags = {t for w in resources(tf, "google_workbench_instance").values()
                      for t in w["gce_setup"][0]["tags"]}
    assert workbench_tags
    # Dataflow tags its workers "dataflow" itself; only they reach each other, on the shuffle ports.
    assert rules["allow_dataflow"]["source_tags"] == rules["allow_dataflow"]["target_tags"] == ["dataflow"]
    assert rules["allow_dataflow"]["allow"] == [{"protocol": "tcp", "ports": ["12345-12346"]}]
    # No GKE nodes, so no GKE or health-check rule.
    assert "allow_gke_internal" not in rules and "allow_health_checks" not in rules
    # Nothing admits traffic to the Workbench instances (Jupyter): not from pods, not from the subnet.
    for name, rule in rules.items():
        if "allow" in rule:
            assert not set(rule.get("target_tags", [])) & workbench_tags, name
    for name, rule in rules.items():
        if name != "deny_all_ingress" and "allow" in rule:
            assert rule.get("target_tags"), f"{name} allows ingress to every VM in the VPC"


def test_readme_explains_how_runs_claim_new_files():
    """Each run moves what it loads out of incoming/: overlapping runs never load a file twice."""
    files = render_blueprint(load_spec(BLUEPRINTS / "gcp-proactive.yaml"))
    readme = " ".join(files["README.md"].decode().split())
    assert "processing/<run>/" in readme and "processed/<run>/" in readme
    assert "quarantine" in readme and "MERGE" in readme
