"""The shipped Apigee proxy's request PreFlow, run step by step on sample requests: which answer each gets.

Apigee cannot run here, so this walks proxies/default.xml as Apigee does: each step in order,
its <Condition> evaluated (Apigee's operators used there: = != > ~~ (JavaRegex, whole value),
not/and/or, null for a missing variable, numbers compared as numbers), a RaiseFault step answers
with its policy's status code, Verify-API-Key fails without an x-api-key header (the
"unauthorized" fault rule's 401). The proxy's size checks depend on Content-Length: 411 exactly
when it is missing, 413 above the limit, never for a body that states its length.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from dsaas_infra.render.gcp.access import MAX_REQUEST_BYTES, PROXY_DIR
from tests.render.gcp.test_gcp_apigee_proxy import files, xml  # noqa: F401 (the rendered proxy fixture)

TOKEN = re.compile(r'\s*(\(|\)|!=|~~|=|>|"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.\-]*|\d+)')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text.rstrip()):
        m = TOKEN.match(text, pos)
        assert m, f"cannot read the condition at {text[pos:]!r}"
        out.append(m.group(1))
        pos = m.end()
    return out


def evaluate(condition: str, variables: dict[str, str | None]) -> bool:
    tokens = _tokens(condition)

    def value(tok: str):
        if tok.startswith('"'):
            return tok[1:-1]
        if tok.isdigit():
            return int(tok)
        if tok == "null":
            return None
        return variables.get(tok.lower())

    def compare(left, op, right) -> bool:
        if op == "~~":
            return left is not None and re.fullmatch(right, str(left)) is not None
        if left is None or right is None:
            return (left is right) if op == "=" else (left is not right) if op == "!=" else False
        if isinstance(right, int) or isinstance(left, int):
            try:
                left, right = float(left), float(right)
            except ValueError:
                return False
        return {"=": left == right, "!=": left != right, ">": left > right}[op]

    def primary(i: int) -> tuple[bool, int]:
        if tokens[i] == "not":
            result, i = primary(i + 1)
            return not result, i
        if tokens[i] == "(":
            result, i = disjunction(i + 1)
            assert tokens[i] == ")"
            return result, i + 1
        return compare(value(tokens[i]), tokens[i + 1], value(tokens[i + 2])), i + 3

    def conjunction(i: int) -> tuple[bool, int]:
        result, i = primary(i)
        while i < len(tokens) and tokens[i] == "and":
            other, i = primary(i + 1)
            result = result and other
        return result, i

    def disjunction(i: int) -> tuple[bool, int]:
        result, i = conjunction(i)
        while i < len(tokens) and tokens[i] == "or":
            other, i = conjunction(i + 1)
            result = result or other
        return result, i

    result, end = disjunction(0)
    assert end == len(tokens), condition
    return result


def answer(files, verb: str, headers: dict[str, str]) -> int | str:  # noqa: F811
    """The status the PreFlow answers with, or "backend" when the request gets through."""
    variables = {"request.verb": verb} | {f"request.header.{k}".lower(): v for k, v in headers.items()}
    for step in xml(files, "proxies/default.xml").find("PreFlow/Request").findall("Step"):
        name, condition = step.findtext("Name"), step.findtext("Condition")
        if condition and not evaluate(condition, variables):
            continue
        policy = ET.fromstring(files[f"{PROXY_DIR}/apiproxy/policies/{name}.xml"])
        if policy.tag == "RaiseFault":
            return int(policy.findtext(".//StatusCode"))
        if policy.tag == "VerifyAPIKey" and "x-api-key" not in {k.lower() for k in headers}:
            return 401
    return "backend"


JSON = {"x-api-key": "k", "Content-Type": "application/json"}


@pytest.mark.parametrize("verb, headers, expected", [
    ("POST", {**JSON, "Content-Length": "42"}, "backend"),
    ("POST", {**JSON, "Content-Type": "Application/JSON; charset=utf-8", "Content-Length": "42"}, "backend"),
    ("POST", {**JSON, "Content-Length": str(MAX_REQUEST_BYTES)}, "backend"),  # the limit itself is allowed
    ("POST", {**JSON, "Content-Length": "0"}, "backend"),  # an empty body states its length: no 411
    ("POST", JSON, 411),  # chunked: no Content-Length, the size cannot be checked
    ("POST", {**JSON, "Transfer-Encoding": "chunked"}, 411),
    ("POST", {**JSON, "Content-Length": str(MAX_REQUEST_BYTES + 1)}, 413),
    ("POST", {**JSON, "Content-Type": "text/plain", "Content-Length": "42"}, 415),
    ("POST", {"x-api-key": "k", "Content-Length": "42"}, 415),  # no Content-Type at all
    ("POST", {"Content-Type": "application/json"}, 401),  # the key is checked before the length
    ("GET", {"x-api-key": "k"}, 405),
])
def test_each_request_gets_the_answer_the_readme_promises(files, verb, headers, expected):  # noqa: F811
    assert answer(files, verb, headers) == expected


def test_the_evaluator_reads_every_condition_of_the_flow(files):  # noqa: F811
    """A condition the evaluator cannot parse fails here, not silently as 'not applicable'."""
    for step in xml(files, "proxies/default.xml").find("PreFlow/Request").findall("Step"):
        if step.findtext("Condition"):
            evaluate(step.findtext("Condition"), {})
