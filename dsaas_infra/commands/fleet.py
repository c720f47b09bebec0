"""`dsaas-infra fleet`: a folder of specs -> a GitOps repository run by GitHub Actions or Atlantis."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dsaas_infra import exit_codes


def run(specs_dir: Path, repo: Path, engine: str, jobs: int | None, max_parallel: int, default_branch: str,
        drift_cron: str, force: bool) -> int:
    from dsaas_infra.fleet import github
    from dsaas_infra.fleet import repo as layout_repo
    from dsaas_infra.spec.cron import parse_cron

    parse_cron(drift_cron)
    settings = github.Settings(max_parallel=max_parallel, default_branch=default_branch, drift_cron=drift_cron)
    layout, placed = layout_repo.build(specs_dir, repo, engine, jobs, settings)
    layout_repo.write(repo, layout, placed, force)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    shards = max((c.shard for c in layout.clients), default=1)
    what = (f"{shards * 3} workflow(s) in .github/workflows" if engine == "github"
            else f"atlantis.yaml with {len(layout.clients)} project(s)")
    console.print(f"fleet of {len(layout.clients)} client(s) in {escape(str(repo))}: clients/, specs/, "
                  f"fleet.json, {what}")
    for name in layout.stale:
        console.print(f"[yellow]warning:[/] clients/{escape(name)} has no spec any more; destroy it with "
                      "`dsaas-infra destroy`, then delete the folder")
    return exit_codes.OK
