"""AWS blueprint, data and training phases: security and wiring facts read from the parsed HCL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dsaas_infra.spec import aws_rules, load_spec, load_spec_text
from dsaas_infra.spec.resolved import ResolvedSpec
from tests.render.parsed_blueprint import ParsedBlueprint, parse, parse_tf

REPO = Path(__file__).resolve().parents[3]
AWS_EXAMPLES = sorted((REPO / "blueprints").glob("aws-*.yaml"))
DATA_BUCKETS = ("raw", "curated", "artifacts")
MAIN_KEY = "${aws_kms_key.main.arn}"
# The files of the shared, data and training parts of the blueprint (the ones under test here).
OWN_FILES = ("main.tf", "data.tf", "network.tf", "training.tf")
# The variables a blueprint declares: the prepare step's and the ETL's required columns.
PREPARE_VARIABLES = {"training_dataset", "training_label", "prepare_script_s3_uri", "etl_required_columns"}

BASE = """\
apiVersion: dsaas-infra/v1
client:
  name: acme
  display_name: ACME
  environment: dev
  maturity: {maturity}
  owner: ml@acme.example
cloud: aws
aws:
  region: eu-central-1
  account_id: "111122223333"
{network}phases:
  data: {{raw_retention_days: 123{data}}}
  training: {{users: {users}{training}}}
{deployment}"""
REUSED = """\
  network:
    vpc_id: vpc-0123456789abcdef0
    subnet_ids: [subnet-0123456789abcdef0, subnet-0fedcba9876543210, subnet-00000000000000000]
