"""Stage `plan` (opt-in): real `terraform validate` and `plan -refresh=false` offline against stub providers."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dsaas_infra import schemas
from dsaas_infra.validate import providers
from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, INFO, WARNING, Finding, Rule, StageResult
from dsaas_infra.validate.tools import locate_terraform, run_tool

NAME = "plan"
RULES = {r.id: r for r in [
    Rule("PLN001", "validate-error", "`terraform validate` (against the provider schemas) reported an error."),
    Rule("PLN002", "validate-warning", "`terraform validate` reported a warning.", WARNING),
    Rule("PLN003", "plan-error", "`terraform plan -refresh=false` reported an error."),
    Rule("PLN004", "plan-warning", "`terraform plan -refresh=false` reported a warning.", WARNING),
    Rule("PLN005", "init-failed", "`terraform init` from the offline provider mirror failed."),
    Rule("PLN006", "stub-limits", "Planned against stub providers: provider-side checks did not run.", INFO),
]}
OVERRIDE = "zz_dsaas_plan_backend_override.tf"
_CONSTRAINT = re.compile(r"\s*(~>|>=|<=|!=|>|<|=)?\s*v?([0-9][0-9.]*)\s*")


@dataclass
class Outcome:
    """One blueprint's plan: findings, the planned resources and their known planned values."""

    findings: list[Finding] = field(default_factory=list)
    resources: list[dict] = field(default_factory=list)  # {"address", "type", "action"}
    values: dict[str, dict] = field(default_factory=dict)  # address -> planned (known) values
    stubs: list[str] = field(default_factory=list)
    not_run: str | None = None


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def satisfies(version: str, constraint: str) -> bool:
    """Terraform's version constraint syntax (``~> 6.0``, ``>= 1.2, < 2``), for picking a mirrored provider."""
    have = _version_tuple(version)
    for part in filter(None, (p.strip() for p in constraint.split(","))):
        m = _CONSTRAINT.fullmatch(part)
        if not m:
            return False
        op, want_text = m.group(1) or "=", m.group(2)
        want = _version_tuple(want_text)
        padded = have + (0,) * max(0, len(want) - len(have))
        if op == "~>":
            prefix = want[:-1] if len(want) > 1 else want
            if padded < want or padded[:len(prefix)] != prefix:
                return False
        elif not {"=": padded == want, "!=": padded != want, ">": padded > want, ">=": padded >= want,
                  "<": padded < want, "<=": padded <= want}[op]:
            return False
    return True


def _constraints(bp: Blueprint) -> dict[str, str]:
    out: dict[str, str] = {}
    for module in bp.modules.values():
        for tf in module.top("terraform"):
            for req in tf.children("required_providers"):
                for local, attr in req.attributes.items():
                    value = attr.value if isinstance(attr.value, dict) else {}
                    addr = providers.address(str(value.get("source", local)))
                    if value.get("version"):
                        out[addr] = ", ".join(filter(None, (out.get(addr), str(value["version"]))))
    return out


def _real_provider(directory: Path, address: str, constraint: str, os_arch: str) -> bool:
    base = directory / address
    kind = address.rsplit("/", 1)[-1]
    versions = [p.parent.name for p in base.glob(f"*/{os_arch}/terraform-provider-{kind}*")]
    versions += [m.group(1) for p in base.glob(f"terraform-provider-{kind}_*_{os_arch}.zip")
                 if (m := re.match(rf"terraform-provider-{re.escape(kind)}_([^_]+)_", p.name))]
    return any(satisfies(v, constraint) for v in versions) if constraint else bool(versions)


