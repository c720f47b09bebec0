"""AWS blueprint platform posture: trust, perimeter, network reuse, cost and access, read from the HCL."""

from __future__ import annotations

import fnmatch
import re

import pytest

from dsaas_infra.spec import load_spec_text
from dsaas_infra.spec.aws_capacity import quota_needs
from tests.render.aws.test_aws_data_training import REUSED, build, family_key, render, spec_text

ACCOUNT = "111122223333"


def statements(document: dict) -> list[dict]:
    return document.get("statement", [])


def by_sid(document: dict) -> dict[str, dict]:
    return {s.get("sid"): s for s in statements(document)}


@pytest.fixture(scope="module")
def proactive():
    return render(spec_text())


@pytest.fixture(scope="module")
def managed():
    return render(spec_text(maturity="managed"))


@pytest.fixture(scope="module")
def reactive():
    return render(spec_text(maturity="reactive"))


# --- trust policies -------------------------------------------------------------------------


def test_glue_trust_has_no_source_condition_sagemaker_trust_has_source_account(proactive):
    [glue] = statements(proactive.data[("aws_iam_policy_document", "glue_assume")])
    assert glue["principals"][0]["identifiers"] == ["glue.amazonaws.com"]
    assert "condition" not in glue
    [sagemaker] = statements(proactive.data[("aws_iam_policy_document", "sagemaker_assume")])
    assert sagemaker["condition"] == [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["${local.account_id}"]}]
    # Flow logs keep theirs (documented by VPC Flow Logs).
    [flow] = statements(proactive.data[("aws_iam_policy_document", "flow_logs_assume")])
    assert [c["variable"] for c in flow["condition"]] == ["aws:SourceAccount", "aws:SourceArn"]


# --- KMS and logs ---------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["reactive", "proactive", "managed"])
def test_logs_key_grant_covers_exactly_this_blueprints_log_groups(fixture, request):
    bp = request.getfixturevalue(fixture)
    policy = bp.resources[("aws_kms_key", family_key(bp, "logs").split(".")[1])]["policy"]
    assert "log-group:*" not in policy
    patterns = bp.locals["kms_log_group_names"]
    assert "kms_log_group_names" in policy
    prefix = "acme-dev"
    names = [p for p in re.findall(r'"([^"]+)"', patterns) if "/" in p or p.startswith("aws-waf")]
    assert all(prefix in n for n in names if not n.startswith("API-Gateway")), names
    # Every log group the blueprint encrypts with the key is covered by one of the patterns.
    for label, group in bp.of_type("aws_cloudwatch_log_group").items():
        assert group["kms_key_id"] == family_key(bp, "logs"), label
        name = group["name"].replace("${local.name_prefix}", prefix)
        name = name.replace("${local.glue_log_group_prefix}", f"/aws-glue/jobs/{prefix}-etl")
        name = name.replace("${local.endpoint_name}", f"{prefix}-endpoint")
        name = name.replace("${local.deploy_name}", f"{prefix}-deploy")
        if name.startswith("API-Gateway-Execution-Logs_"):
            assert "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.main.id}/*" in patterns
            continue
        name = re.sub(r"\$\{[^}]+\}", "x", name)
        assert any(fnmatch.fnmatchcase(name, p) for p in names), (label, name, names)


def test_logs_bucket_refuses_old_tls(proactive):
    deny = by_sid(proactive.data[("aws_iam_policy_document", "logs_bucket")])["DenyOutdatedTls"]
    assert deny["effect"] == "Deny" and deny["condition"][0]["variable"] == "s3:TlsVersion"
    assert deny["condition"][0]["values"] == ["1.2"]


def test_account_singletons_are_not_in_a_client_stack(managed):
    for rtype in ("aws_api_gateway_account",):
        assert not managed.of_type(rtype)
    for key, group in managed.of_type("aws_cloudwatch_log_group").items():
        assert not group["name"].startswith(("/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs",
                                             "/aws/sagemaker/TransformJobs", "/aws/sagemaker/studio")), key
        assert group["name"] != "/aws-glue/crawlers", key
    readme = managed.text("README.md")
    assert "dsaas-infra bootstrap` creates them once" in readme


# --- data lifecycle, Glue -------------------------------------------------------------------


def raw_rule(bp):
    return bp.resources[("aws_s3_bucket_lifecycle_configuration", "raw")]["rule"][0]


def test_raw_data_ages_into_cheaper_classes_and_is_never_deleted_by_default():
    bp = build(load_spec_text(spec_text().replace("raw_retention_days: 123", "raw_archive_days: 200"), "t.yaml"))
    rule = raw_rule(bp)
    assert "expiration" not in rule
    assert [(t["days"], t["storage_class"]) for t in rule["transition"]] == [
        (30, "STANDARD_IA"), (200, "GLACIER_IR")]
    assert "never deleted" in bp.text("README.md")


def test_raw_data_expires_only_when_the_spec_asks(proactive):
    rule = raw_rule(proactive)  # raw_retention_days: 123 in the test spec
    assert rule["expiration"][0]["days"] == 123
    # A transition at or after the expiry would be pointless (and S3 rejects some): dropped.
    assert [(t["days"], t["storage_class"]) for t in rule["transition"]] == [(30, "STANDARD_IA")]


