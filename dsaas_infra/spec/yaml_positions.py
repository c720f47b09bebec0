"""Safe YAML loading that remembers the line and column of every key and value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass
class LoadedYaml:
    """The plain data of a YAML document and where each part of it stands."""

    data: Any
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column (1-based) of ``path``, or of its nearest located ancestor."""
        for end in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:end]))
            if pos is not None:
                return pos
        return None, None


class YamlProblem(Exception):
    """A YAML document could not be read; carries the position of the problem."""

    def __init__(self, message: str, line: int | None, column: int | None, path: Path = ()):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.path = path


_STANDARD_TAGS: dict[type[yaml.Node], str] = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


# A spec is at most a few levels deep (phases.access.consumers[0].name): anything much deeper is
# not a spec, and would exhaust Python's recursion limit (exit 3) instead of being reported.
MAX_DEPTH = 32


def _too_deep(text: str) -> tuple[int, int] | None:
    """Where the nesting of ``text`` first goes deeper than MAX_DEPTH (an event scan: flat)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH and event.start_mark is not None:
                    return event.start_mark.line + 1, event.start_mark.column + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def _construct(node: yaml.Node, path: Path, out: LoadedYaml, seen: set[int], loader: yaml.SafeLoader) -> Any:
    if len(path) > MAX_DEPTH:
        raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels: a spec is a few levels deep",
                          *_pos(node), path[:2])
    if id(node) in seen:
        # An alias (*name) is the same node again: refusing it rules out self-referencing
        # documents and exponential "billion laughs" expansion alike.
        # The node only knows where its anchor is: report the key that uses the alias.
        key_path = path[:-1] if path and isinstance(path[-1], int) else path
        raise YamlProblem(
            "YAML aliases (*name) are not supported: write the value out", *out.locate(key_path), path
        )
    seen.add(id(node))
    expected = _STANDARD_TAGS.get(type(node))
    if expected is not None and node.tag != expected:
        # Any explicit tag on a collection (e.g. !!python/object/apply) is refused: a spec
        # is plain data, never a recipe for constructing objects.
        raise YamlProblem(f"unsupported YAML tag {node.tag}", *_pos(node), path)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem("YAML merge keys (<<) are not supported", *_pos(key_node), path)
            key = _construct(key_node, path, out, seen, loader)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise YamlProblem("mapping keys must be plain scalars", *_pos(key_node), path)
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise YamlProblem(f"duplicate key {key!r}", *_pos(key_node), path)
            child = (*path, key)
            out.positions[child] = _pos(key_node)
            result[key] = _construct(value_node, child, out, seen, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            out.positions[child] = _pos(item)
            items.append(_construct(item, child, out, seen, loader))
        return items
    if isinstance(node, yaml.ScalarNode):
        # Only the standard scalar tags of the YAML core schema; anything that would
        # construct a Python object was already refused by the SafeLoader's composer.
        if node.tag.startswith("tag:yaml.org,2002:") and node.tag.rsplit(":", 1)[1] in {
            "str", "int", "float", "bool", "null",
        }:
            return loader.construct_object(node, deep=True)
        raise YamlProblem(f"unsupported YAML tag {node.tag}", *_pos(node), path)
    raise YamlProblem(f"unsupported YAML node {type(node).__name__}", *_pos(node), path)


def _compose_fast(text: str) -> yaml.Node | None:
    """The document's node tree composed by libyaml (ten times faster than PyYAML's pure-Python
    composer), or None when libyaml is missing, the text nests deeper than MAX_DEPTH (libyaml's
    composer recurses in C, beyond Python's recursion guard) or is not valid YAML: the
    pure-Python path then reads it and reports any problem exactly as before."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return None
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        loader = yaml.CSafeLoader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return None


def load_yaml(text: str) -> LoadedYaml:
    """Parse one YAML document safely, keeping positions; raise YamlProblem if unreadable."""
    node = _compose_fast(text)
    if node is None:
        node = _compose(text)
    out = LoadedYaml(data=None)
    if node is None:
        return out
    out.positions[()] = _pos(node)
    out.data = _construct(node, (), out, set(), yaml.SafeLoader(""))
    return out


def _compose(text: str) -> yaml.Node | None:
    """PyYAML's pure-Python composer, whose error messages and positions the spec errors quote."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = " ".join(p for p in (e.context, e.problem) if p) or "invalid YAML"
        raise YamlProblem(f"invalid YAML: {message}", line, col) from e
    except yaml.YAMLError as e:
        raise YamlProblem(f"invalid YAML: {e}", None, None) from e
    except RecursionError:
        where = _too_deep(text) or (None, None)
        raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels: a spec is a few levels deep", *where) from None
    return node
