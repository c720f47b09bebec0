"""AWS in the cloud registry: where its rules, renderer, preflight, bootstrap and prices live."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dsaas_infra.spec import aws_rules, naming
from dsaas_infra.spec.regions import AWS_REGIONS
from dsaas_infra.spec.resolved import AwsSpec, ResolvedSpec
from dsaas_infra.spec.sizes import AWS_INSTANCE_TYPE

if TYPE_CHECKING:
    from dsaas_infra.bootstrap.steps import Step
    from dsaas_infra.clouds import Problem
    from dsaas_infra.preflight.results import CheckResult
    from dsaas_infra.spec.model import ClientSpec


class AwsCloud:
    name = "aws"
    title = "AWS"
    render_module = "dsaas_infra.render.aws.build"
    ci_render_module = "dsaas_infra.render.aws.ci"
    regions = AWS_REGIONS
    instance_type = AWS_INSTANCE_TYPE
    instance_type_example = "ml.m5.xlarge"
    sdk_prefixes: tuple[str, ...] = ("boto",)
    sdk_modules: tuple[str, ...] = ("boto3",)
    supports_iam_auth = True
    ci_trusts_branch = False  # IAM cannot test the token's ref claim: the environment's branch rule does

    def settings(self, spec: ClientSpec) -> Any | None:
        return spec.aws

    def account(self, spec: ResolvedSpec) -> str:
        assert isinstance(spec, AwsSpec)
        return spec.aws.account_id

    def region(self, spec: ResolvedSpec) -> str:
        assert isinstance(spec, AwsSpec)
        return spec.aws.region

    def default_state_bucket(self, spec: ClientSpec) -> str:
        assert spec.aws is not None
        c = spec.client
        return f"{c.name}-{c.environment}-tfstate-{spec.aws.account_id}"

    def check_state_bucket(self, name: str) -> None:
        naming.check_s3_bucket(name)

    def resolved_spec(self, spec: ClientSpec, **common: Any) -> ResolvedSpec:
        assert spec.aws is not None
        return AwsSpec(aws=spec.aws, **common)

    def spec_rules(self, spec: ResolvedSpec) -> list[Problem]:
        assert isinstance(spec, AwsSpec)
        return aws_rules.check(spec)

    def budget_rules(self, spec: ResolvedSpec) -> list[Problem]:
        # AWS Budgets needs nothing but the amount (the account is the payer's or a member's), and the
        # alert topic of the deployment phase with someone subscribed to it.
        assert isinstance(spec, AwsSpec)
        return aws_rules.budget(spec)

    ci_leg_keys: tuple[str, ...] = ("role_arn", "plan_role_arn", "apply_session_seconds")

    def ci_leg(self, ci: Mapping[str, str]) -> dict[str, str]:
        from dsaas_infra.spec import ci_names

        # An index written before apply_session_seconds: the action's default hour.
        return {"role_arn": ci["role_arn"], "plan_role_arn": ci["plan_role_arn"],
                "apply_session_seconds": ci.get("apply_session_seconds", str(ci_names.AWS_DEFAULT_SESSION_SECONDS))}

    def ci_identity(self, spec: ResolvedSpec, missing: Callable[[str, str], Exception]) -> dict[str, str]:
        from dsaas_infra.bootstrap.partition import partition_of
        from dsaas_infra.fleet.index import role_name
        from dsaas_infra.spec import ci_names

        assert isinstance(spec, AwsSpec)
        if spec.ci is not None and spec.ci.create_identity:
            base = f"arn:{partition_of(spec.aws.region)}:iam::{spec.aws.account_id}:role/"
            return {"role_arn": base + role_name(spec, "apply"), "plan_role_arn": base + role_name(spec, "plan"),
                    "apply_session_seconds": str(ci_names.AWS_SESSION_SECONDS["apply"])}
        if not spec.aws.ci_role_arn:
            raise missing("aws.ci_role_arn", "a fleet client needs the role its CI assumes with GitHub OIDC: set "
                          "aws.ci_role_arn, or ci.create_identity: true")
        return {"role_arn": spec.aws.ci_role_arn, "plan_role_arn": spec.aws.ci_plan_role_arn or spec.aws.ci_role_arn,
                "apply_session_seconds": str(ci_names.AWS_DEFAULT_SESSION_SECONDS)}

    def ci_rules(self, spec: ResolvedSpec) -> list[Problem]:
        from dsaas_infra.spec import ci_rules

        assert isinstance(spec, AwsSpec)
        return ci_rules.check_aws(spec)

    def deprecations(self, spec: ResolvedSpec) -> list[Problem]:
        if not spec.state.lock_table:
            return []
        return [(("state", "lock_table"),
                 "deprecated: state is locked with S3 native locking (use_lockfile); the DynamoDB table "
                 "is locked as well for this release only, so that runs from older renderings still "
                 "exclude this one. Remove state.lock_table once every run uses this version "
                 "(README: 'Migrating from a DynamoDB lock table')")]

    def preflight(self, spec: ResolvedSpec) -> list[CheckResult]:
        from dsaas_infra.preflight import aws

        assert isinstance(spec, AwsSpec)
        return aws.run_checks(spec)

    def bootstrap(self, spec: ResolvedSpec) -> list[Step]:
        from dsaas_infra.bootstrap import aws

        assert isinstance(spec, AwsSpec)
        return aws.bootstrap(spec)

    def local_credentials(self, env: Mapping[str, str]) -> tuple[bool, str]:
        if importlib.util.find_spec("botocore") is None:
            return False, "botocore is not installed"
        source = credential_source()
        if source is None:
            return False, "none found (environment, profiles, SSO)"
        if source.startswith("error:"):
            return False, f"the configuration cannot be read ({source[7:]})"
        return True, f"found ({source}; not checked against AWS)"

    def cost_rules(self) -> Sequence[Callable[..., None]]:
        from dsaas_infra.cost import rules_aws

        return rules_aws.RULES


def credential_source() -> str | None:
    """Which provider of botocore's chain has credentials, without the network (no instance or container
    metadata) and without printing them; None when none has."""
    import botocore.session
    session = botocore.session.Session()  # reads the process environment, as boto3 will
    resolver = session.get_component("credential_provider")
    for networked in ("iam-role", "container-role"):
        try:
            resolver.remove(networked)
        except Exception:  # noqa: BLE001 - absent in some botocore versions
            pass
    try:
        credentials = resolver.load_credentials()
    except Exception as e:  # noqa: BLE001 - a broken profile is reported, not raised
        return f"error: {type(e).__name__}"
    return getattr(credentials, "method", "found") if credentials is not None else None


AWS = AwsCloud()
