"""AWS customer-managed keys: one key, or at managed level one per service family, and who uses which.

Reactive and proactive blueprints keep one key (``aws_kms_key.main``): every role is granted it
by name in IAM, and a second key would add cost and policies without separating anyone, since
the same few roles use all of it. Managed blueprints get one key per service family, each key
policy naming exactly the roles of the blueprint that use it and the AWS services that may use
it on the account's behalf, so a role of one family cannot decrypt another family's data even
with a broader IAM policy.
"""

from __future__ import annotations

from typing import Any

# Family -> what its key encrypts (the key's description) and the services through which
# principals of the account may use it (kms:ViaService, for Terraform and operators).
FAMILIES: dict[str, dict[str, Any]] = {
    "data": {"encrypts": "raw and curated data, Glue job bookmarks and ETL scripts",
             "services": ["s3", "glue"]},
    "training": {"encrypts": "model artifacts, training and processing volumes, images and workspaces",
                 "services": ["s3", "sagemaker", "ecr"]},
    "logs": {"encrypts": "CloudWatch log groups and the audit trail",
             "services": ["s3"]},
    "serving": {"encrypts": "endpoint volumes, captured requests and the predict function",
                "services": ["s3", "sagemaker", "lambda"]},
    "pipeline": {"encrypts": "the state machines, alerts, dead-letter queues and the deploy function",
                 "services": ["states", "sns", "sqs", "lambda", "scheduler"]},
}

# Role (aws_iam_role.<name>) -> the families whose keys it uses directly, and the phase
# (context flag) it exists in. Its IAM policy names exactly these keys.
ROLE_FAMILIES: dict[str, tuple[str, list[str]]] = {
    # reads raw, writes curated; temporary files in the artifacts bucket; encrypted job logs
    "glue": ("data_enabled", ["data", "training", "logs"]),
    # reads curated training sets, writes models and reports, hosts models with captured data
    "sagemaker_execution": ("training_enabled", ["data", "training", "serving"]),
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
STUDIO_SERVICES = ["elasticfilesystem", "ec2"]


def build_context(ctx: dict[str, Any]) -> dict[str, Any]:
    """Key per family (Terraform expressions), each role's keys, and the keys to declare."""
    separate = ctx["client"].maturity == "managed"
    label = {f: (f if separate else SINGLE) for f in FAMILIES}
    kms = {f: f"aws_kms_key.{label[f]}.arn" for f in FAMILIES}
    roles = {r: families for r, (flag, families) in ROLE_FAMILIES.items() if ctx[flag]}
    # Each role's keys in family order, once each (all the same key below managed level).
    kms_roles = {role: "[" + ", ".join(dict.fromkeys(kms[f] for f in FAMILIES if f in families)) + "]"
                 for role, (_, families) in ROLE_FAMILIES.items()}
    keys = []
    if separate:
        for family, info in FAMILIES.items():
            keys.append({
                "label": family,
                "alias": ctx["names"][f"kms_alias:{family}"],  # checked by spec/aws_rules.py
                "encrypts": info["encrypts"],
                "services": family_services(family, ctx),
                "roles": sorted(r for r, fams in roles.items() if family in fams),
            })
    return {"kms_separate": separate, "kms": kms, "kms_roles": kms_roles, "kms_keys": keys}


def family_services(family: str, ctx: dict[str, Any]) -> list[str]:
    """The services through which the account may use a family's key (kms:ViaService)."""
    services = list(FAMILIES[family]["services"])
    if family == "training" and ctx["training_enabled"] and ctx["workspace"] == "studio":
        services += STUDIO_SERVICES
    return services
