"""A line-based three-way merge (diff3) with git-style conflict markers, in pure Python.

base = the pristine render the file on disk started from, ours = the file on disk (hand edits),
theirs = the new render. Regions changed on one side only take that side; regions changed on
both sides the same way take it once; regions changed differently become a conflict written as
git's ``diff3`` style does, base section included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

OURS_MARKER = "<<<<<<< ours"
BASE_MARKER = "||||||| base"
SEPARATOR = "======="
THEIRS_MARKER = ">>>>>>> dsaas-infra"
UNKNOWN_BASE_MARKER = "||||||| base (unknown: rendered before dsaas-infra kept a base)"


@dataclass(frozen=True)
class Conflict:
    """A conflict in the merged text: 1-based lines of its ``<<<<<<<`` and ``>>>>>>>`` markers."""

    start_line: int
    end_line: int


@dataclass
class MergeResult:
    text: str
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def _sync_regions(base: list[str], a: list[str], b: list[str]) -> list[tuple[int, int, int, int, int, int]]:
    """Regions where base, a and b all agree: (base_start, base_end, a_start, a_end, b_start, b_end);
    the last one is an empty sentinel at the ends of all three."""
    amatches = SequenceMatcher(None, base, a, autojunk=False).get_matching_blocks()
    bmatches = SequenceMatcher(None, base, b, autojunk=False).get_matching_blocks()
    regions = []
    ia = ib = 0
    while ia < len(amatches) and ib < len(bmatches):
        abase, amatch, alen = amatches[ia]
        bbase, bmatch, blen = bmatches[ib]
        start, end = max(abase, bbase), min(abase + alen, bbase + blen)
        if start < end:
            asub, bsub = amatch + (start - abase), bmatch + (start - bbase)
            regions.append((start, end, asub, asub + end - start, bsub, bsub + end - start))
        if abase + alen < bbase + blen:
            ia += 1
        else:
            ib += 1
    regions.append((len(base), len(base), len(a), len(a), len(b), len(b)))
    return regions


def _terminated(lines: list[str]) -> list[str]:
    """A chunk put between markers must end with a newline, or the marker joins its last line."""
    if lines and not lines[-1].endswith(("\n", "\r")):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def merge3(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge the changes base -> theirs into ours."""
    b, a, t = base.splitlines(keepends=True), ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    out: list[str] = []
    conflicts: list[Conflict] = []
    iz = ia = it = 0
    for zmatch, zend, amatch, aend, tmatch, tend in _sync_regions(b, a, t):
        base_chunk, ours_chunk, theirs_chunk = b[iz:zmatch], a[ia:amatch], t[it:tmatch]
        if ours_chunk or theirs_chunk:
            if ours_chunk == theirs_chunk or theirs_chunk == base_chunk:
                out.extend(ours_chunk)
            elif ours_chunk == base_chunk:
                out.extend(theirs_chunk)
            else:
                _conflict(out, conflicts, ours_chunk, base_chunk, theirs_chunk, BASE_MARKER)
        out.extend(b[zmatch:zend])
        iz, ia, it = zend, aend, tend
    return MergeResult("".join(out), conflicts)


def merge2(ours: str, theirs: str) -> MergeResult:
    """Without a base (a blueprint rendered before bases were kept): every difference is a conflict."""
    a, t = ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    out: list[str] = []
    conflicts: list[Conflict] = []
    for op, a1, a2, t1, t2 in SequenceMatcher(None, a, t, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(a[a1:a2])
        else:
            _conflict(out, conflicts, a[a1:a2], [], t[t1:t2], UNKNOWN_BASE_MARKER)
    return MergeResult("".join(out), conflicts)


def _conflict(out: list[str], conflicts: list[Conflict], ours: list[str], base: list[str],
              theirs: list[str], base_marker: str) -> None:
    if out and not out[-1].endswith(("\n", "\r")):
        out[-1] += "\n"
    start = len(out) + 1
    out.append(OURS_MARKER + "\n")
    out.extend(_terminated(ours))
    out.append(base_marker + "\n")
    out.extend(_terminated(base))
    out.append(SEPARATOR + "\n")
    out.extend(_terminated(theirs))
    out.append(THEIRS_MARKER + "\n")
    conflicts.append(Conflict(start, len(out)))


def find_markers(text: str) -> list[Conflict]:
    """Conflicts still marked in a file (a merge left unresolved): ``<<<<<<<`` to ``>>>>>>>``.

    Any git-style marker counts (``<<<<<<< HEAD`` from a git merge too); an opening marker with
    no closing one spans to the end of the file.
    """
    found = []
    start = None
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if _is_marker(line, "<<<<<<<") and start is None:
            start = number
        elif _is_marker(line, ">>>>>>>") and start is not None:
            found.append(Conflict(start, number))
            start = None
    if start is not None:
        found.append(Conflict(start, len(lines)))
    return found


def _is_marker(line: str, marker: str) -> bool:
    return line.startswith(marker) and (len(line) == 7 or line[7] in " \t\r")
