"""A drift report as text: per phase, each drifted address and the attribute paths that changed."""

from __future__ import annotations

import json
from typing import Any, TextIO

from dsaas_infra.terraform.drift import DriftReport

MAX_VALUE = 80


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 3] + "..."


def write_report(out: TextIO, client: str, report: DriftReport) -> None:
    if not report.drifted:
        out.write(f"drift for {client}: none; the real infrastructure matches the state.\n")
        return
    out.write(f"drift for {client}: {len(report.resources)} resource(s) changed outside Terraform\n")
    for phase, resources in report.by_phase().items():
        out.write(f"  {phase}:\n")
        for r in resources:
            where = f" ({r.file})" if r.file else ""
            if r.action == "delete":
                out.write(f"    {r.address}{where}: deleted outside Terraform\n")
                continue
            out.write(f"    {r.address}{where}: {', '.join(c.path for c in r.changes)}\n")
            for c in r.changes:
                out.write(f"      {c.path}: {_value(c.before)} -> {_value(c.after)}\n")
    if report.ignored:
        out.write(f"  ignored (only reordered JSON): {', '.join(report.ignored)}\n")
