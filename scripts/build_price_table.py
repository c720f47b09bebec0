"""Write dsaas_infra/cost/prices.yaml from the rows below (one place to review list prices).

Each row is an on-demand list price in USD as published on the provider's pricing page named by
``source`` on the ``as_of`` date, for the regions listed. Regions not listed are estimated with the
row's reference region and flagged as such in every estimate. Re-check the pages and bump ``as_of``
when you update a price; a user file (`dsaas-infra cost --prices FILE`) overrides any row.
"""

from __future__ import annotations

from pathlib import Path

import yaml

AS_OF = "2025-10-01"
SM = "https://aws.amazon.com/sagemaker/pricing/"
GCE = "https://cloud.google.com/compute/vm-instance-pricing"
VERTEX = "https://cloud.google.com/vertex-ai/pricing"

# id -> (unit, description, {region: usd}, source)
ROWS: dict[str, tuple[str, str, dict[str, float], str]] = {}


def row(id_, unit, describe, prices, source):
    ROWS[id_] = (unit, describe, prices, source)


for kind, label, table in (
    ("hosting", "SageMaker real-time inference", {
        "ml.t3.medium": 0.05, "ml.c5.large": 0.119, "ml.c5.xlarge": 0.238, "ml.m5.large": 0.115,
        "ml.m5.xlarge": 0.23, "ml.m5.2xlarge": 0.461, "ml.m5.4xlarge": 0.922,
        "ml.g4dn.xlarge": 0.7364, "ml.g5.xlarge": 1.408, "ml.g6.xlarge": 1.0056,
        "ml.p4d.24xlarge": 37.688,
    }),
    ("training", "SageMaker training", {
        "ml.t3.medium": 0.05, "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23, "ml.m5.2xlarge": 0.461,
        "ml.m5.4xlarge": 0.922, "ml.c5.large": 0.102, "ml.g4dn.xlarge": 0.736, "ml.g5.xlarge": 1.408,
        "ml.g5.2xlarge": 1.515, "ml.g6.xlarge": 1.0056, "ml.p4d.24xlarge": 37.688,
        "ml.p3.2xlarge": 3.825,
    }),
    ("processing", "SageMaker processing", {
        "ml.t3.medium": 0.05, "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23, "ml.m5.2xlarge": 0.461,
        "ml.m5.4xlarge": 0.922, "ml.c5.large": 0.102, "ml.c5.xlarge": 0.204,
    }),
    ("notebook", "SageMaker notebook instances and Studio JupyterLab", {
        "ml.t3.medium": 0.05, "ml.t3.large": 0.10, "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23,
        "ml.m5.2xlarge": 0.461, "ml.m5.4xlarge": 0.922, "ml.g4dn.xlarge": 0.7364,
        "ml.g5.xlarge": 1.408, "ml.g6.xlarge": 1.0056, "ml.p4d.24xlarge": 37.688,
    }),
):
    for itype, usd in table.items():
        row(f"aws.sagemaker.{kind}.{itype}", "instance-hour", f"{label}, {itype}",
            {"us-east-1": usd}, SM)

row("aws.glue.dpu", "DPU-hour", "Glue ETL job and crawler (standard)", {"us-east-1": 0.44},
    "https://aws.amazon.com/glue/pricing/")
row("aws.glue.dpu_flex", "DPU-hour", "Glue ETL job (FLEX execution class)", {"us-east-1": 0.29},
    "https://aws.amazon.com/glue/pricing/")
row("aws.vpc.interface_endpoint", "endpoint-AZ-hour", "VPC interface endpoint, per zone",
    {"us-east-1": 0.01}, "https://aws.amazon.com/privatelink/pricing/")
row("aws.vpc.nat_gateway", "gateway-hour", "NAT gateway", {"us-east-1": 0.045},
    "https://aws.amazon.com/vpc/pricing/")
row("aws.kms.key", "key-month", "KMS customer managed key", {"us-east-1": 1.0},
    "https://aws.amazon.com/kms/pricing/")
