"""Collect assessment answers: interactively (rich prompts) or from an answers file."""

from __future__ import annotations

import sys
from pathlib import Path

from dsaas_infra.assess.questions import QUESTIONS
from dsaas_infra.errors import UsageError

AXIS_TITLES = {
    "data": "Data management",
    "ml": "ML operations",
    "cloud": "Cloud choice (does not change the level)",
}


def ask(console) -> dict[str, str]:
    """Ask every question on the terminal; the user answers with the choice's number or key."""
    from rich.prompt import Prompt

    if not sys.stdin.isatty():
        raise UsageError("--assess asks questions on a terminal; without one use --answers FILE")
    answers: dict[str, str] = {}
    axis = None
    for number, q in enumerate(QUESTIONS, 1):
        if q.axis != axis:
            axis = q.axis
            console.print(f"\n[bold]{AXIS_TITLES[axis]}[/bold]")
        console.print(f"{number}. {q.text}")
        for i, c in enumerate(q.choices, 1):
            console.print(f"   {i}) {c.text}")
        valid = [str(i) for i in range(1, len(q.choices) + 1)] + [c.key for c in q.choices]
        picked = Prompt.ask("   answer", choices=valid, show_choices=False, console=console)
        answers[q.key] = q.choices[int(picked) - 1].key if picked.isdigit() else picked
    return answers


def load_answers(path: Path) -> dict[str, str]:
    """An answers file: a YAML mapping question -> choice, or a spec with an `assessment:` block."""
    from dsaas_infra.spec.yaml_positions import YamlProblem, load_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read answers: {getattr(e, 'strerror', None) or e}") from e
    try:
        data = load_yaml(text).data
    except YamlProblem as e:
        raise UsageError(f"{path}:{e.line}:{e.column}: {e.message}") from e
    if isinstance(data, dict) and isinstance(data.get("assessment"), dict):
        data = data["assessment"].get("answers")
    elif isinstance(data, dict) and "answers" in data:
        data = data["answers"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise UsageError(
            f"{path}: expected a mapping of question -> choice (or a spec with assessment.answers)"
        )
    return data
