"""`dsaas-infra fleet-report plan|drift FILE`: a JSON report -> Markdown for $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dsaas_infra import exit_codes
from dsaas_infra.errors import UsageError


def run(kind: str, report: Path, client: str) -> int:
    from dsaas_infra.fleet import report_md

    if kind not in ("plan", "drift"):
        raise UsageError(f"unknown report kind {kind!r}; use plan or drift")
    try:
        doc = json.loads(report.read_text())
    except (OSError, ValueError) as e:
        # The step before failed without a report: say so in the summary, not as a crash.
        sys.stdout.write(f"### {kind.title()}: {client}\n\nNo report ({type(e).__name__}); see the job log.\n")
        return exit_codes.FAILED
    if not isinstance(doc, dict):
        raise UsageError(f"{report}: not a dsaas-infra {kind} report")
    sys.stdout.write(getattr(report_md, kind)(doc, client))
    return exit_codes.OK
