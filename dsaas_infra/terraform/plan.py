"""Typed views of `terraform show -json PLANFILE` and the per-phase summary built from them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dsaas_infra.phases import ORDER as PHASE_ORDER
from dsaas_infra.phases import SHARED, phase_of_file
from dsaas_infra.terraform.addresses import file_of

# The order in which actions are shown; the destructive ones are the last two.
CHANGE_ACTIONS = ("create", "update", "replace", "destroy")
DESTRUCTIVE = frozenset({"replace", "destroy"})


def action_of(actions: tuple[str, ...]) -> str:
    """Terraform's action list -> one word (["delete", "create"] is a replacement)."""
    if set(actions) == {"delete", "create"}:
        return "replace"
    if actions == ("delete",):
        return "destroy"
    if len(actions) == 1:
        return actions[0]  # create, update, read, no-op, forget
    return "+".join(actions)


@dataclass(frozen=True)
class ResourceChange:
    """One entry of ``resource_changes``."""

    address: str
    mode: str
    type: str
    name: str
    actions: tuple[str, ...]

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ResourceChange:
        return cls(
            address=item["address"],
            mode=item.get("mode", "managed"),
            type=item["type"],
            name=item.get("name", ""),
            actions=tuple(item["change"]["actions"]),
        )

    @property
    def action(self) -> str:
        return action_of(self.actions)

    @property
    def is_change(self) -> bool:
        # Reading a data source changes nothing in the cloud.
        return self.action not in ("no-op", "read")

    @property
    def destructive(self) -> bool:
        return self.action in DESTRUCTIVE


@dataclass(frozen=True)
class Plan:
    """The parts of a saved plan that dsaas-infra reads."""

    resource_changes: tuple[ResourceChange, ...]
    output_changes: dict[str, str]
    terraform_version: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            resource_changes=tuple(ResourceChange.from_json(i) for i in data.get("resource_changes") or ()),
            output_changes={
                name: action_of(tuple(change["actions"]))
                for name, change in (data.get("output_changes") or {}).items()
            },
            terraform_version=data.get("terraform_version", ""),
        )

    @property
    def changes(self) -> list[ResourceChange]:
        return [c for c in self.resource_changes if c.is_change]

    @property
    def has_changes(self) -> bool:
        """What Terraform's -detailed-exitcode calls changes: resources or outputs."""
        return bool(self.changes) or any(a != "no-op" for a in self.output_changes.values())


@dataclass
class PlanSummary:
    """Changes counted by phase, resource type and action; destructive ones listed one by one."""

    # phase -> resource type -> action -> count
    by_phase: dict[str, dict[str, Counter]] = field(default_factory=dict)
    totals: Counter = field(default_factory=Counter)
    destructive: list[dict[str, str]] = field(default_factory=list)
    resources: list[dict[str, str]] = field(default_factory=list)
    outputs_change: bool = False

    @property
    def has_changes(self) -> bool:
        return bool(self.resources) or self.outputs_change

    def phase_totals(self, phase: str) -> Counter:
        total: Counter = Counter()
        for counts in self.by_phase.get(phase, {}).values():
            total.update(counts)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": self.has_changes,
            "totals": {a: self.totals.get(a, 0) for a in CHANGE_ACTIONS},
            "phases": {
                phase: {
                    "totals": {a: self.phase_totals(phase).get(a, 0) for a in CHANGE_ACTIONS},
                    "types": {t: dict(sorted(c.items())) for t, c in sorted(types.items())},
                }
                for phase, types in self.by_phase.items()
            },
            "destructive": self.destructive,
            "resources": self.resources,
            "outputs_change": self.outputs_change,
        }


def summarize(plan: Plan, declarations: dict[str, str]) -> PlanSummary:
    """Group the plan's changes by the phase of the file that declares each resource."""
    summary = PlanSummary()
    grouped: dict[str, dict[str, Counter]] = {}
    for change in plan.changes:
        file = file_of(change.address, declarations)
        phase = phase_of_file(file) if file else SHARED
        grouped.setdefault(phase, {}).setdefault(change.type, Counter())[change.action] += 1
        summary.totals[change.action] += 1
        row = {"address": change.address, "type": change.type, "action": change.action,
               "phase": phase, "file": file or ""}
        summary.resources.append(row)
        if change.destructive:
            summary.destructive.append(row)
    summary.by_phase = {p: grouped[p] for p in PHASE_ORDER if p in grouped}
    summary.outputs_change = any(a != "no-op" for a in plan.output_changes.values())
    return summary
