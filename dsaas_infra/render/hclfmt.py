"""A small formatter giving rendered HCL the layout ``terraform fmt`` would give it.

Templates then need not get alignment right by hand: indentation follows bracket depth
(two spaces a level) and the ``=`` of consecutive one-line attributes are aligned, the way
hclwrite does it (a blank line, a comment line, a block or a multi-line value ends a run).
Heredocs are left untouched.
"""

from __future__ import annotations

import re

_OPEN = "{[("
_CLOSE = "}])"
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$")


_ASSIGN = re.compile(r"(?<![=!<>])=(?![=>])")
# What the scanner must look at; everything between matches is plain text.
_TOKEN = re.compile(r'\\.|[$%]\{|//|[{}\[\]()"#=]')


def _net(text: str) -> int:
    return (text.count("{") + text.count("[") + text.count("(")
            - text.count("}") - text.count("]") - text.count(")"))


# Rendered blueprints repeat most lines ("}", "tags = local.tags", ...), within a file and across
# the specs of a fleet: each distinct line is scanned once per process.
_SCANNED: dict[str, tuple[int, tuple[str, str] | None, str | None]] = {}
_SCANNED_MAX = 200_000


def _scan(text: str) -> tuple[int, tuple[str, str] | None, str | None]:
    """Net bracket change, (attribute name, value) of a one-line attribute, heredoc marker (memoised)."""
    found = _SCANNED.get(text)
    if found is None:
        if len(_SCANNED) >= _SCANNED_MAX:
            _SCANNED.clear()
        delta, assign_at, heredoc = _scan_line(text)
        assign = None if assign_at is None else (text[:assign_at].rstrip(), text[assign_at + 1:].strip())
        found = _SCANNED[text] = (delta, assign, heredoc)
    return found


def _scan_line(text: str) -> tuple[int, int | None, str | None]:
    if '"' not in text and "#" not in text and "/" not in text and "<<" not in text:
        # Fast path (most lines): no strings, comments or heredocs to step around.
        delta = _net(text)
        if "=" not in text:
            return delta, None, None
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
    # One pass over the lines. hclwrite's indent stack: a line with a net opening pushes one
    # level (remembering how many brackets it opened); a line with a net closing pops levels
    # and takes the new depth.
    indents: list[int] = []
    heredoc_end: str | None = None
    out: list[str] = []
    # The current alignment run: (line index, indented attribute name, value) per line; its
    # lines are written when the run ends, padded to its widest name. (The first '=' of a line
    # may be inside a quoted key ("a=b" = ...), which is never padded: names come from _scan.)
    run: list[tuple[int, str, str]] = []
    scanned = _SCANNED  # most lines were seen before: one dict lookup instead of a call

    def flush() -> None:
        width = max(len(lead) for _, lead, _ in run)
        for k, lead, value in run:
            out[k] = f"{lead.ljust(width)} = {value}"
        run.clear()

    for raw in source.splitlines():
        if heredoc_end is not None:
            # hclwrite sees a heredoc as part of the line that opens it: the alignment run
            # goes on after the terminator.
            out.append(raw)
            if raw.strip() == heredoc_end:
                heredoc_end = None
            continue
        text = raw.strip()
        delta, assign, heredoc = scanned.get(text) or _scan(text)
        if delta > 0:
            depth = len(indents)
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
        else:
            depth = len(indents)
        if not text:
            if run:
                flush()
            out.append("")
        elif assign is not None:
            run.append((len(out), "  " * depth + assign[0], assign[1]))
            out.append("")  # written by flush()
        else:
            if run:
                flush()
            out.append("  " * depth + text)
        heredoc_end = heredoc
    if run:
        flush()
    # Collapse runs of blank lines and strip blank lines at the start and end of blocks.
    cleaned: list[str] = []
    for row in out:
        if row == "" and (not cleaned or cleaned[-1] == "" or cleaned[-1].endswith(("{", "["))):
            continue
        if cleaned and cleaned[-1] == "" and row.strip() in ("}", "]", ")"):
            cleaned.pop()
        cleaned.append(row)
    while cleaned and cleaned[-1] == "":
        cleaned.pop()
    return "\n".join(cleaned) + "\n"
