"""A small evaluator of IAM identity policies (AWS's documented rules) for the CI identity tests.

Explicit Deny wins, then any Allow, else implicit deny; Action/NotAction, Resource/NotResource with
`*`/`?` wildcards; conditions StringEquals/StringNotEquals/StringLike/StringNotLike/Null, a missing key
making a positive operator false and a negated one true (AWS's evaluation logic). The AWS managed
policies are the documents moto ships (moto.iam.aws_managed_policies), not copies of ours.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import hcl2

from tests.render.parsed_blueprint import norm


def managed(name: str) -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)[name]["Document"]


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _match(patterns: Any, value: str, case: bool) -> bool:
    for p in _listed(patterns):
        rx = fnmatch.translate(p)
        if re.fullmatch(rx, value, 0 if case else re.IGNORECASE):
            return True
    return False


def _condition(cond: dict[str, Any], context: dict[str, str]) -> bool:
    for test, pairs in cond.items():
        for key, values in pairs.items():
            actual = context.get(key)
            values = _listed(values)
            if test == "Null":
                if (actual is None) != (values[0] == "true"):
                    return False
            elif test in ("StringEquals", "StringLike"):
                ok = actual is not None and (actual in values if test == "StringEquals"
                                             else _match(values, actual, True))
                if not ok:
                    return False
            elif test in ("StringNotEquals", "StringNotLike"):
                ok = actual is None or (actual not in values if test == "StringNotEquals"
                                        else not _match(values, actual, True))
                if not ok:
                    return False
            else:
                raise AssertionError(f"the evaluator does not know {test}")
    return True


def _applies(st: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    if "Action" in st and not _match(st["Action"], action, False):
        return False
    if "NotAction" in st and _match(st["NotAction"], action, False):
        return False
    if "Resource" in st and not _match(st["Resource"], resource, True):
        return False
    if "NotResource" in st and _match(st["NotResource"], resource, True):
        return False
    return _condition(st.get("Condition", {}), context)


def allowed(policies: list[dict[str, Any]], action: str, resource: str = "*",
            context: dict[str, str] | None = None) -> bool:
    context = context or {}
    statements = [s for p in policies for s in _listed(p["Statement"])]
    if any(s["Effect"] == "Deny" and _applies(s, action, resource, context) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _applies(s, action, resource, context) for s in statements)


def policy_documents(tf: str, refs: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each `data "aws_iam_policy_document"` of a rendered .tf as IAM JSON; `refs` replaces ${...}."""
    doc = norm(hcl2.loads(tf))
    out = {}
    for block in doc.get("data", []):
        for name, body in block.get("aws_iam_policy_document", {}).items():
            statements = []
            for st in body.get("statement", []):
                out_st: dict[str, Any] = {"Effect": st.get("effect", "Allow")}
                for hcl_key, key in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                                     ("not_resources", "NotResource")):
                    if hcl_key in st:
                        out_st[key] = [_resolve(v, refs) for v in st[hcl_key]]
                cond: dict[str, dict[str, list[str]]] = {}
                for c in st.get("condition", []):
                    cond.setdefault(c["test"], {})[c["variable"]] = [_resolve(v, refs) for v in c["values"]]
                if cond:
                    out_st["Condition"] = cond
                statements.append(out_st)
            out[name] = {"Version": "2012-10-17", "Statement": statements}
    return out


def _resolve(value: str, refs: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        return refs[m.group(1)]
    return re.sub(r"\$\{([^}]+)\}", sub, value)
