"""The four phases of a DSaaS platform and the managed services that implement them per cloud."""

from __future__ import annotations

PHASES = ("data", "training", "deployment", "access")

PURPOSE = {
    "data": "collect and store raw and processed data; ETL",
    "training": "develop, train and register models",
    "deployment": "automate the ML pipeline, serve and monitor models",
    "access": "expose models to the client's applications",
}

SERVICES = {
    "aws": {
        "data": ["S3", "Glue", "KMS"],
        "training": ["SageMaker (Studio or notebooks, model registry)", "ECR", "VPC endpoints"],
        "deployment": ["Step Functions", "Lambda", "SageMaker inference", "EventBridge", "CloudWatch", "SNS"],
        "access": ["API Gateway", "WAF (managed)"],
    },
    "gcp": {
        "data": ["Cloud Storage", "Vertex AI Pipelines", "Dataflow", "BigQuery", "Cloud KMS"],
        "training": ["Vertex AI (Workbench, custom jobs, TensorBoard, Model Registry)", "Artifact Registry"],
        "deployment": ["Vertex AI endpoint", "Vertex AI model monitoring", "Cloud Monitoring", "Cloud Logging"],
        "access": ["Apigee"],
    },
}
