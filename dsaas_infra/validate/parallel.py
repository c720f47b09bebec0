"""Validate many blueprints on a bounded pool of processes and merge their reports into one."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from dsaas_infra.validate import pipeline
from dsaas_infra.validate.findings import Report, StageResult


def _one(target: tuple[Path, str], skip: tuple[str, ...], context: pipeline.Context) -> Report:
    return pipeline.run([target], skip, context)


def run(targets: list[tuple[Path, str]], skip: tuple[str, ...], context: pipeline.Context,
        jobs: int | None = None) -> Report:
    """The same report as ``pipeline.run(targets, ...)``, each blueprint validated in a worker."""
    from dsaas_infra.render.parallel import default_jobs

    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or len(targets) <= 1:
        return pipeline.run(targets, skip, context)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(targets)), mp_context=ctx) as pool:
        reports = list(pool.map(_one, targets, [skip] * len(targets), [context] * len(targets)))
    return merge(reports)


def merge(reports: list[Report]) -> Report:
    """One report: targets in order, each stage's findings together (sorted as the pipeline sorts)."""
    stages = []
    for parts in zip(*(r.stages for r in reports)):
        merged = StageResult(parts[0].stage, user_skipped=parts[0].user_skipped)
        for part in parts:
            merged.findings.extend(part.findings)
            merged.rules.update(part.rules)
            merged.seconds += part.seconds
            # A stage that could not run for one blueprint did not run for the batch either.
            if part.skipped_reason is not None and merged.skipped_reason is None:
                merged.skipped_reason = part.skipped_reason
        merged.findings.sort(key=lambda f: f.sort_key())
        stages.append(merged)
    return Report(targets=[t for r in reports for t in r.targets], stages=stages)