def test_glue_uses_auto_scaling_and_flex_for_the_batch_tier(reactive, proactive):
    for bp, execution_class in ((reactive, "FLEX"), (proactive, "STANDARD")):
        job = bp.resources[("aws_glue_job", "etl")]
        assert job["execution_class"] == execution_class
        assert job["default_arguments"]["--enable-auto-scaling"] == "true"


def test_managed_gets_an_identity_perimeter_and_an_audit_trail(managed, proactive):
    for label in ("raw", "curated", "artifacts"):
        deny = by_sid(managed.data[("aws_iam_policy_document", f"{label}_bucket")])["DenyPrincipalsOfOtherAccounts"]
        assert deny["effect"] == "Deny"
        assert {c["variable"]: c["test"] for c in deny["condition"]} == {
            "aws:PrincipalAccount": "StringNotEqualsIfExists", "aws:PrincipalIsAWSService": "BoolIfExists"}
        bucket_policy = proactive.data[("aws_iam_policy_document", f"{label}_bucket")]
        assert "DenyPrincipalsOfOtherAccounts" not in by_sid(bucket_policy)
    trail = managed.resources[("aws_cloudtrail", "audit")]
    assert trail["enable_log_file_validation"] is True and trail["kms_key_id"] == "${aws_kms_key.logs.arn}"
    assert trail["s3_bucket_name"] == "${aws_s3_bucket.logs.id}"
    selectors = {f["field"]: f for f in trail["advanced_event_selector"][0]["field_selector"]}
    assert selectors["eventCategory"]["equals"] == ["Data"]
    assert len(selectors["resources.ARN"]["starts_with"]) == 3
    logs = by_sid(managed.data[("aws_iam_policy_document", "logs_bucket")])
    assert logs["CloudTrailDeliversTheAuditTrail"]["condition"][0]["values"] == ["${local.audit_trail_arn}"]
    assert "CloudTrailEncryptsTheAuditTrail" in managed.resources[("aws_kms_key", "logs")]["policy"]
    assert "audit.tf" not in proactive.files


# --- network --------------------------------------------------------------------------------


def s3_endpoint_policy(bp) -> str:
    return bp.locals["s3_endpoint_policy"]


def test_s3_gateway_endpoint_policy_keeps_data_in_this_account(proactive):
    endpoint = proactive.resources[("aws_vpc_endpoint", "s3")]
    assert endpoint["policy"] == "${local.s3_endpoint_policy}"
    policy = s3_endpoint_policy(proactive)
    assert '"aws:PrincipalAccount" = local.account_id' in policy
    assert '"aws:ResourceAccount" = local.account_id' in policy
    # The only statement without the account conditions is read-only, on AWS-owned buckets.
    assert 'Action = ["s3:GetObject"]' in policy
    assert "prod-eu-central-1-starport-layer-bucket" in policy
    readme = proactive.text("README.md")
    assert "cannot send data to the internet" not in readme
    assert "this account's buckets only" in readme


def test_lambda_egress_reaches_the_endpoints_and_s3_only(proactive):
    rules = {k: v for k, v in proactive.of_type("aws_vpc_security_group_egress_rule").items()
             if v["security_group_id"] == "${aws_security_group.lambda.id}"}
    assert rules["lambda_https"]["referenced_security_group_id"] == "${aws_security_group.vpc_endpoints.id}"
    assert rules["lambda_s3"]["prefix_list_id"] == "${data.aws_prefix_list.s3.id}"
    for rule in proactive.of_type("aws_vpc_security_group_egress_rule").values():
        assert rule.get("cidr_ipv4") != "0.0.0.0/0"


def test_interface_endpoints_take_one_subnet_per_zone_that_offers_the_service(proactive):
    endpoint = proactive.resources[("aws_vpc_endpoint", "interface")]
    assert endpoint["subnet_ids"] == "${local.endpoint_subnet_ids[each.value]}"
    zone_subnets = proactive.locals["endpoint_zone_subnets"]
    assert "contains(offer.availability_zones, local.subnet_zone[id])" in zone_subnets
    assert "=> id..." in zone_subnets and "ids[0]" in zone_subnets
    (check,) = endpoint["lifecycle"][0]["precondition"]
    assert check["condition"] == "${length(local.endpoint_subnet_ids[each.value]) > 0}"


def test_reused_vpc_creates_only_missing_endpoints_and_leaves_the_main_route_table_alone():
    network = REUSED + "    existing_endpoints: [s3, sts, logs]\n"
    bp = render(spec_text(network=network))
    services = set(bp.locals["interface_endpoint_services"])
    assert "sts" not in services and "logs" not in services and "sagemaker.api" in services
    assert bp.resources[("aws_vpc_endpoint", "s3")]["count"] == 0
    assert ("aws_route_tables", "explicit") not in bp.data and ("aws_route_tables", "main") not in bp.data
    # The VPC's own endpoints are reached within its range.
    for key in ("sagemaker_https_in_vpc", "lambda_https_in_vpc"):
        rule = bp.resources[("aws_vpc_security_group_egress_rule", key)]
        assert rule["cidr_ipv4"] == "${data.aws_vpc.main.cidr_block}"
    # Subnet zones come from the subnets themselves.
    assert "data.aws_subnet.reused" in bp.locals["subnet_zone"]


