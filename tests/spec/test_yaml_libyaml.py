"""The libyaml fast path of load_yaml gives exactly what the pure-Python composer gives, and falls back to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dsaas_infra.spec import yaml_positions
from dsaas_infra.spec.yaml_positions import MAX_DEPTH, YamlProblem, load_yaml

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted((REPO / "blueprints").glob("*.yaml")) + [REPO / "dsaas_infra" / "cost" / "prices.yaml"]

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")


def pure_python(text: str, monkeypatch) -> yaml_positions.LoadedYaml:
    with monkeypatch.context() as m:
        m.setattr(yaml_positions, "_compose_fast", lambda text: None)
        return load_yaml(text)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_same_data_and_positions_as_the_pure_python_composer(path, monkeypatch):
    text = path.read_text()
    assert yaml_positions._compose_fast(text) is not None  # the fast path is the one taken
    fast, slow = load_yaml(text), pure_python(text, monkeypatch)
    assert fast.data == slow.data
    assert fast.positions == slow.positions


@pytest.mark.parametrize("text", [
    "a: [1, 2\n",                # unclosed flow sequence
    "a: 1\n a: 2\n",             # bad indentation
    "a: 1\n---\nb: 2\n",         # two documents
    "a: *nowhere\n",             # undefined alias
    "a: &a [*a]\n",              # self-referencing alias
    "a: \"\\q\"\n",              # bad escape
])
def test_invalid_yaml_is_reported_as_the_pure_python_composer_reports_it(text, monkeypatch):
    with pytest.raises(YamlProblem) as fast:
        load_yaml(text)
    with pytest.raises(YamlProblem) as slow:
        pure_python(text, monkeypatch)
    assert (fast.value.message, fast.value.line, fast.value.column) == \
        (slow.value.message, slow.value.line, slow.value.column)


def test_deep_nesting_never_reaches_libyaml_s_recursive_composer(monkeypatch):
    """libyaml's composer recurses in C (no RecursionError to catch): deep text takes the Python path."""
    called = []
    real = yaml.CSafeLoader

    class Recording(real):  # type: ignore[misc, valid-type]
        def get_single_node(self):
            called.append(True)
            return super().get_single_node()

    monkeypatch.setattr(yaml, "CSafeLoader", Recording)
    with pytest.raises(YamlProblem, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_yaml("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert not called
    load_yaml("a: [[1]]\n")
    assert called  # a shallow document does use it
