"""AWS-specific spec rules: every name the AWS blueprint derives from the spec obeys AWS naming rules.

The names are derived here, once, and the renderer takes them from ``derived_names`` so that the
names checked are exactly the names rendered. Each derived name carries the spec path that
produced it, so a problem points at the key the user has to change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dsaas_infra.spec import naming
from dsaas_infra.spec.aws_capacity import ALL_INTERFACE_ENDPOINTS
from dsaas_infra.spec.cron import to_aws_schedule
from dsaas_infra.spec.resolved import AwsSpec

Problem = tuple[tuple[str | int, ...], str]
SpecPath = tuple[str | int, ...]

CLIENT = ("client", "name")
# Every VPC endpoint service an AWS blueprint may create (spec/aws_capacity.py picks per blueprint).
ENDPOINT_SERVICES = (*ALL_INTERFACE_ENDPOINTS, "s3")


@dataclass(frozen=True)
class DerivedName:
    kind: str  # a key of RULES
    name: str
    path: SpecPath  # the spec key the name comes from


def _regex(pattern: str, max_len: int, what: str) -> Callable[[str], str | None]:
    rx = re.compile(pattern)

    def check(name: str) -> str | None:
        if len(name) > max_len:
            return f"{what} {name!r} is {len(name)} characters long; AWS allows at most {max_len}"
        if not rx.fullmatch(name):
            return f"{what} {name!r} must match {pattern}"
        return None

    return check


def _s3_bucket(name: str) -> str | None:
    try:
        naming.check_s3_bucket(name)
    except ValueError as e:
        return f"S3 bucket {name!r}: {e}"
    return None


def _kms_alias(name: str) -> str | None:
    if name.startswith("alias/aws/"):
        return f"KMS alias {name!r} uses the prefix alias/aws/ reserved by AWS"
    return _regex(r"^alias/[A-Za-z0-9/_-]+$", 256, "KMS alias")(name)


# kind -> check returning a message or None. Limits from the AWS API references.
RULES: dict[str, Callable[[str], str | None]] = {
    "s3_bucket": _s3_bucket,
    "iam_role": _regex(r"^[\w+=,.@-]+$", naming.IAM_ROLE_NAME_MAX, "IAM role name"),
    "kms_alias": _kms_alias,
    # SageMaker domain, user profile, notebook, model package group and endpoint names.
    "sagemaker": _regex(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", 63, "SageMaker name"),
    "glue_database": _regex(r"^[a-z0-9_]+$", 255, "Glue database name"),
    "glue": _regex(r"^[\w.-]+$", 255, "Glue name"),
    "ecr_repository": _regex(
        r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$", 256, "ECR repository"
    ),
    "log_group": _regex(r"^[.\-_/#A-Za-z0-9]+$", 512, "CloudWatch log group"),
    "security_group": _regex(r"^[\w .:/()#,@\[\]+=&;{}!$*-]+$", 255, "security group name"),
    "lambda": _regex(r"^[a-zA-Z0-9_-]+$", 64, "Lambda function name"),
    "state_machine": _regex(r"^[a-zA-Z0-9_-]+$", 80, "Step Functions state machine name"),
    "sqs": _regex(r"^[a-zA-Z0-9_-]+$", 80, "SQS queue name"),
    "scheduler": _regex(r"^[0-9a-zA-Z_.-]+$", 64, "EventBridge Scheduler schedule name"),
    "sns": _regex(r"^[a-zA-Z0-9_-]+$", 256, "SNS topic name"),
    "wafv2": _regex(r"^[\w-]+$", 128, "WAF web ACL name"),
    "cloudtrail": _regex(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$", 128, "CloudTrail trail name"),
    "api_gateway": _regex(r"^[^\x00-\x1f]+$", 1024, "API Gateway name"),
}


def derived_names(spec: AwsSpec) -> dict[str, DerivedName]:
    """Every AWS name the data/training/shared templates use, keyed by its role in the blueprint."""
    assert spec.aws is not None
    c = spec.client
    prefix = spec.name_prefix
    account = spec.aws.account_id
    out: dict[str, DerivedName] = {}

    def add(key: str, kind: str, name: str, path: SpecPath = CLIENT) -> None:
        out[key] = DerivedName(kind, name, path)

    add("kms_alias", "kms_alias", f"alias/{prefix}")
    if c.maturity == "managed":  # one key per service family (render/aws/kms.py)
        for family in ("data", "training", "logs", "serving", "pipeline"):
            add(f"kms_alias:{family}", "kms_alias", f"alias/{prefix}-{family}")
    for label in ("logs", "raw", "curated", "artifacts"):
        add(f"bucket_{label}", "s3_bucket", f"{prefix}-{label}-{account}", ("aws", "account_id"))
    add("glue_database", "glue_database", prefix.replace("-", "_"))
    add("glue_job", "glue", f"{prefix}-etl")
    add("glue_trigger", "glue", f"{prefix}-etl-schedule")
    add("glue_security_configuration", "glue", f"{prefix}-glue")
    add("glue_role", "iam_role", f"{prefix}-glue")
    add("glue_job_log_group", "log_group", f"/aws-glue/jobs/{prefix}-etl")
    add("audit_trail", "cloudtrail", f"{prefix}-audit")
    add("sagemaker_role", "iam_role", f"{prefix}-sagemaker-execution")
    add("flow_logs_role", "iam_role", f"{prefix}-vpc-flow-logs")
    add("flow_logs_log_group", "log_group", f"/aws/vpc/flow-logs/{prefix}")
    add("sagemaker_sg", "security_group", f"{prefix}-sagemaker")
    add("endpoints_sg", "security_group", f"{prefix}-vpc-endpoints")
    add("domain", "sagemaker", prefix)
    add("model_package_group", "sagemaker", f"{prefix}-models")
    add("endpoint", "sagemaker", f"{prefix}-endpoint")
    add("ecr_repository", "ecr_repository", f"{c.name}/{c.environment}/models")
    # Names the deployment and access templates build from the same prefix (keep in step with
    # templates/aws/{deployment,monitoring,access}.tf.j2).
    phases = spec.phases
    if phases.deployment.enabled:
        add("pipeline_state_machine", "state_machine", f"{prefix}-pipeline")
        add("pipeline_role", "iam_role", f"{prefix}-pipeline")
        add("sagemaker_pipeline_role", "iam_role", f"{prefix}-sagemaker-pipeline")
        add("pipeline_schedule", "scheduler", f"{prefix}-pipeline")
        add("pipeline_schedule_role", "iam_role", f"{prefix}-pipeline-schedule")
        add("pipeline_schedule_dlq", "sqs", f"{prefix}-pipeline-schedule-dlq")
        add("alerts_topic", "sns", f"{prefix}-alerts")
        add("pipeline_log_group", "log_group", f"/aws/vendedlogs/states/{prefix}-pipeline")
        add("prepare_job", "glue", f"{prefix}-prepare")
        if phases.deployment.realtime:
            add("lambda_sg", "security_group", f"{prefix}-lambda")
            add("deploy_function", "lambda", f"{prefix}-deploy")
            add("deploy_role", "iam_role", f"{prefix}-deploy")
            add("deploy_state_machine", "state_machine", f"{prefix}-deploy")
            add("deploy_state_machine_role", "iam_role", f"{prefix}-deploy-pipeline")
            add("deploy_log_group", "log_group", f"/aws/vendedlogs/states/{prefix}-deploy")
            add("model_approved_role", "iam_role", f"{prefix}-model-approved")
            add("model_approved_dlq", "sqs", f"{prefix}-model-approved-dlq")
    if phases.access.enabled:
        add("predict_function", "lambda", f"{prefix}-predict")
        add("predict_role", "iam_role", f"{prefix}-predict")
        add("api", "api_gateway", f"{prefix}-api")
        for i, consumer in enumerate(phases.access.consumers):
            add(f"invoke_role:{consumer.name}", "iam_role", f"{prefix}-api-{consumer.name}",
                ("phases", "access", "consumers", i, "name"))
        add("waf_web_acl", "wafv2", f"{prefix}-api")
        add("waf_log_group", "log_group", f"aws-waf-logs-{prefix}-api")
        for i, consumer in enumerate(phases.access.consumers):
            add(f"usage_plan:{consumer.name}", "api_gateway", f"{prefix}-{consumer.name}",
                ("phases", "access", "consumers", i, "name"))
    for i, user in enumerate(spec.phases.training.users):
        path = ("phases", "training", "users", i)
        add(f"notebook:{user}", "sagemaker", f"{prefix}-{user}", path)
        add(f"user_profile:{user}", "sagemaker", user, path)
    if spec.ci is not None and spec.ci.create_identity:
        # templates/aws/ci.tf.j2 (names from dsaas_infra.fleet.index.role_name)
        for purpose in ("apply", "plan"):
            add(f"ci_{purpose}_role", "iam_role", f"{prefix}-github-{purpose}", ("ci", "create_identity"))
    return out


def name_problems(names: dict[str, DerivedName]) -> list[Problem]:
    """The naming problems among ``names``, located at the spec key each name comes from."""
    problems: list[Problem] = []
    for key in sorted(names):
        derived = names[key]
        message = RULES[derived.kind](derived.name)
        if message is not None:
            problems.append((derived.path, f"derived name for {key}: {message}"))
    return problems


def consumer_principal_problems(spec: AwsSpec) -> list[Problem]:
    """With IAM auth each consumer names who may act as it: never nobody, never this whole account."""
    access = spec.phases.access
    if not (access.enabled and access.auth == "iam") or spec.aws is None:
        return []
    own_root = re.compile(rf"^arn:aws[a-z-]*:iam::{spec.aws.account_id}:root$")
    problems: list[Problem] = []
    for i, consumer in enumerate(access.consumers):
        where = ("phases", "access", "consumers", i, "aws_principals")
        if not consumer.aws_principals:
            problems.append((where, f"consumer {consumer.name!r}: with access.auth iam, name the IAM roles or "
                                    "users (ARNs) that may call the API as this consumer"))
        for j, arn in enumerate(consumer.aws_principals):
            if own_root.match(arn):
                problems.append(((*where, j), f"{arn} would let every principal of account "
                                              f"{spec.aws.account_id} act as consumer {consumer.name!r}: "
                                              "name its roles or users instead"))
    return problems


def check(spec: AwsSpec) -> list[Problem]:
    if spec.aws is None:
        return []
    problems = name_problems(derived_names(spec))
    network = spec.aws.network
    if network is not None and len(set(network.subnet_ids)) != len(network.subnet_ids):
        problems.append(
            (("aws", "network", "subnet_ids"),
             "subnet ids must be unique (one private subnet per availability zone)")
        )
    if network is not None:
        known = set(ENDPOINT_SERVICES)
        for i, service in enumerate(network.existing_endpoints):
            if service not in known:
                problems.append((("aws", "network", "existing_endpoints", i),
                                 f"{service!r} is not an endpoint this blueprint uses; "
                                 f"one of {', '.join(sorted(known))}"))
    access = spec.phases.access
    problems += consumer_principal_problems(spec)
    if access.enabled and access.waf is False:
        problems.append((("phases", "access", "waf"),
                         "the prediction API is public (a regional API Gateway endpoint): on AWS it always "
                         "has a WAF web ACL; remove waf: false"))
    data = spec.phases.data
    if data.enabled and data.schedule is not None:
        try:
            to_aws_schedule(data.schedule)
        except ValueError as e:
            problems.append((("phases", "data", "schedule"), f"{data.schedule!r}: {e}"))
    return problems


def budget(spec: AwsSpec) -> list[Problem]:
    """The AWS budget notifies the alert topic of the deployment phase (monitoring.tf): without that
    phase the blueprint would render no budget while validate still compared the estimate with
    budget.monthly_usd, so nothing would alarm."""
    if spec.budget is None or spec.phases.deployment.enabled:
        return []
    return [(("budget", "monthly_usd"), (
        "the AWS budget alerts the deployment phase's SNS topic (monitoring.tf): enable "
        "phases.deployment with alert_emails, or remove budget so no alarm is promised"))]
