"""The MLOps loop every blueprint delivers (shared/docs/platform.md): one table, both clouds.

Each client README shows these steps side by side for AWS and GCP, so a spec rendered for either
cloud documents the same loop. A cloud's column must say what that cloud's blueprint really does
(no aspirations): the AWS column is owned by the AWS templates, the GCP column by the GCP ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoopStep:
    name: str
    what: str
    aws: str
    gcp: str


STEPS: tuple[LoopStep, ...] = (
    LoopStep(
        "ingest",
        "client sources land raw data, one prefix per dataset, encrypted, versioned",
        "S3 raw bucket: raw/<dataset>/, SSE-KMS, versioned",
        "Cloud Storage raw bucket: incoming/<dataset>/, CMEK, versioned",
    ),
    LoopStep(
        "curate",
        "only new input is processed, bad records quarantined, one curated table per dataset",
        "Glue ETL job (job bookmarks: new files only; one curated table per dataset, catalogued by the job)",
        "pipeline step: Dataflow Flex Template + UDF per dataset, quarantine table, BigQuery MERGE"
        " into one curated table per dataset",
    ),
    LoopStep(
        "prepare",
        "a pluggable step turns curated data into the training set; none is a loud failure",
        "Glue job <prefix>-prepare (replaceable: prepare_script_s3_uri) -> training-sets/<run>/;"
        " no training rows fails the run and alerts",
        "KFP component prepare (held-out split; no rows fails the run)",
    ),
    LoopStep(
        "train",
        "on the spec's instance type, in private networking, from a versioned training set",
        "SageMaker training job (built-in XGBoost) in the private subnets, on training-sets/<run>/train/",
        "Vertex AI custom job in the pipeline (CPU, scikit-learn)",
    ),
    LoopStep(
        "evaluate",
        "a shipped script computes metrics on held-out data and stores them with the model",
        "SageMaker processing job running files/evaluation/evaluate.py on the test split",
        "KFP component evaluate (RMSE, MAE, R²)",
    ),
    LoopStep(
        "register",
        "model and metrics in the registry; approval gate at proactive/managed",
        "SageMaker Model Registry: package with its metrics; PendingManualApproval unless"
        " phases.deployment.approval sets a metric threshold; batch scoring approves itself",
        "Vertex AI Model Registry version + model evaluation; manual gate or deployment.approval",
    ),
    LoopStep(
        "deploy",
        "on approval only; champion/challenger weights; success only when the new config serves",
        "EventBridge on approval -> Step Functions + Lambda: challenger first, promotion on"
        " request; InService on the new config or the run fails; capacity kept; old versions pruned",
        "KFP component deploy: Vertex AI endpoint (variants' split, replicas, machine type)",
    ),
    LoopStep(
        "serve",
        "the API with per-consumer identity, quotas and rate limits",
        "API Gateway (+ WAF)",
        "Apigee",
    ),
    LoopStep(
        "monitor",
        "drift, errors, latency, pipeline failures, data freshness, budget: each alarms",
        "CloudWatch alarms, Model Monitor (baseline from the training set), EventBridge, SNS",
        "Cloud Monitoring alerts to notification channels, Vertex AI model monitoring (drift)",
    ),
)
