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


_ASSIGN = re.compile(r"(?<![=!<>])=(?![=>])")
# What the scanner must look at; everything between matches is plain text.
_TOKEN = re.compile(r'\\.|[$%]\{|//|[{}\[\]()"#=]')


def _net(text: str) -> int:
    return sum(text.count(c) for c in _OPEN) - sum(text.count(c) for c in _CLOSE)


def _scan(text: str) -> tuple[int, int | None, str | None]:
    """Net bracket change, index of the attribute '=', heredoc marker."""
    if '"' not in text and "#" not in text and "/" not in text and "<<" not in text:
        # Fast path (most lines): no strings, comments or heredocs to step around.
        delta = _net(text)
        m = _ASSIGN.search(text, 1)
        if m is None or _net(text[: m.start()]) != delta:
            return delta, None, None
        return delta, m.start(), None
    delta = 0
    assign_at = None
    depth_at_assign = None
    stack: list[str] = []  # 's' string, 'i' interpolation inside a string, 'b' bracket inside one
    for m in _TOKEN.finditer(text):
        tok = m.group()
        i = m.start()
        if stack and stack[-1] == "s":
            if tok == '"':
                stack.pop()
            elif tok[-1:] == "{" and tok[0] in "$%" and text[i - 1:i] != tok[0]:
                stack.append("i")  # "$${" and "%%{" are literals
            continue
        if tok == '"':
            stack.append("s")
        elif tok == "#" or tok == "//":
            break
        elif tok[-1] in _OPEN:
            if stack:
                stack.append("b")
            else:
                delta += 1
        elif tok in _CLOSE:
            if stack:
                stack.pop()  # a bracket inside an interpolation, or the interpolation's end
            else:
                delta -= 1
        elif tok == "=" and not stack and assign_at is None and i > 0:
            if text[i + 1:i + 2] not in ("=", ">") and text[i - 1:i] not in ("=", "!", "<", ">"):
                assign_at = i
                depth_at_assign = delta
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
    # (line index, index of its attribute '='): the first '=' of a line may be inside a quoted
    # key ("a=b" = ...), which must never be padded.
    run: list[tuple[int, int]] = []

    def flush() -> None:
        if not run:
            return
        width = max(len(out[k][:at].rstrip()) for k, at in run)
        for k, at in run:
            lead, rest = out[k][:at], out[k][at + 1:]
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
            run.append((len(out) - 1, len(indent) + len(lead) + 1))
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