def test_reused_vpc_route_tables_named_in_the_spec():
    network = REUSED + "    route_table_ids: [rtb-0123456789abcdef0]\n"
    bp = render(spec_text(network=network))
    assert bp.locals["private_route_table_ids"] == ["rtb-0123456789abcdef0"]
    assert ("aws_route_tables", "explicit") not in bp.data
    assert "rtb-0123456789abcdef0" in bp.text("README.md")


def test_reactive_endpoints_are_the_cheapest_private_design(reactive, proactive):
    assert set(reactive.locals["interface_endpoint_services"]) == {"logs", "sagemaker.api", "sts"}
    assert "min(1, length(ids))" in reactive.locals["endpoint_subnet_ids"]
    assert "min(99, length(ids))" in proactive.locals["endpoint_subnet_ids"]
    readme = reactive.text("README.md")
    assert "about $21.90 a month (3 endpoint(s) x 1 zone(s)" in readme
    # Training still needs nothing but S3: the jobs are created only in the private subnets.
    assert ("aws_vpc_endpoint", "s3") in reactive.resources


# --- access ---------------------------------------------------------------------------------

CONSUMERS = """\
  access:
    consumers:
      - {name: shop, rate_limit: 40, burst_limit: 80, aws_principals: ["arn:aws:iam::111122223333:role/shop-app"]}
      - {name: partner, rate_limit: 5, burst_limit: 10, aws_principals: ["arn:aws:iam::210987654321:role/partner-app"]}
"""


def render_access(auth: str = ""):
    text = spec_text() + CONSUMERS + auth
    return render(text)


def test_iam_auth_gives_each_consumer_an_invoke_role():
    bp = render_access()
    method = bp.resources[("aws_api_gateway_method", "predict")]
    assert method["authorization"] == "AWS_IAM" and method["api_key_required"] is True
    principals = bp.locals["api_consumer_principals"]
    assert principals == {"shop": [f"arn:aws:iam::{ACCOUNT}:role/shop-app"],
                          "partner": ["arn:aws:iam::210987654321:role/partner-app"]}
    invoke = by_sid(bp.data[("aws_iam_policy_document", "consumer_invoke")])["InvokePredict"]
    assert invoke["actions"] == ["execute-api:Invoke"]
    assert invoke["resources"] == [
        "${aws_api_gateway_rest_api.main.execution_arn}/${local.api_stage_name}/POST/predict"]
    assert bp.resources[("aws_iam_role", "consumer")]["name"] == "${local.name_prefix}-api-${each.key}"
    triggers = bp.resources[("aws_api_gateway_deployment", "main")]["triggers"]
    assert "aws_api_gateway_method.predict.authorization" in str(triggers)
    # Signatures are credentials too: redacted from the WAF logs.
    logging = bp.resources[("aws_wafv2_web_acl_logging_configuration", "api")]
    assert {f["single_header"][0]["name"] for f in logging["redacted_fields"]} == {"x-api-key", "authorization"}


def test_api_key_only_is_a_choice():
    bp = render_access("    auth: api_key\n")
    assert bp.resources[("aws_api_gateway_method", "predict")]["authorization"] == "NONE"
    assert ("aws_iam_role", "consumer") not in bp.resources
    assert "identifies, it does not authenticate" in bp.text("README.md")


def test_predict_reserves_what_the_contracted_rate_needs_and_the_readme_lists_the_quota():
    bp = render_access()
    fn = bp.resources[("aws_lambda_function", "predict")]
    assert fn["reserved_concurrent_executions"] == 45  # 40 + 5 requests/s at 1 s each
    readme = bp.text("README.md")
    spec = load_spec_text(spec_text() + CONSUMERS, "t.yaml")
    for need in quota_needs(spec):
        assert f"| {need.service} | {need.name} | {need.needed} | {need.target} |" in readme, need
    assert "| lambda | Concurrent executions | 145 | 145 |" in readme


def test_readme_title_shows_quotes_as_quotes():
    # render/escape.py backslash-escapes the quote in the source; rendered, it is a plain quote.
    from markdown_it import MarkdownIt

    bp = render(spec_text().replace("display_name: ACME", 'display_name: \'ACME "Prod"\''))
    title = bp.text("README.md").splitlines()[0]
    rendered = MarkdownIt("commonmark").renderInline(title.lstrip("# "))
    assert rendered.startswith("ACME &quot;Prod&quot;: DSaaS platform on AWS"), rendered


def test_the_rendered_endpoint_policy_json_is_well_formed_after_terraform_jsonencode(proactive):
    # The policy is an HCL object for jsonencode: its statements have the IAM shape.
    policy = s3_endpoint_policy(proactive)
    assert policy.startswith("${jsonencode(") and policy.count("Sid =") == 2
