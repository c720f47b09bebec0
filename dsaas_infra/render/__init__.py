"""Rendering: spec -> blueprint files -> disk."""

from __future__ import annotations

from pathlib import Path

from dsaas_infra.render.renderer import render_blueprint
from dsaas_infra.render.writer import WriteResult, write_blueprint
from dsaas_infra.spec import load_spec

__all__ = ["render_blueprint", "render_spec_file", "write_blueprint"]


def render_spec_file(spec_path: str | Path, out_dir: str | Path, force: bool = False) -> WriteResult:
    """Load, validate and render the spec at ``spec_path`` into ``out_dir``."""
    spec = load_spec(spec_path)
    return write_blueprint(render_blueprint(spec), Path(out_dir), force=force)
