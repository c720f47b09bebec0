"""Spec rules: each has a stable id, a row in docs/spec-rules.md and a failing example whose error line
names it; the example specs pass every rule."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import load_spec, load_spec_text, rules

ROOT = Path(__file__).resolve().parents[2]
BASE = {cloud: yaml.safe_load((ROOT / "blueprints" / f"{cloud}-proactive.yaml").read_text())
        for cloud in ("aws", "gcp")}


def _merge(base: dict, overrides: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def test_ids_are_unique_stable_and_titled():
    ids = [r.id for r in rules.RULES]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"SPEC\d{3}", i) for i in ids)
    assert ids == sorted(ids)  # new rules take the next id; none is renumbered
    assert all(r.title and r.example for r in rules.RULES)


def test_the_doc_table_is_generated_from_the_rules():
    doc = (ROOT / "docs" / "spec-rules.md").read_text()
    assert doc == rules.markdown(), "regenerate: python -m dsaas_infra.spec.rules > docs/spec-rules.md"
    for rule in rules.RULES:
        assert f"| `{rule.id}` | {rule.title} |" in doc


@pytest.mark.parametrize("rule", rules.RULES, ids=[r.id for r in rules.RULES])
def test_each_rule_fails_its_example_with_its_id_in_the_error_line(rule):
    text = yaml.safe_dump(_merge(BASE[rule.cloud], rule.example), sort_keys=False)
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "example.yaml")
    lines = info.value.lines()
    assert any(line.startswith("example.yaml:") and line.endswith(f"[{rule.id}]") for line in lines), lines


@pytest.mark.parametrize("example", sorted((ROOT / "blueprints").glob("*.yaml")), ids=lambda p: p.stem)
def test_the_example_specs_pass_every_rule(example):
    spec = load_spec(example)
    assert rules.check(spec) == []
