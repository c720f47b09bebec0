"""ci.create_identity on AWS: what the CI roles may do, evaluated on the rendered policies (with the AWS managed
policies they attach): no privilege escalation through the roles apply creates, no client data for plan, no
other client's state for either."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import hcl2
import pytest

from dsaas_infra.render import render_blueprint
from dsaas_infra.render.aws import ci as aws_ci
from dsaas_infra.spec import load_spec_text
from tests.render.aws.iam_eval import allowed, managed, policy_documents
from tests.render.parsed_blueprint import norm

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO / "blueprints").glob("aws-*.yaml"))
CI = "ci:\n  repository: dsaas-co/fleet\n  create_identity: true\n"
ACCOUNT = "345678901234"


def with_ci(text: str) -> str:
    text = re.sub(r"^ci:\n(  .*\n)*", "", text, flags=re.M)
    text = re.sub(r"^  (ci_role_arn|ci_plan_role_arn):.*\n", "", text, flags=re.M)
    return text.rstrip("\n") + "\n" + CI


KEY_LABELS = ("main", "data", "training", "logs", "serving", "pipeline")


def key_arn(spec, label: str) -> str:
    """A stand-in ARN for aws_kms_key.<label> (the real one exists only after apply)."""
    return f"arn:aws:kms:{spec.aws.region}:{spec.aws.account_id}:key/{label}"


def _identity(spec, files):
    account = spec.aws.account_id
    boundary = f"arn:aws:iam::{account}:policy/{aws_ci.boundary_name(spec)}"
    refs = {"aws_iam_policy.ci_boundary.arn": boundary,
            "aws_iam_role.ci_apply.arn": f"arn:aws:iam::{account}:role/{spec.name_prefix}-github-apply",
            "aws_iam_role.ci_plan.arn": f"arn:aws:iam::{account}:role/{spec.name_prefix}-github-plan",
            **{f"aws_kms_key.{label}.arn": key_arn(spec, label) for label in KEY_LABELS}}
    docs = policy_documents(files["ci.tf"], refs)
    roles = {
        "plan": [managed("ReadOnlyAccess"), docs["ci_plan_lock"]],
        "apply": [managed("PowerUserAccess"), docs["ci_apply_iam"], docs["ci_apply_s3"]],
        "boundary": [docs["ci_boundary"]],
    }
    return spec, files, roles, boundary


@pytest.fixture(scope="module", params=EXAMPLES, ids=[p.stem for p in EXAMPLES])
def blueprint(request):
    spec = load_spec_text(with_ci(request.param.read_text()), request.param.name)
    return _identity(spec, {k: v.decode() for k, v in render_blueprint(spec).items() if k.endswith(".tf")})


@pytest.fixture(scope="module")
def managed_bp():
    spec = load_spec_text(with_ci((REPO / "blueprints" / "aws-managed.yaml").read_text()))
    return _identity(spec, {k: v.decode() for k, v in render_blueprint(spec).items() if k.endswith(".tf")})


def resources(files: dict[str, str], rtype: str) -> dict[str, dict]:
    out = {}
    for text in files.values():
        for block in norm(hcl2.loads(text)).get("resource", []):
            for name_, body in block.get(rtype, {}).items():
                out[name_] = body
    return out


def test_every_role_the_blueprint_creates_carries_the_boundary(blueprint):
    """The apply role may write policies only on roles with the boundary: a role without it could not be
    updated by CI, and a role with it can do no more than the boundary (no IAM changes, no state)."""
    spec, files, _, _ = blueprint
    roles = resources(files, "aws_iam_role")
    assert roles
    for name, body in roles.items():
        if name in ("ci_apply", "ci_plan"):
            assert "permissions_boundary" not in body, name  # the administrator's, changed only by them
        else:
            assert body.get("permissions_boundary") == "${aws_iam_policy.ci_boundary.arn}", name


def test_without_a_created_identity_no_role_has_a_boundary():
    text = (REPO / "blueprints" / "aws-managed.yaml").read_text()
    text = re.sub(r"^ci:\n(  .*\n)*", "", text, flags=re.M)
    files = {k: v.decode() for k, v in render_blueprint(load_spec_text(text)).items() if k.endswith(".tf")}
    assert "ci.tf" not in files
    assert all("permissions_boundary" not in body for body in resources(files, "aws_iam_role").values())


def test_apply_cannot_escalate_through_the_roles_it_creates(managed_bp):
    spec, _, roles, boundary = managed_bp
    apply = roles["apply"]
    own_role = f"arn:aws:iam::{ACCOUNT}:role/{spec.name_prefix}-deploy"
    with_boundary = {"iam:PermissionsBoundary": boundary}
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"):
        assert allowed(apply, action, own_role, with_boundary), action
        assert not allowed(apply, action, own_role), f"{action} on a role without the boundary"
        assert not allowed(apply, action, own_role, {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/"
                                                      "AdministratorAccess"}), action
        assert not allowed(apply, action, f"arn:aws:iam::{ACCOUNT}:role/other-prod-x", with_boundary), action
    for action in ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"):
        assert not allowed(apply, action, own_role, {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/x"})
    assert not allowed(apply, "iam:DeleteRolePermissionsBoundary", own_role, with_boundary)
    # Not its own role, not the plan role, not the boundary policy.
    for ci_role in ("github-apply", "github-plan"):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{spec.name_prefix}-{ci_role}"
        for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy",
                       "iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"):
            assert not allowed(apply, action, arn, with_boundary), (action, arn)
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"):
        assert not allowed(apply, action, boundary), action
    assert not allowed(apply, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x")
    # What a bounded role can do at most: no IAM change, no state; the platform's services yes.
    bounded = roles["boundary"]
    for action in ("iam:PutRolePolicy", "iam:CreateRole", "iam:AttachUserPolicy", "iam:CreateAccessKey",
                   "iam:UpdateAssumeRolePolicy", "organizations:LeaveOrganization"):
        assert not allowed(bounded, action, "*"), action
    assert not allowed(bounded, "s3:GetObject", f"arn:aws:s3:::{spec.state.bucket}/other/terraform.tfstate")
    for action in ("sagemaker:CreateEndpoint", "iam:PassRole", "iam:CreateServiceLinkedRole", "s3:GetObject"):
        assert allowed(bounded, action, "*"), action


def test_apply_keeps_to_its_own_buckets_and_state_prefix(managed_bp):
    spec, files, roles, _ = managed_bp
    apply = roles["apply"]
    state = f"arn:aws:s3:::{spec.state.bucket}"
    mine = f"{state}/{spec.state.prefix}/terraform.tfstate"
    assert allowed(apply, "s3:GetObject", mine) and allowed(apply, "s3:PutObject", mine)
    assert allowed(apply, "s3:PutObject", mine + ".tflock")
    other = f"{state}/platform/dsaas/globex-prod/terraform.tfstate"
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert not allowed(apply, action, other), action
    assert not allowed(apply, "s3:PutBucketPolicy", state) and not allowed(apply, "s3:DeleteBucket", state)
    assert allowed(apply, "s3:ListBucket", state, {"s3:prefix": f"{spec.state.prefix}/terraform.tfstate"})
    assert allowed(apply, "s3:ListBucket", state, {"s3:prefix": "env:/"})
    assert not allowed(apply, "s3:ListBucket", state, {"s3:prefix": "platform/dsaas/globex-prod/"})
    # Every bucket the blueprint creates, and nothing else in S3.
    names = {body["bucket"] for body in resources(files, "aws_s3_bucket").values()}
    assert len(names) == 4
    for name in names:
        for action in ("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:PutLifecycleConfiguration", "s3:ListBucket"):
            assert allowed(apply, action, f"arn:aws:s3:::{name}"), (action, name)
        # Terraform reads and writes no object of the client's data (its refresh reads bucket settings).
        for action in ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"):
            assert not allowed(apply, action, f"arn:aws:s3:::{name}/models/model.tar.gz"), (action, name)
    # The objects it uploads, yes.
    artifacts = resources(files, "aws_s3_bucket")["artifacts"]["bucket"]
    for body in resources(files, "aws_s3_object").values():
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging"):
            assert allowed(apply, action, f"arn:aws:s3:::{artifacts}/{body['key']}"), (action, body["key"])
    assert not allowed(apply, "s3:GetObject", "arn:aws:s3:::globex-prod-raw-345678901234/data.csv")
    assert allowed(apply, "sagemaker:CreateEndpoint", "*") and allowed(apply, "glue:CreateJob", "*")


# The read calls of a refresh (terraform plan) per resource type of the AWS blueprints, from the
# provider's Read functions; every type the blueprints create must be listed (test below).
REFRESH_READS: dict[str, tuple[str, ...]] = {
    "terraform_data": (), "time_sleep": (),  # no AWS call
    "aws_api_gateway_api_key": ("apigateway:GET",), "aws_api_gateway_deployment": ("apigateway:GET",),
    "aws_api_gateway_integration": ("apigateway:GET",), "aws_api_gateway_method": ("apigateway:GET",),
    "aws_api_gateway_method_settings": ("apigateway:GET",), "aws_api_gateway_model": ("apigateway:GET",),
    "aws_api_gateway_request_validator": ("apigateway:GET",), "aws_api_gateway_resource": ("apigateway:GET",),
    "aws_api_gateway_rest_api": ("apigateway:GET",), "aws_api_gateway_rest_api_policy": ("apigateway:GET",),
    "aws_api_gateway_stage": ("apigateway:GET",),
    "aws_api_gateway_usage_plan": ("apigateway:GET",), "aws_api_gateway_usage_plan_key": ("apigateway:GET",),
    "aws_budgets_budget": ("budgets:ViewBudget", "budgets:ListTagsForResource"),
    "aws_cloudtrail": ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
                       "cloudtrail:ListTags"),
    "aws_cloudwatch_dashboard": ("cloudwatch:GetDashboard",),
    "aws_cloudwatch_event_rule": ("events:DescribeRule", "events:ListTagsForResource"),
    "aws_cloudwatch_event_target": ("events:ListTargetsByRule",),
    "aws_cloudwatch_log_group": ("logs:DescribeLogGroups", "logs:ListTagsForResource"),
    "aws_cloudwatch_log_resource_policy": ("logs:DescribeResourcePolicies",),
    "aws_cloudwatch_metric_alarm": ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
    "aws_default_security_group": ("ec2:DescribeSecurityGroups",),
    "aws_ecr_lifecycle_policy": ("ecr:GetLifecyclePolicy",),
    "aws_ecr_repository": ("ecr:DescribeRepositories", "ecr:ListTagsForResource"),
    "aws_flow_log": ("ec2:DescribeFlowLogs",),
    "aws_glue_catalog_database": ("glue:GetDatabase",),
    "aws_glue_crawler": ("glue:GetCrawler", "glue:GetTags"), "aws_glue_job": ("glue:GetJob", "glue:GetTags"),
    "aws_glue_security_configuration": ("glue:GetSecurityConfiguration",),
    "aws_glue_trigger": ("glue:GetTrigger", "glue:GetTags"),
    "aws_iam_policy": ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags"),
    "aws_iam_role": ("iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"),
    "aws_iam_role_policy": ("iam:GetRolePolicy",),
    "aws_iam_role_policy_attachment": ("iam:ListAttachedRolePolicies",),
    "aws_kms_alias": ("kms:ListAliases",),
    "aws_kms_key": ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
    "aws_lambda_function": ("lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig",
                            "lambda:ListVersionsByFunction"),
    "aws_lambda_permission": ("lambda:GetPolicy",),
    "aws_route_table": ("ec2:DescribeRouteTables",), "aws_route_table_association": ("ec2:DescribeRouteTables",),
    "aws_s3_bucket": ("s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketTagging", "s3:GetEncryptionConfiguration",
                      "s3:GetBucketVersioning", "s3:GetLifecycleConfiguration", "s3:GetBucketLogging"),
    "aws_s3_bucket_lifecycle_configuration": ("s3:GetLifecycleConfiguration",),
    "aws_s3_bucket_logging": ("s3:GetBucketLogging",),
    "aws_s3_bucket_notification": ("s3:GetBucketNotification",),
    "aws_s3_bucket_ownership_controls": ("s3:GetBucketOwnershipControls",),
    "aws_s3_bucket_policy": ("s3:GetBucketPolicy",),
    "aws_s3_bucket_public_access_block": ("s3:GetBucketPublicAccessBlock",),
    "aws_s3_bucket_server_side_encryption_configuration": ("s3:GetEncryptionConfiguration",),
    "aws_s3_bucket_versioning": ("s3:GetBucketVersioning",),
    "aws_s3_object": ("s3:GetObject", "s3:GetObjectTagging"),  # HeadObject is authorised as s3:GetObject
    "aws_sagemaker_domain": ("sagemaker:DescribeDomain", "sagemaker:ListTags"),
    "aws_sagemaker_model_package_group": ("sagemaker:DescribeModelPackageGroup", "sagemaker:ListTags"),
    "aws_sagemaker_notebook_instance": ("sagemaker:DescribeNotebookInstance", "sagemaker:ListTags"),
    "aws_sagemaker_notebook_instance_lifecycle_configuration": ("sagemaker:DescribeNotebookInstanceLifecycleConfig",),
    "aws_sagemaker_user_profile": ("sagemaker:DescribeUserProfile", "sagemaker:ListTags"),
    "aws_scheduler_schedule": ("scheduler:GetSchedule",),
    "aws_security_group": ("ec2:DescribeSecurityGroups",),
    "aws_sfn_state_machine": ("states:DescribeStateMachine", "states:ListTagsForResource"),
    "aws_sns_topic": ("sns:GetTopicAttributes", "sns:ListTagsForResource"),
    "aws_sns_topic_policy": ("sns:GetTopicAttributes",),
    "aws_sns_topic_subscription": ("sns:GetSubscriptionAttributes",),
    "aws_sqs_queue": ("sqs:GetQueueAttributes", "sqs:ListQueueTags"),
    "aws_sqs_queue_policy": ("sqs:GetQueueAttributes",),
    "aws_subnet": ("ec2:DescribeSubnets",), "aws_vpc": ("ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"),
    "aws_vpc_endpoint": ("ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"),
    "aws_vpc_security_group_egress_rule": ("ec2:DescribeSecurityGroupRules",),
    "aws_vpc_security_group_ingress_rule": ("ec2:DescribeSecurityGroupRules",),
    "aws_wafv2_web_acl": ("wafv2:GetWebACL", "wafv2:ListTagsForResource"),
    "aws_wafv2_web_acl_association": ("wafv2:GetWebACLForResource",),
    "aws_wafv2_web_acl_logging_configuration": ("wafv2:GetLoggingConfiguration",),
}


def test_plan_can_refresh_every_resource_type_of_the_blueprint(blueprint):
    """Every resource type the blueprint creates has its refresh reads listed, and the plan role may make them
    (the objects Terraform uploads included)."""
    spec, files, roles, _ = blueprint
    types = {rtype for text in files.values()
             for block in norm(hcl2.loads(text)).get("resource", []) for rtype in block}
    assert types - set(REFRESH_READS) == set(), "list the refresh reads of the new resource type"
    plan = roles["plan"]
    for rtype in sorted(types - {"aws_s3_object"}):
        for action in REFRESH_READS[rtype]:
            assert allowed(plan, action, "*"), (rtype, action)
    artifacts = resources(files, "aws_s3_bucket")["artifacts"]["bucket"]
    objects = resources(files, "aws_s3_object")
    for name, body in objects.items():
        assert body["bucket"] == "${aws_s3_bucket.artifacts.id}", name
        for action in REFRESH_READS["aws_s3_object"]:
            assert allowed(plan, action, f"arn:aws:s3:::{artifacts}/{body['key']}"), \
                f"plan cannot refresh aws_s3_object.{name} ({body['key']}): render/aws/ci.py MANAGED_OBJECT_PREFIXES"


def _key_label(ref: str) -> str:
    match = re.fullmatch(r"\$\{aws_kms_key\.([a-z_]+)\.arn\}", ref)
    assert match, ref
    return match.group(1)


def test_plan_decrypts_what_refresh_reads_of_cmk_encrypted_state_machines_and_lambdas(blueprint):
    """DescribeStateMachine of a state machine encrypted with a customer managed key, and GetFunction
    of a Lambda whose environment is, need kms:Decrypt through Step Functions / Lambda; the deny
    that allowed only S3 made the managed CI plan and drift fail to refresh (senior AWS review)."""
    spec, files, roles, _ = blueprint
    plan = roles["plan"]
    region = spec.aws.region
    needs = [("states", m["encryption_configuration"][0]["kms_key_id"])
             for m in resources(files, "aws_sfn_state_machine").values()
             if m.get("encryption_configuration", [{}])[0].get("type") == "CUSTOMER_MANAGED_KMS_KEY"]
    needs += [("lambda", f["kms_key_arn"]) for f in resources(files, "aws_lambda_function").values()
              if "kms_key_arn" in f]
    assert needs
    for service, ref in needs:
        arn = key_arn(spec, _key_label(ref))
        assert allowed(plan, "kms:Decrypt", arn, {"kms:ViaService": f"{service}.{region}.amazonaws.com"}), \
            (service, ref)
        # The same key, through any other service (or the KMS API itself), stays denied.
        assert not allowed(plan, "kms:Decrypt", arn, {"kms:ViaService": f"sagemaker.{region}.amazonaws.com"})
        assert not allowed(plan, "kms:Decrypt", arn)
    # Not another key of the account, and not the executions' data those keys also encrypt.
    other = f"arn:aws:kms:{region}:{spec.aws.account_id}:key/not-this-blueprints"
    assert not allowed(plan, "kms:Decrypt", other, {"kms:ViaService": f"states.{region}.amazonaws.com"})
    for action in ("states:DescribeExecution", "states:GetExecutionHistory"):
        assert not allowed(plan, action, "*"), action
        assert allowed([managed("ReadOnlyAccess")], action, "*"), action  # the deny is not vacuous


def test_plan_reads_no_client_data_and_no_other_state(managed_bp):
    spec, _, roles, _ = managed_bp
    plan = roles["plan"]
    state = f"arn:aws:s3:::{spec.state.bucket}"
    mine = f"{state}/{spec.state.prefix}/terraform.tfstate"
    assert allowed(plan, "s3:GetObject", mine) and allowed(plan, "s3:PutObject", mine + ".tflock")
    assert not allowed(plan, "s3:PutObject", mine)
    assert not allowed(plan, "s3:GetObject", f"{state}/platform/dsaas/globex-prod/terraform.tfstate")
    for bucket in ("raw", "curated", "artifacts"):
        arn = f"arn:aws:s3:::{spec.name_prefix}-{bucket}-{spec.aws.account_id}"
        assert not allowed(plan, "s3:GetObject", f"{arn}/models/model.tar.gz"), bucket
        assert not allowed(plan, "s3:GetObjectVersion", f"{arn}/x.csv"), bucket
        assert allowed(plan, "s3:GetBucketPolicy", arn) and allowed(plan, "s3:ListBucket", arn)
    assert not allowed(plan, "kms:Decrypt", "*", {"kms:ViaService": "sagemaker.us-west-2.amazonaws.com"})
    assert not allowed(plan, "kms:Decrypt", "*")
    # The state's key (aws/s3, bootstrap) lets the account's principals decrypt through S3: not denied there.
    allow_all = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assert allowed([allow_all, plan[1]], "kms:Decrypt", "*", {"kms:ViaService": f"s3.{spec.aws.region}.amazonaws.com"})
    for action in aws_ci.DATA_READ_ACTIONS:
        assert not allowed(plan, action, "*"), action
    # Without the denies, ReadOnlyAccess would allow them: they are not vacuous.
    read_only = [managed("ReadOnlyAccess")]
    assert allowed(read_only, "s3:GetObject", f"arn:aws:s3:::{spec.name_prefix}-raw-{spec.aws.account_id}/x")
    assert [a for a in aws_ci.DATA_READ_ACTIONS if allowed(read_only, a, "*")]


def test_the_evaluator_follows_awss_rules():
    policy = {"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": ["arn:aws:s3:::b/own/*"]},
        {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
         "Condition": {"StringNotLike": {"s3:prefix": ["own/*"]}, "Null": {"s3:prefix": ["false"]}}}]}
    assert allowed([policy], "s3:GetObject", "arn:aws:s3:::b/own/x")
    assert not allowed([policy], "s3:GetObject", "arn:aws:s3:::b/other/x")
    assert allowed([policy], "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "own/x"})
    assert not allowed([policy], "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "other/"})
    assert allowed([policy], "s3:ListBucket", "arn:aws:s3:::b")  # no prefix: the Null test keeps it
    assert not allowed([policy], "ec2:DescribeVpcs", "*")  # implicit deny


def test_apply_may_retag_the_ci_identity_and_nothing_else_of_it(managed_bp):
    """default_tags reach the CI roles and the boundary: a tag change must apply from CI (TagRole/TagPolicy),
    while every other change of them stays the administrator's."""
    spec, _, roles, boundary = managed_bp
    apply = roles["apply"]
    for ci_role in ("github-apply", "github-plan"):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{spec.name_prefix}-{ci_role}"
        for action in ("iam:TagRole", "iam:UntagRole"):
            assert allowed(apply, action, arn), (action, arn)
        for action in ("iam:UpdateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy"):
            assert not allowed(apply, action, arn), (action, arn)
    for action in ("iam:TagPolicy", "iam:UntagPolicy"):
        assert allowed(apply, action, boundary), action
    assert not allowed(apply, "iam:TagRole", f"arn:aws:iam::{ACCOUNT}:role/globex-prod-github-apply")
    assert not allowed(apply, "iam:TagPolicy", f"arn:aws:iam::{ACCOUNT}:policy/dsaas-ci-boundary-globex-prod")


