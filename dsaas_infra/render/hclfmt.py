"""A small formatter giving rendered HCL the layout ``terraform fmt`` would give it.

Templates then need not get alignment right by hand: indentation follows bracket depth
(two spaces a level) and the ``=`` of consecutive one-line attributes are aligned, the way
hclwrite does it (a blank line, a comment line, a block or a multi-line value ends a run).
Heredocs are left untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN = "{[("
_CLOSE = "}])"
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")


@dataclass
class _Line:
    text: str  # stripped of indentation and trailing space
    depth: int  # bracket depth at the start of the line
    assign_at: int | None  # index of a top-level '=' whose value ends on this line
    verbatim: bool = False  # heredoc body: keep as is


def _scan(text: str) -> tuple[int, int | None, str | None]:
    """Net bracket change, index of the attribute '=', heredoc marker."""
    delta = 0
    assign_at = None
    depth_at_assign = None
    stack: list[str] = []  # 's' string, 'i' interpolation inside a string
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if stack and stack[-1] == "s":
            if ch == "\\":
                i += 2
                continue
            if ch in "$%" and text[i + 1:i + 2] == "{":
                if text[i - 1:i] == ch:  # "$${" is a literal
                    i += 2
                    continue
                stack.append("i")
                i += 2
                continue
            if ch == '"':
                stack.pop()
            i += 1
            continue
        if ch == '"':
            stack.append("s")
            i += 1
            continue
        if ch == "#" or text.startswith("//", i):
            break
        if ch in _OPEN:
            if stack and stack[-1] == "i":
                stack.append("b")
            else:
                delta += 1
        elif ch in _CLOSE:
            if stack and stack[-1] == "b":
                stack.pop()
            elif stack and stack[-1] == "i" and ch == "}":
                stack.pop()
            else:
                delta -= 1
        elif ch == "=" and not stack:
            prev = text[i - 1:i]
            nxt = text[i + 1:i + 2]
            if nxt not in "=>" and prev not in "=!<>" and assign_at is None and i > 0:
                assign_at = i
                depth_at_assign = delta
        i += 1
    heredoc = None
    m = _HEREDOC.search(text)
    if m and not stack:
        heredoc = m.group(1)
    if assign_at is not None and delta != depth_at_assign:
        assign_at = None  # the value opens a multi-line expression: not aligned
    return delta, assign_at, heredoc


def format_hcl(source: str) -> str:
    """Re-indent and align ``source``; the result ends with exactly one newline."""
    lines: list[_Line] = []
    # hclwrite's indent stack: a line with a net opening pushes one level (remembering how
    # many brackets it opened); a line with a net closing pops levels and takes the new depth.
    indents: list[int] = []
    heredoc_end: str | None = None
    for raw in source.splitlines():
        if heredoc_end is not None:
            lines.append(_Line(raw, 0, None, verbatim=True))
            if raw.strip() == heredoc_end:
                heredoc_end = None
            continue
        text = raw.strip()
        delta, assign_at, heredoc = _scan(text)
        depth = len(indents)
        if delta > 0:
            indents.append(delta)
        elif delta < 0:
            closed = -delta
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
            depth = len(indents)
        lines.append(_Line(text, depth, assign_at))
        heredoc_end = heredoc

    out: list[str] = []
    run: list[int] = []

    def flush() -> None:
        if not run:
            return
        width = max(len(out[k][: out[k].index("=")].rstrip()) for k in run)
        for k in run:
            lead, _, rest = out[k].partition("=")
            out[k] = lead.rstrip().ljust(width) + " =" + rest
        run.clear()

    for line in lines:
        if line.verbatim:
            # hclwrite sees a heredoc as part of the line that opens it: the alignment run
            # goes on after the terminator.
            out.append(line.text)
            continue
        if not line.text:
            flush()
            out.append("")
            continue
        indent = "  " * line.depth
        text = line.text
        if line.assign_at is not None:
            lead = text[: line.assign_at].rstrip()
            value = text[line.assign_at + 1:].strip()
            out.append(f"{indent}{lead} = {value}")
            run.append(len(out) - 1)
        else:
            flush()
            out.append(indent + text)
    flush()
    # Collapse runs of blank lines and strip blank lines at the start and end of blocks.
    cleaned: list[str] = []
    for line in out:
        if line == "" and (not cleaned or cleaned[-1] == "" or cleaned[-1].endswith(("{", "["))):
            continue
        if line.strip() in ("}", "]", ")") and cleaned and cleaned[-1] == "":
            cleaned.pop()
        cleaned.append(line)
    while cleaned and cleaned[-1] == "":
        cleaned.pop()
    return "\n".join(cleaned) + "\n"
