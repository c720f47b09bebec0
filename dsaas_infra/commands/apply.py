"""`dsaas-infra apply`: apply the plan saved by `plan`, only for exactly the files it was made from."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dsaas_infra import exit_codes
from dsaas_infra.blueprint_dir import BlueprintDir, resolve
from dsaas_infra.errors import Cancelled, UsageError
from dsaas_infra.terraform import args, confirm, planfile, workflow
from dsaas_infra.terraform.addresses import declarations
from dsaas_infra.terraform.plan import summarize
from dsaas_infra.terraform.plancheck import configuration_differences, file_sha256
from dsaas_infra.terraform.report import print_summary
from dsaas_infra.terraform.runner import find_terraform, run_terraform


def _plan_command(target: Path, out: Path | None) -> str:
    """The plan command a hint tells the user to run: the same target and --out as this apply."""
    return f"dsaas-infra plan {target}" + (f" --out {out}" if out is not None else "")


def _check_current(ws: BlueprintDir, target: Path, record: planfile.PlanRecord, plan_command: str) -> None:
    """Refuse a plan that no longer describes the blueprint (or the spec) as it is now."""
    again = f"run `{plan_command}` again and review it"
    changed = planfile.differences(record.files, planfile.blueprint_hashes(ws.dir))
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise UsageError(f"{ws.dir} has changed since it was planned ({shown}): {again}")
    if ws.from_spec and ws.spec is not None:
        from dsaas_infra.render import render_blueprint

        # The spec may have been edited after the plan without re-rendering: its render must
        # still be what was planned.
        stale = planfile.stale_render(record.files, render_blueprint(ws.spec))
        if stale:
            raise UsageError(f"{target} has changed since it was planned (it now renders "
                             f"{', '.join(stale[:5])} differently): {again}")


def _check_plan_file(plan_file: Path, record: planfile.PlanRecord, plan_command: str) -> None:
    """Refuse a plan file that is not the one `plan` wrote (e.g. one copied in from elsewhere)."""
    if not record.plan_sha256 or file_sha256(plan_file) != record.plan_sha256:
        raise UsageError(
            f"{plan_file} is not the plan `dsaas-infra plan` saved (its sha256 differs from the "
            f"plan record): run `{plan_command}` again and review it"
        )


def _check_configuration(ws: BlueprintDir, plan_json: dict, plan_command: str) -> None:
    """Refuse a plan made for another configuration than the blueprint's, whatever its record says."""
    differences = configuration_differences(plan_json, ws.dir)
    if differences:
        shown = ", ".join(differences[:5]) + (f" and {len(differences) - 5} more" if len(differences) > 5 else "")
        raise UsageError(
            f"the saved plan was not made for {ws.dir} (its configuration differs: {shown}): "
            f"run `{plan_command}` again and review it"
        )


def run(target: Path, auto_approve: bool, out: Path | None, terraform: str | None) -> int:
    binary = find_terraform(terraform)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    ws = resolve(target, out)
    plan_file = planfile.plan_path(ws.dir)
    record = planfile.read_record(ws.dir)
    if not ws.dir.is_dir() or record is None or not plan_file.is_file():
        raise UsageError(f"no saved plan in {ws.dir}: run `{_plan_command(target, out)}` first")
    _check_current(ws, target, record, _plan_command(target, out))
    _check_plan_file(plan_file, record, _plan_command(target, out))
    if not auto_approve:
        confirm.require_tty("apply", "--auto-approve")
    if not (ws.dir / ".terraform").is_dir():
        # A fresh checkout (e.g. a CI job that did not plan): init installs the locked providers.
        workflow.init(binary, ws.dir, sys.stdout)
    plan_json = workflow.show_json(binary, ws.dir, plan_file)
    _check_configuration(ws, plan_json, _plan_command(target, out))
    plan = workflow.read_plan(plan_json, plan_file)
    summary = summarize(plan, declarations(ws.dir))
    print_summary(console, summary, f"apply to {ws.client} ({ws.dir})")
    if not summary.has_changes:
        planfile.forget_plan(ws.dir)
        return exit_codes.OK
    if not auto_approve and not confirm.ask(
        f"Apply these changes to {ws.client}? Only 'yes' will be accepted: ", "yes"
    ):
        raise Cancelled("Apply cancelled; nothing was changed.")
    color = args.color_wanted(sys.stdout.isatty(), dict(os.environ))
    run_terraform(binary, args.apply_args(plan_file.resolve(), color=color), cwd=ws.dir, echo=sys.stdout)
    # A saved plan is good for one apply: Terraform would reject it as stale anyway.
    planfile.forget_plan(ws.dir)
    console.print(f"[green]Applied[/] the plan to {escape(ws.client)}.")
    return exit_codes.OK
