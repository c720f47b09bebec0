"""AWS naming rules of the names the blueprint derives from the spec, and their located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import aws_rules, load_spec, load_spec_text
from dsaas_infra.spec.aws_rules import DerivedName, name_problems

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((REPO / "blueprints").glob("aws-*.yaml")), ids=lambda p: p.stem)
def test_examples_derive_only_valid_names(path):
    spec = load_spec(path)
    assert aws_rules.check(spec) == []
    names = aws_rules.derived_names(spec)
    assert {n.kind for n in names.values()} <= set(aws_rules.RULES)


def test_derived_names_follow_client_environment_and_account(good_aws):
    names = aws_rules.derived_names(load_spec_text(good_aws))
    assert names["bucket_raw"].name == "acme-prod-raw-123456789012"
    assert names["sagemaker_role"].name == "acme-prod-sagemaker-execution"
    assert names["glue_database"].name == "acme_prod"
    assert names["ecr_repository"].name == "acme/prod/models"
    assert names["notebook:bob"] == DerivedName("sagemaker", "acme-prod-bob", ("phases", "training", "users", 1))
    assert names["bucket_raw"].path == ("aws", "account_id")


def test_longest_possible_names_still_fit(good_aws):
    text = (
        good_aws.replace("name: acme", "name: abcdefghij-klmnopqr9")
        .replace("environment: prod", "environment: staging")
        .replace("users: [alice, bob]", "users: [abcdefghijklmnopqrstuvw9]")
    )
    spec = load_spec_text(text)  # raises SpecError on any naming problem
    assert len(aws_rules.derived_names(spec)["notebook:abcdefghijklmnopqrstuvw9"].name) <= 63


@pytest.mark.parametrize(
    "kind,name,fragment",
    [
        ("iam_role", "r" * 65, "at most 64"),
        ("iam_role", "has space", "must match"),
        ("sagemaker", "n" * 64, "at most 63"),
        ("sagemaker", "under_score", "must match"),
        ("s3_bucket", "Upper-Case-Bucket", "S3 bucket names"),
        ("s3_bucket", "b" * 64, "S3 bucket names"),
        ("kms_alias", "alias/aws/reserved", "reserved by AWS"),
        ("glue_database", "has-dash", "must match"),
        ("ecr_repository", "Acme/models", "must match"),
        ("log_group", "bad log group", "must match"),
    ],
)
def test_rules_reject_bad_names(kind, name, fragment):
    message = aws_rules.RULES[kind](name)
    assert message is not None and fragment in message


@pytest.mark.parametrize(
    "kind,name",
    [
        ("iam_role", "r" * 64),
        ("sagemaker", "n" * 63),
        ("sagemaker", "acme-prod-alice"),
        ("s3_bucket", "acme-prod-raw-123456789012"),
        ("kms_alias", "alias/acme-prod"),
        ("glue_database", "acme_prod"),
        ("ecr_repository", "acme/prod/models"),
        ("log_group", "/aws-glue/jobs/acme-prod-etl"),
    ],
)
def test_rules_accept_good_names(kind, name):
    assert aws_rules.RULES[kind](name) is None


def test_too_long_derived_name_is_located_at_the_key_that_made_it():
    names = {
        "sagemaker_role": DerivedName("iam_role", "x" * 70, ("client", "name")),
        "notebook:al": DerivedName("sagemaker", "y" * 70, ("phases", "training", "users", 0)),
        "domain": DerivedName("sagemaker", "fine-name", ("client", "name")),
    }
    problems = name_problems(names)
    assert problems == [
        (("phases", "training", "users", 0),
         f"derived name for notebook:al: SageMaker name {'y' * 70!r} is 70 characters long; "
         "AWS allows at most 63"),
        (("client", "name"),
         f"derived name for sagemaker_role: IAM role name {'x' * 70!r} is 70 characters long; "
         "AWS allows at most 64"),
    ]


def test_schedule_eventbridge_cannot_express_is_a_located_spec_error(good_aws):
    text = good_aws.replace('schedule: "0 3 * * *"', 'schedule: "0 3 1 * 1"')
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "client.yaml")
    (problem,) = info.value.problems
    assert problem.path == "phases.data.schedule"
    assert problem.file == "client.yaml"
    assert problem.line == text.splitlines().index(
        next(line for line in text.splitlines() if "schedule" in line)) + 1
    assert "EventBridge" in problem.message


def test_repeated_subnet_is_a_located_spec_error(good_aws):
    text = good_aws.replace(
        '  account_id: "123456789012"\n',
        '  account_id: "123456789012"\n  network:\n    vpc_id: vpc-0123456789abcdef0\n'
        '    subnet_ids: [subnet-0123456789abcdef0, subnet-0123456789abcdef0]\n',
    )
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "client.yaml")
    (problem,) = info.value.problems
    assert problem.path == "aws.network.subnet_ids"
    assert problem.line == 15
    assert "unique" in problem.message


def test_gcp_specs_are_not_checked_by_aws_rules():
    text = """\
apiVersion: dsaas-infra/v1
client: {name: acme, owner: ml@acme.example}
cloud: gcp
gcp: {project_id: acme-dsaas-dev, region: us-central1, apigee: {organization: dedicated}}
"""
    # The resolved GCP spec has no AWS settings at all: an AWS rule run on it would fail, not pass.
    spec = load_spec_text(text)
    assert spec.cloud == "gcp" and not hasattr(spec, "aws")


# Name-bearing arguments of the resources the AWS blueprint creates.
NAME_ARGUMENTS = {
    "aws_s3_bucket": "bucket",
    "aws_iam_role": "name",
    "aws_kms_alias": "name",
    "aws_lambda_function": "function_name",
    "aws_sfn_state_machine": "name",
    "aws_sqs_queue": "name",
    "aws_scheduler_schedule": "name",
    "aws_sns_topic": "name",
    "aws_security_group": "name",
    "aws_sagemaker_domain": "domain_name",
    "aws_sagemaker_model_package_group": "model_package_group_name",
    "aws_ecr_repository": "name",
    "aws_glue_catalog_database": "name",
    "aws_glue_crawler": "name",
    "aws_glue_job": "name",
    "aws_glue_security_configuration": "name",
    "aws_wafv2_web_acl": "name",
    "aws_api_gateway_rest_api": "name",
}


@pytest.mark.parametrize("path", sorted((REPO / "blueprints").glob("aws-*.yaml")), ids=lambda p: p.stem)
def test_every_rendered_resource_name_is_a_checked_derived_name(path):
    """A template that names a resource the rules do not know about would escape the checks."""
    from dsaas_infra.render import render_blueprint
    from tests.render.parsed_blueprint import parse_tf_files

    spec = load_spec(path)
    prefix = f"{spec.client.name}-{spec.client.environment}"
    checked = {n.name for n in aws_rules.derived_names(spec).values()}
    seen = 0
    for name, doc in parse_tf_files(render_blueprint(spec)).items():
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                argument = NAME_ARGUMENTS.get(rtype)
                if argument is None:
                    continue
                for body in named.values():
                    value = str(body.get(argument, ""))
                    value = value.replace("${local.name_prefix}", prefix)
                    if not value or "${" in value:
                        continue  # per-item names (for_each) are checked item by item
                    seen += 1
                    assert value in checked, f"{name}: {rtype} name {value!r} is not in derived_names"
    assert seen >= 15
