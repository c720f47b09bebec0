"""Locate an unclosed block, bracket or string in HCL text, for parse errors that surface at end of file.

A missing closing brace in the middle of a file makes the grammar read every later block as nested
inside the unclosed one, so the parser only fails at the end of the file. Terraform reports such an
error where the unclosed block starts ("Unclosed configuration block"); this scanner finds that
place: it matches brackets outside strings, comments and heredocs, and returns the innermost opener
still open at the end of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLOSERS = {"}": "{", "]": "[", ")": "("}
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
NAMES = {"{": "block or object", "[": "list", "(": "parenthesis", '"': "string", "${": "template interpolation"}


@dataclass(frozen=True)
class Unclosed:
    opener: str  # "{", "[", "(", '"' or "${"
    line: int
    column: int

    @property
    def message(self) -> str:
        if self.opener == '"':
            return "unterminated string: no closing quote before the end of the line"
        closing = {"{": "brace", "[": "bracket", "(": "parenthesis", "${": "brace"}[self.opener]
        return (f"unclosed {NAMES[self.opener]} starting here: no closing {closing} before the end of the file")


def find_unclosed(text: str) -> Unclosed | None:
    """The innermost bracket (or template) still open at the end of ``text``, or None."""
    stack: list[tuple[str, int, int]] = []  # (opener, line, column); '"' entries mark string context
    i, line, line_start, n = 0, 1, 0, len(text)

    def here() -> tuple[int, int]:
        return line, i - line_start + 1

    while i < n:
        c = text[i]
        in_string = bool(stack) and stack[-1][0] == '"'
        if c == "\n":
            if in_string:  # a quoted string cannot span lines: report it, not the end of the file
                return Unclosed('"', stack[-1][1], stack[-1][2])
            line, line_start = line + 1, i + 1
            i += 1
            continue
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                stack.pop()
            elif text.startswith(("${", "%{"), i) and not text.startswith(("$${", "%%{"), i - 1 if i else 0):
                stack.append(("${", *here()))
                i += 2
                continue
            i += 1
            continue
        # code context
        if c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            stop = n if end < 0 else end + 2
            chunk = text[i:stop]
            if "\n" in chunk:
                line += chunk.count("\n")
                line_start = i + chunk.rfind("\n") + 1
            i = stop
            continue
        heredoc = _HEREDOC.match(text, i) if c == "<" else None
        if heredoc:
            marker = heredoc.group(1)
            terminator = re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*$", re.M).search(text, heredoc.end())
            stop = n if terminator is None else terminator.end()
            chunk = text[i:stop]
            line += chunk.count("\n")
            line_start = i + chunk.rfind("\n") + 1 if "\n" in chunk else line_start
            i = stop
            continue
        if c == '"':
            stack.append(('"', *here()))
        elif c in "{[(":
            stack.append((c, *here()))
        elif c in _CLOSERS:
            # "}" also ends a template interpolation; a stray closer is left to the parser's message
            if stack and (stack[-1][0] == _CLOSERS[c] or (c == "}" and stack[-1][0] == "${")):
                stack.pop()
        i += 1
    if not stack:
        return None
    opener, at_line, at_column = stack[-1]
    return Unclosed(opener, at_line, at_column)
