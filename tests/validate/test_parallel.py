"""validate of many blueprints in worker processes: the same report as one process, in order."""

from __future__ import annotations

import dataclasses

from dsaas_infra.validate import parallel, pipeline

GOOD = 'variable "name" {\n  type    = string\n  default = "x"\n}\n\noutput "name" {\n  value = var.name\n}\n'
BAD_REF = 'output "x" {\n  value = var.missing\n}\n'
BAD_FMT = 'output "y" {\nvalue="z"\n}\n'


def _write(root, files):
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def _plain(report):
    """Everything but timings (which differ run to run)."""
    return [dataclasses.replace(s, seconds=0.0) for s in report.stages], report.targets


def test_workers_give_the_report_one_process_gives(tmp_path):
    targets = [(_write(tmp_path / n, files), n) for n, files in
               (("a", {"main.tf": GOOD}), ("b", {"main.tf": BAD_REF}), ("c", {"main.tf": BAD_FMT}),
                ("d", {"main.tf": GOOD}))]
    skip = ("terraform", "security", "schema")
    context = pipeline.Context()
    alone = pipeline.run(targets, skip, context)
    pooled = parallel.run(targets, skip, context, jobs=2)
    assert _plain(pooled) == _plain(alone)
    assert pooled.targets == ["a", "b", "c", "d"]
    assert pooled.exit_code() == alone.exit_code() == 1
    assert {f.rule_id for f in pooled.findings} == {f.rule_id for f in alone.findings} != set()


def test_a_stage_that_could_not_run_stays_skipped_in_the_merged_report(tmp_path):
    targets = [(_write(tmp_path / n, {"main.tf": GOOD}), n) for n in ("a", "b")]
    context = pipeline.Context(env={"PATH": "/nonexistent", "HOME": str(tmp_path)})
    pooled = parallel.run(targets, ("schema",), context, jobs=2)
    terraform = next(s for s in pooled.stages if s.stage == "terraform")
    assert terraform.skipped_reason and not terraform.user_skipped
    assert pooled.exit_code(strict=True) == 1


def _stage(reason=None, findings=()):
    from dsaas_infra.validate.findings import StageResult

    return StageResult("budget", findings=list(findings), skipped_reason=reason)


def test_nothing_to_check_on_some_blueprints_is_not_a_skip_but_not_running_is():
    from dsaas_infra.validate.findings import Report

    def merged(*stages):
        return parallel.merge([Report([f"t{i}"], [s]) for i, s in enumerate(stages)]).stages[0].skipped_reason

    nothing = "no spec with budget.monthly_usd among the targets (nothing to check)"
    assert merged(_stage(), _stage(nothing)) is None  # ran where there was a budget
    assert merged(_stage(nothing), _stage(nothing)) == nothing
    assert merged(_stage(), _stage("checkov not found")) == "checkov not found"  # never "passed"
    assert merged(_stage("not run on a: x"), _stage("not run on b: x"), _stage(nothing)) == \
        "not run on a: x; not run on b: x"