row("aws.cloudwatch.alarm", "alarm-month", "CloudWatch standard-resolution alarm",
    {"us-east-1": 0.10}, "https://aws.amazon.com/cloudwatch/pricing/")
row("aws.cloudwatch.dashboard", "dashboard-month", "CloudWatch dashboard", {"us-east-1": 3.0},
    "https://aws.amazon.com/cloudwatch/pricing/")
row("aws.apigateway.rest_requests", "million requests", "API Gateway REST API requests",
    {"us-east-1": 3.50}, "https://aws.amazon.com/api-gateway/pricing/")
row("aws.waf.web_acl", "web-ACL-month", "WAF web ACL", {"us-east-1": 5.0},
    "https://aws.amazon.com/waf/pricing/")
row("aws.waf.rule", "rule-month", "WAF rule or managed rule group", {"us-east-1": 1.0},
    "https://aws.amazon.com/waf/pricing/")
row("aws.waf.requests", "million requests", "WAF requests inspected", {"us-east-1": 0.60},
    "https://aws.amazon.com/waf/pricing/")
row("aws.lambda.requests", "million requests", "Lambda requests", {"us-east-1": 0.20},
    "https://aws.amazon.com/lambda/pricing/")
row("aws.s3.standard", "GB-month", "S3 Standard storage", {"us-east-1": 0.023},
    "https://aws.amazon.com/s3/pricing/")
row("aws.cloudtrail.data_events", "100k events", "CloudTrail data events", {"us-east-1": 0.10},
    "https://aws.amazon.com/cloudtrail/pricing/")

for mtype, usd in {
    "e2-standard-2": 0.067, "e2-standard-4": 0.134, "e2-standard-8": 0.268,
    "n1-standard-4": 0.19, "n1-standard-8": 0.38, "n2-standard-2": 0.0971,
    "n2-standard-4": 0.1942, "n2-standard-8": 0.3885, "n2-standard-16": 0.7769,
    "g2-standard-8": 0.8536, "a2-highgpu-1g": 3.6731,
}.items():
    row(f"gcp.compute.{mtype}", "instance-hour", f"Compute Engine {mtype} (GKE nodes, Workbench)",
        {"us-central1": usd}, GCE)
for gpu, usd in {"NVIDIA_TESLA_T4": 0.35}.items():
    row(f"gcp.compute.gpu.{gpu}", "GPU-hour", f"Compute Engine GPU {gpu} (attached to n1)",
        {"us-central1": usd}, "https://cloud.google.com/compute/gpus-pricing")
for mtype, usd in {
    "e2-standard-2": 0.0771, "e2-standard-4": 0.1541, "n1-standard-4": 0.2185,
    "n1-standard-8": 0.4370, "n2-standard-4": 0.2233, "n2-standard-8": 0.4467,
    "n2-standard-16": 0.8934, "g2-standard-8": 0.9816, "a2-highgpu-1g": 4.2241,
}.items():
    row(f"gcp.vertex.prediction.{mtype}", "node-hour", f"Vertex AI online prediction node, {mtype}",
        {"us-central1": usd}, VERTEX)
    row(f"gcp.vertex.training.{mtype}", "node-hour", f"Vertex AI custom training, {mtype}",
        {"us-central1": usd}, VERTEX)
row("gcp.vertex.gpu.NVIDIA_TESLA_T4", "GPU-hour", "Vertex AI NVIDIA T4 (prediction/training)",
    {"us-central1": 0.4025}, VERTEX)
row("gcp.vertex.pipeline_run", "run", "Vertex AI Pipelines run fee", {"us-central1": 0.03}, VERTEX)
row("gcp.gke.cluster", "cluster-hour", "GKE cluster management fee (Standard)",
    {"us-central1": 0.10}, "https://cloud.google.com/kubernetes-engine/pricing")
