"""Markdown tables of rendered READMEs, read as cells (shared by the AWS and GCP README table tests)."""

from __future__ import annotations

from markdown_it import MarkdownIt


def table(readme: str, header: str) -> list[list[str]]:
    """Rows (cell texts) of the Markdown table whose first header cell is ``header``."""
    tokens = MarkdownIt().enable("table").parse(readme)
    tables, rows, row, cell, current = [], [], None, None, None
    for t in tokens:
        if t.type == "table_open":
            rows = []
        elif t.type == "tr_open":
            row = []
        elif t.type in ("th_open", "td_open"):
            cell = []
        elif t.type == "inline" and cell is not None:
            cell.append(t.content)
        elif t.type in ("th_close", "td_close"):
            row.append("".join(cell).replace("\\", ""))
            cell = None
        elif t.type == "tr_close":
            rows.append(row)
        elif t.type == "table_close":
            tables.append(rows)
    for current in tables:
        if current[0][0] == header:
            return current[1:]
    raise AssertionError(f"no table headed {header!r}")
