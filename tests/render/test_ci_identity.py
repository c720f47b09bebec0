"""ci.create_identity: the CI identity an AWS blueprint creates (templates/aws/ci.tf.j2), scoped to
the fleet repository and the client's GitHub environments, and consistent with `dsaas-infra fleet`."""

from __future__ import annotations

import re

from dsaas_infra.fleet.index import ci_identity
from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec_text
from tests.render.parsed_blueprint import blocks, parse_tf
from tests.spec.conftest import GOOD_AWS

CI = "ci:\n  repository: dsaas-co/fleet\n  create_identity: true\n"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def ci_tf(text: str) -> dict:
    files = render_blueprint(load_spec_text(text))
    return parse_tf(files["ci.tf"])


def test_without_create_identity_nothing_changes_but_ci_tf_and_the_role_boundaries():
    plain = render_blueprint(load_spec_text(GOOD_AWS))
    with_ci = render_blueprint(load_spec_text(GOOD_AWS + CI))
    assert "ci.tf" not in plain

    def unbounded(text: bytes) -> bytes:
        # Every role carries the CI boundary (tests/render/aws/test_ci_identity_aws.py); fmt realigns its block.
        return b"".join(re.sub(rb" +", b" ", line) for line in text.splitlines(keepends=True)
                        if b"permissions_boundary = aws_iam_policy.ci_boundary.arn" not in line)
    assert {k: unbounded(v) for k, v in with_ci.items() if k not in ("ci.tf", "README.md")} == {
        k: unbounded(v) for k, v in plain.items() if k != "README.md"}
    # The README gains the CI identity section, and nothing else changes in it.
    readme, section = with_ci["README.md"].decode(), "\n## CI identity (ci.create_identity)\n"
    assert section not in plain["README.md"].decode() and section in readme
    start, end = readme.index(section), readme.index("\n## Cost estimate")
    assert readme[:start] + readme[end:] == plain["README.md"].decode()
    assert "ci.tf" not in render_blueprint(load_spec_text(GOOD_AWS + CI.replace("true", "false")))


def test_aws_roles_trust_only_the_repository_environments():
    doc = ci_tf(GOOD_AWS + CI)
    res, data = blocks(doc, "resource"), blocks(doc, "data")
    # The account's provider (bootstrap creates it) is referenced by its ARN, never created by a client stack.
    assert "aws_iam_openid_connect_provider.github" not in res
    # No lookup by URL: it needs iam:ListOpenIDConnectProviders on "*", which the apply role lacks.
    assert "aws_iam_openid_connect_provider.github" not in data
    assert doc["locals"][0]["ci_oidc_provider_arn"] == (
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")
    for purpose, env in (("apply", "acme-prod"), ("plan", "acme-prod-plan")):
        statement = data[f"aws_iam_policy_document.ci_trust_{purpose}"]["statement"][0]
        conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
        assert conditions == {
            "token.actions.githubusercontent.com:aud": ("StringEquals", ["sts.amazonaws.com"]),
            "token.actions.githubusercontent.com:sub": ("StringEquals", [f"repo:dsaas-co/fleet:environment:{env}"])}
        assert res[f"aws_iam_role.ci_{purpose}"]["name"] == f"acme-prod-github-{purpose}"
    attached = {k: v["policy_arn"] for k, v in res.items() if k.startswith("aws_iam_role_policy_attachment")}
    assert attached == {"aws_iam_role_policy_attachment.ci_plan_read": "arn:aws:iam::aws:policy/ReadOnlyAccess",
                        "aws_iam_role_policy_attachment.ci_apply_services": "arn:aws:iam::aws:policy/PowerUserAccess"}
    iam = {s["sid"]: s for s in data["aws_iam_policy_document.ci_apply_iam"]["statement"]}
    # Exact role ARNs of this client (bfd8215), never a `<client>-<env>-*` pattern another client matches.
    own = iam["OwnRoles"]["resources"] + iam["OwnRolesWithTheBoundary"]["resources"]
    assert own and all(r.startswith("arn:aws:iam::123456789012:role/acme-prod-") and "*" not in r for r in own)
    assert "arn:aws:iam::123456789012:role/acme-prod-github-apply" in iam["OwnRoles"]["resources"]
    assert "*" not in iam["Read"]["resources"]
    assert iam["NotTheCiRoles"]["effect"] == "Deny" and "iam:UpdateAssumeRolePolicy" in iam["NotTheCiRoles"]["actions"]
    lock = [s for s in data["aws_iam_policy_document.ci_plan_lock"]["statement"] if s.get("effect") != "Deny"]
    # The lock object, and (3d9a501) kms:Decrypt on the blueprint's own key for refresh through Lambda and
    # Step Functions (tests/render/aws/test_ci_identity_aws.py checks its kms:ViaService condition).
    assert [(s["actions"], s["resources"]) for s in lock] == [(
        ["s3:DeleteObject", "s3:PutObject"],
        ["arn:aws:s3:::acme-prod-tfstate-123456789012/dsaas-infra/acme/prod/terraform.tfstate.tflock"]),
        (["kms:Decrypt"], ["${aws_kms_key.main.arn}"])]


def test_an_existing_oidc_provider_is_used_not_created():
    doc = ci_tf(GOOD_AWS + CI + f"  aws_oidc_provider_arn: {PROVIDER}\n")
    assert "aws_iam_openid_connect_provider.github" not in blocks(doc, "resource")
    assert "aws_iam_openid_connect_provider.github" not in blocks(doc, "data")
    assert doc["locals"][0]["ci_oidc_provider_arn"] == PROVIDER


def test_the_fleet_assumes_exactly_the_roles_the_blueprint_creates():
    spec = load_spec_text(GOOD_AWS + CI)
    res = blocks(ci_tf(GOOD_AWS + CI), "resource")
    ci = ci_identity(spec, "s.yaml")
    assert ci["role_arn"] == f"arn:aws:iam::123456789012:role/{res['aws_iam_role.ci_apply']['name']}"
    assert ci["plan_role_arn"] == f"arn:aws:iam::123456789012:role/{res['aws_iam_role.ci_plan']['name']}"

