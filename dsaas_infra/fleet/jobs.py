"""The per-client jobs of local fleet runs (plan, drift, preflight); each runs in a worker process
and writes what it would print into its buffer."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from dsaas_infra import exit_codes
from dsaas_infra.fleet.local import Task


@dataclass(frozen=True)
class PlanJob:
    binary: str
    detailed_exitcode: bool

    def __call__(self, task: Task, buffer: io.StringIO) -> tuple[str, int, str, dict]:
        from rich.console import Console

        from dsaas_infra.terraform import planfile, workflow
        from dsaas_infra.terraform.report import print_summary, totals_line

        blueprint = Path(task.blueprint)
        _init(self.binary, blueprint, buffer)
        record = planfile.PlanRecord.for_blueprint(blueprint)
        outcome = workflow.make_plan(self.binary, blueprint, planfile.plan_path(blueprint), destroy=False,
                                     echo=buffer, spec_hint="re-render this directory from its spec")
        planfile.write_record(blueprint, record)
        print_summary(Console(file=buffer, width=160, no_color=True, highlight=False), outcome.summary,
                      f"plan for {task.client} ({blueprint})")
        changed = outcome.summary.has_changes
        detail = {"plan_file": str(outcome.plan_file), "blueprint_sha256": record.blueprint_sha256,
                  **outcome.summary.to_json()}
        code = exit_codes.CHANGES if changed and self.detailed_exitcode else exit_codes.OK
        return ("changes" if changed else "no changes"), code, totals_line(outcome.summary), detail


@dataclass(frozen=True)
class DriftJob:
    binary: str

    def __call__(self, task: Task, buffer: io.StringIO) -> tuple[str, int, str, dict]:
        from dsaas_infra.fleet.drift_text import write_report
        from dsaas_infra.terraform.drift import detect

        report = detect(self.binary, Path(task.blueprint), buffer)
        write_report(buffer, task.client, report)
        if not report.drifted:
            return "no drift", exit_codes.OK, "no drift", report.to_json()
        phases = ", ".join(f"{p}: {len(rs)}" for p, rs in report.by_phase().items())
        return "drift", exit_codes.CHANGES, f"{len(report.resources)} drifted ({phases})", report.to_json()


def _init(binary: str, blueprint: Path, buffer: io.StringIO) -> None:
    from dsaas_infra.terraform import args
    from dsaas_infra.terraform.runner import run_terraform

    run_terraform(binary, args.init_args(), cwd=blueprint, echo=buffer, echo_stderr=buffer)


@dataclass(frozen=True)
class PreflightJob:
    """Cloud checks of one client; a failure is this client's failure (its table in the buffer)."""

    def __call__(self, task: Task, buffer: io.StringIO) -> tuple[str, int, str, dict]:
        from rich.console import Console

        from dsaas_infra.preflight.results import failure_line, failures, print_table
        from dsaas_infra.preflight.run import run_preflight
        from dsaas_infra.spec import load_spec

        results = run_preflight(load_spec(task.spec))
        detail = {"checks": [r.to_json() for r in results]}
        if failures(results):
            print_table(Console(file=buffer, width=160, no_color=True), results, f"preflight: {task.client}")
            return "failed", exit_codes.FAILED, failure_line(results), detail
        return "passed", exit_codes.OK, f"{len(results)} checks passed", detail
