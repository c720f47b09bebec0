"""The unclosed-bracket scanner: strings, comments, heredocs and templates do not count as brackets."""

from __future__ import annotations

import pytest

from dsaas_infra.validate.hclscan import find_unclosed


@pytest.mark.parametrize("text", [
    'locals {\n  a = "}"\n}\n',
    'locals {\n  a = "${jsonencode({ a = "}" })}"\n}\n',
    'locals { # }\n  // }\n  /* }\n } */\n  a = 1\n}\n',
    'locals {\n  a = <<EOT\n}}}\nEOT\n  b = <<-X\n    {\n    X\n}\n',
    'locals {\n  a = "$${not_a_template"\n  b = [for x in [1] : { y = x }]\n}\n',
    'locals {\n  a = "\\"}"\n}\n',
])
def test_balanced_text_has_nothing_unclosed(text: str) -> None:
    assert find_unclosed(text) is None


@pytest.mark.parametrize("text, where", [
    ('a {\n  b {\n  }\n\nc {\n}\n', ("{", 1, 3)),
    ('a {\n  b = [1,\n  c = 2\n}\n', ("[", 2, 7)),
    ('a {\n  b {\n    c = 1\n\n}\n', ("{", 1, 3)),
    ('a {\n  b = "abc\n}\n', ('"', 2, 7)),
    ('a {\n  b = f(1,\n', ("(", 2, 8)),
])
def test_the_innermost_opener_left_open_is_found(text: str, where: tuple) -> None:
    found = find_unclosed(text)
    assert found is not None and (found.opener, found.line, found.column) == where