def stub_mirror(env: dict[str, str]) -> Path:
    """Where the stubs are installed: $DSAAS_STUB_MIRROR, else a per-user cache keyed by this installation
    (the interpreter, the package and its snapshots), built once and reused."""
    if env.get("DSAAS_STUB_MIRROR"):
        return Path(env["DSAAS_STUB_MIRROR"])
    package = Path(schemas.__file__).resolve().parent
    key = hashlib.sha256(sys.executable.encode() + str(package).encode())
    for snap in sorted(package.glob("*.json.gz")):
        stat = snap.stat()
        key.update(f"{snap.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    # A bounded user-cache folder (usercache.BOUNDS): each upgrade adds a mirror, unused ones are pruned.
    from dsaas_infra.usercache import cache_root, touch, writable_dir

    folder = writable_dir("stub-providers", env) or cache_root(env) / "stub-providers"
    mirror = folder / key.hexdigest()[:16]
    touch(mirror)  # used now: pruning goes by last use
    return mirror


def _cli_config(real: dict[str, Path], stubs: list[str], mirror: Path, path: Path) -> Path:
    by_dir: dict[Path, list[str]] = {}
    for address, directory in sorted(real.items()):
        by_dir.setdefault(directory, []).append(address)
    if stubs:
        by_dir.setdefault(mirror, []).extend(stubs)
    lines = ["provider_installation {"]
    for directory, addresses in by_dir.items():
        lines += ["  filesystem_mirror {", f"    path    = {json.dumps(str(directory.resolve()))}",
                  f"    include = {json.dumps(sorted(addresses))}", "  }"]
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    return path


def plan_blueprint(bp: Blueprint, terraform: str, env: dict[str, str], workdir: Path,
                   with_values: bool = False) -> Outcome:
    """init + validate + plan one blueprint in ``workdir`` (a scratch copy with a local backend);
    ``with_values`` also reads the planned values (`terraform show -json`: one more round of provider starts)."""
    from dsaas_infra.stubprovider import mirror as stub_mirror_mod

    outcome = Outcome()
    os_arch = providers.platform_dir()
    needed = sorted(providers.required(bp))
    constraints = _constraints(bp)
    dirs = providers.candidate_dirs(env)
    real: dict[str, Path] = {}
    stubs: list[str] = []
    for address in needed:
        where = next((d for d in dirs if _real_provider(d, address, constraints.get(address, ""), os_arch)), None)
        namespace, kind = address.split("/")[-2:]
        if where is not None:
            real[address] = where
        elif namespace == "hashicorp" and schemas.load(kind) is not None:
            stubs.append(address)
        else:
            outcome.not_run = f"no provider or stub for {address.removeprefix(providers.REGISTRY + '/')}"
            return outcome
    mirror = stub_mirror(env)
    if stubs:
        stub_mirror_mod.build(mirror, [a.rsplit("/", 1)[-1] for a in stubs], os_arch)
    outcome.stubs = [a.rsplit("/", 1)[-1] for a in stubs]

    shutil.copytree(bp.path, workdir, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl",
                                                                     "*.tfstate", "*.tfstate.backup"))
    (workdir / OVERRIDE).write_text('terraform {\n  backend "local" {\n    path = "terraform.tfstate"\n  }\n}\n')
    types_file = workdir.parent / f"{workdir.name}.types.json"
    types_file.write_text(json.dumps(_used_types(bp)))
    run_env = {**env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0",
               "DSAAS_STUB_TYPES": str(types_file),
               "TF_CLI_CONFIG_FILE": str(_cli_config(real, stubs, mirror, workdir.parent / f"{workdir.name}.tfrc"))}
    for name in ("TF_PLUGIN_CACHE_DIR", "TF_CLI_ARGS", "TF_CLI_ARGS_init", "TF_CLI_ARGS_plan", "TF_WORKSPACE"):
        run_env.pop(name, None)

    init = run_tool([terraform, "init", "-input=false", "-no-color"], cwd=workdir, env=run_env, timeout=300)
    if init.returncode != 0:
        text = " ".join((init.stderr or init.stdout).split())
        outcome.findings.append(Finding(NAME, "PLN005", ERROR, f"terraform init failed: {text[:600]}", bp.label))
        return outcome
    proc = run_tool([terraform, "validate", "-json", "-no-color"], cwd=workdir, env=run_env, timeout=300)
    try:
        diags = json.loads(proc.stdout).get("diagnostics", [])
    except json.JSONDecodeError:
        diags = [{"severity": "error", "summary": "terraform validate gave no JSON", "detail": proc.stderr[:600]}]
    outcome.findings.extend(_finding(d, bp, "PLN001", "PLN002") for d in diags)
    if any(d.get("severity") == "error" for d in diags):
        return outcome
    proc = run_tool([terraform, "plan", "-refresh=false", "-input=false", "-lock=false", "-no-color", "-json",
                     "-out=plan.bin"], cwd=workdir, env=run_env, timeout=600)
    seen_diag = False
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("type") == "diagnostic":
            seen_diag = True
            outcome.findings.append(_finding(msg["diagnostic"], bp, "PLN003", "PLN004"))
        elif msg.get("type") == "planned_change":
            change = msg.get("change", {})
            resource = change.get("resource", {})
            addr = resource.get("addr", "")
            if addr.startswith("data.") or ".data." in addr:
                continue
            outcome.resources.append({"address": addr, "type": resource.get("resource_type"),
                                      "action": change.get("action")})
    outcome.resources.sort(key=lambda r: r["address"])
    if proc.returncode != 0:
        if not seen_diag:
            outcome.findings.append(Finding(NAME, "PLN003", ERROR, "terraform plan failed: "
                                            + " ".join((proc.stderr or proc.stdout).split())[:600], bp.label))
        return outcome
    if not with_values:
        return outcome
    show = run_tool([terraform, "show", "-json", "plan.bin"], cwd=workdir, env=run_env, timeout=300)
    try:
        doc = json.loads(show.stdout)
    except json.JSONDecodeError:
        outcome.findings.append(Finding(NAME, "PLN003", ERROR, "terraform show -json gave no JSON: "
                                        + " ".join(show.stderr.split())[:600], bp.label))
        return outcome
    for change in doc.get("resource_changes", []):
        if change.get("mode") == "managed":
            outcome.values[change["address"]] = change.get("change", {}).get("after") or {}
    return outcome


