"""What an AWS blueprint runs on: resolved instance types and the quotas they need, computed once.

The renderer lays these out (templates, the client README's quota table) and the preflight compares
the same table with Service Quotas, so what is checked is exactly what is deployed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from dsaas_infra.spec.resolved import AwsSpec
from dsaas_infra.spec.sizes import AWS_GPU, AWS_GPU_DISTRIBUTED, AWS_TRAINING, aws_inference_type

# Notebook-only families cannot run training jobs; transform jobs start at *.xlarge for c5.
_NOT_FOR_TRAINING = re.compile(r"^ml\.t[23]\.")
TRAINING_FALLBACK = "ml.m5.large"
_TRANSFORM_FALLBACK = {"ml.c5.large": "ml.m5.large"}
# Evaluation, baseline and monitoring jobs: CPU only (GPU only where it helps: training).
PROCESSING_INSTANCE_TYPE = "ml.m5.large"
# The prediction Lambda's duration the concurrency is sized for (seconds per request, p90).
PREDICT_SECONDS = 1.0
# AWS keeps this much of the account's Lambda concurrency unreserved.
LAMBDA_UNRESERVED_MINIMUM = 100
LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384"  # Lambda "Concurrent executions"


# Interface endpoints SageMaker needs in subnets without a route to the internet: the SageMaker
# API and runtime (Studio, notebooks, SDK, the predict Lambda), STS (SDK credentials), CloudWatch
# Logs and metrics (app logs, training metrics), ECR (custom images), KMS (client-side key use by
# the SDK and Studio's EFS) and Glue (Data Catalog lookups from notebooks). S3 is a gateway
# endpoint (free).
INTERFACE_ENDPOINTS = (
    "ecr.api", "ecr.dkr", "glue", "kms", "logs", "monitoring", "sagemaker.api",
    "sagemaker.runtime", "sts",
)
# What the shipped functions in the private subnets call (files/lambda/*.py, their boto3 clients):
# the deploy function manages the endpoint (SageMaker API) and its autoscaling (Application Auto
# Scaling) and reads the state of its rollback alarms (CloudWatch); the predict function invokes it
# (SageMaker runtime). Without these endpoints (there is no NAT) the calls time out. Both exist
# exactly when a real-time endpoint is deployed.
DEPLOY_FUNCTION_ENDPOINTS = ("application-autoscaling", "monitoring", "sagemaker.api")
PREDICT_FUNCTION_ENDPOINTS = ("sagemaker.runtime",)
# Every interface endpoint service a blueprint may create (aws.network.existing_endpoints names them).
ALL_INTERFACE_ENDPOINTS = tuple(sorted({*INTERFACE_ENDPOINTS, *DEPLOY_FUNCTION_ENDPOINTS,
                                         *PREDICT_FUNCTION_ENDPOINTS}))
# Reactive: the cheapest set that keeps training private. Training and batch transform jobs
# need no interface endpoint at all (SageMaker pulls their images and ships their logs and
# metrics outside the VPC; their data moves through the S3 gateway endpoint); notebooks need the
# SageMaker API to start jobs, STS for the SDK and Logs for their own logs. One zone only: the
# other subnets reach the endpoints across zones (cents per GB) instead of paying per zone-hour.
REACTIVE_INTERFACE_ENDPOINTS = ("logs", "sagemaker.api", "sts")
REACTIVE_ENDPOINT_ZONES = 1


def interface_endpoints_wanted(spec: AwsSpec) -> list[str]:
    """The interface endpoint services the blueprint's workloads call."""
    d = spec.phases.deployment
    wanted = set(REACTIVE_INTERFACE_ENDPOINTS if spec.client.maturity == "reactive" else INTERFACE_ENDPOINTS)
    if d.enabled and d.realtime:
        wanted.update(DEPLOY_FUNCTION_ENDPOINTS)
        wanted.update(PREDICT_FUNCTION_ENDPOINTS)
    return sorted(wanted)


def endpoint_zones(spec: AwsSpec) -> int:
    """Zones each interface endpoint spans (reused VPC: at most one per subnet)."""
    if spec.client.maturity == "reactive":
        return REACTIVE_ENDPOINT_ZONES
    network = spec.aws.network
    if network is not None:
        return len(network.subnet_ids)
    return 3 if spec.phases.deployment.multi_az else 2


def interface_endpoints_to_create(spec: AwsSpec) -> list[str]:
    """Those the blueprint creates: all it calls, minus those a reused VPC already has."""
    network = spec.aws.network
    existing = set(network.existing_endpoints) if network else set()
    return [s for s in interface_endpoints_wanted(spec) if s not in existing]


