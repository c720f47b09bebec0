"""Validate many blueprints on a bounded pool of processes and merge their reports into one."""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from dsaas_infra.validate import pipeline
from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.cache import ResultCache
from dsaas_infra.validate.findings import Report, StageResult
from dsaas_infra.validate.progress import Progress, QuietProgress

# How a stage says it had nothing to check on a blueprint (not that it could not run).
NOTHING_TO_CHECK = "(nothing to check)"


# Stages run once over all the blueprints that need them, as one process each, started before the
# per-blueprint stages and running alongside them: checkov and `terraform fmt` cost seconds to start.
SHARED = ("format", "security")


def _one(target: tuple[Path, str], skip: tuple[str, ...], context: pipeline.Context) -> tuple[Report, bool]:
    """One blueprint's report (the shared stages left out), and whether it declares cloud resources."""
    from dsaas_infra.validate.security import declares_cloud_resources

    loaded: list = []
    report = pipeline.run([target], skip, context, loaded=loaded)
    return report, declares_cloud_resources(loaded[0])


def run(targets: list[tuple[Path, str]], skip: tuple[str, ...], context: pipeline.Context,
        jobs: int | None = None, progress: Progress | None = None, cache: ResultCache | None = None) -> Report:
    """The report of ``pipeline.run(targets, ...)``, built blueprint by blueprint: each blueprint's
    own stages in a pool of ``jobs`` workers, while one `terraform fmt` and one checkov process
    run over all of them; blueprints whose results ``cache`` holds are not validated again.
    ``progress`` hears of each blueprint as its worker finishes, then of each shared stage."""
    from dsaas_infra.render.parallel import default_jobs
    from dsaas_infra.validate import fmt, security

    jobs = default_jobs() if jobs is None else jobs
    progress = progress or QuietProgress()
    skip = tuple(skip)
    reports: list[Report | None] = [None] * len(targets)
    keys: list[str | None] = [None] * len(targets)
    if cache is not None:
        cache_keys = [cache.key(path, label) for path, label in targets]
        keys = list[str | None](cache_keys)
        reports = [cache.load(k) for k in cache_keys]
    todo = [i for i, r in enumerate(reports) if r is None]
    shared = [name for name in SHARED if name not in skip]
    inner = skip + tuple(shared)
    light = [Blueprint(path=targets[i][0].resolve(), label=targets[i][1]) for i in todo]
    progress.start(len(targets), len(targets) + len(shared))
    try:
        for n, i in enumerate(i for i, r in enumerate(reports) if r is not None):
            cached = reports[i]
            assert cached is not None
            progress.blueprint_done(n + 1, len(targets), f"{targets[i][1]} (cached)",
                                    [s for s in cached.stages if not s.user_skipped])
        started: dict[str, Any] = {}
        if todo:
            # Before the pool forks: the workers must not inherit a half-started process.
            if "security" in shared:
                started["security"] = security.start([b.path for b in light], context)
            if "format" in shared:
                started["format"] = fmt.start([b.path for b in light], context)
        declares = _own_stages(targets, todo, inner, context, jobs, reports, progress,
                               done=len(targets) - len(todo))
        standalone = [True] * len(todo)
        for name in shared:
            if not todo:
                break
            progress.stage_started(name, len(todo))
            began = time.perf_counter()
            parts, whole, ok = _collect(name, started[name], light, declares)
            whole.seconds = time.perf_counter() - began
            progress.stage_done(whole)
            for j, i in enumerate(todo):
                report = reports[i]
                assert report is not None
                parts[j].seconds = whole.seconds if j == 0 else 0.0
                report.stages = [parts[j] if s.stage == name else s for s in report.stages]
                standalone[j] = standalone[j] and ok[j]
    finally:
        progress.close()
    if cache is not None:
        for j, i in enumerate(todo):
            key, report = keys[i], reports[i]
            if standalone[j] and key is not None and report is not None:
                cache.store(key, report)
    done = [r for r in reports if r is not None]
    return done[0] if len(done) == 1 else merge(done)