"""


def family_key(bp, family: str) -> str:
    """The key of a service family: its own at managed level, the one main key below."""
    return f"${{aws_kms_key.{family if bp.spec.client.maturity == 'managed' else 'main'}.arn}}"


def spec_text(
    maturity: str = "proactive",
    network: str = "",
    users: str = "[alice, bob]",
    data: str = "",
    training: str = "",
    deployment: str = "",
) -> str:
    return BASE.format(
        maturity=maturity, network=network, users=users, data=data, training=training,
        deployment=deployment,
    )


class Blueprint(ParsedBlueprint):
    @property
    def file_of(self) -> dict[tuple[str, str, str], str]:
        return self.origin

    def of_type(self, rtype: str, own: bool = False) -> dict[str, dict]:
        return self.declared_in("resource", rtype, OWN_FILES) if own else super().of_type(rtype)


def build(spec: ResolvedSpec) -> Blueprint:
    return parse(spec, Blueprint)


def render(text: str) -> Blueprint:
    return build(load_spec_text(text, "test.yaml"))


@pytest.fixture(scope="module", params=[p.stem for p in AWS_EXAMPLES])
def example(request) -> Blueprint:
    return build(load_spec(REPO / "blueprints" / f"{request.param}.yaml"))


@pytest.fixture(scope="module")
def proactive() -> Blueprint:
    return render(spec_text())


def test_there_is_an_aws_example_per_maturity_level():
    levels = {load_spec(p).client.maturity for p in AWS_EXAMPLES}
    assert levels == {"reactive", "proactive", "managed"}


# --- versions, providers --------------------------------------------------------------------


def test_versions_pin_terraform_aws_6_and_archive(example):
    versions = parse_tf(example.files["versions.tf"])["terraform"][0]
    assert versions["required_version"] == ">= 1.11.0"
    providers = versions["required_providers"][0]
    assert providers["aws"]["source"] == "hashicorp/aws"
    assert providers["aws"]["version"] == "~> 6.0"
    assert providers["time"]["source"] == "hashicorp/time"
    # archive only where a Lambda handler is packaged (reactive has no Lambda function).
    packages = any("data \"archive_file\"" in example.text(f) for f in example.files if f.endswith(".tf"))
    if packages:
        assert providers["archive"]["source"] == "hashicorp/archive"
    else:
        assert "archive" not in providers
    assert packages == (example.spec.phases.deployment.enabled
                        and bool(example.spec.phases.deployment.realtime))


def test_reactive_readme_describes_no_lambda_it_does_not_have():
    bp = render(spec_text(maturity="reactive"))
    assert not bp.of_type("aws_lambda_function")
    readme = bp.text("README.md")
    assert "**Lambda**" not in readme and "Lambda errors" not in readme and "lambdas" not in readme
    assert "batch transform" in readme


def test_provider_default_tags_identify_the_client(example):
    provider = parse_tf(example.files["providers.tf"])["provider"][0]["aws"]
    tags = provider["default_tags"][0]["tags"]
    c = example.spec.client
    assert {k: tags[k] for k in ("client", "environment", "owner", "managed-by")} == {
        "client": c.name, "environment": c.environment, "owner": c.owner, "managed-by": "dsaas-infra",
    }
    assert provider["allowed_account_ids"] == [example.spec.aws.account_id]


# --- data: KMS and buckets ------------------------------------------------------------------


def test_keys_rotate_and_let_only_this_account_use_them(example):
    logs = family_key(example, "logs").split(".")[1]
    for body in example.of_type("aws_kms_key").values():
        assert body["enable_key_rotation"] is True
        assert_service_statements_are_tied_to_this_account(body["policy"])
    policy = example.resources[("aws_kms_key", logs)]["policy"]
    assert "logs.${local.region}.${local.dns_suffix}" in policy
    assert "kms:EncryptionContext:aws:logs:arn" in policy


def assert_service_statements_are_tied_to_this_account(policy: str) -> None:
    # Every statement carries a condition but the administration and the named roles'.
    statements = policy.split("Sid")[1:]
    assert len(statements) >= 3
    for statement in statements:
        if "AccountAdministers" not in statement and "RolesOfThisFamilyUseKey" not in statement:
            assert "Condition" in statement, statement


@pytest.mark.parametrize("label", DATA_BUCKETS)
def test_data_buckets_are_versioned_kms_encrypted_private_and_tls_only(example, label):
    r = example.resources
    ref = f"${{aws_s3_bucket.{label}.id}}"
    assert r[("aws_s3_bucket_versioning", label)]["bucket"] == ref
    assert r[("aws_s3_bucket_versioning", label)]["versioning_configuration"][0]["status"] == "Enabled"

    rule = r[("aws_s3_bucket_server_side_encryption_configuration", label)]["rule"][0]
    default = rule["apply_server_side_encryption_by_default"][0]
    family = "training" if label == "artifacts" else "data"
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": family_key(example, family)}
    assert rule["bucket_key_enabled"] is True

    pab = r[("aws_s3_bucket_public_access_block", label)]
    assert all(pab[k] is True for k in (
        "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    ownership = r[("aws_s3_bucket_ownership_controls", label)]["rule"][0]
    assert ownership["object_ownership"] == "BucketOwnerEnforced"

    assert r[("aws_s3_bucket_policy", label)]["policy"] == f"${{data.aws_iam_policy_document.{label}_bucket.json}}"
    deny = example.data[("aws_iam_policy_document", f"{label}_bucket")]["statement"][0]
    assert deny["effect"] == "Deny" and deny["actions"] == ["s3:*"]
    assert deny["condition"][0] == {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    assert f"${{aws_s3_bucket.{label}.arn}}/*" in deny["resources"]

    logging = r[("aws_s3_bucket_logging", label)]
    assert logging["target_bucket"] == "${aws_s3_bucket.logs.id}"

    rules = r[("aws_s3_bucket_lifecycle_configuration", label)]["rule"]
    assert any(x.get("abort_incomplete_multipart_upload") for x in rules)
    assert any(x.get("noncurrent_version_expiration") for x in rules)


def test_bucket_names_are_the_checked_derived_names(example):
    names = aws_rules.derived_names(example.spec)
    for label in (*DATA_BUCKETS, "logs"):
        assert example.resources[("aws_s3_bucket", label)]["bucket"] == names[f"bucket_{label}"].name


def test_logs_bucket_uses_sse_s3_with_a_documented_checkov_skip(example):
    rule = example.resources[("aws_s3_bucket_server_side_encryption_configuration", "logs")]["rule"][0]
    assert rule["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "AES256"
    assert any(c.startswith("checkov:skip=CKV_AWS_145:") for c in example.comments[("aws_s3_bucket", "logs")])
    delivery = example.data[("aws_iam_policy_document", "logs_bucket")]["statement"][0]
    assert delivery["principals"][0]["identifiers"] == ["logging.s3.amazonaws.com"]
    assert {c["variable"] for c in delivery["condition"]} == {"aws:SourceAccount", "aws:SourceArn"}


def test_raw_data_expires_after_the_spec_retention(proactive):
    rules = proactive.resources[("aws_s3_bucket_lifecycle_configuration", "raw")]["rule"]
    assert rules[0]["expiration"][0]["days"] == 123


@pytest.mark.parametrize("protect", [True, False])
def test_prevent_destroy_follows_the_spec(protect):
    bp = render(spec_text(data=f", prevent_destroy: {str(protect).lower()}"))
    for label in (*DATA_BUCKETS, "logs"):
        assert bp.resources[("aws_s3_bucket", label)]["lifecycle"][0]["prevent_destroy"] is protect
    assert bp.resources[("aws_kms_key", "main")]["lifecycle"][0]["prevent_destroy"] is protect


def test_log_groups_are_encrypted_and_expire(example):
    groups = example.of_type("aws_cloudwatch_log_group", own=True)
    assert "glue_etl" in groups
    if example.spec.aws.network is None:
        assert "flow_logs" in groups
    for body in groups.values():
        assert body["kms_key_id"] == family_key(example, "logs")
        assert body["retention_in_days"] == example.spec.phases.data.log_retention_days


# --- data: Glue -----------------------------------------------------------------------------


def test_glue_job_runs_the_shipped_script_with_a_security_configuration(example):
    job = example.resources[("aws_glue_job", "etl")]
    assert job["security_configuration"] == "${aws_glue_security_configuration.main.name}"
    assert "aws_s3_object.glue_etl_script.key" in job["command"][0]["script_location"]
    assert job["default_arguments"]["--job-bookmark-option"] == "job-bookmark-enable"
    upload = example.resources[("aws_s3_object", "glue_etl_script")]
    assert upload["source"] == "${path.module}/files/glue/etl.py"
    shipped = (REPO / "templates" / "aws" / "files" / "glue" / "etl.py").read_bytes()
    assert example.files["files/glue/etl.py"] == shipped
    compile(shipped, "etl.py", "exec")

    enc = example.resources[("aws_glue_security_configuration", "main")]["encryption_configuration"][0]
    assert enc["s3_encryption"][0] == {"s3_encryption_mode": "SSE-KMS", "kms_key_arn": family_key(example, "data")}
    assert enc["cloudwatch_encryption"][0]["kms_key_arn"] == family_key(example, "logs")
    assert enc["job_bookmarks_encryption"][0]["job_bookmarks_encryption_mode"] == "CSE-KMS"

    # The job catalogues its tables itself (files/glue/etl.py catalog_batch): no crawler, no
    # second writer of the catalog, no crawler runs to pay for.
    assert not example.of_type("aws_glue_crawler")
    assert "aws_glue_crawler" not in example.text("data.tf")


def test_glue_schedules_the_etl_only_without_a_deployment_pipeline():
    with_pipeline = render(spec_text())
    assert ("aws_glue_trigger", "etl") not in with_pipeline.resources
    alone = render(spec_text(
        maturity="reactive", data=', schedule: "15 4 * * 1"',
        deployment="  deployment: {enabled: false}\n  access: {enabled: false}\n",
    ))
    trigger = alone.resources[("aws_glue_trigger", "etl")]
    assert trigger["schedule"] == "cron(15 4 ? * 2 *)"
    assert trigger["actions"][0]["job_name"] == "${aws_glue_job.etl.name}"


# --- IAM ------------------------------------------------------------------------------------

# Actions AWS does not let a policy scope to a resource ARN.
UNSCOPABLE = re.compile(
    r"^(ecr:GetAuthorizationToken|cloudwatch:PutMetricData|ec2:Describe\w+|"
    r"sagemaker:(List\w+|Search|GetSearchSuggestions))$"
)


def _policy_documents(bp: Blueprint) -> dict[str, dict]:
    return {
        name: body for (t, name), body in bp.data.items()
        if t == "aws_iam_policy_document" and bp.file_of[("data", t, name)] in OWN_FILES
    }


def test_iam_policies_scope_s3_and_kms_to_exact_arns(example):
    documents = _policy_documents(example)
    assert {"glue", "sagemaker_execution"} <= set(documents)
    for name, doc in documents.items():
        for statement in doc["statement"]:
            if statement.get("effect", "Allow") != "Allow" or "principals" in statement:
                continue  # resource policies, assume-role policies
            resources = statement["resources"]
            resources = resources if isinstance(resources, list) else [resources]
            for action in statement["actions"]:
                if action.startswith(("s3:", "kms:")):
                    assert "*" not in resources, f"{name}: {action} on *"
                    for res in resources:
                        assert res.startswith("${aws_s3_bucket.") or re.fullmatch(
                            r"\$\{aws_kms_key\.(main|data|training|logs|serving|pipeline)\.arn\}", res), (name, res)
                if "*" in resources:
                    assert UNSCOPABLE.match(action), f"{name}: {action} granted on *"


def test_pass_role_is_limited_to_sagemaker(proactive):
    doc = _policy_documents(proactive)["sagemaker_execution"]
    (pass_role,) = [s for s in doc["statement"] if s["actions"] == ["iam:PassRole"]]
    assert pass_role["resources"] == ["${aws_iam_role.sagemaker_execution.arn}"]
    assert pass_role["condition"][0]["values"] == ["sagemaker.amazonaws.com"]


def test_role_names_fit_iam(example):
    for body in example.of_type("aws_iam_role", own=True).values():
        assert len(body["name"]) <= 64


# --- training -------------------------------------------------------------------------------


def test_reactive_gets_one_private_notebook_per_user():
    bp = render(spec_text(maturity="reactive", users="[ann, ben, cyd]"))
    assert not bp.of_type("aws_sagemaker_domain")
    notebook = bp.resources[("aws_sagemaker_notebook_instance", "workspace")]
    assert notebook["for_each"] == "${local.notebooks}"
    assert bp.locals["notebooks"] == {u: f"acme-dev-{u}" for u in ("ann", "ben", "cyd")}
    assert notebook["direct_internet_access"] == "Disabled"
    assert notebook["root_access"] == "Disabled"
    assert notebook["kms_key_id"] == family_key(bp, "training")
    assert notebook["security_groups"] == ["${aws_security_group.sagemaker.id}"]
    assert "local.private_subnet_ids" in notebook["subnet_id"]
    assert notebook["instance_type"] == "ml.t3.medium"
    assert "${time_sleep.sagemaker_execution_role}" in notebook["depends_on"]


def test_instance_type_override_reaches_the_workspace():
    bp = render(spec_text(maturity="reactive", training=", instance_type: ml.c5.2xlarge"))
    assert bp.resources[("aws_sagemaker_notebook_instance", "workspace")]["instance_type"] == "ml.c5.2xlarge"


def test_gpu_is_for_training_jobs_and_the_workspace_stays_on_cpu():
    bp = render(spec_text(training=", gpu: t4"))
    settings = bp.resources[("aws_sagemaker_domain", "main")]["default_user_settings"][0]
    spec = settings["jupyter_lab_app_settings"][0]["default_resource_spec"][0]
    assert spec["instance_type"] == "ml.m5.xlarge"
    assert "ml.g4dn.xlarge" in bp.text("deployment.tf")


@pytest.mark.parametrize("users", ["[alice, bob]", "[]"])
def test_proactive_gets_a_vpc_only_studio_domain_with_profiles(users):
    bp = render(spec_text(users=users))
    assert not bp.of_type("aws_sagemaker_notebook_instance")
    domain = bp.resources[("aws_sagemaker_domain", "main")]
    assert domain["app_network_access_type"] == "VpcOnly"
    assert domain["auth_mode"] == "IAM"
    assert domain["kms_key_id"] == family_key(bp, "training")
    assert domain["subnet_ids"] == "${local.private_subnet_ids}"
    assert domain["default_user_settings"][0]["execution_role"] == "${aws_iam_role.sagemaker_execution.arn}"
    # The workspace waits for IAM to propagate the new role.
    assert "${time_sleep.sagemaker_execution_role}" in domain["depends_on"]
    expected = [] if users == "[]" else ["alice", "bob"]
    assert bp.locals["studio_users"] == expected
    profile = bp.resources[("aws_sagemaker_user_profile", "users")]
    assert profile["for_each"] == "${toset(local.studio_users)}"


def test_empty_notebook_users_render_no_instances():
    bp = render(spec_text(maturity="reactive", users="[]"))
    assert bp.locals["notebooks"] == {}


def test_registry_and_image_repository(example):
    repo = example.resources[("aws_ecr_repository", "models")]
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert repo["image_scanning_configuration"][0]["scan_on_push"] is True
    assert repo["encryption_configuration"][0] == {"encryption_type": "KMS", "kms_key": family_key(example, "training")}
    assert ("aws_ecr_lifecycle_policy", "models") in example.resources
    assert ("aws_sagemaker_model_package_group", "main") in example.resources


# --- network --------------------------------------------------------------------------------


@pytest.mark.parametrize("maturity,azs", [("proactive", 2), ("managed", 3)])
def test_created_vpc_is_private_with_flow_logs(maturity, azs):
    bp = render(spec_text(maturity=maturity))
    assert bp.resources[("aws_subnet", "private")]["count"] == azs
    assert bp.resources[("aws_subnet", "private")]["map_public_ip_on_launch"] is False
    # Only zones that offer every interface endpoint; a subnet keeps its zone afterwards.
    subnet = bp.resources[("aws_subnet", "private")]
    # Zones are pinned at the first apply, so a subnet added later cannot reuse a zone.
    assert subnet["availability_zone"] == "${terraform_data.subnet_zones.output[count.index]}"
    pin = bp.resources[("terraform_data", "subnet_zones")]
    assert pin["input"] == "${local.subnet_zones}"
    assert pin["lifecycle"][0]["ignore_changes"] == ["input"]
    services = bp.data[("aws_vpc_endpoint_service", "interface")]
    assert services["for_each"] == "${toset(local.interface_endpoint_services)}"
    assert "data.aws_vpc_endpoint_service.interface" in bp.locals["subnet_zones"]
    assert "local.subnet_zones" in bp.resources[("aws_vpc", "main")]["lifecycle"][0]["precondition"][0]["condition"]
    for forbidden in ("aws_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_route"):
        assert not bp.of_type(forbidden), forbidden
    flow = bp.resources[("aws_flow_log", "main")]
    assert flow["traffic_type"] == "ALL"
    # Delivery starts at creation: the role's policy must exist first.
    assert flow["depends_on"] == ["${aws_iam_role_policy.flow_logs}"]
    default_sg = bp.resources[("aws_default_security_group", "main")]
    assert "ingress" not in default_sg and "egress" not in default_sg
    assert bp.locals["vpc_id"] == "${aws_vpc.main.id}"
    # No network switch: the only variables are the prepare step's inputs (deployment.tf).
    assert set(bp.variables) <= PREPARE_VARIABLES


def test_reused_network_creates_no_vpc():
    bp = render(spec_text(network=REUSED))
    for rtype in ("aws_vpc", "aws_subnet", "aws_route_table", "aws_flow_log", "aws_default_security_group"):
        assert not bp.of_type(rtype), rtype
    assert bp.locals["vpc_id"] == "${data.aws_vpc.main.id}"
    assert bp.data[("aws_vpc", "main")]["id"] == "vpc-0123456789abcdef0"
    # Private DNS of the VPC endpoints needs both settings: checked at plan time.
    (check,) = bp.data[("aws_vpc", "main")]["lifecycle"][0]["postcondition"]
    assert check["condition"] == "${self.enable_dns_support && self.enable_dns_hostnames}"
    # No existing endpoints named: the blueprint creates all of them, and no wider egress.
    assert ("aws_vpc_security_group_egress_rule", "sagemaker_https_in_vpc") not in bp.resources
    assert len(bp.locals["private_subnet_ids"]) == 3
    assert set(bp.variables) <= PREPARE_VARIABLES
    # Only the subnets' own route tables; the main route table is never looked up or changed.
    route_tables = bp.locals["private_route_table_ids"]
    assert "data.aws_route_tables.explicit" in route_tables and "main" not in route_tables
    assert ("aws_route_tables", "main") not in bp.data
    (check,) = bp.data[("aws_route_tables", "explicit")]["lifecycle"][0]["postcondition"]
    assert check["condition"] == "${length(self.ids) > 0}"
    assert "aws.network.route_table_ids" in check["error_message"]


def test_endpoints_cover_what_sagemaker_needs_without_internet(example):
    services = set(example.locals["interface_endpoint_services"])
    if example.spec.client.maturity == "reactive":
        # Training and transform jobs need only S3; notebooks the SageMaker API, STS and Logs.
        assert services == {"sagemaker.api", "sts", "logs"}
    else:
        assert {"sagemaker.api", "sagemaker.runtime", "sts", "logs", "ecr.api", "ecr.dkr", "monitoring"} <= services
    endpoint = example.resources[("aws_vpc_endpoint", "interface")]
    assert endpoint["private_dns_enabled"] is True
    assert endpoint["security_group_ids"] == ["${aws_security_group.vpc_endpoints.id}"]
    assert example.resources[("aws_vpc_endpoint", "s3")]["vpc_endpoint_type"] == "Gateway"


def test_security_group_rules_are_described_and_never_open_to_the_internet(example):
    for rtype in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        for name, rule in example.of_type(rtype, own=True).items():
            assert rule.get("description"), name
            assert rule.get("cidr_ipv4") != "0.0.0.0/0", name
            assert "cidr_ipv6" not in rule, name


# --- free text ------------------------------------------------------------------------------


def test_hostile_display_name_stays_text_in_readme_and_diagram():
    hostile = 'Evil"] --> x[("pwn ${var.x} %{ if } `code` <script>'
    text = spec_text().replace("display_name: ACME", f"display_name: '{hostile}'")
    bp = render(text)
    readme = bp.text("README.md")
    assert "<script>" not in readme
    heading = readme.splitlines()[0]
    assert "\\<script\\>" in heading and "\\`code\\`" in heading
    label = re.search(r'subgraph client\["([^"]*)"\]', readme).group(1)
    assert not set(label) & set('"[](){}<>`$%')
    # In HCL it is one escaped string literal: the value round-trips and nothing is live.
    literal = bp.locals["display_name"]
    assert "${" not in literal and "%{" not in literal
    assert json.loads(f'"{literal}"') == hostile
    main_tf = bp.text("main.tf")
    assert "${var.x}" not in main_tf and "%{ if }" not in main_tf


# --- training: jobs and models cannot leave the private subnets ----------------------------

# SageMaker actions that start compute whose network comes from the request (VpcConfig).
NETWORKED_CREATES = {
    "sagemaker:CreateHyperParameterTuningJob", "sagemaker:CreateModel",
    "sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob",
}


def _vpc_conditions(statement: dict) -> dict[tuple[str, str], object]:
    return {(c["test"], c["variable"]): c["values"] for c in statement.get("condition", [])}


def test_execution_role_creates_jobs_and_models_only_in_the_private_subnets(example):
    doc = _policy_documents(example)["sagemaker_execution"]
    granting = [s for s in doc["statement"] if NETWORKED_CREATES & set(s["actions"])
                or any(a in ("sagemaker:*", "sagemaker:Create*") for a in s["actions"])]
    assert len(granting) == 1, "the networked Create actions belong in one conditioned statement"
    (statement,) = granting
    assert set(statement["actions"]) == NETWORKED_CREATES
    assert _vpc_conditions(statement) == {
        ("ForAllValues:StringEquals", "sagemaker:VpcSubnets"): "${local.private_subnet_ids}",
        ("Null", "sagemaker:VpcSubnets"): ["false"],
        ("ForAllValues:StringEquals", "sagemaker:VpcSecurityGroupIds"): [
            "${aws_security_group.sagemaker.id}"],
        ("Null", "sagemaker:VpcSecurityGroupIds"): ["false"],
    }
    # No other statement of the role grants a Create* that starts compute with its own network.
    for other in doc["statement"]:
        if other is not statement:
            assert not any(a.startswith("sagemaker:Create") and a.endswith("Job")
                           and a != "sagemaker:CreateTransformJob" for a in other["actions"])


def test_readme_no_longer_promises_what_iam_does_not_enforce(example):
    readme = example.text("README.md")
    assert "data cannot leave to the internet" not in readme
    if example.spec.phases.training.enabled:
        assert "sagemaker:VpcSubnets" in readme


# --- data: Glue 5.0 logging -----------------------------------------------------------------


def test_glue_5_logs_go_to_encrypted_expiring_groups_under_the_custom_prefix(example):
    job = example.resources[("aws_glue_job", "etl")]
    assert job["glue_version"] == "5.0"
    arguments = job["default_arguments"]
    # Glue 5.0 ignores the continuous-logging arguments of earlier versions.
    assert "--enable-continuous-cloudwatch-log" not in arguments
    assert "--continuous-log-logGroup" not in arguments
    assert arguments["--custom-logGroup-prefix"] == "${local.glue_log_group_prefix}"
    prefix = example.locals["glue_log_group_prefix"]
    assert prefix == f"/aws-glue/jobs/{example.spec.client.name}-{example.spec.client.environment}-etl"

    groups = example.resources[("aws_cloudwatch_log_group", "glue_etl")]
    assert groups["for_each"] == '${toset(["error", "output"])}'
    # With a security configuration that encrypts CloudWatch Logs, Glue names the groups
    # <prefix>/<security configuration>-role/<role>/<error|output>.
    assert groups["name"] == ("${local.glue_log_group_prefix}/${aws_glue_security_configuration"
                              ".main.name}-role/${aws_iam_role.glue.name}/${each.key}")
    assert groups["kms_key_id"] == family_key(example, "logs")
    security = example.resources[("aws_glue_security_configuration", "main")]
    mode = security["encryption_configuration"][0]["cloudwatch_encryption"][0]
    assert mode["cloudwatch_encryption_mode"] == "SSE-KMS"
    assert "${aws_cloudwatch_log_group.glue_etl}" in job["depends_on"]

    # The Glue role may write there (and create a group itself should Glue name it otherwise).
    (logs,) = [s for s in _policy_documents(example)["glue"]["statement"] if s["sid"] == "WriteGlueLogs"]
    assert prefix.startswith("/aws-glue/")
    assert any(r.endswith(":log-group:/aws-glue/*:log-stream:*") for r in logs["resources"])
