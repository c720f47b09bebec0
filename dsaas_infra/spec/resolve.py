"""Fill maturity defaults into a validated spec and check the rules that span several keys."""

from __future__ import annotations

from dsaas_infra.spec import aws_rules, ci_rules, gcp_rules, naming
from dsaas_infra.spec.maturity import DEFAULTS, default
from dsaas_infra.spec.model import ClientSpec, Variant
from dsaas_infra.spec.sizes import AWS_INSTANCE_TYPE, GCP_MACHINE_TYPE

Problem = tuple[tuple[str | int, ...], str]


def apply_maturity(spec: ClientSpec) -> None:
    """Replace every unset phase setting with the default of the client's maturity level."""
    maturity = spec.client.maturity
    for phase_name, settings in DEFAULTS.items():
        phase = getattr(spec.phases, phase_name)
        for setting in settings:
            if getattr(phase, setting) is None:
                value = default(phase_name, setting, maturity, spec.cloud)
                if setting == "variants":
                    value = [Variant(**v) for v in value]
                setattr(phase, setting, value)


def default_state(spec: ClientSpec) -> None:
    """Derive the remote state location from client, environment and account/project."""
    c = spec.client
    if spec.state.bucket is None:
        if spec.cloud == "aws" and spec.aws is not None:
            spec.state.bucket = f"{c.name}-{c.environment}-tfstate-{spec.aws.account_id}"
        elif spec.gcp is not None:
            spec.state.bucket = f"{spec.gcp.project_id}-{c.environment}-tfstate"
    if spec.state.prefix is None:
        spec.state.prefix = f"dsaas-infra/{c.name}/{c.environment}"


def deprecations(spec: ClientSpec) -> list[Problem]:
    """Keys that still work for this release but are on their way out (warnings, not errors)."""
    out: list[Problem] = []
    if spec.cloud == "aws" and spec.state.lock_table:
        out.append((("state", "lock_table"),
                    "deprecated: state is locked with S3 native locking (use_lockfile); the DynamoDB table "
                    "is locked as well for this release only, so that runs from older renderings still "
                    "exclude this one. Remove state.lock_table once every run uses this version "
                    "(README: 'Migrating from a DynamoDB lock table')"))
    return out


def check_rules(spec: ClientSpec) -> list[Problem]:
    """Rules between keys that single-field validation cannot see. Run after apply_maturity."""
    problems: list[Problem] = []
    for key, value in spec.client.tags.items():
        if not naming.AWS_TAG_KEY.fullmatch(key) or key.lower().startswith("aws:"):
            problems.append(
                (("client", "tags", key),
                 f"tag key {key!r} must be 1-128 letters, digits, spaces or _.:/=+-@ and not start with 'aws:'")
            )
        elif not naming.AWS_TAG_VALUE.fullmatch(value):
            problems.append(
                (("client", "tags", key),
                 f"tag {key!r}: value must be 0-256 letters, digits, spaces or _.:/=+-@")
            )
    problems.extend(ci_rules.check(spec))
    other = "gcp" if spec.cloud == "aws" else "aws"
    if getattr(spec, spec.cloud) is None:
        problems.append(((spec.cloud,), f"required when cloud is {spec.cloud}"))
    if getattr(spec, other) is not None:
        problems.append(((other,), f"only allowed when cloud is {other} (cloud is {spec.cloud})"))

    type_rule = AWS_INSTANCE_TYPE if spec.cloud == "aws" else GCP_MACHINE_TYPE
    example = "ml.m5.xlarge" if spec.cloud == "aws" else "n2-standard-4"
    for phase in ("training", "deployment"):
        value = getattr(spec.phases, phase).instance_type
        if value is not None and not type_rule.fullmatch(value):
            problems.append(
                (("phases", phase, "instance_type"),
                 f"{value!r} is not a {spec.cloud} instance type (e.g. {example})")
            )

    d = spec.phases.deployment
    if d.min_instances > d.max_instances:
        problems.append(
            (("phases", "deployment", "min_instances"),
             f"min_instances ({d.min_instances}) is above max_instances ({d.max_instances})")
        )
    names = [v.name for v in d.variants]
    if len(set(names)) != len(names):
        problems.append((("phases", "deployment", "variants"), "variant names must be unique"))
    if sum(v.weight for v in d.variants) != 100:
        problems.append(
            (("phases", "deployment", "variants"),
             f"variant weights must add up to 100 (they add up to {sum(v.weight for v in d.variants)})")
        )
    if d.drift_detection and not (d.enabled and d.realtime):
        problems.append(
            (("phases", "deployment", "drift_detection"),
             "drift detection needs an enabled real-time deployment (deployment.realtime: true)")
        )
    a = spec.phases.access
    if a.enabled and not (d.enabled and d.realtime):
        problems.append(
            (("phases", "access", "enabled"),
             "the API needs an enabled real-time deployment (deployment.realtime: true)")
        )
    if spec.cloud == "gcp" and a.auth == "iam":
        problems.append((("phases", "access", "auth"),
                         "iam (SigV4) authentication is AWS only; GCP consumers use Apigee API keys"))
    consumer_names = [c.name for c in a.consumers]
    if len(set(consumer_names)) != len(consumer_names):
        problems.append((("phases", "access", "consumers"), "consumer names must be unique"))
    for i, consumer in enumerate(a.consumers):
        if consumer.burst_limit < consumer.rate_limit:
            problems.append(
                (("phases", "access", "consumers", i, "burst_limit"),
                 "burst_limit must be at least rate_limit")
            )
    if (d.enabled or spec.phases.training.enabled) and not spec.phases.data.enabled:
        problems.append(
            (("phases", "data", "enabled"),
             "training and deployment read the data phase's buckets and key: keep data enabled")
        )
    if d.enabled and not spec.phases.training.enabled:
        problems.append(
            (("phases", "training", "enabled"),
             "the deployment pipeline trains models: keep training enabled")
        )

    rules = aws_rules if spec.cloud == "aws" else gcp_rules
    problems.extend(rules.check(spec))

    if spec.state.bucket is not None:
        check = naming.check_s3_bucket if spec.cloud == "aws" else naming.check_gcs_bucket
        try:
            check(spec.state.bucket)
        except ValueError as e:
            problems.append((("state", "bucket"), str(e)))
    return problems
