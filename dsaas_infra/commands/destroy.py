"""`dsaas-infra destroy`: show what would be destroyed, confirm with the client name, destroy exactly that."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dsaas_infra import exit_codes
from dsaas_infra.blueprint_dir import render, resolve
from dsaas_infra.errors import Cancelled, UsageError
from dsaas_infra.terraform import args, confirm, planfile, workflow
from dsaas_infra.terraform.report import print_summary
from dsaas_infra.terraform.runner import find_terraform, run_terraform


def run(target: Path, auto_approve: bool, confirm_name: str | None, out: Path | None,
        terraform: str | None) -> int:
    if auto_approve and confirm_name is None:
        raise UsageError("--auto-approve needs --confirm CLIENT_NAME (the name of the client to destroy)")
    binary = find_terraform(terraform)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    ws = resolve(target, out)
    if confirm_name is not None and confirm_name != ws.client:
        raise UsageError(f"--confirm {confirm_name!r} does not match the client name {ws.client!r}")
    if not auto_approve:
        confirm.require_tty("destroy", "--auto-approve --confirm CLIENT_NAME")
    # A spec is rendered again first, so that lifting prevent_destroy in the spec takes effect.
    render(ws)
    hint = (f"run `dsaas-infra destroy {target}` again (it re-renders)" if ws.from_spec
            else "re-render this directory from its spec (`dsaas-infra render SPEC --out DIR`), then destroy again")
    workflow.init(binary, ws.dir, sys.stdout)
    # Destroy through a saved destroy plan: what is destroyed is exactly what was shown.
    outcome = workflow.make_plan(binary, ws.dir, planfile.plan_path(ws.dir, destroy=True), destroy=True,
                                 echo=sys.stdout, spec_hint=hint)
    print_summary(console, outcome.summary, f"destroy {ws.client} ({ws.dir})")
    # Resources only: older Terraform lists every output as deleted even when nothing is left.
    if not outcome.plan.changes:
        outcome.plan_file.unlink(missing_ok=True)
        console.print("Nothing to destroy.")
        return exit_codes.OK
    if not auto_approve and not confirm.ask(
        f"This destroys everything above for client {ws.client}. Type the client name to confirm: ", ws.client
    ):
        outcome.plan_file.unlink(missing_ok=True)
        raise Cancelled("Destroy cancelled; nothing was changed.")
    color = args.color_wanted(sys.stdout.isatty(), dict(os.environ))
    run_terraform(binary, args.apply_args(outcome.plan_file.resolve(), color=color), cwd=ws.dir, echo=sys.stdout)
    outcome.plan_file.unlink(missing_ok=True)
    # Any saved apply plan was made against resources that no longer exist.
    planfile.forget_plan(ws.dir)
    console.print(f"[green]Destroyed[/] the resources of {escape(ws.client)}.")
    return exit_codes.OK
