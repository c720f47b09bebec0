"""Runs the validation stages in order over one or more blueprint directories and collects a Report."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from dsaas_infra.validate.blueprint import Blueprint, load_blueprint
from dsaas_infra.validate.findings import Report, StageResult
from dsaas_infra.validate.progress import Progress, QuietProgress

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


# Offline stages run blueprint by blueprint, so progress and results come per blueprint; the tool
# stages run once over all blueprints (checkov once for all of them: the slow part).
PER_BLUEPRINT = ("syntax", "references", "schema", "budget")


def _merge(name: str, parts: list[StageResult]) -> StageResult:
    """One stage's per-blueprint results as one: skipped only when it was skipped for every blueprint."""
    merged = StageResult(name, rules=parts[0].rules if parts else {})
    for part in parts:
        merged.findings.extend(part.findings)
        merged.seconds += part.seconds
        merged.details.update(part.details)
    if parts and all(p.skipped_reason is not None for p in parts):
        merged.skipped_reason = parts[0].skipped_reason
        # "nothing to check" (budget without a budget) is not a missing tool: --strict ignores it
        merged.user_skipped = all(p.user_skipped for p in parts)
    return merged


def _timed(name: str, blueprints: list[Blueprint], context: Context) -> StageResult:
    started = time.perf_counter()
    result = import_module(STAGES[name]).run(blueprints, context)
    result.seconds = time.perf_counter() - started
    return result


def run(targets: list[tuple[Path, str]], skip: tuple[str, ...] | list[str] = (),
        context: Context | None = None, progress: Progress | None = None,
        loaded: list[Blueprint] | None = None) -> Report:
    """Validate each (blueprint directory, label) pair; stages named in ``skip`` are not run.
    ``progress`` hears about each blueprint's offline stages and each tool stage as they finish;
    ``loaded``, if given, receives the parsed blueprints."""
    context = context or Context()
    progress = progress or QuietProgress()
    blueprints: list[Blueprint] = [load_blueprint(path, label) for path, label in targets]
    if loaded is not None:
        loaded.extend(blueprints)
    by_name: dict[str, StageResult] = {}
    for name in STAGES:
        if name in skip:
            by_name[name] = StageResult(name, skipped_reason="skipped on request (--skip)", user_skipped=True)
        elif name in OPT_IN and name not in context.enable:
            by_name[name] = StageResult(name, skipped_reason=OPT_IN[name], user_skipped=True)
    offline = [n for n in PER_BLUEPRINT if n not in by_name]
    tools = [n for n in STAGES if n not in PER_BLUEPRINT and n not in by_name]
    progress.start(len(blueprints), len(blueprints) * len(offline) + len(tools))
    try:
        parts: dict[str, list[StageResult]] = {n: [] for n in offline}
        for i, bp in enumerate(blueprints, 1):
            done = [_timed(n, [bp], context) for n in offline]
            for name, result in zip(offline, done, strict=True):
                parts[name].append(result)
            progress.blueprint_done(i, len(blueprints), bp.label, done)
        by_name.update({n: _merge(n, parts[n]) for n in offline})
        for name in tools:
            progress.stage_started(name, len(blueprints))
            by_name[name] = _timed(name, blueprints, context)
            progress.stage_done(by_name[name])
    finally:
        progress.close()
    results = []
    for name in STAGES:
        result = by_name[name]
        result.findings.sort(key=lambda f: f.sort_key())
        results.append(result)
    return Report(targets=[bp.label for bp in blueprints], stages=results)
