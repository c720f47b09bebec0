"""validate results remembered per blueprint, keyed on everything they depend on (--no-cache bypasses it).

The key of one blueprint's results is a hash of: its label (findings name files by it), the
content of every file under its directory (and of the spec it was rendered from, which the
budget stage reads), the stages
asked for (--skip, --with), this dsaas-infra (its version and the files of the installed package:
rules, schema snapshots, prices), the tools the stages would run (Terraform's `version -json`,
checkov's installed version and executable) and the DSAAS_* environment. Anything changed is a
miss. Results are remembered as they were: failures as failures, a stage skipped for a reason
the key covers (tool missing, providers not on this machine) as skipped. A blueprint whose report
has a stage that could not run for any other reason (checkov crashed or timed out, a provider
download failed) is never stored, so a cache hit never turns "did not run" into "passed".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

from dsaas_infra.validate.findings import Finding, Report, Rule, StageResult

SCHEMA = 1  # bump when the stored form or what a key covers changes
NOTHING_TO_CHECK = "(nothing to check)"
_SKIP_DIRS = frozenset({".terraform", ".git"})


def _digest_tree(root: Path, h: hashlib._Hash) -> None:
    for here, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            path = Path(here) / name
            h.update(b"\0F" + str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
            if path.is_symlink():
                h.update(b"L" + os.readlink(path).encode("utf-8", "surrogateescape"))
                continue
            try:
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
            except OSError as e:
                h.update(f"unreadable {e.errno}".encode())


def _package_fingerprint() -> str:
    """The installed dsaas-infra: version, and size and mtime of every file of the package."""
    from dsaas_infra import __version__

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            try:
                st = os.stat(os.path.join(here, name))
            except OSError:
                continue
            h.update(f"{os.path.relpath(os.path.join(here, name), root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _stat(path: str) -> str:
    try:
        resolved = os.path.realpath(path)
        st = os.stat(resolved)
        return f"{resolved}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return f"{path}:missing"


def terraform_identity(binary: str, env: dict[str, str]) -> str:
    """What `terraform version -json` says (a launcher script's own stat says nothing of the engine)."""
    try:
        proc = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, env=env, timeout=60,
                              stdin=subprocess.DEVNULL, check=False)
        version = proc.stdout.strip() if proc.returncode == 0 else f"exit {proc.returncode}"
    except (OSError, subprocess.TimeoutExpired) as e:
        version = f"unrunnable {type(e).__name__}"
    return f"{_stat(binary)} {version}"


def checkov_identity(binary: str) -> str:
    """checkov's version from the metadata of the venv it runs from (running `checkov --version`
    costs seconds of CPU), and its executable."""
    bin_dir = Path(os.path.realpath(binary)).parent
    found = sorted(str(p.name) for p in bin_dir.parent.glob("lib/python*/site-packages/checkov-*.dist-info"))
    return f"{_stat(binary)} {' '.join(found) or 'no dist-info'}"


