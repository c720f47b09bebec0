"""Job summaries for the fleet workflows: a plan or drift JSON report -> a short Markdown section."""

from __future__ import annotations

from typing import Any

from dsaas_infra.render.escape import markdown_text as md

ACTIONS = ("create", "update", "replace", "destroy")


def plan(doc: dict[str, Any], client: str) -> str:
    lines = [f"### Plan: {md(client)}", ""]
    if not doc.get("changes"):
        return "\n".join(lines + ["No changes: the infrastructure matches the blueprint.", ""])
    totals = doc.get("totals", {})
    lines += ["| phase | " + " | ".join(ACTIONS) + " |", "|---|" + "---:|" * len(ACTIONS)]
    for phase, body in doc.get("phases", {}).items():
        t = body.get("totals", {})
        lines.append(f"| {md(phase)} | " + " | ".join(str(t.get(a, 0)) for a in ACTIONS) + " |")
    lines.append("| **total** | " + " | ".join(f"**{totals.get(a, 0)}**" for a in ACTIONS) + " |")
    destructive = doc.get("destructive") or []
    if destructive:
        lines += ["", f"**{len(destructive)} destructive change(s):**", ""]
        lines += [f"- {md(r['action'])} `{md(r['address'])}` ({md(r['phase'])})" for r in destructive]
    return "\n".join(lines + [""])


def drift(doc: dict[str, Any], client: str) -> str:
    lines = [f"### Drift: {md(client)}", ""]
    for c in doc.get("clients", []):
        if c["status"] == "failed":
            lines.append(f"Drift detection failed: {md(c['summary'])}")
            continue
        detail = c.get("detail", {})
        if not detail.get("drift"):
            lines.append("No drift: the real infrastructure matches the state.")
            continue
        lines += ["| phase | address | change | attributes |", "|---|---|---|---|"]
        for phase, resources in detail.get("phases", {}).items():
            for r in resources:
                attrs = ", ".join(md(a) for a in r["attributes"]) or "-"
                change = "deleted" if r["action"] == "delete" else "changed"
                lines.append(f"| {md(phase)} | `{md(r['address'])}` | {change} | {attrs} |")
    return "\n".join(lines + [""])
