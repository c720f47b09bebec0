"""Rendering: spec -> blueprint files -> disk."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsaas_infra.render.renderer import render_blueprint
    from dsaas_infra.render.writer import WriteResult, write_blueprint

__all__ = ["render_blueprint", "render_spec_file", "write_blueprint"]


def __getattr__(name: str):
    # Loaded on first use: importing a light module of this package (escape, hclfmt: validate's
    # reports use them) must not import the renderer, the spec model and pydantic with it.
    if name == "render_blueprint":
        from dsaas_infra.render.renderer import render_blueprint
        return render_blueprint
    if name in ("write_blueprint", "WriteResult"):
        from dsaas_infra.render import writer
        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render_spec_file(spec_path: str | Path, out_dir: str | Path, force: bool = False) -> WriteResult:
    """Load, validate and render the spec at ``spec_path`` into ``out_dir``."""
    from dsaas_infra.render.renderer import render_blueprint
    from dsaas_infra.render.writer import write_blueprint
    from dsaas_infra.spec import load_spec

    spec = load_spec(spec_path)
    return write_blueprint(render_blueprint(spec), Path(out_dir), force=force)
