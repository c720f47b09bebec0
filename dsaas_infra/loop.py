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
        "S3 raw bucket",
        "Cloud Storage raw bucket (`incoming/`)",
    ),
    LoopStep(
        "curate",
        "only new input is processed, bad records quarantined, one curated table per dataset",
        "Glue crawler + ETL job",
        "pipeline step: Dataflow Flex Template + UDF, quarantine table, BigQuery MERGE",
    ),
    LoopStep(
        "prepare",
        "a pluggable step turns curated data into the training set; none is a loud failure",
        "Glue/processing step",
        "KFP component prepare (held-out split; no rows fails the run)",
    ),
    LoopStep(
        "train",
        "on the spec's instance type, in private networking, from a versioned training set",
        "SageMaker training job",
        "Vertex AI custom job in the pipeline (CPU, scikit-learn)",
    ),
    LoopStep(
        "evaluate",
        "a shipped script computes metrics on held-out data and stores them with the model",
        "SageMaker processing job",
        "KFP component evaluate (RMSE, MAE, R²)",
    ),
    LoopStep(
        "register",
        "model and metrics in the registry; approval gate at proactive/managed",
        "SageMaker Model Registry",
        "Vertex AI Model Registry version + model evaluation; manual gate or deployment.approval",
    ),
    LoopStep(
        "deploy",
        "on approval only; champion/challenger weights; success only when the new config serves",
        "Step Functions + Lambda, SageMaker endpoint",
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
        "CloudWatch, Model Monitor, EventBridge, SNS",
        "Cloud Monitoring alerts to notification channels, Vertex AI model monitoring (drift)",
    ),
)
