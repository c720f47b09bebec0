"""The Terraform steps that plan, apply and destroy share: init, plan to a file, read it back."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dsaas_infra.errors import OperationError
from dsaas_infra.terraform import args, planfile
from dsaas_infra.terraform.addresses import declarations
from dsaas_infra.terraform.plan import Plan, PlanSummary, summarize
from dsaas_infra.terraform.runner import TerraformError, run_terraform

_PREVENT = re.compile(r"Resource (\S+) has lifecycle\.prevent_destroy set")


class PreventDestroyError(OperationError):
    """A plan would destroy a resource protected by lifecycle.prevent_destroy."""

    def __init__(self, message: str, advice: str):
        super().__init__(message)
        self.advice = advice

    def lines(self) -> list[str]:
        return [str(self), self.advice]


@dataclass(frozen=True)
class PlanOutcome:
    plan_file: Path
    plan: Plan
    summary: PlanSummary


def _tty(stream: TextIO | None) -> bool:
    """Colour for Terraform's output to ``stream``: a terminal, and no NO_COLOR."""
    import os

    is_tty = bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())
    return args.color_wanted(is_tty, dict(os.environ))


def init(binary: str, blueprint: Path, echo: TextIO | None) -> None:
    run_terraform(binary, args.init_args(color=_tty(echo)), cwd=blueprint, echo=echo)


def show_json(binary: str, blueprint: Path, plan_file: Path) -> dict:
    """`terraform show -json PLAN` as a dict."""
    result = run_terraform(binary, args.show_json_args(plan_file.resolve()), cwd=blueprint, capture=True)
    try:
        data = json.loads(result.stdout)
    except ValueError as e:
        raise OperationError(f"cannot read the plan {plan_file} as JSON: {e}") from e
    if not isinstance(data, dict):
        raise OperationError(f"cannot read the plan {plan_file} as JSON: not an object")
    return data


def read_plan(data: dict, plan_file: Path) -> Plan:
    try:
        return Plan.from_json(data)
    except (ValueError, KeyError, TypeError) as e:
        raise OperationError(f"cannot read the plan {plan_file} as JSON: {e}") from e


def show(binary: str, blueprint: Path, plan_file: Path) -> Plan:
    return read_plan(show_json(binary, blueprint, plan_file), plan_file)


def make_plan(binary: str, blueprint: Path, plan_file: Path, *, destroy: bool,
              echo: TextIO | None, spec_hint: str) -> PlanOutcome:
    """`plan -out` then `show -json`; a plan blocked by prevent_destroy is explained."""
    planfile.work_dir(blueprint)
    try:
        plan_file.unlink(missing_ok=True)  # never leave an older plan looking like this one
    except OSError as e:
        raise OperationError(f"cannot remove the old plan {plan_file}: {e.strerror or e}") from e
    try:
        run_terraform(binary, args.plan_args(plan_file.resolve(), destroy=destroy, color=_tty(echo)),
                      cwd=blueprint, echo=echo)
    except TerraformError as e:
        explained = explain_prevent_destroy(e, spec_hint)
        if explained is not None:
            raise explained from e
        raise
    plan = show(binary, blueprint, plan_file)
    return PlanOutcome(plan_file, plan, summarize(plan, declarations(blueprint)))


# What carries lifecycle.prevent_destroy in our blueprints (phases.data.prevent_destroy), by type.
PROTECTED_KINDS = {
    "aws_s3_bucket": "data buckets",
    "google_storage_bucket": "data buckets",
    "aws_kms_key": "KMS keys",
    "google_kms_crypto_key": "KMS keys",
    "google_logging_project_bucket_config": "log bucket",
}
_INDEX = re.compile(r"\[[^\]]*\]")


def protected_kind(address: str) -> str:
    """What a protected resource is, from its address' type (module path and index ignored)."""
    parts = _INDEX.sub("", address).split(".")
    rtype = parts[-2] if len(parts) >= 2 else ""
    return PROTECTED_KINDS.get(rtype, "resources")


def explain_prevent_destroy(error: TerraformError, spec_hint: str) -> OperationError | None:
    """Terraform's "Instance cannot be destroyed" means a resource carries prevent_destroy: in our
    blueprints the data buckets, the KMS keys and the log bucket. Name them, say why, and how to
    lift it on purpose."""
    addresses = list(dict.fromkeys(_PREVENT.findall(error.diagnostics)))
    if "Instance cannot be destroyed" not in error.diagnostics or not addresses:
        return None
    kinds: dict[str, list[str]] = {}
    for address in addresses:
        kinds.setdefault(protected_kind(address), []).append(address)
    named = [f"the {kind} ({', '.join(found)})" for kind, found in kinds.items()]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    why = "so that the client's data cannot be deleted by accident"
    if "KMS keys" in kinds:
        why += ", nor made unreadable by destroying the keys that encrypt it"
    return PreventDestroyError(
        f"Terraform refused to destroy {listed}: they carry lifecycle.prevent_destroy {why}",
        f"to delete them too, set `phases.data.prevent_destroy: false` in the spec and {spec_hint}",
    )