def training_instance_type(spec: AwsSpec) -> str:
    t = spec.phases.training
    if t.instance_type:
        chosen = t.instance_type
    elif t.gpu and t.gpu != "none":
        # One GPU unless the spec asks for distributed training (multi-GPU instances).
        chosen = (AWS_GPU_DISTRIBUTED if t.distributed else AWS_GPU)[t.gpu]
    else:
        chosen = AWS_TRAINING[t.size or "medium"]
    return TRAINING_FALLBACK if _NOT_FOR_TRAINING.match(chosen) else chosen


_GPU_FAMILY = re.compile(r"^ml\.(g|p)\d")


def workspace_instance_type(spec: AwsSpec) -> str:
    """Notebooks and Studio's default JupyterLab instance: CPU, never the training GPU.

    A CPU instance_type override applies to the workspace too; a GPU one only to training jobs.
    """
    t = spec.phases.training
    if t.instance_type and not _GPU_FAMILY.match(t.instance_type):
        return t.instance_type
    return AWS_TRAINING[t.size or "medium"]


def inference_instance_type(spec: AwsSpec) -> str:
    d = spec.phases.deployment
    return d.instance_type or aws_inference_type(d.size or "small", d.gpu or "none")


def transform_instance_type(spec: AwsSpec) -> str:
    inference = inference_instance_type(spec)
    return spec.phases.deployment.instance_type or _TRANSFORM_FALLBACK.get(inference, inference)


def predict_concurrency(spec: AwsSpec) -> int:
    """Reserved concurrency of the predict Lambda: what the stage's rate allows, at PREDICT_SECONDS."""
    total = sum(c.rate_limit for c in spec.phases.access.consumers)
    return max(1, math.ceil(max(total, 10) * PREDICT_SECONDS))


@dataclass(frozen=True)
class QuotaNeed:
    service: str  # Service Quotas service code
    name: str  # the quota's name in Service Quotas
    needed: int  # below this the blueprint fails
    why: str
    recommended: int = 0  # worst case the blueprint can reach (0: same as needed)

    @property
    def target(self) -> int:
        return max(self.needed, self.recommended)


def _add(needs: dict[tuple[str, str], QuotaNeed], need: QuotaNeed) -> None:
    """Needs on the same quota add up (the evaluation and monitoring jobs can overlap)."""
    key = (need.service, need.name)
    if key in needs:
        old = needs[key]
        need = QuotaNeed(need.service, need.name, old.needed + need.needed, f"{old.why}; {need.why}",
                         old.target + need.target)
    needs[key] = need


def quota_needs(spec: AwsSpec) -> list[QuotaNeed]:
    """The account quotas (instances per type, Lambda concurrency) the resolved spec needs."""
    p = spec.phases
    needs: dict[tuple[str, str], QuotaNeed] = {}
    if p.training.enabled:
        _add(needs, QuotaNeed("sagemaker", f"{training_instance_type(spec)} for training job usage", 1,
                              "one training job per pipeline run (runs never overlap)"))
        users = len(p.training.users)
        if users:
            ws = workspace_instance_type(spec)
            if p.training.workspace == "studio":
                _add(needs, QuotaNeed("sagemaker", f"Studio JupyterLab Apps running on {ws} instances",
                                      users, f"one JupyterLab space per user ({users} users)"))
            else:
                _add(needs, QuotaNeed("sagemaker", f"{ws} for notebook instance usage", users,
                                      f"one notebook instance per user ({users} users)"))
    d = p.deployment
    if d.enabled:
        _add(needs, QuotaNeed("sagemaker", f"{PROCESSING_INSTANCE_TYPE} for processing job usage", 1,
                              "the pipeline's evaluation (and baseline) job"))
        if d.realtime:
            n = len(d.variants)
            lo, hi = d.min_instances, d.max_instances
            _add(needs, QuotaNeed(
                "sagemaker", f"{inference_instance_type(spec)} for endpoint usage",
                n * max(2 * lo, hi),
                f"{n} variant(s): blue/green deploys run a second fleet (2 x {lo}), autoscaling"
                f" reaches {hi} per variant; a deploy at full scale needs 2 x {hi}",
                n * 2 * hi,
            ))
            if d.drift_detection:
                _add(needs, QuotaNeed("sagemaker", f"{PROCESSING_INSTANCE_TYPE} for processing job usage", 1,
                                      "the hourly drift monitoring job"))
        else:
            _add(needs, QuotaNeed("sagemaker", f"{transform_instance_type(spec)} for transform job usage", 1,
                                  "one batch transform job per pipeline run"))
    if p.access.enabled and d.enabled and d.realtime:
        reserved = predict_concurrency(spec)
        _add(needs, QuotaNeed(
            "lambda", "Concurrent executions", reserved + LAMBDA_UNRESERVED_MINIMUM,
            f"{reserved} reserved for the predict function (the stage's rate x {PREDICT_SECONDS:g} s)"
            f" + the {LAMBDA_UNRESERVED_MINIMUM} AWS keeps unreserved",
        ))
    return list(needs.values())
