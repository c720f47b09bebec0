"""validate reports progress on stderr per blueprint and stage, as it happens; --quiet silences it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from dsaas_infra.validate.findings import Finding, StageResult
from dsaas_infra.validate.progress import Progress, RichProgress

REPO = Path(__file__).resolve().parents[2]
BROKEN = REPO / "tests" / "fixtures" / "broken"


def start(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "dsaas_infra", "validate", *args], cwd=REPO, text=True,
                            env=dict(env or os.environ, PYTHONPATH=str(REPO)), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_per_blueprint_lines_arrive_before_the_slow_stage_finishes(tmp_path) -> None:
    """checkov here blocks until the test has read the blueprints' lines: they were streamed, not held."""
    flag = tmp_path / "go"
    checkov = tmp_path / "checkov"
    checkov.write_text(f"#!/bin/sh\nwhile [ ! -f {flag} ]; do sleep 0.1; done\nexit 0\n")
    checkov.chmod(0o755)
    proc = start(str(BROKEN / "public_bucket"), str(BROKEN / "unknown_argument"), "--skip", "terraform",
                 "--skip", "format", "--checkov", str(checkov), "-f", "json", "--jobs", "1")
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line.rstrip("\n"))
            if line.startswith("security: running"):
                flag.write_text("")
                break
        out, err = proc.communicate(timeout=120)
    finally:
        flag.write_text("")
        proc.kill()
    assert seen[0] == "validate: 2 blueprints"
    assert seen[1].startswith(f"[1/2] {BROKEN / 'public_bucket'}: syntax passed, references passed, schema passed")
    assert seen[2].startswith(f"[2/2] {BROKEN / 'unknown_argument'}: ") and "schema failed (1 error)" in seen[2]
    assert seen[3] == "security: running over 2 blueprints..."
    assert "security failed (1 error)" in err  # checkov printed nothing: SEC005
    assert out.startswith("{")  # the report itself is on stdout, after


def test_in_parallel_each_blueprint_is_reported_when_its_worker_finishes(tmp_path) -> None:
    proc = start(str(BROKEN / "public_bucket"), str(BROKEN / "unknown_argument"), "--skip", "terraform",
                 "--skip", "format", "--skip", "security", "-f", "json", "--jobs", "2")
    out, err = proc.communicate(timeout=300)
    lines = err.splitlines()
    assert lines[0] == "validate: 2 blueprints"
    done = sorted(line for line in lines[1:] if line.startswith("["))
    assert [line[:6] for line in done] == ["[1/2] ", "[2/2] "]
    assert any(str(BROKEN / "unknown_argument") in line and "schema failed (1 error)" in line for line in done)
    assert out.startswith("{") and proc.returncode == 1


def test_quiet_prints_no_progress() -> None:
    proc = start(str(BROKEN / "unknown_argument"), "--skip", "terraform", "--skip", "security", "--skip", "format",
                 "--quiet", "-f", "json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err == "" and out.startswith("{")


def results() -> list[StageResult]:
    return [StageResult("syntax"), StageResult("schema", findings=[Finding("schema", "SCH002", "error", "x")])]


def test_plain_lines_name_blueprint_stage_and_outcome() -> None:
    buf = io.StringIO()
    progress = Progress(buf)
    progress.start(1, 3)
    progress.blueprint_done(1, 1, "build/[bold]acme", results())
    progress.stage_started("security", 1)
    progress.stage_done(StageResult("security", skipped_reason="checkov not found", seconds=0.01))
    assert buf.getvalue().splitlines() == [
        "validate: 1 blueprint", "[1/1] build/[bold]acme: syntax passed, schema failed (1 error)",
        "security: running over 1 blueprint...", "security skipped: checkov not found (0.0 s)"]


def test_rich_progress_prints_the_same_lines_literally() -> None:
    buf = io.StringIO()
    progress = RichProgress(buf)
    progress.start(1, 3)
    progress.blueprint_done(1, 1, "build/[bold]acme", results())
    progress.close()
    assert "[1/1] build/[bold]acme: syntax passed, schema failed (1 error)" in buf.getvalue()
