"""Machine report: the whole Report as JSON (stable keys, for CI and scripts)."""

from __future__ import annotations

import dataclasses
import json

from dsaas_infra.validate.findings import ERROR, INFO, WARNING, Report


def to_dict(report: Report, strict: bool = False) -> dict:
    return {
        "version": 1,
        "targets": report.targets,
        "exit_code": report.exit_code(strict),
        "summary": {"errors": report.count(ERROR), "warnings": report.count(WARNING), "info": report.count(INFO)},
        "stages": [{
            "stage": s.stage,
            "status": s.status,
            "skipped_reason": s.skipped_reason,
            "seconds": round(s.seconds, 3),
            "findings": [dataclasses.asdict(f) for f in s.findings],
            **s.details,
        } for s in report.stages],
    }


def render(report: Report, strict: bool = False) -> str:
    return json.dumps(to_dict(report, strict), indent=2) + "\n"
