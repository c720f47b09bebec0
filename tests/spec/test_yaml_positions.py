"""YAML loading: positions of keys, safety against object-constructing tags."""

import pytest

from dsaas_infra.spec.yaml_positions import YamlProblem, load_yaml


def test_positions_of_nested_keys_and_list_items():
    loaded = load_yaml("a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n")
    assert loaded.data == {"a": 1, "b": {"c": ["x", "y"], "d": [{"e": 2}]}}
    assert loaded.positions[("a",)] == (1, 1)
    assert loaded.positions[("b", "c")] == (3, 3)
    assert loaded.positions[("b", "c", 1)] == (3, 10)
    assert loaded.positions[("b", "d", 0, "e")] == (5, 7)


def test_locate_falls_back_to_nearest_ancestor():
    loaded = load_yaml("a:\n  b: 1\n")
    assert loaded.locate(("a", "missing", "deeper")) == (1, 1)


@pytest.mark.parametrize(
    "text, fragment, line",
    [
        ("a: !!python/object/apply:os.system ['true']\n", "unsupported YAML tag", 1),
        ("a: !!python/name:os.system\n", "unsupported YAML tag", 1),
        ("x: 1\nx: 2\n", "duplicate key 'x'", 2),
        ("a: [1,\n", "invalid YAML", None),
        ("base: &b {k: 1}\nother:\n  <<: *b\n", "merge keys", 3),
        ("when: 2024-01-01\n", "unsupported YAML tag", 1),
        ("a: &a [*a]\n", "aliases", 1),
        ("a: &x {k: 1}\nb: *x\n", "aliases", 2),
        ("a0: &a0 [x, x]\na1: &a1 [*a0, *a0]\na2: [*a1, *a1]\n", "aliases", 2),
    ],
)
def test_unsafe_or_broken_yaml_is_a_located_problem(text, fragment, line):
    with pytest.raises(YamlProblem) as info:
        load_yaml(text)
    assert fragment in info.value.message
    if line is not None:
        assert info.value.line == line


def test_empty_document_is_none():
    assert load_yaml("").data is None
