"""The Compute Engine quotas a GCP blueprint needs at its maximum size (README table, preflight)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dsaas_infra.spec.resolved import GcpSpec

if TYPE_CHECKING:  # context.py's GcpContext holds this module's Quota
    from dsaas_infra.render.gcp.context import Dataflow, Workbench

# Compute Engine's regional vCPU quota per machine family, where it has its own (N1 and E2
# machines count against CPUS); other families: "<FAMILY> vCPUs" in the Quotas page.
_CPU_QUOTA = {"n1": "CPUS", "e2": "CPUS", "n2": "N2_CPUS", "n2d": "N2D_CPUS", "c2": "C2_CPUS",
              "c2d": "C2D_CPUS", "c3": "C3_CPUS", "a2": "A2_CPUS", "m1": "M1_CPUS", "m2": "M2_CPUS"}
_SHARED_CORE_VCPUS = {"micro": 2, "small": 2, "medium": 2}
# Boot and data disks (pd-balanced counts against SSD_TOTAL_GB).
_WORKBENCH_DISK_GB = 150 + 100


def vcpus(machine_type: str) -> int | None:
    """vCPUs of a predefined or custom machine type, None when the name does not say."""
    parts = machine_type.split("-")
    if parts[-1] in _SHARED_CORE_VCPUS:
        return _SHARED_CORE_VCPUS[parts[-1]]
    if "custom" in parts and parts[-2].isdigit():
        return int(parts[-2])
    if parts[0] == "a2" and parts[-1].endswith("g") and parts[-1][:-1].isdigit():
        return 12 * int(parts[-1][:-1])  # a2-highgpu-<n>g: 12 vCPUs per GPU
    return int(parts[-1]) if parts[-1].isdigit() else None


def _family(machine_type: str) -> str:
    family = machine_type.split("-")[0]
    return "n1" if family == "custom" else family


@dataclass(frozen=True, slots=True, kw_only=True)
class Quota:
    """A row of the README's quota table (preflight checks the same rows)."""

    metric: str  # in backquotes where it is a Compute Engine metric, else the Quotas page's name
    scope: str  # "regional" or "global"
    amount: int
    unit: str
    uses: list[str]


def quotas(spec: GcpSpec, dataflow: Dataflow, wb: Workbench) -> list[Quota]:
    """README: the Compute Engine quotas the blueprint needs at its maximum size, in its region.

    Fresh projects often have low regional vCPU quotas and no GPU quota at all
    (GPUS_ALL_REGIONS is 0): GKE node creation, Workbench instances and Dataflow workers
    then fail or stay pending long after apply.
    """
    cpus: dict[str, list[tuple[int, str]]] = {}
    gpus: dict[str, list[tuple[int, str]]] = {}
    ssd: list[tuple[int, str]] = []

    def add_machines(machine: str, count: int, what: str) -> None:
        per = vcpus(machine)
        family = _family(machine)
        if per is not None and count:
            cpus.setdefault(family, []).append((per * count, f"{count} x {machine} ({what})"))

    if spec.phases.data.enabled:
        add_machines(dataflow.machine_type, dataflow.max_workers, "Dataflow workers at var.dataflow_max_workers")
    users = len(wb.instances) if spec.phases.training.enabled else 0
    if users:
        instances = f"{users} Workbench instance{'s' if users > 1 else ''}"
        add_machines(wb.machine_type, users, "Workbench")
        ssd.append((users * _WORKBENCH_DISK_GB, instances))
        if wb.accelerator:
            gpus.setdefault(wb.accelerator, []).append((users, instances))
    # No GKE cluster is created (render/gcp/serving.py: Serving.gke is always None): no node pools to count.
    out: list[Quota] = []
    for family, uses in sorted(cpus.items()):
        metric = _CPU_QUOTA.get(family)
        out.append(Quota(
            metric=f"`{metric}`" if metric else f"{family.upper()} vCPUs",
            scope="regional",
            amount=sum(n for n, _ in uses),
            unit="vCPUs",
            uses=[u for _, u in uses],
        ))
    if cpus:
        out.append(Quota(
            metric="`CPUS_ALL_REGIONS`", scope="global",
            amount=sum(n for uses in cpus.values() for n, _ in uses),
            unit="vCPUs", uses=["all of the above"],
        ))
    for accelerator, uses in sorted(gpus.items()):
        out.append(Quota(
            metric=f"`{accelerator.replace('TESLA_', '')}_GPUS`", scope="regional",
            amount=sum(n for n, _ in uses), unit="GPUs", uses=[u for _, u in uses],
        ))
    if gpus:
        out.append(Quota(
            metric="`GPUS_ALL_REGIONS`", scope="global",
            amount=sum(n for uses in gpus.values() for n, _ in uses), unit="GPUs",
            uses=["0 on a fresh project: request it first"],
        ))
    if ssd:
        out.append(Quota(
            metric="`SSD_TOTAL_GB`", scope="regional", amount=sum(n for n, _ in ssd),
            unit="GB", uses=[u for _, u in ssd],
        ))
    return out
