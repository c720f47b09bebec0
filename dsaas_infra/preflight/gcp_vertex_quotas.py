"""GCP preflight: the Vertex AI quotas (custom training and endpoint serving vCPUs) the pipeline's runs need."""

from __future__ import annotations

from typing import Any

from dsaas_infra.preflight.gcp_limits import ApiError, _call
from dsaas_infra.preflight.results import Outcome
from dsaas_infra.spec.resolved import GcpSpec

CLOUD_QUOTAS = "https://cloudquotas.googleapis.com"
SERVICE = "aiplatform.googleapis.com"
# Vertex AI meters vCPUs per machine family: N1 and E2 share the family-less metric.
SHARED_CPU_FAMILIES = {"n1", "e2"}


def cpu_metric(use: str, machine_type: str) -> str:
    """aiplatform.googleapis.com/custom_model_{training,serving}[_<family>]_cpus."""
    family = machine_type.split("-")[0]
    infix = "" if family in SHARED_CPU_FAMILIES or family == "custom" else f"_{family}"
    return f"{SERVICE}/custom_model_{use}{infix}_cpus"


def needed(spec: GcpSpec) -> list[dict[str, Any]]:
    """What one run of the loop needs from Vertex AI's regional quotas, at the spec's sizes.

    training: the custom job on the training machine (and its accelerators, if the pipeline is
    given any); serving: every variant at max_replicas, plus one more deployed model while a
    deploy puts the new version up before the old one comes down."""
    from dsaas_infra.render.gcp import build as gcp
    from dsaas_infra.render.gcp.quotas import vcpus

    p = gcp.build_context(spec).pipeline
    out: dict[str, dict[str, Any]] = {}

    def add(metric: str, amount: int, unit: str, what: str) -> None:
        row = out.setdefault(metric, {"metric": metric, "amount": 0, "unit": unit, "for": []})
        row["amount"] += amount
        row["for"].append(what)

    if p.training_enabled:
        machine = p.training_machine_type
        add(cpu_metric("training", machine), vcpus(machine) or 0, "vCPUs", f"1 x {machine} (training job)")
    if p.deploy_enabled:
        machine, models = p.serving_machine_type, len(p.variants) + 1
        add(cpu_metric("serving", machine), models * p.max_replicas * (vcpus(machine) or 0), "vCPUs",
            f"{models} deployed models x {p.max_replicas} x {machine} (endpoint, during a deploy)")
    return [row for row in out.values() if row["amount"]]


def _limits(answer_pages: list[dict], region: str) -> dict[str, float]:
    """metric -> the region's limit (its own dimension, else the default for all regions)."""
    limits: dict[str, float] = {}
    for page in answer_pages:
        for info in page.get("quotaInfos", []):
            regional = default = None
            for d in info.get("dimensionsInfos", []):
                value = d.get("details", {}).get("value")
                if value is None:
                    continue
                where = d.get("dimensions", {}).get("region")
                if where == region:
                    regional = float(value)
                elif not d.get("dimensions"):
                    default = float(value)
            limit = regional if regional is not None else default
            if limit is not None and "region" in info.get("dimensions", ["region"]):
                limits[info["metric"]] = min(limit, limits.get(info["metric"], limit))
    return limits


def check(spec: GcpSpec, connection) -> Outcome:
    assert spec.gcp is not None
    project, region = spec.gcp.project_id, spec.gcp.region
    rows = needed(spec)
    if not rows:
        return ("pass", "the blueprint runs no Vertex AI training job or endpoint")
    path = f"/v1/projects/{project}/locations/global/services/{SERVICE}/quotaInfos"
    pages, token = [], None
    try:
        while True:
            page = _call(connection, "GET", CLOUD_QUOTAS, path + (f"?pageToken={token}" if token else ""))
            pages.append(page)
            token = page.get("nextPageToken")
            if not token:
                break
    except ApiError as e:
        wanted = "; ".join(f"{r['metric']}: {r['amount']} {r['unit']}" for r in rows)
        return ("warn", f"cannot read the Vertex AI quotas (Cloud Quotas API, cloudquotas.googleapis.com): {e}; "
                        f"check by hand in {region}: {wanted}")
    limits = _limits(pages, region)
    short, unknown = [], []
    for r in rows:
        if r["metric"] not in limits:
            unknown.append(r["metric"])
        elif limits[r["metric"]] < r["amount"]:
            short.append(f"{r['metric']} ({region}): needs {r['amount']} {r['unit']} for "
                         f"{', '.join(r['for'])}, limit {limits[r['metric']]:g}: request a limit of at "
                         f"least {r['amount']}")
    if short:
        return ("fail", "; ".join(short) + " (IAM & Admin > Quotas, service Vertex AI API); jobs and "
                                           "endpoints already running count too")
    if unknown:
        return ("warn", f"not reported by Cloud Quotas for {SERVICE}: {', '.join(unknown)}")
    return ("pass", f"the {len(rows)} Vertex AI quota(s) the loop needs are at least its size "
                    "(limits only: running jobs and endpoints are not counted)")
