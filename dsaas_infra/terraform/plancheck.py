"""Before apply: is the saved plan file the one `plan` made, for this blueprint's configuration?"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from dsaas_infra.terraform.addresses import declarations

_TOP = re.compile(r'^(output|variable)\s+"([^"]+)"\s*\{', re.M)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def blueprint_configuration(blueprint: Path) -> set[str]:
    """What the root module of ``blueprint`` declares: resources, data sources, module calls,
    outputs and variables, as ``aws_s3_bucket.raw``, ``data.x.y``, ``module.m``,
    ``output.o``, ``var.v``."""
    found = set(declarations(blueprint))
    for path in sorted(blueprint.glob("*.tf")):
        for kind, name in _TOP.findall(path.read_text(encoding="utf-8", errors="replace")):
            found.add(f"{'output' if kind == 'output' else 'var'}.{name}")
    return found


def plan_configuration(plan_json: dict[str, Any]) -> set[str]:
    """The same declarations, from the ``configuration`` of `terraform show -json PLAN`."""
    root = (plan_json.get("configuration") or {}).get("root_module") or {}
    found = set()
    for resource in root.get("resources") or ():
        found.add(resource["address"])
    for name in root.get("module_calls") or {}:
        found.add(f"module.{name}")
    for name in root.get("outputs") or {}:
        found.add(f"output.{name}")
    for name in root.get("variables") or {}:
        found.add(f"var.{name}")
    return found


def configuration_differences(plan_json: dict[str, Any], blueprint: Path) -> list[str]:
    """Declarations only the plan has ("x (only in the plan)") or only the blueprint has."""
    planned = plan_configuration(plan_json)
    present = blueprint_configuration(blueprint)
    return ([f"{a} (only in the plan)" for a in sorted(planned - present)]
            + [f"{a} (not in the plan)" for a in sorted(present - planned)])
