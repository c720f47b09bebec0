"""ci.create_identity on GCP (templates/gcp/ci.tf.j2): a Workload Identity Federation pool scoped to the
fleet repository and the client's GitHub environments, a read-only plan account, an apply account
with no project-wide storage role, and the identity `dsaas-infra fleet` logs in with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.fleet.index import ci_identity
from dsaas_infra.render.gcp import ci as ci_gcp
from dsaas_infra.render.gcp.build import build_context
from dsaas_infra.spec import load_spec_text
from tests.render.parsed_blueprint import parse

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO / "blueprints").glob("gcp-*.yaml"))
CI = "ci:\n  repository: dsaas-co/fleet\n  create_identity: true\n"
GCP = """apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, maturity: managed, owner: ml@acme.example}
cloud: gcp
gcp:
  project_id: acme-dsaas-prod
  region: europe-west1
  project_number: "123456789012"
  apigee: {project_id: dsaas-apigee-prod, instance: europe-west1}
"""
STATE = "projects/_/buckets/acme-dsaas-prod-prod-tfstate"
PREFIX = f"{STATE}/objects/dsaas-infra/acme/prod/"


def with_ci(text: str) -> str:
    """An example spec with ci.create_identity (and a project number) whatever it had."""
    text = re.sub(r"^  (workload_identity_provider|ci_service_account|ci_plan_service_account|project_number):.*\n",
                  "", text, flags=re.M)
    text = re.sub(r"^ci:\n(  .*\n)*", "", text, flags=re.M)
    text = text.replace("  region:", '  project_number: "123456789012"\n  region:', 1)
    return text.rstrip("\n") + "\n" + CI


@pytest.fixture(scope="module")
def bp():
    return parse(load_spec_text(GCP + CI))


def members(bp, rtype: str, account: str) -> dict[str, dict]:
    """Bindings of a type whose member is the CI account (apply or plan), by resource name."""
    ref = f"${{google_service_account.ci_{account}.member}}"
    return {name: body for (t, name), body in bp.resources.items() if t == rtype and body.get("member") == ref}


def roles_of(body: dict) -> list[str]:
    if "for_each" in body:
        return re.findall(r'"(roles/[^"]+)"', body["for_each"]) or re.findall(r"'(roles/[^']+)'", body["for_each"])
    return [body["role"]]


def condition(body: dict) -> str | None:
    return body["condition"][0]["expression"] if body.get("condition") else None


def test_the_pool_admits_only_the_repository_environments_and_apply_only_from_the_default_branch(bp):
    provider = bp.resources[("google_iam_workload_identity_pool_provider", "github")]
    assert provider["attribute_condition"] == (
        "assertion.repository == 'dsaas-co/fleet' && ("
        "assertion.sub == 'repo:dsaas-co/fleet:environment:acme-prod-plan' || "
        "(assertion.sub == 'repo:dsaas-co/fleet:environment:acme-prod' && assertion.ref == 'refs/heads/main'))")
    assert provider["oidc"][0]["issuer_uri"] == "https://token.actions.githubusercontent.com"
    assert provider["attribute_mapping"]["attribute.environment"] == "assertion.environment"
    pool = "${google_iam_workload_identity_pool.github.name}"
    for purpose, env in (("apply", "acme-prod"), ("plan", "acme-prod-plan")):
        wif = bp.resources[("google_service_account_iam_member", f"ci_{purpose}_wif")]
        assert wif["role"] == "roles/iam.workloadIdentityUser"
        assert wif["member"] == f"principalSet://iam.googleapis.com/{pool}/attribute.environment/{env}"
        assert wif["service_account_id"] == f"${{google_service_account.ci_{purpose}.name}}"


def test_another_default_branch_is_the_one_apply_trusts():
    text = GCP + CI + "  default_branch: release/prod\n"
    provider = parse(load_spec_text(text)).resources[("google_iam_workload_identity_pool_provider", "github")]
    assert "assertion.ref == 'refs/heads/release/prod'" in provider["attribute_condition"]


def bucket_grants(bp, account: str) -> dict[str, tuple[str, list[str] | str]]:
    """The CI account's bucket grants: name -> (role, bucket kinds of a for_each, or the bucket)."""
    out = {}
    for name, body in members(bp, "google_storage_bucket_iam_member", account).items():
        each = body.get("for_each")
        if isinstance(each, dict):  # kind -> its condition (each.value)
            out[name] = (body["role"], sorted(each), dict(each) if condition(body) == "${each.value}" else None)
            continue
        kinds = re.findall(r'"(\w+)"', each) if each is not None else body["bucket"]
        out[name] = (body["role"], kinds, condition(body))
    return out


