"""`dsaas-infra plan`: render, preflight, init and plan; summarise the changes by phase."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dsaas_infra import exit_codes
from dsaas_infra.blueprint_dir import BlueprintDir, render, resolve
from dsaas_infra.errors import OperationError, UsageError
from dsaas_infra.terraform import planfile, workflow
from dsaas_infra.terraform.plancheck import file_sha256
from dsaas_infra.terraform.report import print_summary
from dsaas_infra.terraform.runner import find_terraform


def preflight_or_fail(ws: BlueprintDir, console: Console) -> None:
    """Run the cloud checks; any failure stops the command with one line (exit 1)."""
    if ws.spec is None:
        raise UsageError(
            f"{ws.dir}: no spec is recorded for this blueprint, so it cannot be preflighted; "
            "plan the spec instead, or pass --skip-preflight"
        )
    from dsaas_infra.preflight.results import failure_line, failures, print_table
    from dsaas_infra.preflight.run import run_preflight

    results = run_preflight(ws.spec)
    if failures(results):
        print_table(console, results, f"preflight: {ws.spec.client.name} ({ws.spec.cloud})")
        raise OperationError(failure_line(results) + " (fix it, or pass --skip-preflight)")
    warnings = [r for r in results if r.status == "warn"]
    console.print(f"preflight passed: {len(results)} checks, {len(warnings)} warning(s)")
    for r in warnings:
        console.print(f"[yellow]warning:[/] {escape(r.title)}: {escape(r.detail)}")


def run(target: Path, detailed_exitcode: bool, fmt: str, skip_preflight: bool,
        out: Path | None, terraform: str | None) -> int:
    """Exit CHANGES only with --detailed-exitcode (the CLI then reports bad input as FAILED)."""
    binary = find_terraform(terraform)
    # With --format json, stdout carries only the JSON document; everything else goes to stderr.
    console = Console(stderr=fmt == "json", highlight=False, soft_wrap=True)
    echo = sys.stderr if fmt == "json" else sys.stdout
    ws = resolve(target, out)
    # Preflight first: with the wrong account or no credentials nothing is written at all.
    if not skip_preflight:
        preflight_or_fail(ws, console)
    render(ws)
    workflow.init(binary, ws.dir, echo)
    # Hash after init (it writes the provider lock file) and before plan, which may package
    # archives: the record says exactly which files this plan was made from.
    record = planfile.PlanRecord.for_blueprint(ws.dir)
    hint = "run plan again" if ws.from_spec else "re-render this directory from its spec"
    outcome = workflow.make_plan(binary, ws.dir, planfile.plan_path(ws.dir), destroy=False,
                                 echo=echo, spec_hint=hint)
    record.plan_sha256 = file_sha256(outcome.plan_file)
    planfile.write_record(ws.dir, record)
    if fmt == "json":
        doc = {"blueprint": str(ws.dir), "client": ws.client, "plan_file": str(outcome.plan_file),
               "blueprint_sha256": record.blueprint_sha256, **outcome.summary.to_json()}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        print_summary(console, outcome.summary, f"plan for {ws.client} ({ws.dir})")
        if outcome.summary.has_changes:
            again = f"dsaas-infra apply {target}" + (f" --out {out}" if out is not None else "")
            console.print(f"Saved plan: {outcome.plan_file}; apply it with: {again}", markup=False)
    if detailed_exitcode and outcome.summary.has_changes:
        return exit_codes.CHANGES
    return exit_codes.OK
