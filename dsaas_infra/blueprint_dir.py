"""Resolve a SPEC|DIR target to the blueprint directory, the client name and (if known) the spec."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dsaas_infra.errors import UsageError
from dsaas_infra.terraform.planfile import WORK_DIR, write_json

if TYPE_CHECKING:  # the spec model (pydantic) is imported where a spec is loaded, not by every reader of a directory
    from dsaas_infra.spec.resolved import ResolvedSpec

# Written when plan/destroy render a spec, so that a later `plan DIR` / `destroy DIR` knows
# which spec (for preflight) and which client name (for the destroy confirmation) it is.
SOURCE_FILE = "source.json"


@dataclass(frozen=True)
class BlueprintDir:
    """A blueprint directory on disk, the client it is for and the spec it was rendered from (if known)."""

    dir: Path
    client: str  # the name a destroy must be confirmed with
    spec: ResolvedSpec | None
    spec_path: Path | None
    from_spec: bool = False  # the target was a spec (rendered by plan/destroy), not a directory


def default_out(spec: ResolvedSpec) -> Path:
    """Where `plan SPEC` renders without --out (the same place `render` uses)."""
    return Path("build") / spec.name_prefix


def write_source(blueprint: Path, spec: ResolvedSpec, spec_path: Path) -> None:
    data = {"spec": str(spec_path.resolve()), "client": spec.client.name,
            "environment": spec.client.environment, "cloud": spec.cloud}
    write_json(blueprint / WORK_DIR / SOURCE_FILE, data)


def read_source(blueprint: Path) -> dict[str, str]:
    try:
        data = json.loads((blueprint / WORK_DIR / SOURCE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def resolve(target: Path, out: Path | None) -> BlueprintDir:
    """A blueprint directory as it is, or a spec and the directory it renders into."""
    if target.is_dir():
        if out is not None:
            raise UsageError(f"{target} is a blueprint directory; --out only applies to a spec")
        if not any(target.glob("*.tf")):
            raise UsageError(f"{target}: no .tf files here; give a spec or a rendered blueprint directory")
        source = read_source(target)
        spec_path = Path(source["spec"]) if source.get("spec") else None
        spec = None
        if spec_path is not None and spec_path.is_file():
            from dsaas_infra.spec import load_spec

            spec = load_spec(spec_path)
        else:
            spec_path = None
        client = spec.client.name if spec else source.get("client") or target.resolve().name
        return BlueprintDir(target, client, spec, spec_path)
    if not target.exists():
        raise UsageError(f"{target}: no such spec file or blueprint directory")
    from dsaas_infra.spec import load_spec

    spec = load_spec(target)
    out_dir = out if out is not None else default_out(spec)
    return BlueprintDir(out_dir, spec.client.name, spec, target, from_spec=True)


def render(ws: BlueprintDir) -> None:
    """(Re-)render a spec target into its directory; a directory target is used as it is
    (even when its spec is known: what was reviewed in the directory is what runs).

    The render guard applies: files edited by hand since the last render stop the command.
    """
    if not ws.from_spec or ws.spec is None or ws.spec_path is None:
        return
    from dsaas_infra.render import render_blueprint, write_blueprint

    write_blueprint(render_blueprint(ws.spec), ws.dir, spec_path=ws.spec_path)
    write_source(ws.dir, ws.spec, ws.spec_path)