OBJECTS = "projects/_/buckets/acme-dsaas-prod-prod-{}/objects/"


def test_plan_is_read_only(bp):
    plan = members(bp, "google_project_iam_member", "plan")
    assert set(plan) == {"ci_plan"}
    for role in roles_of(plan["ci_plan"]):
        assert re.search(r"(viewer|Viewer|reader|Reviewer|readOnlyAdmin|^roles/browser)$", role), role
    assert condition(plan["ci_plan"]) is None
    # Bucket settings of every own bucket; objects only where Terraform ships files (never the raw
    # or curated data); the state under its own prefix, and the lock object.
    assert bucket_grants(bp, "plan") == {
        "ci_plan_buckets": ("roles/storage.legacyBucketReader",
                            ["artifacts", "curated", "dataflow", "experiments", "raw"], None),
        # Only the objects Terraform uploads: the same buckets hold models, training sets, exports.
        "ci_plan_managed_objects": ("roles/storage.objectViewer", ["artifacts", "dataflow"], {
            "artifacts": f"resource.name.startsWith('{OBJECTS.format('artifacts')}pipeline/')",
            "dataflow": f"resource.name.startsWith('{OBJECTS.format('dataflow')}udf/') || "
                        f"resource.name.startsWith('{OBJECTS.format('dataflow')}schema/')"}),
        "ci_plan_state": ("roles/storage.objectViewer", "acme-dsaas-prod-prod-tfstate",
                          f"resource.name == '{STATE}' || resource.name.startsWith('{PREFIX}')"),
        "ci_plan_lock": ("roles/storage.objectUser", "acme-dsaas-prod-prod-tfstate",
                         f"resource.name == '{PREFIX}default.tflock'"),
    }


def test_no_ci_account_has_a_project_wide_storage_role(bp):
    for purpose in ("apply", "plan"):
        for name, body in members(bp, "google_project_iam_member", purpose).items():
            assert not [r for r in roles_of(body) if r.startswith("roles/storage.")], name
    create = bp.resources[("google_project_iam_custom_role", "ci_buckets")]
    assert create["permissions"] == ["storage.buckets.create", "storage.buckets.list"]
    assert bucket_grants(bp, "apply") == {
        "ci_apply_buckets": ("roles/storage.admin", ["artifacts", "curated", "dataflow", "experiments", "raw"], None),
        "ci_apply_state": ("roles/storage.objectUser", "acme-dsaas-prod-prod-tfstate",
                           f"resource.name == '{STATE}' || resource.name.startsWith('{PREFIX}')"),
    }


