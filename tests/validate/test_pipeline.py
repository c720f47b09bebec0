"""The pipeline: all stages in order over several blueprints; ``python -m dsaas_infra.validate``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dsaas_infra.validate import pipeline
from dsaas_infra.validate.pipeline import Context

REPO = Path(__file__).resolve().parents[2]


def test_stages_run_in_order_over_all_blueprints(make_blueprint, offline_env) -> None:
    good = make_blueprint({"main.tf": 'variable "a" {}\noutput "o" {\n  value = var.a\n}\n'}, "good")
    bad = make_blueprint({"main.tf": 'output "o" {\n  value = var.missing\n}\n'}, "bad")
    offline_env["PATH"] = "/nonexistent"
    report = pipeline.run([(good.path, "good"), (bad.path, "bad")], skip=("security",),
                          context=Context(env=offline_env))
    assert [s.stage for s in report.stages] == list(pipeline.STAGES)
    assert [s.status for s in report.stages] == ["passed", "failed", "passed", "skipped", "skipped", "skipped"]
    assert [(f.rule_id, f.file, f.line) for f in report.findings] == [("REF001", "bad/main.tf", 2)]
    assert report.targets == ["good", "bad"] and report.exit_code() == 1
    assert [s.stage for s in report.unavailable()] == ["format", "terraform"]


def test_module_entry_point(make_blueprint) -> None:
    bp = make_blueprint({"main.tf": 'output "o" {\n  value = local.nope\n}\n'})
    proc = subprocess.run([sys.executable, "-m", "dsaas_infra.validate", str(bp.path)], capture_output=True,
                          text=True, cwd=REPO)
    assert proc.returncode == 1
    assert "REF002" in proc.stdout and "bp/main.tf:2" in proc.stdout
    usage = subprocess.run([sys.executable, "-m", "dsaas_infra.validate"], capture_output=True, text=True, cwd=REPO)
    assert usage.returncode == 2 and "usage" in usage.stderr
