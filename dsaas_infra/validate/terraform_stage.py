"""Stage 5: ``terraform init -backend=false`` + ``validate -json`` when the providers are on this machine."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from dsaas_infra.validate import providers
from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, WARNING, Finding, Rule, StageResult
from dsaas_infra.validate.limits import copy_tree
from dsaas_infra.validate.tools import locate_terraform, run_tool

NAME = "terraform"
RULES = {r.id: r for r in [
    Rule("TF001", "terraform-error", "`terraform validate` reported an error."),
    Rule("TF002", "terraform-warning", "`terraform validate` reported a warning.", WARNING),
    Rule("TF003", "init-failed", "`terraform init -backend=false` failed on the blueprint's configuration."),
]}
# init failures that say "the providers could not be had", not "the blueprint is wrong"
_PROVIDER_TROUBLE = ("Failed to query available provider packages", "Failed to install provider",
                     "Incompatible provider version", "could not connect to", "registry.terraform.io")


def init_args(binary: str) -> list[str]:
    return [binary, "init", "-backend=false", "-input=false", "-no-color"]


def validate_args(binary: str) -> list[str]:
    return [binary, "validate", "-json", "-no-color"]


def diagnostics_to_findings(doc: dict, bp: Blueprint, workdir: Path) -> list[Finding]:
    findings = []
    for diag in doc.get("diagnostics", []):
        severity = ERROR if diag.get("severity") == "error" else WARNING
        rng = diag.get("range") or {}
        file = bp.display(bp.path / rng["filename"]) if rng.get("filename") else bp.label
        context = (diag.get("snippet") or {}).get("context") or ""
        message = diag.get("summary", "")
        if diag.get("detail"):
            message += ": " + " ".join(diag["detail"].split())
        findings.append(Finding(NAME, "TF001" if severity == ERROR else "TF002", severity, message, file,
                                (rng.get("start") or {}).get("line"), _address(context)))
    return findings


def _address(context: str) -> str | None:
    """``resource "aws_s3_bucket" "raw"`` -> ``aws_s3_bucket.raw`` (snippet context of a diagnostic)."""
    words = context.replace('"', " ").split()
    if len(words) >= 3 and words[0] == "resource":
        return f"{words[1]}.{words[2]}"
    if len(words) >= 3 and words[0] == "data":
        return f"data.{words[1]}.{words[2]}"
    if len(words) >= 2 and words[0] in ("module", "output", "variable"):
        return f"{ {'variable': 'var'}.get(words[0], words[0])}.{words[1]}"
    return None


OFFLINE_HINT = ("put the providers in a filesystem mirror or plugin cache "
                "(DSAAS_TF_PLUGIN_MIRROR, TF_PLUGIN_CACHE_DIR) "
                "or set DSAAS_TF_NETWORK=1 to let terraform init download them")


def run(blueprints: list[Blueprint], context) -> StageResult:
    """Blueprints whose providers are not on this machine are not run; the stage is then reported skipped
    with the reason (findings from the blueprints that did run still count)."""
    result = StageResult(NAME, rules=RULES)
    tool = locate_terraform(context.terraform_bin, context.env)
    if tool.path is None:
        result.skipped_reason = tool.reason
        return result
    registry = providers.TOFU_REGISTRY if Path(tool.path).name.startswith("tofu") else providers.REGISTRY
    needs = {bp.label: providers.required(bp, registry) for bp in blueprints}
    plan = providers.locate(sorted(set().union(*needs.values())), context.env)
    offline: dict[tuple[str, ...], list[str]] = {}  # missing providers -> blueprints
    not_run: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dsaas-tf-") as tmp:
        env = {**context.env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        config = providers.write_cli_config(plan, Path(tmp) / "cli.tfrc")
        if config:
            env["TF_CLI_CONFIG_FILE"] = str(config)
            env.pop("TF_PLUGIN_CACHE_DIR", None)
        for i, bp in enumerate(blueprints):
            missing = sorted(needs[bp.label] & set(plan.missing))
            if missing and not plan.network:
                offline.setdefault(tuple(m.removeprefix(registry + "/") for m in missing), []).append(
                    bp.label)
                continue
            problem = _run_one(tool.path, bp, Path(tmp) / f"bp{i}", env, result)
            if problem:
                not_run.append(f"{bp.label} ({problem})")
    not_run = [f"{', '.join(labels)} (providers not available offline: {', '.join(missing)})"
               for missing, labels in offline.items()] + not_run
    if not_run:
        result.skipped_reason = f"not run on {'; '.join(not_run)}: {OFFLINE_HINT}"
    return result


def _run_one(binary: str, bp: Blueprint, workdir: Path, env: dict[str, str], result: StageResult) -> str | None:
    """init + validate one blueprint; returns why it could not run, if so."""
    # a copy: init writes .terraform/ and a lock file, which must not land in the user's blueprint
    copy_tree(bp.path, workdir, skip=frozenset({".terraform", ".terraform.lock.hcl"}))
    init = run_tool(init_args(binary), cwd=workdir, env=env, timeout=300)
    if init.returncode != 0:
        text = " ".join(init.stderr.split())
        if any(marker in text for marker in _PROVIDER_TROUBLE):
            return f"terraform init could not install providers: {text[:300]}"
        result.findings.append(Finding(NAME, "TF003", ERROR, f"terraform init failed: {text[:500]}", bp.label))
        return None
    proc = run_tool(validate_args(binary), cwd=workdir, env=env, timeout=300)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        doc = {"diagnostics": [{"severity": "error", "summary": "terraform validate gave no JSON",
                                "detail": proc.stderr}]}
    result.findings.extend(diagnostics_to_findings(doc, bp, workdir))
    return None
