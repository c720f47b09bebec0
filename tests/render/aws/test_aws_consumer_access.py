"""AWS API consumers: exactly the spec's principals may become a consumer, and only consumer roles may invoke the API.

The REST API's resource policy is rendered as jsonencode(...); real Terraform (``terraform console``,
offline) evaluates it with this test's values for its references, so what is checked is the JSON API
Gateway would receive. The decision table below follows API Gateway's documented evaluation for IAM
authorization plus a resource policy ("How API Gateway resource policies affect authorization
workflow"): an explicit Deny wins; a caller of the API's own account needs an Allow from its IAM
policy or the resource policy, a caller of another account from both. The same JSON is then stored
on moto's API Gateway, and the consumer roles' trust policies on moto's IAM.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess

import boto3
import pytest
from cloud_fixtures import moto, moto_url  # noqa: F401

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import load_spec_text
from tests.render.aws.test_aws_serving import render, spec_text

ACCOUNT = "111122223333"  # the spec's account (tests/render/aws/test_aws_serving.py)
PARTNER = "arn:aws:iam::210987654321:role/partner-app"
SHOP = f"arn:aws:iam::{ACCOUNT}:role/shop-app"
EXECUTION_ARN = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:a1b2c3d4e5"
ROLE = "arn:aws:iam::{account}:role/acme-prod-api-{name}"


def consumers(shop_principals: str = f'["{SHOP}"]', partner_principals: str = f'["{PARTNER}"]') -> str:
    return ("  access:\n    consumers:\n"
            f"      - {{name: shop, rate_limit: 40, burst_limit: 80, aws_principals: {shop_principals}}}\n"
            f"      - {{name: partner, rate_limit: 5, burst_limit: 10, aws_principals: {partner_principals}}}\n")


def spec_with(access: str) -> str:
    # spec_text()'s own consumers replaced by these.
    return spec_text().split("  access:\n")[0] + access


@pytest.fixture(scope="module")
def bp():
    return render(spec_with(consumers()))


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as e:
        load_spec_text(text, "t.yaml")
    return [str(p) for p in e.value.problems]


def test_iam_auth_needs_each_consumers_principals():
    found = problems(spec_with(consumers(partner_principals="[]")))
    assert len(found) == 1
    assert "phases.access.consumers[1].aws_principals" in found[0] and "'partner'" in found[0]


def test_the_accounts_own_root_is_refused_another_accounts_root_is_a_choice():
    found = problems(spec_with(consumers(shop_principals=f'["arn:aws:iam::{ACCOUNT}:root"]')))
    assert len(found) == 1 and "phases.access.consumers[0].aws_principals[0]" in found[0]
    assert f"every principal of account {ACCOUNT}" in found[0]
    load_spec_text(spec_with(consumers(partner_principals='["arn:aws:iam::210987654321:root"]')), "t.yaml")


def test_api_key_auth_needs_no_principals():
    text = spec_with(consumers(shop_principals="[]", partner_principals="[]") + "    auth: api_key\n")
    bp = render(text)
    assert ("aws_iam_role", "consumer") not in bp.resources
    assert ("aws_api_gateway_rest_api_policy", "main") not in bp.resources


def test_each_consumer_role_trusts_exactly_its_principals(bp):
    assert bp.locals["api_consumer_principals"] == {"shop": [SHOP], "partner": [PARTNER]}
    trust = bp.data[("aws_iam_policy_document", "consumer_assume")]
    assert trust["for_each"] == "${local.api_consumer_principals}"
    (statement,) = trust["statement"]
    assert statement["actions"] == ["sts:AssumeRole"]
    assert statement["principals"] == [{"type": "AWS", "identifiers": "${each.value}"}]
    # Nothing in the access phase trusts the whole account.
    assert ":root" not in bp.text("access.tf")


def evaluate_policy(bp, terraform_bin, terraform_env, tmp_path) -> dict:
    """The resource policy as Terraform would send it, with this test's API and role ARNs."""
    expression = bp.resources[("aws_api_gateway_rest_api_policy", "main")]["policy"]
    assert expression.startswith("${") and expression.endswith("}")
    roles = ", ".join(f'{name} = {{ arn = "{ROLE.format(account=ACCOUNT, name=name)}" }}'
                      for name in bp.locals["api_consumer_principals"])
    refs = {"aws_api_gateway_rest_api.main.execution_arn": json.dumps(EXECUTION_ARN),
            "local.api_stage_name": json.dumps("v1"), "aws_iam_role.consumer": f"{{ {roles} }}"}
    expression = expression[2:-1]
    for ref, value in refs.items():
        expression = expression.replace(ref, value)
    out = subprocess.run([terraform_bin, "console"], input=expression, capture_output=True, text=True,
                         cwd=tmp_path, env=terraform_env, timeout=120, check=True).stdout
    return json.loads(json.loads(out))


