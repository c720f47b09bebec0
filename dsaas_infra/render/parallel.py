"""Load and render many specs on every core: worker processes render, the caller writes."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dsaas_infra.errors import SpecError, SpecProblem

if TYPE_CHECKING:  # importing dsaas_infra.spec imports the spec model and pydantic: validate needs default_jobs only
    from dsaas_infra.spec.resolved import ResolvedSpec

# Below this many specs a pool costs more than it saves (worker start-up, pickling).
MIN_PARALLEL = 4


@dataclass(frozen=True)
class Rendered:
    path: Path
    spec: ResolvedSpec
    files: dict[str, bytes]


def default_jobs() -> int:
    """The cores this process may use (not the machine's, under a CPU affinity mask)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _render_one(path: Path) -> tuple[Path, ResolvedSpec | None, dict[str, bytes] | None, list[SpecProblem]]:
    from dsaas_infra.render.renderer import render_blueprint
    from dsaas_infra.spec import load_spec

    try:
        spec = load_spec(path)
    except SpecError as e:
        return path, None, None, e.problems
    return path, spec, render_blueprint(spec), []


def _render_chunk(paths: list[Path]) -> list[tuple]:
    return [_render_one(p) for p in paths]


def render_specs(paths: list[Path], jobs: int | None = None) -> list[Rendered]:
    """Render every spec in ``paths`` (in their order) or raise one SpecError with the problems
    of all bad specs. Nothing is written here: the caller checks every target first."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs == 1 or len(paths) < MIN_PARALLEL:
        results = [_render_one(p) for p in paths]
    else:
        # Contiguous chunks, a few per worker: few round trips, and a slow cloud's specs
        # still spread over the workers.
        n_chunks = min(len(paths), jobs * 4)
        size = -(-len(paths) // n_chunks)
        chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
        # fork: workers inherit the imported renderer and the compiled templates' cache.
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        _warm_up()
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=ctx) as pool:
            results = [r for chunk in pool.map(_render_chunk, chunks) for r in chunk]
    problems = [p for _, _, _, found in results for p in found]
    if problems:
        raise SpecError(problems)
    # No problems: every spec loaded and rendered.
    return [Rendered(path, spec, files) for path, spec, files, _ in results if spec is not None and files is not None]


def _warm_up() -> None:
    """Import every cloud's renderer before forking, so no worker imports them again."""
    import importlib

    from dsaas_infra import clouds
    from dsaas_infra.render.environment import environment

    for cloud in clouds.REGISTRY.values():
        importlib.import_module(cloud.render_module)
    env = environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)
