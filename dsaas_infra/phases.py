"""The one phase table: order, purpose, and per cloud the services, files and outputs of each phase.

Every consumer reads it: `dsaas-infra phases` and the README (services), the render modules'
``files()`` (which .tf files a phase renders), ``<cloud>/outputs.tf.j2`` (the outputs of the
enabled phases), plan/drift summaries and the cost report (which phase a file's resources are in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SHARED = "shared"  # files of no single phase (providers, keys, services, ...): last in summaries


@dataclass(frozen=True)
class CloudPhase:
    """What one phase is on one cloud."""

    services: tuple[str, ...]
    # Root-module .tf files holding this phase's resources, in render order; each is rendered from
    # <cloud>/<file>.j2. A phase's plan/drift/cost lines are the resources these files declare.
    files: tuple[str, ...]
    # Template of this phase's outputs, included by <cloud>/outputs.tf.j2 when the phase is
    # enabled; a missing template is an error (no `ignore missing`).
    outputs: str | None = None


@dataclass(frozen=True)
class Phase:
    name: str
    purpose: str
    clouds: Mapping[str, CloudPhase] = field(default_factory=dict)


# In order: data, training, deployment, access. The VPC (network.tf) exists for the private
# SageMaker/Vertex training environment, so it counts as training; monitoring watches the
# deployed pipeline and endpoints.
TABLE: tuple[Phase, ...] = (
    Phase("data", "collect and store raw and processed data; ETL", {
        "aws": CloudPhase(("S3", "Glue", "KMS"), ("data.tf", "audit.tf"), "aws/outputs/data.tf.j2"),
        "gcp": CloudPhase(("Cloud Storage", "Vertex AI Pipelines", "Dataflow", "BigQuery", "Cloud KMS"),
                          ("data.tf", "pipeline.tf"), "gcp/outputs/data.tf.j2"),
    }),
    Phase("training", "develop, train and register models", {
        "aws": CloudPhase(("SageMaker (Studio or notebooks, model registry)", "ECR", "VPC endpoints"),
                          ("network.tf", "training.tf"), "aws/outputs/training.tf.j2"),
        "gcp": CloudPhase(("Vertex AI (Workbench, custom jobs, TensorBoard, Model Registry)", "Artifact Registry"),
                          ("training.tf",), "gcp/outputs/training.tf.j2"),
    }),
    Phase("deployment", "automate the ML pipeline, serve and monitor models", {
        "aws": CloudPhase(("Step Functions", "Lambda", "SageMaker inference", "EventBridge", "CloudWatch", "SNS"),
                          ("deployment.tf", "monitoring.tf", "budget.tf"), "aws/outputs/deployment.tf.j2"),
        "gcp": CloudPhase(("Vertex AI endpoint", "Vertex AI model monitoring", "Cloud Monitoring", "Cloud Logging"),
                          ("deployment.tf", "monitoring.tf"), "gcp/outputs/deployment.tf.j2"),
    }),
    Phase("access", "expose models to the client's applications", {
        "aws": CloudPhase(("API Gateway", "WAF (managed)"), ("access.tf",), "aws/outputs/access.tf.j2"),
        "gcp": CloudPhase(("Apigee",), ("access.tf",), "gcp/outputs/access.tf.j2"),
    }),
)

BY_NAME: dict[str, Phase] = {p.name: p for p in TABLE}
PHASES: tuple[str, ...] = tuple(p.name for p in TABLE)
ORDER: tuple[str, ...] = (*PHASES, SHARED)  # summaries list phases in this order
PURPOSE: dict[str, str] = {p.name: p.purpose for p in TABLE}


def clouds() -> tuple[str, ...]:
    """The clouds the table describes, in table order."""
    return tuple(dict.fromkeys(c for p in TABLE for c in p.clouds))


def of(cloud: str, phase: str) -> CloudPhase:
    """One phase on one cloud; an unknown cloud or phase is a KeyError naming it."""
    try:
        return BY_NAME[phase].clouds[cloud]
    except KeyError:
        raise KeyError(f"the phase table has no phase {phase!r} on cloud {cloud!r}") from None


SERVICES: dict[str, dict[str, list[str]]] = {
    c: {p.name: list(p.clouds[c].services) for p in TABLE if c in p.clouds} for c in clouds()
}


def _phase_by_file() -> dict[str, str]:
    found: dict[str, str] = {}
    for p in TABLE:
        for cp in p.clouds.values():
            for name in cp.files:
                # Plan summaries know the file, not the cloud: a file is in the same phase on every cloud.
                if found.setdefault(name, p.name) != p.name:
                    raise ValueError(f"{name} is in phase {found[name]} on one cloud and {p.name} on another")
    return found


PHASE_BY_FILE: dict[str, str] = _phase_by_file()


def phase_of_file(name: str) -> str:
    """The phase whose resources a root-module file holds (SHARED for every other file)."""
    return PHASE_BY_FILE.get(name, SHARED)


def tf_files(cloud: str, phase: str, wanted: Mapping[str, bool] | None = None) -> list[tuple[str, str]]:
    """(output, template) of a phase's .tf files on a cloud; ``wanted`` leaves out optional ones."""
    wanted = wanted or {}
    return [(name, f"{cloud}/{name}.j2") for name in of(cloud, phase).files if wanted.get(name, True)]


def output_templates(cloud: str, enabled: list[str] | tuple[str, ...]) -> list[str]:
    """The outputs templates of the enabled phases, in phase order."""
    return [t for p in TABLE if p.name in enabled and cloud in p.clouds
            for t in (p.clouds[cloud].outputs,) if t is not None]
