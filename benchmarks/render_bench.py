"""Benchmark: render N client specs in one `dsaas-infra render` call (the issue asks < 10 s for 100).

Usage: python benchmarks/render_bench.py [N]   (default 100)

Specs are derived from the examples in blueprints/ (a different client name each), so both
clouds and all maturity levels are represented. Also reports CLI start-up time for --help.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_specs(n: int, folder: Path) -> list[Path]:
    examples = sorted((REPO / "blueprints").glob("*.yaml"))
    if not examples:
        raise SystemExit("no example specs in blueprints/")
    specs = []
    for i in range(n):
        text = examples[i % len(examples)].read_text()
        text = re.sub(r"(?m)^(  name: )\S+", rf"\g<1>bench{i:04d}", text, count=1)
        path = folder / f"bench{i:04d}.yaml"
        path.write_text(text)
        specs.append(path)
    return specs


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        specs = make_specs(n, tmp_path)
        cli = [sys.executable, "-m", "dsaas_infra"]
        startup = min(timed([*cli, "--help"]) for _ in range(3))
        elapsed = timed([*cli, "render", *map(str, specs), "--out", str(tmp_path / "out")])
        files = sum(1 for p in (tmp_path / "out").rglob("*") if p.is_file())
    print(f"start-up (--help, best of 3): {startup * 1000:.0f} ms")
    print(f"render {n} specs in one call: {elapsed:.2f} s "
          f"({elapsed / n * 1000:.1f} ms per blueprint incl. start-up, {files} files written)")


if __name__ == "__main__":
    main()
