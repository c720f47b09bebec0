"""The three-way merge: exact results on small cases, properties over generated texts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dsaas_infra.upgrade.merge3 import Conflict, find_markers, merge2, merge3

BASE = "".join(f"line {i}\n" for i in range(1, 21))


def _replace(text: str, number: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[number - 1] = new
    return "".join(lines)


def test_changes_on_different_lines_merge_cleanly():
    ours = _replace(BASE, 3, "line 3 edited by hand\n")
    theirs = _replace(BASE, 17, "line 17 from the new render\n")
    result = merge3(BASE, ours, theirs)
    assert result.clean
    assert result.text == _replace(ours, 17, "line 17 from the new render\n")


def test_the_same_change_on_both_sides_is_taken_once():
    both = _replace(BASE, 5, "same\n")
    assert merge3(BASE, both, both).text == both
    ours = both + "tail of ours\n"
    assert merge3(BASE, ours, both).text == ours


def test_insertions_and_deletions_on_both_sides():
    ours = BASE.replace("line 2\n", "").replace("line 10\n", "line 10\nadded by hand\n")
    theirs = BASE.replace("line 19\n", "") + "appended by the render\n"
    result = merge3(BASE, ours, theirs)
    assert result.clean
    expected = (BASE.replace("line 2\n", "").replace("line 10\n", "line 10\nadded by hand\n")
                .replace("line 19\n", "") + "appended by the render\n")
    assert result.text == expected


def test_different_changes_on_the_same_line_are_a_conflict_with_the_base_section():
    ours = _replace(BASE, 8, "ours 8\n")
    theirs = _replace(BASE, 8, "theirs 8\n")
    result = merge3(BASE, ours, theirs)
    lines = result.text.splitlines()
    assert lines[7:12] == ["<<<<<<< ours", "ours 8", "||||||| base", "line 8", "======="]
    assert lines[12:14] == ["theirs 8", ">>>>>>> dsaas-infra"]
    assert lines[14] == "line 9" and lines[:7] == BASE.splitlines()[:7]
    assert result.conflicts == [Conflict(8, 14)]
    assert find_markers(result.text) == [Conflict(8, 14)]


def test_adjacent_changes_conflict_as_in_git():
    ours = _replace(BASE, 8, "ours 8\n")
    theirs = _replace(BASE, 9, "theirs 9\n")
    result = merge3(BASE, ours, theirs)
    assert len(result.conflicts) == 1


def test_two_conflicts_are_both_located():
    ours = _replace(_replace(BASE, 2, "o2\n"), 15, "o15\n")
    theirs = _replace(_replace(BASE, 2, "t2\n"), 15, "t15\n")
    result = merge3(BASE, ours, theirs)
    assert result.conflicts == [Conflict(2, 8), Conflict(21, 27)]
    lines = result.text.splitlines()
    for c in result.conflicts:
        assert lines[c.start_line - 1] == "<<<<<<< ours" and lines[c.end_line - 1] == ">>>>>>> dsaas-infra"


def test_a_last_line_without_newline_does_not_swallow_a_marker():
    result = merge3("a\nb", "a\nours", "a\ntheirs")
    assert result.text == "a\n<<<<<<< ours\nours\n||||||| base\nb\n=======\ntheirs\n>>>>>>> dsaas-infra\n"


def test_crlf_lines_are_kept():
    base = "a\r\nb\r\nc\r\nd\r\n"
    result = merge3(base, "a\r\nB\r\nc\r\nd\r\n", "a\r\nb\r\nc\r\nD\r\n")
    assert result.text == "a\r\nB\r\nc\r\nD\r\n"


def test_merge_without_base_marks_every_difference():
    result = merge2("a\nb\nc\n", "a\nB\nc\n")
    assert result.text == ("a\n<<<<<<< ours\nb\n||||||| base (unknown: rendered before dsaas-infra kept a "
                           "base)\n=======\nB\n>>>>>>> dsaas-infra\nc\n")
    assert result.conflicts == [Conflict(2, 7)]
    assert merge2("same\n", "same\n").clean


def test_find_markers_sees_git_markers_and_an_unclosed_one():
    assert find_markers("x\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> branch\n") == [Conflict(2, 6)]
    assert find_markers("x\n<<<<<<<\ny\n") == [Conflict(2, 3)]
    assert find_markers('x = "<<<<<<< not at line start"\n<<<<<<<< eight\n') == []


# Texts over a small alphabet of lines, so that generated edits often touch the same lines.
LINES = st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e\n", "}\n", "\n"])
TEXTS = st.lists(LINES, max_size=25).map("".join)


@settings(max_examples=200, deadline=None)
@given(base=TEXTS, other=TEXTS)
def test_one_side_unchanged_gives_the_other(base, other):
    assert merge3(base, base, other).text == other
    assert merge3(base, other, base).text == other
    assert merge3(base, base, other).clean and merge3(base, other, base).clean


@settings(max_examples=200, deadline=None)
@given(base=TEXTS, other=TEXTS)
def test_identical_sides_merge_to_themselves(base, other):
    result = merge3(base, other, other)
    assert result.clean and result.text == other


@settings(max_examples=200, deadline=None)
@given(base=TEXTS, ours=TEXTS, theirs=TEXTS)
def test_every_conflict_is_located_and_marked(base, ours, theirs):
    result = merge3(base, ours, theirs)
    lines = result.text.splitlines()
    for c in result.conflicts:
        assert lines[c.start_line - 1] == "<<<<<<< ours"
        assert lines[c.end_line - 1] == ">>>>>>> dsaas-infra"
    assert find_markers(result.text) == result.conflicts


OURS_ONLY = st.lists(st.sampled_from(["x\n", "y\n"]), max_size=8).map("".join)
THEIRS_ONLY = st.lists(st.sampled_from(["p\n", "q\n"]), max_size=8).map("".join)


@settings(max_examples=200, deadline=None)
@given(base=TEXTS.filter(bool), head=OURS_ONLY, tail=THEIRS_ONLY)
def test_edits_at_opposite_ends_never_conflict(base, head, tail):
    """A hand edit at the top and a template change at the bottom (lines neither side has) merge."""
    result = merge3(base, head + base, base + tail)
    assert result.clean and result.text == head + base + tail
