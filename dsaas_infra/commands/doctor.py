"""`dsaas-infra doctor`: can this machine render, validate, plan and apply? Tools, snapshots, SDKs, credentials.

Every check is local: no network call is made (no STS, no metadata server), and credentials are only
looked for, never printed. Checks that matter for what the user asked for (a cloud via ``--cloud`` or
a spec, a tool named with ``--terraform``/``--checkov``) fail; the others only warn. Exit 1 when a
check fails.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import re
import subprocess
from importlib import resources
from pathlib import Path

from rich.console import Console

from dsaas_infra import clouds as cloud_registry
from dsaas_infra import exit_codes
from dsaas_infra.errors import OperationError, ToolMissingError, UsageError
from dsaas_infra.preflight.results import CheckResult, Status, failures, print_table

# The lowest Terraform every rendered blueprint accepts (versions.tf required_version; S3 use_lockfile).
TERRAFORM_FLOOR = (1, 11, 0)
SNAPSHOT_MAX_AGE_DAYS = 180


def _version_tuple(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in match.groups()) if match else ()


def check_terraform(explicit: str | None, env: dict[str, str]) -> CheckResult:
    from dsaas_infra.terraform import runner
    title = "Terraform or OpenTofu"
    floor = ".".join(map(str, TERRAFORM_FLOOR))
    try:
        binary = runner.find_terraform(explicit, env)
    except ToolMissingError as e:
        return CheckResult("terraform", title, "fail", str(e))
    try:
        proc = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=60,
                              env={**env, "CHECKPOINT_DISABLE": "1"}, stdin=subprocess.DEVNULL)
        version = json.loads(proc.stdout).get("terraform_version", "") if proc.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired, ValueError) as e:
        return CheckResult("terraform", title, "fail", f"{binary}: cannot run `version -json` ({e})")
    if not version:
        return CheckResult("terraform", title, "fail", f"{binary}: `version -json` gave no version "
                           f"(exit {proc.returncode})")
    name = "OpenTofu" if Path(binary).name.startswith("tofu") else "Terraform"
    if _version_tuple(version) < TERRAFORM_FLOOR:
        return CheckResult("terraform", title, "fail", f"{name} {version} at {binary} is older than the {floor} "
                           "the blueprints require (S3 native state locking)")
    return CheckResult("terraform", title, "pass", f"{name} {version} at {binary} (>= {floor})")


def check_checkov(explicit: str | None, env: dict[str, str]) -> CheckResult:
    from dsaas_infra.validate.tools import locate_checkov
    title = "checkov (validate's security stage)"
    found = locate_checkov(explicit, env)
    # Without checkov only the security stage is skipped; it fails when the user named one.
    missing: Status = "fail" if explicit else "warn"
    if found.path is None:
        return CheckResult("checkov", title, missing, found.reason)
    try:
        proc = subprocess.run([found.path, "--version"], capture_output=True, text=True, timeout=120,
                              env={**env, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE", "BC_SKIP_MAPPING": "TRUE"},
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return CheckResult("checkov", title, missing, f"{found.path}: cannot run --version ({e})")
    version = _version_tuple(proc.stdout)
    if proc.returncode != 0 or not version:
        return CheckResult("checkov", title, missing, f"{found.path}: --version exited {proc.returncode}")
    return CheckResult("checkov", title, "pass", f"checkov {'.'.join(map(str, version))} at {found.path}")


def check_snapshots(today: datetime.date) -> list[CheckResult]:
    from dsaas_infra import schemas
    dates = json.loads(resources.files("dsaas_infra.schemas").joinpath("generated.json").read_text())
    results = []
    for provider in schemas.available():
        snapshot = schemas.load(provider) or {}
        generated = dates.get(provider)
        title = f"schema snapshot {provider}"
        if generated is None:
            results.append(CheckResult(f"snapshot-{provider}", title, "warn",
                                       f"{snapshot.get('version', '?')}: generation date not recorded"))
            continue
        age = (today - datetime.date.fromisoformat(generated)).days
        detail = (f"{snapshot.get('version', '?')} from {snapshot.get('origin', '?')}, "
                  f"generated {generated} ({age} days ago)")
        status: Status = "warn" if age > SNAPSHOT_MAX_AGE_DAYS else "pass"
        if status == "warn":
            detail += f": older than {SNAPSHOT_MAX_AGE_DAYS} days, regenerate it (docs/schemas.md)"
        results.append(CheckResult(f"snapshot-{provider}", title, status, detail))
    return results


def check_sdks(cloud: str, asked: bool) -> CheckResult:
    modules = cloud_registry.get(cloud).sdk_modules
    missing = [m for m in modules if importlib.util.find_spec(m.split(".")[0]) is None or _find(m) is None]
    title = f"{cloud} SDKs (preflight, bootstrap)"
    if missing:
        return CheckResult(f"{cloud}-sdk", title, "fail" if asked else "warn",
                           f"not importable: {', '.join(missing)} (pip install 'dsaas-infra[cloud]')")
    return CheckResult(f"{cloud}-sdk", title, "pass", ", ".join(modules))


def _find(module: str):
    try:
        return importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None


def check_credentials(cloud: str, asked: bool, env: dict[str, str]) -> CheckResult:
    """Credentials of ``cloud`` on this machine, looked for locally (never printed, no network call)."""
    found, detail = cloud_registry.get(cloud).local_credentials(env)
    if found:
        return CheckResult(f"{cloud}-credentials", f"{cloud} credentials present", "pass", detail)
    return CheckResult(f"{cloud}-credentials", f"{cloud} credentials present", "fail" if asked else "warn", detail)


def run_checks(clouds: list[str], terraform: str | None = None, checkov: str | None = None,
               env: dict[str, str] | None = None, today: datetime.date | None = None) -> list[CheckResult]:
    env = dict(os.environ if env is None else env)
    results = [check_terraform(terraform, env), check_checkov(checkov, env)]
    results += check_snapshots(today or datetime.date.today())
    for cloud in cloud_registry.names():
        asked = cloud in clouds
        results.append(check_sdks(cloud, asked))
        results.append(check_credentials(cloud, asked, env))
    return results


def run(clouds: list[str], spec: Path | None = None, terraform: str | None = None,
        checkov: str | None = None) -> int:
    clouds = list(clouds)
    if spec is not None:
        from dsaas_infra.spec import load_spec
        if spec.is_dir():
            raise UsageError(f"{spec} is a directory; doctor takes a spec file (YAML)")
        clouds.append(load_spec(spec).cloud)
    results = run_checks(clouds, terraform, checkov)
    print_table(Console(highlight=False, soft_wrap=True), results, "dsaas-infra doctor")
    failed = failures(results)
    if failed:
        raise OperationError(f"doctor: {len(failed)} check{'s' if len(failed) != 1 else ''} failed: "
                             + "; ".join(r.title for r in failed))
    return exit_codes.OK
