"""Who may write which bucket of a GCP blueprint, read from the rendered HCL per identity.

The artifacts bucket holds what the pipeline runs and deploys (train.py, the pipeline root,
models): only the pipeline's identities may write it; notebooks read it and write their own
experiments bucket. No identity holds a Cloud Storage role on the whole project.
"""

from __future__ import annotations

import pytest

from dsaas_infra.spec import load_spec
from tests.conftest import example_specs
from tests.render.parsed_blueprint import ParsedBlueprint, parse

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}
# Roles that let a member create, replace or delete objects.
WRITE_ROLES = {"roles/storage.objectAdmin", "roles/storage.objectUser", "roles/storage.objectCreator",
               "roles/storage.admin", "roles/storage.legacyBucketWriter", "roles/storage.legacyBucketOwner"}
READ_ROLES = {"roles/storage.objectViewer", "roles/storage.legacyBucketReader"}


@pytest.fixture(scope="module", params=sorted(GCP_SPECS))
def bp(request) -> ParsedBlueprint:
    return parse(load_spec(GCP_SPECS[request.param]))


def _identity(member: str) -> str:
    """${google_service_account.X.member} -> X (the blueprint's identities by resource name)."""
    prefix, suffix = "${google_service_account.", ".member}"
    assert member.startswith(prefix) and member.endswith(suffix), member
    return member[len(prefix):-len(suffix)]


def bucket_roles(bp: ParsedBlueprint) -> dict[str, dict[str, set[str]]]:
    """bucket resource name -> identity -> roles, from every google_storage_bucket_iam_member."""
    out: dict[str, dict[str, set[str]]] = {}
    for (rtype, name), body in bp.resources.items():
        # The fleet CI's identities (ci.create_identity) administer (apply) or read (plan) every bucket
        # and their own state prefix: tests/render/test_ci_identity_gcp.py.
        if rtype != "google_storage_bucket_iam_member" or name.startswith("ci_"):
            continue
        bucket = body["bucket"]
        assert bucket.startswith("${google_storage_bucket.") and bucket.endswith(".name}"), (name, bucket)
        # A condition only narrows a grant: allowed on read roles (the scheduler reads one object);
        # write grants stay whole, so that the writers below are exactly who may write.
        assert "condition" not in body or body["role"] in READ_ROLES, name
        out.setdefault(bucket.split(".")[1], {}).setdefault(_identity(body["member"]), set()).add(body["role"])
    return out


def writers(roles: dict[str, set[str]]) -> set[str]:
    return {who for who, r in roles.items() if r & WRITE_ROLES}


def test_only_the_pipeline_identities_write_what_the_pipeline_runs_and_deploys(bp):
    roles = bucket_roles(bp)
    training = bp.spec.phases.training.enabled
    assert writers(roles["artifacts"]) == ({"pipeline", "training"} if training else {"pipeline"})
    # The code the training job runs and the compiled pipeline live in that bucket.
    shipped = bp.resources[("google_storage_bucket_object", "pipeline")]
    assert shipped["bucket"] == "${google_storage_bucket.artifacts.name}"
    assert "${google_storage_bucket.artifacts.name}/pipeline-root" in bp.text("pipeline.tf")
    if training:
        assert roles["artifacts"]["workbench"] == {"roles/storage.objectViewer"}
        # Only the pipeline's account may act as the training account (no notebook, no user).
        acting = {_identity(b["member"]) for (t, _), b in bp.resources.items()
                  if t == "google_service_account_iam_member"
                  and b["service_account_id"] == "${google_service_account.training.name}"}
        assert acting == {"pipeline"}


def test_notebooks_write_only_their_experiments_bucket_and_the_curated_files(bp):
    assert bp.spec.phases.training.enabled  # every GCP example has notebooks
    roles = bucket_roles(bp)
    wrote = {bucket for bucket, who in roles.items() if who.get("workbench", set()) & WRITE_ROLES}
    assert wrote == {"experiments", "curated"}
    assert roles["experiments"] == {"workbench": {"roles/storage.objectAdmin"}}
    assert roles["raw"]["workbench"] == {"roles/storage.objectViewer"}
    assert "workbench" not in roles["dataflow"]
    bucket = bp.resources[("google_storage_bucket", "experiments")]
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["encryption"][0]["default_kms_key_name"] == '${google_kms_crypto_key.keys["storage"].id}'
    assert bucket["name"] == f"{bp.spec.gcp.project_id}-{bp.spec.client.environment}-experiments"
    readme = bp.text("README.md")
    assert f"`{bucket['name']}` (the notebooks' own experiments" in readme
    assert "It may only read" in readme


def test_no_identity_holds_a_storage_role_on_the_whole_project(bp):
    for (rtype, name), body in bp.resources.items():
        if rtype != "google_project_iam_member":
            continue
        roles = body.get("for_each") or [body["role"]]
        if isinstance(roles, str):  # toset([...]) is kept as an expression string by python-hcl2
            roles = [roles]
        assert not any("roles/storage." in r for r in roles), name


def test_the_dataflow_code_bucket_is_written_by_its_workers_only(bp):
    roles = bucket_roles(bp)
    assert writers(roles["dataflow"]) == {"dataflow"}
    assert writers(roles["raw"]) == {"pipeline"}
    assert all(r <= READ_ROLES for who, r in roles["raw"].items() if who != "pipeline")


def test_no_experiments_bucket_without_notebooks():
    from dsaas_infra.spec import load_spec_text
    bp = parse(load_spec_text(
        "apiVersion: dsaas-infra/v1\n"
        "client: {name: acme, environment: dev, maturity: reactive, owner: ml@acme.example}\n"
        "cloud: gcp\n"
        "gcp: {project_id: acme-dsaas-dev, region: europe-west1}\n"
        "phases: {training: {enabled: false}, deployment: {enabled: false}}\n", "acme.yaml"))
    assert ("google_storage_bucket", "experiments") not in bp.resources
    assert "experiments" not in bp.text("outputs.tf")
