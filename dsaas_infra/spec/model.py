"""The client spec as pydantic models: the user-facing contract of dsaas-infra (each cloud's key in
spec/<cloud>_settings.py)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from dsaas_infra.spec import naming
from dsaas_infra.spec.aws_settings import AwsSettings
from dsaas_infra.spec.cron import parse_cron
from dsaas_infra.spec.gcp_settings import GcpSettings
from dsaas_infra.spec.strict import Strict

Size = Literal["small", "medium", "large", "xlarge"]
Gpu = Literal["none", "t4", "l4", "a100"]
Email = Annotated[str, StringConstraints(pattern=naming.EMAIL.pattern, max_length=254)]
UserName = Annotated[str, StringConstraints(pattern=naming.USER_NAME.pattern)]
ShortName = Annotated[str, StringConstraints(pattern=naming.SHORT_NAME.pattern)]
DatasetName = Annotated[str, StringConstraints(pattern=naming.DATASET_NAME.pattern, max_length=naming.DATASET_NAME_MAX)]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# DynamoDB table names (CreateTable API reference).
_DYNAMODB_TABLE = re.compile(r"[A-Za-z0-9_.-]{3,255}")


def _invisible(value: str) -> str | None:
    """The first control, format (bidi overrides, zero-width), line/paragraph separator,
    surrogate or unassigned character of ``value``, if any."""
    import unicodedata

    for ch in value:
        if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}:
            return ch
    return None


class Client(Strict):
    name: str = Field(description="3-20 chars, ^[a-z][a-z0-9-]*[a-z0-9]$, no '--'")
    display_name: str | None = Field(None, max_length=100, description="free text")
    environment: Literal["dev", "staging", "prod"] = "dev"
    maturity: Literal["reactive", "proactive", "managed"] = "proactive"
    owner: Email
    tags: dict[str, str] = Field(default_factory=dict, description="extra tags/labels")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return naming.check_client_name(v)

    @field_validator("display_name")
    @classmethod
    def _display(cls, v: str | None) -> str | None:
        if v is not None and _CONTROL.search(v):
            raise ValueError("must not contain control characters")
        if v is not None and (ch := _invisible(v)) is not None:
            raise ValueError(
                f"must not contain invisible or direction-changing characters (U+{ord(ch):04X})"
            )
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        # Key and value rules are checked per key in resolve.check_rules, so that each bad
        # tag is reported at its own line (client.tags.<key>).
        return dict(sorted(v.items()))


class StateSettings(Strict):
    bucket: str | None = Field(None, description="default: <client>-<env>-tfstate-<account|project>")
    prefix: Annotated[str, StringConstraints(pattern=naming.STATE_PREFIX.pattern)] | None = Field(
        None, description="default: dsaas-infra/<client>/<env>"
    )
    lock_table: str | None = Field(
        None,
        description="AWS, deprecated: an existing DynamoDB lock table, locked as well as the S3 lock file "
        "for one release while migrating (no default: S3 native locking needs no table)",
    )

    @field_validator("lock_table")
    @classmethod
    def _lock_table(cls, v: str | None) -> str | None:
        if v is not None and not _DYNAMODB_TABLE.fullmatch(v):
            raise ValueError("DynamoDB table names are 3-255 letters, digits, '_', '-' or '.'")
        return v


class Variant(Strict):
    name: ShortName
    weight: int = Field(ge=0, le=100)


class Consumer(Strict):
    name: ShortName
    rate_limit: float = Field(50, gt=0, le=10000, description="requests per second")
    burst_limit: int = Field(100, gt=0, le=5000)
    quota_per_day: int = Field(100000, gt=0)
    aws_principals: list[
        Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[!-~]+$")]
    ] = Field(
        default_factory=list,
        description="AWS with access.auth iam (required there): the IAM roles or users (ARNs), or "
        "another account's root, that may assume this consumer's invoke role and so call the API as it",
    )


class Approval(Strict):
    """Promote a newly trained model without a human when its held-out metric meets a threshold."""

    metric: Literal["rmse", "mae", "r2"] = Field(
        description="held-out metric: rmse/mae must be at most the threshold, r2 at least"
    )
    threshold: float


class DataPhase(Strict):
    enabled: bool | None = None
    schedule: str | None = Field(None, description="5-field cron, UTC")
    raw_retention_days: int | None = Field(
        None, ge=1, le=36500,
        description="days after which raw objects are deleted (AWS: never unless set)",
    )
    raw_archive_days: int | None = Field(
        None, ge=60, le=36500,
        description="days after which raw objects move to an archive storage class (AWS: "
        "Glacier Instant Retrieval, after Standard-IA at 30 days; GCP: Coldline, after Nearline at 30 days)",
    )
    perimeter: bool | None = Field(
        None, description="AWS: data buckets refuse principals of other accounts"
    )
    audit_trail: bool | None = Field(
        None, description="AWS: CloudTrail trail with the data buckets' object-level events"
    )
    log_retention_days: Literal[
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ] | None = Field(None, description="CloudWatch/Cloud Logging retention")
    prevent_destroy: bool | None = Field(None, description="protect data buckets from destroy")
    datasets: list[DatasetName] = Field(
        default_factory=lambda: ["training"], min_length=1, max_length=20,
        description="the client's raw datasets (lowercase snake_case, 1-40 chars), each delivered under its "
        "own prefix (AWS raw/<dataset>/, GCP incoming/<dataset>/) and curated into its own table <dataset>",
    )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str | None) -> str | None:
        if v is not None:
            parse_cron(v)
        return v


class TrainingPhase(Strict):
    enabled: bool | None = None
    workspace: Literal["studio", "notebooks"] | None = Field(
        None, description="SageMaker Studio domain or notebook instances (AWS)"
    )
    size: Size | None = None
    gpu: Gpu | None = None
    instance_type: str | None = Field(None, description="overrides size/gpu; validated per cloud")
    distributed: bool | None = Field(
        None,
        description="multi-GPU (distributed) training: a100 then means an 8-GPU instance; "
        "without it training uses a single-GPU type",
    )
    dataset: DatasetName | None = Field(
        None, max_length=naming.DATASET_NAME_MAX,
        description="the dataset (one of phases.data.datasets) whose curated table the prepare step turns "
        "into the training set; default: the first dataset",
    )
    users: list[UserName] = Field(default_factory=list)
    user_emails: dict[UserName, Email] = Field(
        default_factory=dict,
        description="GCP: Google account of each user (Workbench owner); default <user>@<owner's domain>",
    )

    @field_validator("users")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("user names must be unique")
        return v


class DeploymentPhase(Strict):
    enabled: bool | None = None
    realtime: bool | None = Field(None, description="real-time endpoint (else batch only)")
    size: Size | None = None
    gpu: Gpu | None = None
    instance_type: str | None = None
    min_instances: int | None = Field(None, ge=1, le=100)
    max_instances: int | None = Field(None, ge=1, le=100)
    variants: list[Variant] | None = Field(None, min_length=1, max_length=10)
    drift_detection: bool | None = None
    dashboard: bool | None = None
    multi_az: bool | None = None
    alert_emails: list[Email] = Field(default_factory=list)
    approval: Approval | None = Field(
        None,
        description="metric threshold that approves new models automatically; without it every "
        "model waits for a manual approval (proactive/managed)",
    )
    # --- model versions and data capture (the AWS pipeline's deploy step and drift monitoring) ---
    retained_versions: int | None = Field(
        None, ge=2, le=50, description="models, endpoint configs and model packages kept (older ones pruned)"
    )
    data_capture_percent: int | None = Field(
        None, ge=1, le=100, description="share of endpoint requests captured for drift detection"
    )


class AccessPhase(Strict):
    enabled: bool | None = None
    waf: bool | None = None
    auth: Literal["api_key", "iam"] | None = Field(
        None,
        description="api_key: an API key per consumer; iam: API key plus IAM (SigV4) "
        "authorization with an invoke role per consumer (AWS)",
    )
    consumers: list[Consumer] = Field(default_factory=list)


class Phases(Strict):
    data: DataPhase = Field(default_factory=DataPhase)
    training: TrainingPhase = Field(default_factory=TrainingPhase)
    deployment: DeploymentPhase = Field(default_factory=DeploymentPhase)
    access: AccessPhase = Field(default_factory=AccessPhase)

    @field_validator("data", "training", "deployment", "access", mode="before")
    @classmethod
    def _empty(cls, v: object) -> object:
        # `data:` with only commented settings under it (as `init` writes) means "all defaults".
        return {} if v is None else v


class Budget(Strict):
    monthly_usd: float = Field(gt=0, le=10_000_000, description="monthly budget; validate checks the estimate")


class Assessment(Strict):
    """The maturity self-assessment `init --assess` recorded, so the choice can be replayed."""

    answers: dict[str, str] = Field(description="question -> choice (dsaas-infra init --answers)")
    recommended_level: Literal["reactive", "proactive", "managed"] | None = None
    recommended_cloud: Literal["aws", "gcp"] | None = None

    @field_validator("answers")
    @classmethod
    def _answers(cls, v: dict[str, str]) -> dict[str, str]:
        from dsaas_infra.assess.score import check_answers
        from dsaas_infra.errors import UsageError

        try:
            return check_answers(v)
        except UsageError as e:
            raise ValueError(str(e).removeprefix("assessment: ")) from e


class CiSettings(Strict):
    """The fleet repository's CI identity for this client (see `dsaas-infra fleet`)."""

    repository: Annotated[str, StringConstraints(pattern=naming.GITHUB_REPOSITORY)] = Field(
        description="GitHub owner/name of the fleet repository whose workflows may act for this client"
    )
    create_identity: bool = Field(
        False, description="the blueprint creates the CI identity (AWS: OIDC roles; GCP: WIF pool, provider, "
        "service accounts), trusted only from this repository's GitHub environments <client>-<env>[-plan]"
    )
    aws_oidc_provider_arn: Annotated[str, StringConstraints(pattern=naming.IAM_OIDC_PROVIDER_ARN)] | None = Field(
        None, description="AWS: the account's GitHub OIDC provider (one per account, shared by its clients); "
        "unset: the provider `dsaas-infra bootstrap` creates in the account, looked up by its URL"
    )
    default_branch: Annotated[str, StringConstraints(pattern=naming.GIT_BRANCH)] = Field(
        "main", description="the fleet repository's default branch: with create_identity on GCP only its "
        "runs get the apply identity (`dsaas-infra fleet --default-branch` must agree)"
    )


class ClientSpec(Strict):
    """One DSaaS client in one environment on one cloud."""

    api_version: Literal["dsaas-infra/v1"] = Field(alias="apiVersion")
    client: Client
    cloud: Literal["aws", "gcp"]
    aws: AwsSettings | None = None
    gcp: GcpSettings | None = None
    state: StateSettings = Field(default_factory=StateSettings)
    phases: Phases = Field(default_factory=Phases)
    budget: Budget | None = None
    assessment: Assessment | None = None
    ci: CiSettings | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=False)
