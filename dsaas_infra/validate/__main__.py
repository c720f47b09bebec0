"""``python -m dsaas_infra.validate DIR...``: run every stage over blueprint directories, text report."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from dsaas_infra.validate import output_text, pipeline


def main(argv: list[str]) -> int:
    if not argv or any(a.startswith("-") for a in argv):
        print("usage: python -m dsaas_infra.validate BLUEPRINT_DIR...  (full options: dsaas-infra validate)",
              file=sys.stderr)
        return 2
    missing = [a for a in argv if not Path(a).is_dir()]
    if missing:
        print(f"not a directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    report = pipeline.run([(Path(a), a.rstrip("/")) for a in argv])
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # CI logs: keep one finding per line
    output_text.render(report, console)
    return report.exit_code()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