def _matches(statement: dict, principal: str, resource: str) -> bool:
    if statement["Action"] != "execute-api:Invoke" or not fnmatch.fnmatchcase(resource, statement["Resource"]):
        return False
    for test, keys in statement.get("Condition", {}).items():
        (key, values), = keys.items()
        assert key == "aws:PrincipalArn" and test in ("ArnEquals", "ArnNotEquals"), (test, key)
        inside = any(fnmatch.fnmatchcase(principal, v) for v in values)
        if inside != (test == "ArnEquals"):
            return False
    return True


def decide(policy: dict, principal: str, resource: str, iam_allows: bool) -> bool:
    """API Gateway's decision for a SigV4-signed call (IAM authorization and this resource policy)."""
    hits = [s for s in policy["Statement"] if _matches(s, principal, resource)]
    if any(s["Effect"] == "Deny" for s in hits):
        return False
    policy_allows = any(s["Effect"] == "Allow" for s in hits)
    same_account = principal.split(":")[4] == ACCOUNT
    return (iam_allows or policy_allows) if same_account else (iam_allows and policy_allows)


def test_the_resource_policy_lets_only_the_consumer_roles_invoke_predict(bp, terraform_bin, terraform_env,
                                                                         tmp_path):
    policy = evaluate_policy(bp, terraform_bin, terraform_env, tmp_path)
    assert policy["Version"] == "2012-10-17"
    assert {s["Sid"] for s in policy["Statement"]} == {"ConsumersInvokePredict", "DenyEveryoneButTheConsumers"}
    predict = f"{EXECUTION_ARN}/v1/POST/predict"
    shop_role, partner_role = (ROLE.format(account=ACCOUNT, name=n) for n in ("shop", "partner"))
    # The consumer roles (their IAM policy allows exactly this method).
    assert decide(policy, shop_role, predict, iam_allows=True)
    assert decide(policy, partner_role, predict, iam_allows=True)
    # Anyone else in the account, even with execute-api:* in its own IAM policy (an administrator,
    # the notebooks' role): denied. So is a principal of another account.
    for other in (f"arn:aws:iam::{ACCOUNT}:role/Admin", f"arn:aws:iam::{ACCOUNT}:role/acme-prod-sagemaker-execution",
                  f"arn:aws:iam::{ACCOUNT}:user/alice", "arn:aws:iam::999999999999:role/attacker", PARTNER):
        assert not decide(policy, other, predict, iam_allows=True), other
    # Consumer roles only reach POST /predict of the stage.
    assert not decide(policy, shop_role, f"{EXECUTION_ARN}/v1/GET/predict", iam_allows=False)


def test_a_policy_change_redeploys_the_api(bp):
    triggers = bp.resources[("aws_api_gateway_deployment", "main")]["triggers"]["redeployment"]
    assert "aws_api_gateway_rest_api_policy.main.policy" in triggers


def test_without_consumers_nobody_may_invoke(terraform_bin, terraform_env, tmp_path):
    bp = render(spec_with("  access:\n    consumers: []\n"))
    policy = evaluate_policy(bp, terraform_bin, terraform_env, tmp_path)
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny" and statement["Resource"] == f"{EXECUTION_ARN}/*"


def test_the_readme_says_who_may_call(bp):
    readme = bp.text("README.md")
    assert "default this account's" not in readme
    assert "resource policy" in readme and "`aws_principals`" in readme


def test_moto_stores_the_rendered_policies(moto, bp, terraform_bin, terraform_env, tmp_path):  # noqa: F811
    """The JSON through the real API shapes: the resource policy on API Gateway, the trust policies on IAM."""
    policy = evaluate_policy(bp, terraform_bin, terraform_env, tmp_path)
    apigw = boto3.client("apigateway", region_name="eu-west-1")
    api = apigw.create_rest_api(name="acme-prod-api", endpointConfiguration={"types": ["REGIONAL"]})
    apigw.update_rest_api(restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/policy", "value": json.dumps(policy)}])
    stored = apigw.get_rest_api(restApiId=api["id"])["policy"]
    assert json.loads(re.sub(r'\\"', '"', stored) if stored.startswith("{\\") else stored) == policy
    iam = boto3.client("iam", region_name="us-east-1")
    for name, principals in bp.locals["api_consumer_principals"].items():
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": principals}}]}
        iam.create_role(RoleName=f"acme-prod-api-{name}", AssumeRolePolicyDocument=json.dumps(trust))
        got = iam.get_role(RoleName=f"acme-prod-api-{name}")["Role"]["AssumeRolePolicyDocument"]
        assert got["Statement"][0]["Principal"]["AWS"] == principals
