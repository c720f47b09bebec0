"""`dsaas-infra init`: write a commented starter spec, optionally from a maturity self-assessment."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from dsaas_infra import exit_codes
from dsaas_infra.errors import OperationError, UsageError
from dsaas_infra.render.environment import environment
from dsaas_infra.spec import naming
from dsaas_infra.spec.loader import load_spec_text
from dsaas_infra.spec.maturity import DEFAULTS, default

SCHEMA_FILE = "dsaas-infra.schema.json"
NEIGHBOURS = {"reactive": ("proactive",), "proactive": ("reactive", "managed"), "managed": ("proactive",)}


def level_defaults(maturity: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(phase, [(setting, value as YAML, why)]) for every default the level chooses."""
    from dsaas_infra.assess.reasons import reason

    out = []
    for phase, settings in DEFAULTS.items():
        rows = [(s, json.dumps(default(phase, s, maturity)), reason(phase, s)) for s in settings]
        out.append((phase, rows))
    return out


def starter_spec(name: str, cloud: str, maturity: str, filename: str, assessment=None) -> str:
    answers, result = assessment if assessment else (None, None)
    text = environment().get_template("common/spec.yaml.j2").render(
        name=name, cloud=cloud, maturity=maturity, filename=filename, schema_file=SCHEMA_FILE,
        defaults=level_defaults(maturity), answers=answers, result=result,
    )
    load_spec_text(text, filename)  # the starter must itself be a valid spec
    return text


def _answers(assess: bool, answers_file: Path | None, console: Console) -> dict[str, str] | None:
    from dsaas_infra.assess.interview import ask, load_answers

    if assess and answers_file:
        raise UsageError("use --assess (questions on the terminal) or --answers FILE, not both")
    if assess:
        return ask(console)
    if answers_file:
        return load_answers(answers_file)
    return None


def run(name: str, cloud: str | None, maturity: str | None, out: Path | None, force: bool,
        assess: bool = False, answers_file: Path | None = None) -> int:
    try:
        naming.check_client_name(name)
    except ValueError as e:
        raise UsageError(f"client name {name!r}: {e}") from e
    path = out or Path(f"{name}.yaml")
    if path.is_dir():
        path = path / f"{name}.yaml"
    if path.exists() and not force:
        raise UsageError(f"{path} exists (use --force to overwrite)")
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    answers = _answers(assess, answers_file, console)
    result = None
    if answers is not None:
        from dsaas_infra.assess.score import assess as score

        result = score(answers)
    level = maturity or (result.level if result else "proactive")
    chosen_cloud = cloud or (result.cloud if result else "aws")
    text = starter_spec(name, chosen_cloud, level, str(path), (answers, result) if result else None)
    try:
        path.write_text(text)
        _write_schema(path.parent / SCHEMA_FILE)
    except OSError as e:
        raise OperationError(f"cannot write {path}: {e.strerror or e}") from e
    if result:
        _print_assessment(console, result, level, chosen_cloud)
    _print_defaults(console, level)
    _print_costs(console, text, level, str(path))
    console.print(f"wrote {escape(str(path))}; edit it, then: dsaas-infra render {escape(str(path))}")
    return exit_codes.OK


def _write_schema(path: Path) -> None:
    """The JSON Schema the spec's modeline names; refreshed when it is ours, else left alone."""
    from dsaas_infra.commands.schema import SCHEMA_ID, spec_json_schema

    if path.exists():
        try:
            if json.loads(path.read_text()).get("$id") != SCHEMA_ID:
                return
        except (OSError, ValueError, AttributeError):
            return
    path.write_text(json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n")


def _print_assessment(console: Console, result, level: str, cloud: str) -> None:
    console.print(f"[bold]Assessment[/bold]: {result.level}")
    for r in result.level_reasons:
        console.print(f"  - {escape(r)}")
    if level != result.level:
        console.print(f"  --maturity {level} overrides the assessment's {result.level}")
    points = result.cloud_points
    console.print(f"[bold]Cloud advice[/bold]: {result.cloud} (AWS {points['aws']}, GCP {points['gcp']})")
    for r in result.cloud_reasons:
        console.print(f"  - {escape(r)}")
    if cloud != result.cloud:
        console.print(f"  --cloud {cloud} overrides the advice")


def _print_defaults(console: Console, level: str) -> None:
    console.print(f"[bold]{level} defaults[/bold] "
                  "(commented in the spec with the reason for each; any key you set wins):")
    for phase, rows in level_defaults(level):
        console.print(f"  {phase}: " + ", ".join(f"{s}={escape(v)}" for s, v, _ in rows))


def _print_costs(console: Console, text: str, level: str, filename: str) -> None:
    """The estimate of the written spec and of the neighbouring levels (same client, same cloud)."""
    import re

    from dsaas_infra.cost.estimate import estimate
    from dsaas_infra.cost.prices import load_prices
    from dsaas_infra.cost.report import _money
    from dsaas_infra.render import render_blueprint

    prices = load_prices()
    console.print("[bold]Monthly estimate[/bold] (USD, idle floor - max scale; `dsaas-infra cost` for detail):")
    for lvl in sorted({level, *NEIGHBOURS[level]}, key=["reactive", "proactive", "managed"].index):
        variant = re.sub(r"(?m)^(  maturity: )\w+", rf"\g<1>{lvl}", text, count=1)
        spec = load_spec_text(variant, filename)
        lo, hi = estimate(spec, render_blueprint(spec), prices).total
        mark = " (this spec)" if lvl == level else ""
        console.print(f"  {lvl:<9} {_money(lo):>8} - {_money(hi)}{mark}")
