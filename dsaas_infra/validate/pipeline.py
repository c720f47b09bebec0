"""Runs the validation stages in order over one or more blueprint directories and collects a Report."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from dsaas_infra.validate.blueprint import Blueprint, load_blueprint
from dsaas_infra.validate.findings import Report, StageResult

# stage name -> module (each has NAME, RULES and run(blueprints, context) -> StageResult)
STAGES: dict[str, str] = {
    "syntax": "dsaas_infra.validate.syntax",
    "references": "dsaas_infra.validate.references",
    "schema": "dsaas_infra.validate.schema",
    "budget": "dsaas_infra.validate.budget",
    "format": "dsaas_infra.validate.fmt",
    "terraform": "dsaas_infra.validate.terraform_stage",
    "plan": "dsaas_infra.validate.plan_stage",
    "security": "dsaas_infra.validate.security",
}


@dataclass
class Context:
    """What the tool-driven stages need: explicit binaries (else env/.tools/PATH) and the environment."""

    terraform_bin: str | None = None
    checkov_bin: str | None = None
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    enable: tuple[str, ...] = ()  # opt-in stages to run (--with); --strict runs them all


# stages that cost seconds per blueprint: run only with --with NAME or --strict
OPT_IN: dict[str, str] = {"plan": "not run by default (seconds per blueprint): --with plan or --strict enables it"}


def run(targets: list[tuple[Path, str]], skip: tuple[str, ...] | list[str] = (),
        context: Context | None = None) -> Report:
    """Validate each (blueprint directory, label) pair; stages named in ``skip`` are not run."""
    context = context or Context()
    blueprints: list[Blueprint] = [load_blueprint(path, label) for path, label in targets]
    results = []
    for name, module_name in STAGES.items():
        if name in skip:
            results.append(StageResult(name, skipped_reason="skipped on request (--skip)", user_skipped=True))
            continue
        if name in OPT_IN and name not in context.enable:
            results.append(StageResult(name, skipped_reason=OPT_IN[name], user_skipped=True))
            continue
        stage = import_module(module_name)
        started = time.perf_counter()
        result = stage.run(blueprints, context)
        result.seconds = time.perf_counter() - started
        result.findings.sort(key=lambda f: f.sort_key())
        results.append(result)
    return Report(targets=[bp.label for bp in blueprints], stages=results)