row("gcp.dataflow.vcpu", "vCPU-hour", "Dataflow batch worker vCPU", {"us-central1": 0.056},
    "https://cloud.google.com/dataflow/pricing")
row("gcp.dataflow.memory", "GB-hour", "Dataflow batch worker memory", {"us-central1": 0.003557},
    "https://cloud.google.com/dataflow/pricing")
for env_type, usd in {"BASE": 365.0, "INTERMEDIATE": 1460.0, "COMPREHENSIVE": 3431.0}.items():
    row(f"gcp.apigee.environment.{env_type}", "environment-month",
        f"Apigee pay-as-you-go {env_type.lower()} environment, per region", {"us-central1": usd},
        "https://cloud.google.com/apigee/pricing")
row("gcp.apigee.standard_calls", "million calls", "Apigee pay-as-you-go standard proxy calls",
    {"us-central1": 20.0}, "https://cloud.google.com/apigee/pricing")
row("gcp.lb.forwarding_rule", "rule-hour", "Cloud Load Balancing forwarding rule",
    {"us-central1": 0.025}, "https://cloud.google.com/vpc/network-pricing")
row("gcp.nat.gateway", "gateway-hour", "Cloud NAT gateway (up to 32 VMs)", {"us-central1": 0.044},
    "https://cloud.google.com/nat/pricing")
row("gcp.kms.key", "key-version-month", "Cloud KMS software key version", {"us-central1": 0.06},
    "https://cloud.google.com/kms/pricing")
row("gcp.kms.hsm_key", "key-version-month", "Cloud KMS HSM key version (AES-256)", {"us-central1": 1.00},
    "https://cloud.google.com/kms/pricing")
row("gcp.pd.balanced", "GB-month", "Compute Engine balanced persistent disk (billed while the VM is stopped too)",
    {"us-central1": 0.10}, "https://cloud.google.com/compute/disks-image-pricing")
row("gcp.armor.policy", "policy-month", "Cloud Armor Standard security policy", {"us-central1": 5.0},
    "https://cloud.google.com/armor/pricing")
row("gcp.armor.rule", "rule-month", "Cloud Armor Standard rule", {"us-central1": 1.0},
    "https://cloud.google.com/armor/pricing")
row("gcp.armor.requests", "million requests", "Cloud Armor Standard requests evaluated", {"us-central1": 0.75},
    "https://cloud.google.com/armor/pricing")
row("gcp.vertex.model_monitoring", "GB analyzed", "Vertex AI Model Monitoring data analyzed", {"us-central1": 3.5},
    VERTEX)
row("gcp.logging.ingestion", "GiB", "Cloud Logging ingestion beyond the free 50 GiB per project",
    {"us-central1": 0.50}, "https://cloud.google.com/stackdriver/pricing")
row("gcp.scheduler.job", "job-month", "Cloud Scheduler job (3 free per billing account)",
    {"us-central1": 0.10}, "https://cloud.google.com/scheduler/pricing")
row("gcp.gcs.standard", "GB-month", "Cloud Storage Standard, regional", {"us-central1": 0.020},
    "https://cloud.google.com/storage/pricing")
row("gcp.bigquery.storage", "GB-month", "BigQuery active logical storage", {"us-central1": 0.02},
    "https://cloud.google.com/bigquery/pricing")


def main() -> None:
    out = {"currency": "USD", "hours_per_month": 730, "rows": {}}
    for id_, (unit, describe, prices, source) in sorted(ROWS.items()):
        out["rows"][id_] = {
            "unit": unit,
            "describe": describe,
            "regions": {r: {"usd": usd, "as_of": AS_OF, "source": source} for r, usd in prices.items()},
        }
    path = Path(__file__).resolve().parent.parent / "dsaas_infra" / "cost" / "prices.yaml"
    header = "# Generated by scripts/build_price_table.py: edit the rows there, then rerun it.\n"
    path.write_text(header + yaml.safe_dump(out, sort_keys=True, width=120))


if __name__ == "__main__":
    main()