def test_apply_may_grant_on_the_project_only_what_the_blueprint_grants(bp):
    grants = bp.resources[("google_project_iam_member", "ci_apply_grants")]
    assert grants["role"] == "roles/resourcemanager.projectIamAdmin"
    allowed = re.findall(r"'([^']+)'", condition(grants).split("hasOnly(", 1)[1])
    assert "roles/owner" not in allowed and "roles/editor" not in allowed
    assert not [r for r in allowed if r.startswith("roles/storage.") or r.startswith("roles/iam.")]
    apply_roles = roles_of(bp.resources[("google_project_iam_member", "ci_apply")])
    assert "roles/resourcemanager.projectIamAdmin" not in apply_roles
    assert not [r for r in apply_roles if r in ("roles/owner", "roles/editor") or r.startswith("roles/storage.")]
    # It may not widen a custom role, mint keys, or change the pool that admits it.
    assert not {"roles/iam.roleAdmin", "roles/iam.serviceAccountKeyAdmin", "roles/iam.workloadIdentityPoolAdmin",
                "roles/iam.organizationRoleAdmin"} & set(apply_roles)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_project_grant_of_every_example_is_one_apply_may_make(example):
    """A template that grants a new role on the project must add it to render/gcp/ci.py (or apply fails with 403)."""
    bp = parse(load_spec_text(with_ci(example.read_text())))
    allowed = re.findall(r"'([^']+)'", condition(bp.resources[("google_project_iam_member", "ci_apply_grants")]))
    custom = {name: body["role_id"] for (t, name), body in bp.resources.items()
              if t == "google_project_iam_custom_role"}
    project = bp.spec.gcp.project_id
    for (t, name), body in bp.resources.items():
        if t != "google_project_iam_member" or name.startswith("ci_"):
            continue
        for role in roles_of(body):
            ref = re.fullmatch(r"\$\{google_project_iam_custom_role\.(\w+)\.name\}", role)
            if ref:
                role = f"projects/{project}/roles/{custom[ref.group(1)]}"
            assert role in allowed, f"google_project_iam_member.{name} grants {role}: not in render/gcp/ci.py"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_api_and_bucket_of_every_example_is_covered(example):
    spec = load_spec_text(with_ci(example.read_text()))
    assert set(build_context(spec).apis) <= set(ci_gcp.PROJECT_ROLES)
    bp = parse(spec)
    kinds = {name for (t, name) in bp.resources if t == "google_storage_bucket"}
    granted = re.findall(r'"(\w+)"', bp.resources[("google_storage_bucket_iam_member", "ci_apply_buckets")]["for_each"])
    assert kinds == set(granted), "a bucket the apply account may not administer"


def test_the_apis_workload_identity_needs_are_enabled(bp):
    assert {"iamcredentials.googleapis.com", "sts.googleapis.com"} <= set(
        re.findall(r'"([a-z]+\.googleapis\.com)"', bp.resources[("google_project_service", "this")]["for_each"]))


def test_shared_apigee_roles_are_not_granted_in_the_client_project(bp):
    roles = roles_of(bp.resources[("google_project_iam_member", "ci_apply")])
    assert not [r for r in roles if r.startswith("roles/apigee.")]


def test_the_fleet_logs_in_with_exactly_the_identity_the_blueprint_creates(bp):
    ci = ci_identity(bp.spec, "s.yaml")
    pool = bp.resources[("google_iam_workload_identity_pool", "github")]["workload_identity_pool_id"]
    provider = bp.resources[("google_iam_workload_identity_pool_provider", "github")]
    assert ci["workload_identity_provider"] == (
        f"projects/123456789012/locations/global/workloadIdentityPools/{pool}/providers/"
        f"{provider['workload_identity_pool_provider_id']}")
    for key, purpose in (("service_account", "apply"), ("plan_service_account", "plan")):
        account = bp.resources[("google_service_account", f"ci_{purpose}")]["account_id"]
        assert ci[key] == f"{account}@acme-dsaas-prod.iam.gserviceaccount.com"


def test_without_the_project_number_the_fleet_says_what_to_set():
    spec = load_spec_text((GCP + CI).replace('  project_number: "123456789012"\n', ""))
    with pytest.raises(SpecError) as info:
        ci_identity(spec, "s.yaml")
    assert any("gcp.project_number" in line and "gcloud projects describe" in line for line in info.value.lines())


@pytest.mark.parametrize("extra, fragment", [
    ("gcp.wif", "gcp.workload_identity_provider: with ci.create_identity the blueprint creates"),
    ("  default_branch: a..b\n", "ci.default_branch: not a branch name"),
    ("long", "Workload Identity Federation keeps at most 127"),
    ("state", "state.bucket: is one of the blueprint's own buckets"),
])
def test_bad_created_identities_are_located_errors(extra, fragment):
    text = GCP + CI
    if extra == "gcp.wif":
        text = text.replace("  region:", "  workload_identity_provider: projects/1/locations/global/"
                            "workloadIdentityPools/pool/providers/github\n  region:")
    elif extra == "long":
        text = text.replace("dsaas-co/fleet", "o" * 39 + "/" + "r" * 100)
    elif extra == "state":
        text += "state: {bucket: acme-dsaas-prod-prod-artifacts}\n"
    else:
        text += extra
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "s.yaml")
    assert any(fragment in line for line in info.value.lines()), info.value.lines()
