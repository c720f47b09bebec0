"""The pipeline: all stages in order over several blueprints."""

from __future__ import annotations

from dsaas_infra.validate import pipeline
from dsaas_infra.validate.pipeline import Context


def test_stages_run_in_order_over_all_blueprints(make_blueprint, offline_env) -> None:
    good = make_blueprint({"main.tf": 'variable "a" {}\noutput "o" {\n  value = var.a\n}\n'}, "good")
    bad = make_blueprint({"main.tf": 'output "o" {\n  value = var.missing\n}\n'}, "bad")
    offline_env["PATH"] = "/nonexistent"
    report = pipeline.run([(good.path, "good"), (bad.path, "bad")], skip=("security",),
                          context=Context(env=offline_env))
    assert [s.stage for s in report.stages] == list(pipeline.STAGES)
    assert [s.status for s in report.stages] == ["passed", "failed", "passed", "skipped", "skipped", "skipped",
                                                 "skipped", "skipped"]
    plan = report.stages[list(pipeline.STAGES).index("plan")]
    assert plan.user_skipped and "--with plan" in plan.skipped_reason  # opt-in: not run, not "unavailable"
    assert report.exit_code(strict=True) == 1  # the error in "bad", not the opt-in stage
    assert [(f.rule_id, f.file, f.line) for f in report.findings] == [("REF001", "bad/main.tf", 2)]
    assert report.targets == ["good", "bad"] and report.exit_code() == 1
    assert [s.stage for s in report.unavailable()] == ["format", "terraform"]