@dataclasses.dataclass
class ResultCache:
    directory: Path
    base: str  # the key part common to every blueprint of this run
    # why a tool stage is skipped when its tool is missing: a reason the key covers (the tool's
    # lookup is in it), so such a skip may be remembered, as a skip
    missing_tools: frozenset[str] = frozenset()

    @classmethod
    def open(cls, directory: Path, skip: tuple[str, ...], context) -> ResultCache:
        from dsaas_infra.validate import pipeline
        from dsaas_infra.validate.tools import locate_checkov, locate_terraform

        run = [s for s in pipeline.STAGES if s not in skip and (s not in pipeline.OPT_IN or s in context.enable)]
        parts = [f"schema {SCHEMA}", f"package {_package_fingerprint()}", f"stages {run}"]
        missing = set()
        if {"format", "terraform", "plan"} & set(run):
            tool = locate_terraform(context.terraform_bin, context.env)
            parts.append(f"terraform {terraform_identity(tool.path, context.env) if tool.path else tool.reason}")
            missing.add(tool.reason)
            if {"terraform", "plan"} & set(run):
                parts.append(f"providers {provider_fingerprint(context.env)}")
        if "security" in run:
            tool = locate_checkov(context.checkov_bin, context.env)
            parts.append(f"checkov {checkov_identity(tool.path) if tool.path else tool.reason}")
            missing.add(tool.reason)
        parts.extend(f"env {k}={v}" for k, v in sorted(context.env.items()) if k.startswith(("DSAAS_", "TF_")))
        return cls(directory, hashlib.sha256("\n".join(parts).encode()).hexdigest(),
                   frozenset(r for r in missing if r))

    def key(self, path: Path, label: str) -> str:
        from dsaas_infra.blueprint_dir import read_source

        h = hashlib.sha256(f"{self.base}\n{label}\n".encode())
        _digest_tree(path, h)
        spec = read_source(path).get("spec") if path.is_dir() else None
        if spec:
            h.update(b"\0spec " + str(spec).encode())
            try:
                h.update(Path(spec).read_bytes())
            except OSError:
                h.update(b"missing")
        return h.hexdigest()

    def load(self, key: str) -> Report | None:
        from dsaas_infra.usercache import touch

        path = self.directory / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("schema") != SCHEMA:
                return None
            report = _report(data["report"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, half-written or from an older layout: a miss
        touch(path)  # pruning (usercache.BOUNDS) removes what has not been used for longest
        return report

    def store(self, key: str, report: Report) -> bool:
        """Remember ``report`` if every stage in it ran or was left out on request; True if stored."""
        if not cacheable(report, self.missing_tools):
            return False
        try:
            text = json.dumps({"schema": SCHEMA, "report": dataclasses.asdict(report)})
            if _report(json.loads(text)["report"]) != report:
                return False  # something JSON does not keep (a tuple, a non-string key): not stored
        except (TypeError, ValueError):
            return False
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:
            return False
        return True


def cacheable(report: Report, missing_tools: frozenset[str] = frozenset()) -> bool:
    """Whether every stage of ``report`` ran, was left out on request, or was skipped for a reason
    the key covers: a missing tool, or providers this machine does not have (the provider
    fingerprint is in the key). A skip for anything else (a failed download, say) is not
    remembered: the next run tries again."""
    def settled(s: StageResult) -> bool:
        reason = s.skipped_reason
        if reason is None or s.user_skipped or reason.endswith(NOTHING_TO_CHECK) or reason in missing_tools:
            return True
        return s.stage == "terraform" and "could not install providers" not in reason
    return all(settled(s) for s in report.stages)


def provider_fingerprint(env: dict[str, str]) -> str:
    """What decides which providers the terraform and plan stages find offline: the Terraform CLI
    configuration, and the provider directories (registry/namespace/type/version/platform) of
    every mirror and plugin cache it or the environment names."""
    from dsaas_infra.validate.providers import candidate_dirs

    h = hashlib.sha256()
    config = Path(env.get("TF_CLI_CONFIG_FILE") or Path(env.get("HOME", "~")).expanduser() / ".terraformrc")
    try:
        h.update(config.read_bytes())
    except OSError:
        h.update(b"no cli config")
    for directory in candidate_dirs(env):
        h.update(f"\0{directory}".encode())
        if directory.is_dir():
            for path in sorted(directory.glob("*/*/*/*/*")):
                h.update(f"\n{path.relative_to(directory)}".encode())
    return h.hexdigest()


def _report(data: dict) -> Report:
    stages = []
    for s in data["stages"]:
        stages.append(StageResult(
            stage=s["stage"], findings=[Finding(**f) for f in s["findings"]], skipped_reason=s["skipped_reason"],
            user_skipped=s["user_skipped"], seconds=s["seconds"],
            rules={k: Rule(**r) for k, r in s["rules"].items()}, details=s["details"]))
    return Report(targets=list(data["targets"]), stages=stages)

