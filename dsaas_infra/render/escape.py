"""One escaping function per output language free text reaches: HCL, JSON, Markdown, Mermaid, XML.

Every function takes any Python string and returns text that the target language reads as
exactly that string (HCL, JSON), or as that string made visible (Markdown, Mermaid, XML):
characters that change how text around them is shown (bidi controls, zero-width and other
format characters, line/paragraph separators, controls) are never passed through; they are
written as their ``\\uXXXX`` code, visibly.
"""

from __future__ import annotations

import json
import re
import unicodedata

# Unicode categories that are never shown as themselves: controls, format characters (bidi
# overrides and isolates, zero-width characters), line and paragraph separators, surrogates,
# private use, unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def invisible(ch: str) -> bool:
    """Whether ``ch`` is a character no output may pass through as itself."""
    return unicodedata.category(ch) in _INVISIBLE


def _code(ch: str) -> str:
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


# --- HCL -----------------------------------------------------------------------------------

_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Printable ASCII needs escaping only for these (quotes, backslashes, template sequences).
_HCL_SLOW = ('"', "\\", "${", "%{")


def hcl_string(value: str) -> str:
    """A double-quoted HCL string literal whose content is exactly ``value``.

    Quotes, backslashes and line breaks are escaped, and the ``$`` or ``%`` of the template
    sequences ``${`` and ``%{`` is written as a unicode escape, so Terraform reads them as
    literal text, never as code. (HCL's own doubling, ``$${``, is equivalent for Terraform
    but python-hcl2, which the validator uses, rejects an unclosed ``$${``.) Invisible
    characters (bidi controls, U+2028, ...) are written as ``\\uXXXX`` escapes: the same
    string for Terraform, visible to a reviewer of the file.
    """
    if value.isascii() and value.isprintable() and not any(c in value for c in _HCL_SLOW):
        return f'"{value}"'  # nothing to escape (most names and ARNs): the per-character loop is 20x slower
    out = []
    i = 0
    while i < len(value):
        ch = value[i]
        nxt = value[i + 1] if i + 1 < len(value) else ""
        if ch in "$%" and nxt == "{":
            out.append(f"\\u{ord(ch):04x}{{")
            i += 2
            continue
        if ch in _HCL_ESCAPES:
            out.append(_HCL_ESCAPES[ch])
        elif invisible(ch):
            out.append(_code(ch))
        else:
            out.append(ch)
        i += 1
    return '"' + "".join(out) + '"'


# --- JSON ----------------------------------------------------------------------------------


def json_string(value: str) -> str:
    """A JSON string literal for ``value``; everything outside ASCII (U+2028/U+2029, which
    break JavaScript, and bidi controls among them) as ``\\uXXXX``."""
    return json.dumps(value, ensure_ascii=True)


# --- Markdown ------------------------------------------------------------------------------

# Every ASCII punctuation character CommonMark lets a backslash escape that could start
# markup here: emphasis, code, links, images, HTML and entities (&#x202e; would bring a bidi
# override back), tables, headings, math ($), strikethrough (~).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>\"&~$^])")


def markdown_text(value: str) -> str:
    """Free text for a Markdown line (a README heading, a table cell, a list item): no HTML,
    no markup, no line breaks; invisible characters as their visible ``\\uXXXX`` code."""
    if value.isascii() and value.isprintable():
        # Printable ASCII has no invisible characters or line breaks: only markup to escape.
        return _MD_SPECIAL.sub(r"\\\1", value)
    out = []
    for ch in value:
        if ch in "\n\r\t":
            out.append(" ")
        elif invisible(ch):
            out.append(_code(ch).replace("\\", "\\\\"))
        else:
            out.append(_MD_SPECIAL.sub(r"\\\1", ch))
    return "".join(out)


# --- Mermaid -------------------------------------------------------------------------------

_MERMAID_PLAIN = re.compile(r"[A-Za-z0-9 .,:/+-]")


def mermaid_label(value: str) -> str:
    """Text for a quoted Mermaid label (``id["..."]``): plain letters, digits and ``.,:/+-``
    as they are, every other character as a Mermaid entity code (``#35;``), so quotes,
    brackets, ``%%{init}%%`` directives and HTML never reach the diagram as syntax; invisible
    characters as their visible ``\\uXXXX`` code."""
    out = []
    for ch in value:
        if _MERMAID_PLAIN.fullmatch(ch):
            out.append(ch)
        elif invisible(ch):
            out.append("".join(f"#{ord(c)};" for c in _code(ch)))
        else:
            out.append(f"#{ord(ch)};")
    return "".join(out)


# --- XML -----------------------------------------------------------------------------------


def _xml_allowed(ch: str) -> bool:
    """XML 1.0 Char, minus the characters that are never shown as themselves."""
    if ch in "\t\n\r":
        return True
    return not invisible(ch) and ch not in "\ufffe\uffff"


def xml_clean(value: str) -> str:
    """``value`` with every character XML 1.0 forbids (most controls) or that changes how text
    is shown (bidi, U+2028) replaced by its visible ``\\uXXXX`` code. For text that an XML
    library escapes itself (ElementTree, which writes a carriage return raw: a reader would
    turn it into a newline, so it is shown as its code too)."""
    return "".join(ch if _xml_allowed(ch) and ch != "\r" else _code(ch) for ch in value)


def xml_text(value: str) -> str:
    """``value`` as XML character data or a quoted attribute value."""
    return (
        xml_clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&quot;").replace("'", "&apos;")
        # Character references: a parser keeps them, where it normalises literal ones.
        .replace("\t", "&#9;").replace("\n", "&#10;")
    )
