"""Validate many blueprints on a bounded pool of processes and merge their reports into one."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from dsaas_infra.validate import pipeline
from dsaas_infra.validate.findings import Report, StageResult
from dsaas_infra.validate.progress import Progress, QuietProgress

# How a stage says it had nothing to check on a blueprint (not that it could not run).
NOTHING_TO_CHECK = "(nothing to check)"


def _one(target: tuple[Path, str], skip: tuple[str, ...], context: pipeline.Context) -> Report:
    return pipeline.run([target], skip, context)


def run(targets: list[tuple[Path, str]], skip: tuple[str, ...], context: pipeline.Context,
        jobs: int | None = None, progress: Progress | None = None) -> Report:
    """The same report as ``pipeline.run(targets, ...)``, each blueprint validated in a worker;
    ``progress`` hears of each blueprint (all its stages) as its worker finishes."""
    from dsaas_infra.render.parallel import default_jobs

    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or len(targets) <= 1:
        return pipeline.run(targets, skip, context, progress)
    progress = progress or QuietProgress()
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    reports: list[Report | None] = [None] * len(targets)
    progress.start(len(targets), len(targets))
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(targets)), mp_context=ctx) as pool:
            futures = {pool.submit(_one, t, skip, context): i for i, t in enumerate(targets)}
            for n, future in enumerate(as_completed(futures), 1):
                report = future.result()
                reports[futures[future]] = report
                progress.blueprint_done(n, len(targets), report.targets[0],
                                        [s for s in report.stages if not s.user_skipped])
    finally:
        progress.close()
    return merge([r for r in reports if r is not None])


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


def _skipped(parts: list[StageResult]) -> str | None:
    """A stage that did not run on some blueprint did not run for the batch (never "passed"),
    unless it only had nothing to check there (e.g. no budget in that spec) and ran elsewhere."""
    reasons = list(dict.fromkeys(p.skipped_reason for p in parts if p.skipped_reason is not None))
    ran = any(p.skipped_reason is None for p in parts)
    if not reasons or (ran and all(r.endswith(NOTHING_TO_CHECK) for r in reasons)):
        return None
    if not ran and all(r.endswith(NOTHING_TO_CHECK) for r in reasons):
        return reasons[0]
    return "; ".join(r for r in reasons if not r.endswith(NOTHING_TO_CHECK))
