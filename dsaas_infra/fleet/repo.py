"""Lay out a fleet's GitOps repository: specs/, clients/<client>-<env>/, fleet.json, CI config."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dsaas_infra import __version__, clouds
from dsaas_infra.errors import OperationError, SpecError, SpecProblem, UsageError
from dsaas_infra.fleet import index
from dsaas_infra.render.batch import Placed, write_all
from dsaas_infra.render.parallel import render_specs
from dsaas_infra.spec.discover import spec_files

ENGINES = ("github", "atlantis")


@dataclass
class Layout:
    clients: list[index.FleetClient]
    files: dict[str, bytes] = field(default_factory=dict)  # repository files besides the blueprints
    stale: list[str] = field(default_factory=list)  # clients/ folders no spec renders any more


def build(specs_dir: Path, repo: Path, engine: str, jobs: int | None, settings) -> tuple[Layout, list[Placed]]:
    """Render every spec (on every core) and compute every file; nothing is written here."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if not specs_dir.is_dir():
        raise UsageError(f"{specs_dir}: not a folder of specs")
    paths = spec_files([specs_dir])
    inside = repo.resolve()
    paths = [p for p in paths if inside not in p.resolve().parents]  # the repository's own specs/ copy
    if not paths:
        raise UsageError(f"{specs_dir}: no *.yaml or *.yml spec files outside {repo}")
    rendered = render_specs(paths, jobs)
    raw = {r.path: r.path.read_bytes() for r in rendered}
    if engine == "github":
        _default_branch_agrees(rendered, settings.default_branch)
    clients = index.build([(r.spec, raw[r.path], str(r.path)) for r in rendered])
    by_name = {c.name: c for c in clients}
    placed, seen = [], dict[str, Path]()
    for r in rendered:
        name = r.spec.name_prefix
        if name in seen:
            raise UsageError(f"{r.path} and {seen[name]} both render to {repo / index.CLIENTS_DIR / name} "
                             "(same client and environment)")
        seen[name] = r.path
        placed.append(Placed(r, repo / by_name[name].blueprint))
    layout = Layout(clients)
    for r in rendered:
        c = by_name[r.spec.name_prefix]
        layout.files[c.spec] = raw[r.path]
    layout.files[index.INDEX_FILE] = index.dump(clients, f"dsaas-infra {__version__}").encode()
    if engine == "github":
        from dsaas_infra.fleet import github

        layout.files.update({k: v.encode() for k, v in github.workflows(clients, settings).items()})
    else:
        from dsaas_infra.fleet import atlantis

        layout.files["atlantis.yaml"] = atlantis.dump(clients).encode()
    existing = repo / index.CLIENTS_DIR
    if existing.is_dir():
        layout.stale = sorted(d.name for d in existing.iterdir() if d.is_dir() and d.name not in by_name)
    return layout, placed


def _default_branch_agrees(rendered, branch: str) -> None:
    """An identity the blueprint creates that tests the branch (clouds registry: ci_trusts_branch) trusts
    apply only from ci.default_branch: it must be the branch the workflows apply from."""
    problems = [SpecProblem(str(r.path), None, None, "ci.default_branch",
                            f"is {r.spec.ci.default_branch!r} but the fleet applies from {branch!r} "
                            "(--default-branch): the created identity would refuse every apply")
                for r in rendered
                if clouds.of(r.spec).ci_trusts_branch and r.spec.ci is not None and r.spec.ci.create_identity
                and r.spec.ci.default_branch != branch]
    if problems:
        raise SpecError(problems)


def write(repo: Path, layout: Layout, placed: list[Placed], force: bool) -> None:
    """Blueprints all or nothing (hand-edit guard), then the repository files."""
    write_all(placed, force)
    for name, content in sorted(layout.files.items()):
        target = repo / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_file() and target.read_bytes() == content:
                continue
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(content)
            os.replace(tmp, target)
        except OSError as e:
            raise OperationError(f"cannot write {target}: {e.strerror or e}") from e
