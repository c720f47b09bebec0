"""The two SageMaker roles of an AWS blueprint: who runs as which, and what each may write.

The notebooks' and Studio's role (``aws_iam_role.sagemaker_execution``) is every data scientist's
identity: it reads the data lake and the artifacts and writes only ``scratch/`` of the artifacts
bucket. The pipeline's role (``aws_iam_role.sagemaker_pipeline``, with a deployment phase) is what
every job the pipeline launches and every model it or the deploy function creates runs as; it
alone writes the prefixes below (models, evaluation, monitoring, captured requests, predictions).
So no notebook can replace a model, its metrics or the code the pipeline runs after evaluation:
what a human approves is what the endpoint serves (the deploy function also checks the object
version the pipeline recorded, files/lambda/deploy.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

# What the notebooks' role writes in the artifacts bucket: nothing else of any bucket.
SCRATCH_PREFIX = "scratch/"
# The pipeline's jobs' outputs (templates/aws/deployment.tf.j2 writes exactly under these).
MODELS_PREFIX = "models/"
EVALUATION_PREFIX = "evaluation/"
MONITORING_PREFIX = "monitoring/"
DATA_CAPTURE_PREFIX = "data-capture/"
PREDICTIONS_PREFIX = "predictions/"


@dataclass(frozen=True, slots=True, kw_only=True)
class SageMakerRole:
    """A row of the README's SageMaker role table."""

    name: str
    runs: str  # who or what runs as it
    writes: list[str]  # artifacts bucket prefixes it may write
    passed_by: str  # who may pass it (iam:PassRole) to SageMaker


class RoleValues(TypedDict):
    """The AwsContext fields this module computes."""

    scratch_prefix: str
    models_prefix: str
    pipeline_write_prefixes: list[str]
    sagemaker_roles: list[SageMakerRole]


def pipeline_write_prefixes(*, realtime: bool, drift_baseline: bool, drift_detection: bool) -> list[str]:
    """The artifacts prefixes the pipeline's jobs and models write (and read back)."""
    out = [MODELS_PREFIX, EVALUATION_PREFIX]
    if drift_baseline or drift_detection:
        out.append(MONITORING_PREFIX)  # baselines, monitoring reports
    if drift_detection:
        out.append(DATA_CAPTURE_PREFIX)  # the endpoint captures requests as its model's role
    if not realtime:
        out.append(PREDICTIONS_PREFIX)  # batch transform output
    return out


def build_context(*, names: Mapping[str, str], training: bool, deployment: bool, realtime: bool,
                  drift_baseline: bool, drift_detection: bool) -> RoleValues:
    prefixes = pipeline_write_prefixes(realtime=realtime, drift_baseline=drift_baseline,
                                       drift_detection=drift_detection)
    rows: list[SageMakerRole] = []
    if training:
        rows.append(SageMakerRole(
            name=names["sagemaker_role"],
            runs="the notebooks or Studio of the data scientists, and the jobs and models they start",
            writes=[SCRATCH_PREFIX],
            passed_by="itself, for the jobs started from a notebook"))
    if training and deployment:
        rows.append(SageMakerRole(
            name=names["sagemaker_pipeline_role"],
            runs=("every job of the pipeline: training, evaluation"
                  + (", drift baseline" if drift_baseline else "")
                  + (", batch transform" if not realtime else "")
                  + (", drift monitoring" if drift_detection else "")
                  + "; its models" + (" and the endpoint's variants" if realtime else "")),
            writes=prefixes,
            passed_by="the pipeline state machine" + (" and the deploy function" if realtime else "")))
    return {"scratch_prefix": SCRATCH_PREFIX, "models_prefix": MODELS_PREFIX, "pipeline_write_prefixes": prefixes,
            "sagemaker_roles": rows}
