"""The GCP README's phase and loop tables, computed from the resources the blueprint really renders.

Each service the README names has evidence: a resource address that must be in the rendered HCL.
A service whose evidence is missing is not listed (phase table) or the loop step says it is not
at this level, so the README never names what the blueprint does not deploy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dsaas_infra.hcl_scan import resource_addresses
from dsaas_infra.loop import LoopStep

# phase -> [(service as the README names it, resource address that deploys it)], in README order.
PHASE_SERVICES: dict[str, list[tuple[str, str]]] = {
    "data": [
        ("Cloud Storage", "google_storage_bucket.raw"),
        ("Vertex AI Pipelines", "google_cloud_scheduler_job.pipeline"),
        ("Dataflow", "google_service_account.dataflow"),
        ("BigQuery", "google_bigquery_dataset.curated"),
        ("Cloud KMS", "google_kms_crypto_key.keys"),
    ],
    "training": [
        ("Vertex AI Workbench", "google_workbench_instance.users"),
        ("Vertex AI custom jobs", "google_service_account_iam_member.pipeline_acts_as_training"),
        ("Vertex AI TensorBoard", "google_vertex_ai_tensorboard.main"),
        ("Vertex AI Model Registry", "google_service_account_iam_member.pipeline_acts_as_training"),
        ("Artifact Registry", "google_artifact_registry_repository.models"),
    ],
    "deployment": [
        ("Vertex AI endpoint", "google_vertex_ai_endpoint.main"),
        ("Vertex AI model monitoring", "google_monitoring_alert_policy.drift"),
        ("Cloud Monitoring", "google_monitoring_alert_policy.pipeline_failed"),
        ("Cloud Logging", "google_logging_project_bucket_config.blueprint"),
    ],
    "access": [
        ("Apigee", "google_apigee_environment.main"),
        ("Cloud Load Balancing", "google_compute_global_forwarding_rule.api"),
        ("Cloud Armor", "google_compute_security_policy.api"),
    ],
}
# Loop steps whose GCP column names a service: the evidence it needs, and what the README says without it.
LOOP_EVIDENCE: dict[str, tuple[str, str]] = {
    "curate": ("google_cloud_scheduler_job.pipeline", "not at this level (the data phase is off)"),
    "prepare": ("google_service_account_iam_member.pipeline_acts_as_training", "not at this level (training is off)"),
    "train": ("google_service_account_iam_member.pipeline_acts_as_training", "not at this level (training is off)"),
    "evaluate": ("google_service_account_iam_member.pipeline_acts_as_training", "not at this level (training is off)"),
    "register": ("google_service_account_iam_member.pipeline_acts_as_training", "not at this level (training is off)"),
    "deploy": ("google_vertex_ai_endpoint.main",
               "no endpoint at this level (`deployment.realtime` off): registered models are used in the "
               "notebooks or in batch prediction jobs"),
    "serve": ("google_apigee_environment.main", "no API at this level (the access phase is off)"),
}
# The batch tier (no endpoint): what the deploy step's column says where the run scores in batch.
BATCH_EVIDENCE = ("google_storage_bucket_iam_member.training_inference_reader",
                  "no endpoint at this level (`deployment.realtime` off): each run scores the new files of "
                  "inference/incoming/ with a Vertex AI batch prediction job of the approved version, "
                  "predictions to predictions/<run>/ of the artifacts bucket")
# Monitoring: which parts exist.
MONITOR_PARTS = (
    ("Cloud Monitoring alerts to notification channels", "google_monitoring_alert_policy.pipeline_failed"),
    ("Vertex AI model monitoring (drift)", "google_monitoring_alert_policy.drift"),
)

# type.name of every resource block in the rendered .tf files.
rendered_addresses = resource_addresses


def phase_services(addresses: set[str]) -> dict[str, list[str]]:
    return {phase: [svc for svc, evidence in rows if evidence in addresses]
            for phase, rows in PHASE_SERVICES.items()}


def loop_gcp(steps: Sequence[LoopStep], addresses: set[str]) -> dict[str, str]:
    """The GCP column of the loop table: each step's text, or why it is not at this level."""
    out = {}
    for step in steps:
        text = step.gcp
        if step.name in LOOP_EVIDENCE:
            evidence, absent = LOOP_EVIDENCE[step.name]
            text = text if evidence in addresses else absent
            if step.name == "deploy" and evidence not in addresses and BATCH_EVIDENCE[0] in addresses:
                text = BATCH_EVIDENCE[1]
        elif step.name == "monitor":
            parts = [p for p, evidence in MONITOR_PARTS if evidence in addresses]
            text = ", ".join(parts) if parts else "not at this level"
        out[step.name] = text
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadmeTables:
    """What the README's second render adds: its phase and loop tables' GCP columns."""

    phase_services: dict[str, list[str]]  # phase -> the services it really deploys
    loop_gcp: dict[str, str]  # loop step -> its GCP column

    def template_vars(self) -> dict[str, object]:
        return {"phase_services": self.phase_services, "loop_gcp": self.loop_gcp}


def context(loop_steps: Sequence[LoopStep], rendered: dict[str, bytes]) -> ReadmeTables:
    addresses = rendered_addresses(rendered)
    return ReadmeTables(phase_services=phase_services(addresses), loop_gcp=loop_gcp(loop_steps, addresses))