def _own_stages(targets, todo, skip, context, jobs, reports, progress, done: int) -> list[bool]:
    """Run each blueprint's own stages (in workers when there are several), filling ``reports``."""
    declares: dict[int, bool] = {}
    if jobs <= 1 or len(todo) <= 1:
        for n, i in enumerate(todo, done + 1):
            reports[i], declares[i] = _one(targets[i], skip, context)
            progress.blueprint_done(n, len(targets), targets[i][1],
                                    [s for s in reports[i].stages if not s.user_skipped])
        return [declares[i] for i in todo]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=ctx) as pool:
        futures = {pool.submit(_one, targets[i], skip, context): i for i in todo}
        for n, future in enumerate(as_completed(futures), done + 1):
            i = futures[future]
            reports[i], declares[i] = future.result()
            progress.blueprint_done(n, len(targets), targets[i][1],
                                    [s for s in reports[i].stages if not s.user_skipped])
    return [declares[i] for i in todo]


def _collect(name, started, light: list[Blueprint], declares: list[bool]):
    """(one result per blueprint, the stage's result over all, per blueprint: may it be cached)."""
    from dsaas_infra.validate import fmt, security
    from dsaas_infra.validate.findings import StageResult

    if isinstance(started, StageResult):  # the tool is not installed: skipped for every blueprint
        parts = [dataclasses.replace(started, findings=[]) for _ in light]
        return parts, started, [False] * len(light)
    if name == "security":
        whole, parts, alone = security.collect(started, light, declares)
        return parts, whole, [alone] * len(light)
    whole = fmt.collect(started, light)
    parts, ok = split_by_blueprint(whole, light)
    return parts, whole, ok


def split_by_blueprint(result: StageResult, blueprints: list[Blueprint]) -> tuple[list[StageResult], list[bool]]:
    """A stage's result over several blueprints as one result each: a finding belongs to the blueprint
    whose label names its file; one naming none goes to the first blueprint, and then no
    blueprint's part stands on its own (it may not be cached)."""
    parts = [StageResult(result.stage, rules=result.rules, skipped_reason=result.skipped_reason,
                         user_skipped=result.user_skipped) for _ in blueprints]
    by_label = sorted(((bp.label, i) for i, bp in enumerate(blueprints)), key=lambda x: -len(x[0]))
    whole_ok = True
    for finding in result.findings:
        owner = next((i for label, i in by_label
                      if finding.file == label or (finding.file or "").startswith(label + "/")), None)
        if owner is None:
            whole_ok = False
            owner = 0
        parts[owner].findings.append(finding)
    return parts, [whole_ok] * len(blueprints)


def merge(reports: list[Report]) -> Report:
    """One report: targets in order, each stage's findings together (sorted as the pipeline sorts)."""
    stages = []
    for parts in zip(*(r.stages for r in reports), strict=False):
        merged = StageResult(parts[0].stage, user_skipped=parts[0].user_skipped)
        for part in parts:
            merged.findings.extend(part.findings)
            merged.rules.update(part.rules)
            merged.seconds += part.seconds
            for key, value in part.details.items():  # e.g. the plan stage's inventory per blueprint
                if isinstance(value, dict):
                    merged.details.setdefault(key, {}).update(value)
        merged.skipped_reason = _skipped(parts)
        merged.findings.sort(key=lambda f: f.sort_key())
        stages.append(merged)
    return Report(targets=[t for r in reports for t in r.targets], stages=stages)


def _skipped(parts: Sequence[StageResult]) -> str | None:
    """A stage that did not run on some blueprint did not run for the batch (never "passed"),
    unless it only had nothing to check there (e.g. no budget in that spec) and ran elsewhere."""
    reasons = list(dict.fromkeys(p.skipped_reason for p in parts if p.skipped_reason is not None))
    ran = any(p.skipped_reason is None for p in parts)
    if not reasons or (ran and all(r.endswith(NOTHING_TO_CHECK) for r in reasons)):
        return None
    if not ran and all(r.endswith(NOTHING_TO_CHECK) for r in reasons):
        return reasons[0]
    return "; ".join(r for r in reasons if not r.endswith(NOTHING_TO_CHECK))
