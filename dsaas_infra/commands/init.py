"""`dsaas-infra init`: write a commented starter spec."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dsaas_infra.errors import OperationError, UsageError
from dsaas_infra.render.environment import environment
from dsaas_infra.spec import naming
from dsaas_infra.spec.loader import load_spec_text


def starter_spec(name: str, cloud: str, maturity: str, filename: str) -> str:
    text = environment().get_template("common/spec.yaml.j2").render(
        name=name, cloud=cloud, maturity=maturity, filename=filename
    )
    load_spec_text(text, filename)  # the starter must itself be a valid spec
    return text


def run(name: str, cloud: str, maturity: str, out: Path | None, force: bool) -> int:
    try:
        naming.check_client_name(name)
    except ValueError as e:
        raise UsageError(f"client name {name!r}: {e}") from e
    path = out or Path(f"{name}.yaml")
    if path.is_dir():
        path = path / f"{name}.yaml"
    if path.exists() and not force:
        raise UsageError(f"{path} exists (use --force to overwrite)")
    text = starter_spec(name, cloud, maturity, str(path))
    try:
        path.write_text(text)
    except OSError as e:
        raise OperationError(f"cannot write {path}: {e.strerror or e}") from e
    Console(stderr=True, soft_wrap=True, highlight=False).print(
        f"wrote {escape(str(path))}; edit it, then: dsaas-infra render {escape(str(path))}"
    )
    return 0