def test_ci_sessions_last_what_the_roles_allow(managed_bp):
    """An apply can outlast an hour: the apply role allows the session the workflow asks for, within IAM's
    3600..43200 s."""
    _, files, _, _ = managed_bp
    roles = resources(files, "aws_iam_role")
    for purpose in ("apply", "plan"):
        seconds = roles[f"ci_{purpose}"]["max_session_duration"]
        assert seconds == aws_ci.SESSION_SECONDS[purpose] and 3600 <= seconds <= 43200
    assert aws_ci.SESSION_SECONDS["apply"] > 3600


def test_arns_are_in_the_regions_partition(managed_bp):
    spec = managed_bp[0]
    from dsaas_infra.render.aws.build import build_context

    values = aws_ci.build(spec, build_context(spec))
    assert values["state_bucket_arn"].startswith("arn:aws:s3:::")
    china = dataclasses.replace(spec, aws=spec.aws.model_copy(update={"region": "cn-north-1"}))
    arns = [v for v in str(aws_ci.build(china, build_context(china))).split("'") if v.startswith("arn:")]
    assert arns and all(a.startswith("arn:aws-cn:") for a in arns), arns


def _role_names(spec, files) -> set[str]:
    """The names of the aws_iam_role resources of a rendered blueprint (for_each over the API consumers)."""
    out = set()
    for body in resources(files, "aws_iam_role").values():
        name = body["name"].replace("${local.name_prefix}", spec.name_prefix)
        if "${each.key}" in name:
            out |= {name.replace("${each.key}", c.name) for c in spec.phases.access.consumers}
        else:
            out.add(name)
    return out


