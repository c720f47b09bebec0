"""Drift: `plan -refresh-only` + `show -json` resource_drift -> drifted resources per phase and address.

Only attribute paths are reported, with values where they are not sensitive; JSON documents
(IAM policies above all) that differ only in key order, statement/action order or a one-item
list against its scalar are the same document to the cloud and are not drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from dsaas_infra.errors import OperationError
from dsaas_infra.phases import ORDER as PHASE_ORDER
from dsaas_infra.phases import SHARED, phase_of_file
from dsaas_infra.terraform import args, planfile
from dsaas_infra.terraform.addresses import declarations, file_of
from dsaas_infra.terraform.plan import action_of
from dsaas_infra.terraform.runner import run_terraform

DRIFT_PLAN_FILE = "drift.tfplan"
REDACTED = "(sensitive)"


@dataclass(frozen=True)
class AttributeChange:
    path: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class DriftedResource:
    address: str
    type: str
    action: str  # update (changed outside Terraform) or delete (gone)
    phase: str
    file: str
    changes: tuple[AttributeChange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "type": self.type, "action": self.action, "phase": self.phase,
                "file": self.file, "attributes": [c.path for c in self.changes],
                "changes": [c.to_json() for c in self.changes]}


@dataclass
class DriftReport:
    resources: list[DriftedResource] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # addresses whose only difference was noise

    @property
    def drifted(self) -> bool:
        return bool(self.resources)

    def by_phase(self) -> dict[str, list[DriftedResource]]:
        grouped: dict[str, list[DriftedResource]] = {}
        for r in self.resources:
            grouped.setdefault(r.phase, []).append(r)
        return {p: grouped[p] for p in PHASE_ORDER if p in grouped}

    def to_json(self) -> dict[str, Any]:
        return {"drift": self.drifted, "count": len(self.resources),
                "phases": {p: [r.to_json() for r in rs] for p, rs in self.by_phase().items()},
                "ignored_noise": self.ignored}


# ---- pure: JSON documents in, findings out ---------------------------------------------------

def _json_document(value: Any) -> Any | None:
    """A string holding a JSON object or array, parsed; else None."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def canonical_json(doc: Any) -> Any:
    """Order-free form of a JSON document: keys sorted, lists sorted, one-item lists as scalars
    (IAM treats "Action": "s3:GetObject" and ["s3:GetObject"] alike, and ignores order)."""
    if isinstance(doc, dict):
        return {k: canonical_json(v) for k, v in sorted(doc.items())}
    if isinstance(doc, list):
        items = [canonical_json(v) for v in doc]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return doc


def _same(before: Any, after: Any) -> bool:
    if before == after:
        return True
    a, b = _json_document(before), _json_document(after)
    return a is not None and b is not None and canonical_json(a) == canonical_json(b)


def _sensitive(mask: Any, key: str | int) -> Any:
    if mask is True:
        return True
    if isinstance(mask, dict) and isinstance(key, str):
        return mask.get(key, False)
    if isinstance(mask, list) and isinstance(key, int) and key < len(mask):
        return mask[key]
    return False


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


_MISSING = object()


def attribute_changes(before: Any, after: Any, before_sensitive: Any = False,
                      after_sensitive: Any = False, path: str = "") -> list[AttributeChange]:
    """The leaf paths where ``before`` and ``after`` differ; sensitive values never leave here."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after)):
            out += attribute_changes(before.get(key, _MISSING), after.get(key, _MISSING),
                                     _sensitive(before_sensitive, key), _sensitive(after_sensitive, key),
                                     _join(path, key))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += attribute_changes(b, a, _sensitive(before_sensitive, i), _sensitive(after_sensitive, i),
                                     _join(path, i))
        return out
    if before is _MISSING and after is _MISSING:
        return []
    b = None if before is _MISSING else before
    a = None if after is _MISSING else after
    if _same(b, a):
        return []
    secret = _has_secret(before_sensitive) or _has_secret(after_sensitive)
    return [AttributeChange(path or "(object)", REDACTED if secret else b, REDACTED if secret else a)]


def _has_secret(mask: Any) -> bool:
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(map(_has_secret, mask.values()))
    if isinstance(mask, list):
        return any(map(_has_secret, mask))
    return False


def parse_drift(show_json: dict[str, Any], decls: dict[str, str]) -> DriftReport:
    """resource_drift of a refresh-only plan -> a DriftReport (noise-only entries are ignored)."""
    report = DriftReport()
    for item in show_json.get("resource_drift") or ():
        if item.get("mode", "managed") != "managed":
            continue
        change = item["change"]
        actions = tuple(change["actions"])
        # Drift is "changed" or "gone" outside Terraform; it never proposes a destroy.
        action = "delete" if actions == ("delete",) else action_of(actions)
        if action in ("no-op", "read"):
            continue
        file = file_of(item["address"], decls) or ""
        phase = phase_of_file(file) if file else SHARED
        if action == "delete":
            changes: list[AttributeChange] = []
        else:
            changes = attribute_changes(change.get("before"), change.get("after"),
                                        change.get("before_sensitive", False),
                                        change.get("after_sensitive", False))
            if not changes:
                report.ignored.append(item["address"])
                continue
        report.resources.append(DriftedResource(item["address"], item.get("type", ""), action, phase, file,
                                                tuple(changes)))
    report.resources.sort(key=lambda r: (PHASE_ORDER.index(r.phase), r.address))
    return report


# ---- the one place drift runs Terraform -----------------------------------------------------

def detect(binary: str, blueprint: Path, echo: TextIO | None, echo_stderr: TextIO | None = None) -> DriftReport:
    """init, `plan -refresh-only` into .dsaas/drift.tfplan, `show -json`: nothing is changed."""
    err: dict[str, Any] = {} if echo_stderr is None else {"echo_stderr": echo_stderr}
    run_terraform(binary, args.init_args(), cwd=blueprint, echo=echo, **err)
    plan_file = planfile.work_dir(blueprint) / DRIFT_PLAN_FILE
    plan_file.unlink(missing_ok=True)
    run_terraform(binary, args.refresh_only_plan_args(plan_file.resolve()), cwd=blueprint, echo=echo, **err)
    shown = run_terraform(binary, args.show_json_args(plan_file.resolve()), cwd=blueprint, capture=True, **err)
    try:
        data = json.loads(shown.stdout)
    except ValueError as e:
        raise OperationError(f"cannot read the drift plan {plan_file} as JSON: {e}") from e
    return parse_drift(data, declarations(blueprint))
