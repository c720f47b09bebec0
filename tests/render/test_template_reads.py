"""Templates read only the typed render context, never the raw spec (names found in the Jinja AST)."""

from __future__ import annotations

import importlib
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

from dsaas_infra import clouds
from dsaas_infra.render.environment import environment
from dsaas_infra.spec import load_spec
from tests.conftest import REPO, example_specs

TEMPLATES = REPO / "templates"
# The resolved spec and its parts: what Python computes the context from, not what templates read.
RAW_SPEC_NAMES = {"spec", "phases"}


def raw_spec_reads(source: str) -> list[tuple[int, str]]:
    """(line, name) of every read of a raw-spec name in a template's AST; names the template binds
    itself ({% set %}, loop and macro variables) are stores, not reads of the context."""
    tree = environment().parse(source)
    return sorted((n.lineno, n.name) for n in tree.find_all(nodes.Name)
                  if n.ctx == "load" and n.name in RAW_SPEC_NAMES)


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.j2"))


def test_the_finder_sees_reads_in_every_kind_of_expression():
    source = ("{% set d = phases.deployment %}{{ spec.client.name }}{% if phases.data.enabled %}x{% endif %}"
              "{% for u in spec.phases.training.users %}{{ u }}{% endfor %}{{ names.phases }}{{ 'phases' }}")
    assert raw_spec_reads(source) == [(1, "phases"), (1, "phases"), (1, "spec"), (1, "spec")]
    # Attributes and strings called "phases", and names bound by the template, are not reads.
    assert raw_spec_reads("{% set phases = [1] %}{{ names.phases }}{{ 'spec' }}") == []


def test_no_template_reads_the_raw_spec():
    found = {}
    for path in _templates():
        reads = raw_spec_reads(path.read_text(encoding="utf-8"))
        if reads:
            found[path.relative_to(TEMPLATES).as_posix()] = reads
    assert not found, f"templates read the raw spec (give the context a field instead): {found}"


@pytest.mark.parametrize("stem", [p.stem for p in example_specs()])
def test_the_raw_spec_is_not_a_template_variable(stem):
    """Not only unread: a template that tries to read the spec fails (StrictUndefined), it cannot slip back."""
    spec = load_spec(REPO / "blueprints" / f"{stem}.yaml")
    ctx = importlib.import_module(clouds.of(spec).render_module).build_context(spec)
    variables = ctx.template_vars()
    assert not RAW_SPEC_NAMES & set(variables), RAW_SPEC_NAMES & set(variables)
    assert {"data_enabled", "name_prefix", "realtime"} <= set(variables)
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ phases.data.enabled }}").render(variables)


def typed_attribute_reads(source: str, name: str) -> set[str]:
    """Attributes a template reads of a context variable (`name.attr`), from its AST."""
    tree = environment().parse(source)
    return {n.attr for n in tree.find_all(nodes.Getattr)
            if isinstance(n.node, nodes.Name) and n.node.name == name and n.node.ctx == "load"}


def test_the_finder_sees_attribute_reads():
    assert typed_attribute_reads("{{ workbench.zone }}{% if workbench.tyop %}{% endif %}{{ x.zone }}",
                                 "workbench") == {"zone", "tyop"}


@pytest.mark.parametrize("name", ["workbench", "dataflow"])
def test_gcp_templates_read_only_fields_of_the_typed_nested_values(name):
    """A typo in a branch no example renders still fails: the field set is the dataclass's."""
    from dataclasses import fields

    from dsaas_infra.render.gcp import context

    cls = {"workbench": context.Workbench, "dataflow": context.Dataflow}[name]
    known = {f.name for f in fields(cls)}
    reads = {}
    for path in sorted((TEMPLATES / "gcp").rglob("*.j2")):
        unknown = typed_attribute_reads(path.read_text(encoding="utf-8"), name) - known
        if unknown:
            reads[path.relative_to(TEMPLATES).as_posix()] = unknown
    assert not reads, f"{name}: no such field on {cls.__name__}: {reads}"
    assert any(typed_attribute_reads(p.read_text(encoding="utf-8"), name)
               for p in (TEMPLATES / "gcp").rglob("*.j2")), "no template reads it: this test proves nothing"