def test_apply_manages_exactly_the_roles_the_blueprint_creates(blueprint):
    """IAM apply may change is listed by exact name: every role of the blueprint is in the list, and the
    blueprint creates no managed policy but the boundary and no instance profile (none is allowed)."""
    spec, files, _, _ = blueprint
    created = _role_names(spec, files)
    assert created and created <= set(aws_ci.role_names(spec)), \
        f"add the role to render/aws/ci.py ROLE_SUFFIXES: {sorted(created - set(aws_ci.role_names(spec)))}"
    assert set(resources(files, "aws_iam_policy")) == {"ci_boundary"}
    assert resources(files, "aws_iam_instance_profile") == {}
    envs = ("dev", "staging", "prod")
    for suffix in aws_ci.ROLE_SUFFIXES:
        parts = suffix.split("-")
        assert not any(p in envs for p in parts[:-1]), suffix  # would be another client's <name>-<env>-... prefix


def test_a_client_whose_name_extends_another_gets_none_of_its_iam_or_buckets():
    """`acme` (prod) and `acme-prod` (prod): `acme-prod-*` would match every name of `acme-prod-prod`."""
    text = with_ci((REPO / "blueprints" / "aws-managed.yaml").read_text())
    specs = {}
    for client in ("acme", "acme-prod"):
        t = re.sub(r"^  name: .*$", f"  name: {client}", text, count=1, flags=re.M)
        spec = load_spec_text(t)
        specs[client] = _identity(spec, {k: v.decode() for k, v in render_blueprint(spec).items()
                                          if k.endswith(".tf")})
    (acme, _, acme_roles, boundary) = specs["acme"]
    (longer, longer_files, _, longer_boundary) = specs["acme-prod"]
    assert acme.name_prefix == "acme-prod" and longer.name_prefix == "acme-prod-prod"
    apply = acme_roles["apply"]
    account = acme.aws.account_id
    own = f"arn:aws:iam::{account}:role/acme-prod-deploy"
    assert allowed(apply, "iam:PutRolePolicy", own, {"iam:PermissionsBoundary": boundary})
    theirs = _role_names(longer, longer_files)
    assert "acme-prod-prod-deploy" in theirs
    for name in sorted(theirs):
        arn = f"arn:aws:iam::{account}:role/{name}"
        for action in ("iam:DeleteRole", "iam:PassRole", "iam:TagRole", "iam:UpdateAssumeRolePolicy"):
            assert not allowed(apply, action, arn), (action, name)
        for action in ("iam:PutRolePolicy", "iam:CreateRole", "iam:AttachRolePolicy"):
            assert not allowed(apply, action, arn, {"iam:PermissionsBoundary": boundary}), (action, name)
            assert not allowed(apply, action, arn, {"iam:PermissionsBoundary": longer_boundary}), (action, name)
    for body in resources(longer_files, "aws_s3_bucket").values():
        bucket = body["bucket"]
        assert bucket.startswith("acme-prod-prod-")
        assert not allowed(apply, "s3:PutBucketPolicy", f"arn:aws:s3:::{bucket}"), bucket
