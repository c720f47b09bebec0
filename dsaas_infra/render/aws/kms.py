"""AWS customer-managed keys: one key, or at managed level one per service family, and who uses which.

Reactive and proactive blueprints keep one key (``aws_kms_key.main``): every role is granted it
by name in IAM, and a second key would add cost and policies without separating anyone, since
the same few roles use all of it. Managed blueprints get one key per service family, each key
policy naming exactly the roles of the blueprint that use it and the AWS services that may use
it on the account's behalf, so a role of one family cannot decrypt another family's data even
with a broader IAM policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True, slots=True, kw_only=True)
class Family:
    """A service family: what its key encrypts (the key's description) and the services through
    which principals of the account may use it (kms:ViaService, for Terraform and operators)."""

    encrypts: str
    services: tuple[str, ...]


FAMILIES: dict[str, Family] = {
    "data": Family(encrypts="raw and curated data, Glue job bookmarks and ETL scripts",
                   services=("s3", "glue")),
    "training": Family(encrypts="model artifacts, training and processing volumes, images and workspaces",
                       services=("s3", "sagemaker", "ecr")),
    "logs": Family(encrypts="CloudWatch log groups and the audit trail",
                   services=("s3",)),
    "serving": Family(encrypts="endpoint volumes, captured requests and the predict function",
                      services=("s3", "sagemaker", "lambda")),
    "pipeline": Family(encrypts="the state machines, alerts, dead-letter queues and the deploy function",
                       services=("states", "sns", "sqs", "lambda", "scheduler")),
}

# Role (aws_iam_role.<name>) -> the families whose keys it uses directly, and the phase
# (context flag) it exists in. Its IAM policy names exactly these keys.
ROLE_FAMILIES: dict[str, tuple[str, list[str]]] = {
    # reads raw, writes curated; temporary files in the artifacts bucket; encrypted job logs
    "glue": ("data_enabled", ["data", "training", "logs"]),
    # the notebooks: read the data lake and the artifacts, write scratch/, workspace volumes
    "sagemaker_execution": ("training_enabled", ["data", "training"]),
    # the pipeline's jobs and models: read training sets, write models and reports, host models
    # with captured data
    "sagemaker_pipeline": ("deployment_enabled", ["data", "training", "serving"]),
    # passes the training key to its jobs, reads evaluation reports, publishes alerts
    "pipeline": ("deployment_enabled", ["pipeline", "training"]),
    "scheduler": ("deployment_enabled", ["pipeline"]),
    # endpoint configs and data capture with the serving key, baselines from the artifacts bucket
    "deploy": ("realtime", ["pipeline", "serving", "training"]),
    "deploy_pipeline": ("realtime", ["pipeline"]),
    "model_approved": ("realtime", ["pipeline"]),
    "predict": ("access_enabled", ["serving"]),
}
SINGLE = "main"
# A Studio domain encrypts its EFS home volume and its spaces' EBS volumes with the key it names
# (CreateDomain KmsKeyId, the training key): EFS and EC2 use it on behalf of the principal that
# creates the domain or starts a space, so their kms:ViaService values must be allowed too
# (https://docs.aws.amazon.com/sagemaker/latest/dg/encryption-at-rest-studio.html).
STUDIO_SERVICES = ("elasticfilesystem", "ec2")


@dataclass(frozen=True, slots=True, kw_only=True)
class KmsKey:
    """A family's aws_kms_key of kms_families.tf (managed level)."""

    label: str  # the family, and the resource name
    alias: str
    encrypts: str
    services: list[str]  # kms:ViaService of the account's principals
    roles: list[str]  # aws_iam_role names whose key policy statement lets them use it


class KmsValues(TypedDict):
    """The AwsContext fields this module computes."""

    kms_separate: bool
    kms: dict[str, str]  # family -> the HCL reference of its key's ARN
    kms_roles: dict[str, str]  # role -> HCL list of the keys its IAM policy names
    kms_keys: list[KmsKey]


def build_context(*, maturity: str, names: Mapping[str, str], phase_flags: Mapping[str, bool],
                  studio: bool) -> KmsValues:
    """Key per family (Terraform expressions), each role's keys, and the keys to declare.

    ``phase_flags``: the context's phase flags ROLE_FAMILIES names (data_enabled, realtime, ...);
    ``studio``: the training phase has a Studio domain (its key is used through EFS and EC2 too).
    """
    separate = maturity == "managed"
    label = {f: (f if separate else SINGLE) for f in FAMILIES}
    kms = {f: f"aws_kms_key.{label[f]}.arn" for f in FAMILIES}
    roles = {r: families for r, (flag, families) in ROLE_FAMILIES.items() if phase_flags[flag]}
    # Each role's keys in family order, once each (all the same key below managed level).
    kms_roles = {role: "[" + ", ".join(dict.fromkeys(kms[f] for f in FAMILIES if f in families)) + "]"
                 for role, (_, families) in ROLE_FAMILIES.items()}
    keys: list[KmsKey] = []
    if separate:
        for family, info in FAMILIES.items():
            keys.append(KmsKey(
                label=family,
                alias=names[f"kms_alias:{family}"],  # checked by spec/aws_rules.py
                encrypts=info.encrypts,
                services=family_services(family, studio=studio),
                roles=sorted(r for r, fams in roles.items() if family in fams),
            ))
    return {"kms_separate": separate, "kms": kms, "kms_roles": kms_roles, "kms_keys": keys}


def family_services(family: str, *, studio: bool) -> list[str]:
    """The services through which the account may use a family's key (kms:ViaService)."""
    services = list(FAMILIES[family].services)
    if family == "training" and studio:
        services += STUDIO_SERVICES
    return services
