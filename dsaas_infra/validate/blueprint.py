"""A blueprint on disk: its root module plus the local modules it calls, parsed once for all stages."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dsaas_infra.validate.tf_module import Block, Module, parse_module


@dataclass
class Blueprint:
    path: Path  # the rendered root module directory
    label: str  # what the user named: the directory or the spec it was rendered from
    modules: dict[Path, Module] = field(default_factory=dict)  # root first

    @property
    def root(self) -> Module:
        return self.modules[self.path]

    def display(self, file: Path) -> str:
        """How a finding names a file: under the label the user gave (a directory or a spec)."""
        try:
            # Not resolved first: the file may be a symlink loop (resolve() raises on those).
            rel = file.relative_to(self.path).as_posix()
        except ValueError:
            try:
                rel = file.resolve().relative_to(self.path).as_posix()
            except (ValueError, RuntimeError, OSError):
                return str(file)
        return f"{self.label}/{rel}"

    def module_for(self, call: Block, caller: Module) -> Module | None:
        """The parsed module a local ``module`` block calls, or None for a registry/remote source."""
        source = local_source(call)
        if source is None:
            return None
        return self.modules.get((caller.path / source).resolve())


def local_source(call: Block) -> str | None:
    attr = call.attributes.get("source")
    if attr is None or not isinstance(attr.value, str):
        return None
    return attr.value if attr.value.startswith(("./", "../")) else None


def load_blueprint(path: Path, label: str | None = None) -> Blueprint:
    path = path.resolve()
    if label is None:
        label = os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    blueprint = Blueprint(path=path, label=label)
    pending = [path]
    while pending:
        directory = pending.pop(0)
        if directory in blueprint.modules or not directory.is_dir():
            continue
        module = parse_module(directory)
        blueprint.modules[directory] = module
        for call in module.top("module"):
            source = local_source(call)
            if source is not None:
                pending.append((directory / source).resolve())
    return blueprint