def _used_types(bp: Blueprint) -> dict[str, dict[str, list[str]]]:
    """Per provider type name, the resource and data-source types the blueprint declares (what a stub serves)."""
    from dsaas_infra.validate.schema import _required_providers, provider_of

    out: dict[str, dict[str, set[str]]] = {}
    for module in bp.modules.values():
        sources = _required_providers(module) | _required_providers(bp.root)
        stack = list(module.blocks)
        while stack:
            block = stack.pop()
            if block.type == "check":
                stack.extend(block.blocks)
            if block.type not in ("resource", "data") or len(block.labels) != 2:
                continue
            local = provider_of(block)
            provider = sources.get(local, {}).get("type", local)
            section = "resources" if block.type == "resource" else "data_sources"
            out.setdefault(provider, {}).setdefault(section, set()).add(block.labels[0])
    return {p: {k: sorted(v) for k, v in sections.items()} for p, sections in out.items()}


def _finding(diag: dict, bp: Blueprint, error_rule: str, warning_rule: str) -> Finding:
    severity = ERROR if diag.get("severity") == "error" else WARNING
    rng = diag.get("range") or {}
    filename = rng.get("filename")
    file = bp.display(bp.path / filename) if filename and filename != OVERRIDE else bp.label
    message = diag.get("summary", "")
    if diag.get("detail"):
        message += ": " + " ".join(diag["detail"].split())
    address = diag.get("address") or _address((diag.get("snippet") or {}).get("context") or "")
    return Finding(NAME, error_rule if severity == ERROR else warning_rule, severity, message, file,
                   (rng.get("start") or {}).get("line"), address)


def _address(context: str) -> str | None:
    """``resource "aws_s3_bucket" "raw"`` -> ``aws_s3_bucket.raw`` (a diagnostic's snippet context)."""
    words = context.replace('"', " ").split()
    if len(words) >= 3 and words[0] in ("resource", "data"):
        return ("data." if words[0] == "data" else "") + f"{words[1]}.{words[2]}"
    if len(words) >= 2 and words[0] in ("module", "output", "variable"):
        return f"{ {'variable': 'var'}.get(words[0], words[0])}.{words[1]}"
    return None


def run(blueprints: list[Blueprint], context) -> StageResult:
    from dsaas_infra.stubprovider import CANNOT_CHECK

    result = StageResult(NAME, rules=RULES)
    tool = locate_terraform(context.terraform_bin, context.env)
    if tool.path is None:
        result.skipped_reason = tool.reason
        return result
    not_run = []
    inventory: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="dsaas-plan-") as tmp:
        for i, bp in enumerate(blueprints):
            if any(m.errors for m in bp.modules.values()):
                not_run.append(f"{bp.label} (does not parse; see the syntax stage)")
                continue
            outcome = plan_blueprint(bp, tool.path, context.env, Path(tmp) / f"bp{i}")
            if outcome.not_run:
                not_run.append(f"{bp.label} ({outcome.not_run})")
                continue
            result.findings.extend(outcome.findings)
            inventory[bp.label] = outcome.resources
            if outcome.stubs and not any(f.severity == ERROR for f in outcome.findings):
                result.findings.append(Finding(
                    NAME, "PLN006", INFO, f"planned {len(outcome.resources)} resources with stub providers for "
                    f"{', '.join(outcome.stubs)}: Terraform checked types, arguments, blocks, references, "
                    f"functions, count/for_each and conditions; {CANNOT_CHECK}", bp.label))
    result.details["inventory"] = inventory
    if not_run:
        result.skipped_reason = f"not run on {'; '.join(not_run)}"
    return result
