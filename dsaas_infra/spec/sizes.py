"""Cloud-neutral sizes and GPUs mapped to each cloud's machine and instance types."""

from __future__ import annotations

import re

SIZES = ("small", "medium", "large", "xlarge")
GPUS = ("none", "t4", "l4", "a100")

AWS_TRAINING = {
    "small": "ml.t3.medium",
    "medium": "ml.m5.xlarge",
    "large": "ml.m5.2xlarge",
    "xlarge": "ml.m5.4xlarge",
}
AWS_INFERENCE = {
    "small": "ml.c5.large",
    "medium": "ml.m5.xlarge",
    "large": "ml.m5.2xlarge",
    "xlarge": "ml.m5.4xlarge",
}
# Single-GPU types. SageMaker offers the A100 only in 8-GPU instances (ml.p4d.24xlarge, ml.p4de.24xlarge):
# there is no single-A100 type, so a100 means one A10G (24 GB, ml.g5.2xlarge) unless training is
# distributed (phases.training.distributed), which gets the 8-GPU type of AWS_GPU_DISTRIBUTED.
AWS_GPU = {"t4": "ml.g4dn.xlarge", "l4": "ml.g6.xlarge", "a100": "ml.g5.2xlarge"}
AWS_GPU_DISTRIBUTED = {"t4": "ml.g4dn.12xlarge", "l4": "ml.g6.12xlarge", "a100": "ml.p4d.24xlarge"}

GCP_MACHINE = {
    "small": "e2-standard-4",
    "medium": "n2-standard-4",
    "large": "n2-standard-8",
    "xlarge": "n2-standard-16",
}
# Each GPU only attaches to its own machine family on GCP.
GCP_GPU = {
    "t4": ("n1-standard-8", "NVIDIA_TESLA_T4"),
    "l4": ("g2-standard-8", "NVIDIA_L4"),
    "a100": ("a2-highgpu-1g", "NVIDIA_TESLA_A100"),
}

# Compute Engine (and so GKE guest_accelerator) names the same GPUs differently from the
# Vertex AI / Workbench enum above.
GCP_COMPUTE_ACCELERATOR = {"t4": "nvidia-tesla-t4", "l4": "nvidia-l4", "a100": "nvidia-tesla-a100"}

AWS_INSTANCE_TYPE = re.compile(r"^ml\.[a-z][a-z0-9-]*\.[a-z0-9]+$")
GCP_MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9]+(-[a-z0-9]+)*$")


def aws_training_type(size: str, gpu: str) -> str:
    return AWS_GPU[gpu] if gpu != "none" else AWS_TRAINING[size]


def aws_inference_type(size: str, gpu: str) -> str:
    return AWS_GPU[gpu] if gpu != "none" else AWS_INFERENCE[size]


def gcp_machine_type(size: str, gpu: str) -> str:
    return GCP_GPU[gpu][0] if gpu != "none" else GCP_MACHINE[size]


def gcp_accelerator(gpu: str) -> str | None:
    return GCP_GPU[gpu][1] if gpu != "none" else None


def gcp_compute_accelerator(gpu: str) -> str | None:
    """The Compute Engine accelerator type (GKE node pools), e.g. nvidia-l4."""
    return GCP_COMPUTE_ACCELERATOR[gpu] if gpu != "none" else None
