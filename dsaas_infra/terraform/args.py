"""Pure builders of Terraform argument lists: no I/O here, so every flag is tested by a table."""

from __future__ import annotations

from pathlib import Path


def color_wanted(is_tty: bool, environ: dict[str, str]) -> bool:
    """Colours only on a terminal, and never when the user asked for none (NO_COLOR, any
    non-empty value, as no-color.org says; TERM=dumb)."""
    return is_tty and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def _color(color: bool) -> list[str]:
    # Terraform colours even when piped; without a terminal the escapes are noise in CI logs.
    return [] if color else ["-no-color"]


def init_args(*, backend: bool = True, color: bool = False) -> list[str]:
    """`init` for automation: never prompts; ``backend=False`` skips the remote backend."""
    args = ["init", "-input=false"]
    if not backend:
        args.append("-backend=false")
    return args + _color(color)


def plan_args(plan_file: str | Path, *, destroy: bool = False, color: bool = False) -> list[str]:
    """`plan` saving to ``plan_file``; the summary is read back with `show -json`, so no
    -detailed-exitcode: a plan with changes still exits 0 and failures are failures."""
    args = ["plan", "-input=false", f"-out={plan_file}"]
    if destroy:
        args.append("-destroy")
    return args + _color(color)


def refresh_only_plan_args(plan_file: str | Path, *, color: bool = False) -> list[str]:
    """Drift detection: refresh and compare with the state, change nothing (the saved plan is
    read with `show -json`; its resource_drift is the answer, so no -detailed-exitcode)."""
    return ["plan", "-refresh-only", "-input=false", "-lock=false", f"-out={plan_file}", *_color(color)]


def show_json_args(plan_file: str | Path) -> list[str]:
    return ["show", "-json", str(plan_file)]


def apply_args(plan_file: str | Path, *, color: bool = False) -> list[str]:
    """`apply` of a saved plan: Terraform applies exactly that plan and never asks."""
    return ["apply", "-input=false", *_color(color), str(plan_file)]
