"""Line scans of rendered HCL: the lines outside heredoc bodies.

Rendered blueprints are `terraform fmt`-clean, so top-level blocks start at column 0 and
attributes sit at fixed indents; a line scan that skips heredoc bodies (which may hold anything)
is exact for the questions the plan summaries and the cost estimate ask, and much faster than a
full HCL parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")


def code_lines(text: str) -> Iterator[str]:
    """Every line of ``text`` except heredoc bodies and their closing markers (openers are kept)."""
    marker = None
    for line in text.splitlines():
        if marker is not None:
            if line.strip() == marker:
                marker = None
            continue
        yield line
        heredoc = _HEREDOC.search(line) if "<<" in line else None
        if heredoc:
            marker = heredoc.group(1)


_RESOURCE = re.compile(r'^resource\s+"([A-Za-z0-9_-]+)"\s+"([A-Za-z0-9_-]+)"', re.MULTILINE)


def resource_addresses(rendered: Mapping[str, bytes]) -> set[str]:
    """type.name of every resource block in the rendered .tf files (the README tables' evidence)."""
    out: set[str] = set()
    for name, content in rendered.items():
        if name.endswith(".tf"):
            out |= {f"{t}.{n}" for t, n in _RESOURCE.findall(content.decode("utf-8"))}
    return out
