"""The spec's `aws:` key as users write it: account, region, network, CI roles (validated by pydantic)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from dsaas_infra.spec import naming
from dsaas_infra.spec.regions import AWS_REGIONS
from dsaas_infra.spec.strict import Strict


class AwsNetwork(Strict):
    vpc_id: Annotated[str, StringConstraints(pattern=r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$")]
    subnet_ids: list[
        Annotated[str, StringConstraints(pattern=r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")]
    ] = Field(min_length=2, description="private subnets in at least two availability zones")
    existing_endpoints: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")]
    ] = Field(
        default_factory=list,
        description="VPC endpoint services this VPC already has (e.g. s3, sts, logs): the "
        "blueprint uses them instead of creating its own; preflight lists what exists",
    )
    route_table_ids: list[
        Annotated[str, StringConstraints(pattern=r"^rtb-([0-9a-f]{8}|[0-9a-f]{17})$")]
    ] | None = Field(
        None,
        description="route tables the S3 gateway endpoint is added to (default: the subnets' "
        "explicitly associated route tables; the VPC's main route table only when named here)",
    )


class AwsSettings(Strict):
    region: str
    account_id: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] = Field(
        description="12 digits, quoted"
    )
    network: AwsNetwork | None = None
    ci_role_arn: Annotated[str, StringConstraints(pattern=naming.IAM_ROLE_ARN)] | None = Field(
        None, description="role the fleet's CI assumes with GitHub OIDC to apply (GitHub environment "
        "<client>-<env>); with ci.create_identity the blueprint creates it"
    )
    ci_plan_role_arn: Annotated[str, StringConstraints(pattern=naming.IAM_ROLE_ARN)] | None = Field(
        None, description="read-only role for pull-request plans and drift (GitHub environment "
        "<client>-<env>-plan); default ci_role_arn"
    )

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v not in AWS_REGIONS:
            raise ValueError(f"unknown AWS region {v!r}; e.g. us-east-1, eu-west-1")
        return v
