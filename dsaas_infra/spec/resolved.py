"""The resolved client spec that load_spec returns: every default filled in, the cloud settings a union on `cloud`.

The user-facing model (spec/model.py) keeps `X | None` for every setting a maturity level defaults, so that
input, error messages and the JSON Schema say what the user may leave out. Nothing after loading needs to
know that: the types here have no `None` where a default exists. A `None` that is left means something
(documented on the field), e.g. no instance_type = chosen from size and gpu.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dsaas_infra.spec.model import (
    Approval,
    Assessment,
    AwsSettings,
    Budget,
    CiSettings,
    Client,
    Consumer,
    GcpSettings,
    Gpu,
    Size,
    Variant,
)

Cloud = Literal["aws", "gcp"]
Maturity = Literal["reactive", "proactive", "managed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DataPhase:
    enabled: bool
    schedule: str
    # None: raw objects never expire (the AWS default).
    raw_retention_days: int | None
    raw_archive_days: int
    perimeter: bool
    audit_trail: bool
    log_retention_days: int
    prevent_destroy: bool
    # The raw datasets, each with its own raw prefix and curated table (at least one).
    datasets: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingPhase:
    enabled: bool
    workspace: Literal["studio", "notebooks"]
    size: Size
    gpu: Gpu
    # None: chosen from size and gpu per cloud (spec/sizes.py).
    instance_type: str | None
    distributed: bool
    # The dataset the training set is built from: one of data.datasets (SPEC018).
    dataset: str
    users: list[str]
    user_emails: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentPhase:
    enabled: bool
    realtime: bool
    size: Size
    gpu: Gpu
    # None: chosen from size and gpu per cloud (spec/sizes.py).
    instance_type: str | None
    min_instances: int
    max_instances: int
    variants: list[Variant]
    drift_detection: bool
    dashboard: bool
    multi_az: bool
    alert_emails: list[str]
    # None: every model waits for a manual approval.
    approval: Approval | None
    retained_versions: int
    data_capture_percent: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessPhase:
    enabled: bool
    waf: bool
    auth: Literal["api_key", "iam"]
    consumers: list[Consumer]


@dataclass(frozen=True, slots=True, kw_only=True)
class Phases:
    data: DataPhase
    training: TrainingPhase
    deployment: DeploymentPhase
    access: AccessPhase


@dataclass(frozen=True, slots=True, kw_only=True)
class StateSettings:
    bucket: str
    prefix: str
    # AWS, deprecated: a DynamoDB table locked as well as the S3 lock file; None: none.
    lock_table: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Spec:
    api_version: Literal["dsaas-infra/v1"]
    client: Client
    # "<client>-<environment>": the prefix of the blueprint's resource names.
    name_prefix: str
    state: StateSettings
    phases: Phases
    budget: Budget | None
    assessment: Assessment | None
    ci: CiSettings | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsSpec(_Spec):
    cloud: Literal["aws"] = "aws"
    aws: AwsSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class GcpSpec(_Spec):
    cloud: Literal["gcp"] = "gcp"
    gcp: GcpSettings


# What load_spec returns; comparing spec.cloud with a cloud's name narrows it to that cloud's type.
ResolvedSpec = AwsSpec | GcpSpec
