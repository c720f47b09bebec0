"""Security stage: checkov from its own venv, once over all blueprints, results as located findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsaas_infra.commands import validate
from dsaas_infra.validate import security
from dsaas_infra.validate.pipeline import Context

PUBLIC = '''resource "aws_s3_bucket_public_access_block" "p" {
  bucket                  = "b"
  block_public_acls       = false
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
'''
SKIPPED = '''resource "aws_s3_bucket_public_access_block" "q" {
  #checkov:skip=CKV_AWS_53:the bucket serves a public static site
  bucket                  = "b"
  block_public_acls       = false
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
'''
NO_REASON = SKIPPED.replace(":the bucket serves a public static site", "")


def test_parse_reports_handles_one_value_a_list_and_values_back_to_back() -> None:
    one = {"check_type": "terraform", "results": {}}
    other = {"check_type": "secrets", "results": {}}
    assert security.parse_reports(json.dumps(one)) == [one]
    assert security.parse_reports(json.dumps([one, other])) == [one]
    assert security.parse_reports(json.dumps(one) + "\n" + json.dumps(one)) == [one, one]
    assert security.parse_reports("") == []


def test_without_checkov_the_stage_is_skipped_with_the_reason(make_blueprint, offline_env, tmp_path,
                                                              monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .tools/checkov here
    offline_env["PATH"] = "/nonexistent"
    result = security.run([make_blueprint({"main.tf": PUBLIC})], Context(env=offline_env))
    assert result.status == "skipped" and "checkov not found" in result.skipped_reason


@pytest.fixture(scope="module")
def one_run(tmp_path_factory, checkov_bin):
    """Three blueprints, one checkov process."""
    from dsaas_infra.validate.blueprint import load_blueprint
    root = tmp_path_factory.mktemp("sec")
    bps = []
    for name, text in (("public", PUBLIC), ("skipped", SKIPPED), ("noreason", NO_REASON)):
        (root / name).mkdir()
        (root / name / "main.tf").write_text(text)
        bps.append(load_blueprint(root / name, name))
    return security.run(bps, Context(checkov_bin=checkov_bin))


def _of(result, file: str) -> set[tuple]:
    return {(f.rule_id, f.severity, f.line, f.address) for f in result.findings if f.file == file}


def test_failed_checks_are_errors_located_in_the_right_blueprint(one_run) -> None:
    assert ("CKV_AWS_53", "error", 1, "aws_s3_bucket_public_access_block.p") in _of(one_run, "public/main.tf")
    assert all(f.file in ("public/main.tf", "skipped/main.tf", "noreason/main.tf") for f in one_run.findings)


def test_inline_skips_are_reported_with_their_reason(one_run) -> None:
    skipped = [f for f in one_run.findings if f.file == "skipped/main.tf"]
    assert [(f.rule_id, f.severity) for f in skipped] == [("CKV_AWS_53", "info")]
    assert skipped[0].message.endswith("(reason: the bucket serves a public static site)")


def test_a_skip_without_reason_is_an_error(one_run) -> None:
    assert ("SEC001", "error", 1, "aws_s3_bucket_public_access_block.q") in _of(one_run, "noreason/main.tf")


def test_checkov_is_run_once_for_all_blueprints(make_blueprint, tmp_path: Path, checkov_bin) -> None:
    """A wrapper counts its invocations: three blueprints, one process."""
    counter = tmp_path / "calls"
    wrapper = tmp_path / "checkov"
    wrapper.write_text(f'#!/bin/sh\necho x >> {counter}\nexec {checkov_bin} "$@"\n')
    wrapper.chmod(0o755)
    bps = [make_blueprint({"main.tf": PUBLIC}, f"b{i}") for i in range(3)]
    result = security.run(bps, Context(checkov_bin=str(wrapper)))
    assert counter.read_text().count("x") == 1
    assert {f.file for f in result.findings} == {f"b{i}/main.tf" for i in range(3)}


# --- checkov's exit status and output are both checked: a run that cannot be trusted is an error ---

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"


def fake_checkov(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-checkov"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def report_for(path: Path, failed: bool = False) -> str:
    check = {"check_id": "CKV_AWS_53", "check_name": "x", "file_abs_path": str(path / "main.tf"),
             "file_path": "/main.tf", "file_line_range": [1, 3], "resource": "aws_s3_bucket.b"}
    results = {"passed_checks": [] if failed else [check], "failed_checks": [check] if failed else [],
               "skipped_checks": [], "parsing_errors": []}
    return json.dumps({"check_type": "terraform", "results": results, "summary": {}})


def untrusted(result) -> list[tuple[str, str]]:
    assert result.status == "failed"
    return [(f.rule_id, f.severity) for f in result.findings]


def test_a_crashing_checkov_is_an_error_never_a_pass(make_blueprint) -> None:
    result = security.run([make_blueprint({"main.tf": PUBLIC})], Context(checkov_bin="/bin/false"))
    # /bin/false prints nothing and exits 1, as checkov does on an uncaught exception: no report, not a pass.
    assert untrusted(result) == [("SEC003", "error")]
    assert "checkov crashed: exit 1 and no report" in result.findings[0].message


@pytest.mark.parametrize("body, rule, words", [
    ("exit 0", "SEC005", "exited 0 and printed no report"),
    ("echo 'Traceback (most recent call last):' >&2; exit 1", "SEC003", "crashed: exit 1 and no report: Traceback"),
    ("echo 'Traceback (most recent call last):'; exit 0", "SEC005", "not a checkov JSON report"),
    ("echo '[1, 2]'", "SEC005", "not a checkov JSON report"),
    ("echo boom >&2; exit 2", "SEC003", "exited 2: boom"),
    ("kill -9 $$", "SEC003", "killed by signal 9"),
])
def test_untrustworthy_checkov_runs_are_errors(make_blueprint, tmp_path, body, rule, words) -> None:
    result = security.run([make_blueprint({"main.tf": PUBLIC})], Context(checkov_bin=fake_checkov(tmp_path, body)))
    assert untrusted(result) == [(rule, "error")]
    assert words in result.findings[0].message


def test_exit_status_contradicting_the_report_is_an_error(make_blueprint, tmp_path) -> None:
    # The report is written for the staged copy checkov is pointed at (-d DIR): bp0 of it.
    body = 'python3 -c "import sys; d=sys.argv[sys.argv.index(\'-d\')+1]; ' \
           'sys.stdout.write(sys.stdin.read().replace(\'@DIR@\', d+\'/bp0\'))" "$@" <<\'EOF\'\n' \
           + report_for(Path("@DIR@")) + "\nEOF\nexit 1"
    checkov = fake_checkov(tmp_path, body)
    result = security.run([make_blueprint({"main.tf": PUBLIC})], Context(checkov_bin=checkov))
    assert untrusted(result) == [("SEC006", "error")]
    assert "exited 1 but its report lists 0 failed check(s)" in result.findings[0].message


def test_a_blueprint_missing_from_the_report_is_an_error(make_blueprint, tmp_path) -> None:
    body = 'python3 -c "import sys; d=sys.argv[sys.argv.index(\'-d\')+1]; ' \
           'sys.stdout.write(sys.stdin.read().replace(\'@DIR@\', d+\'/bp0\'))" "$@" <<\'EOF\'\n' \
           + report_for(Path("@DIR@")) + "\nEOF"
    bps = [make_blueprint({"main.tf": PUBLIC}, "first"), make_blueprint({"main.tf": PUBLIC}, "second")]
    result = security.run(bps, Context(checkov_bin=fake_checkov(tmp_path, body)))
    assert untrusted(result) == [("SEC007", "error")]
    assert result.findings[0].file == "second"
    assert "not scanned" in result.findings[0].message


def test_a_blueprint_without_cloud_resources_needs_no_result(make_blueprint, checkov_bin) -> None:
    null_only = 'resource "null_resource" "n" {}\n'
    result = security.run([make_blueprint({"main.tf": null_only})], Context(checkov_bin=checkov_bin))
    assert result.status == "passed" and result.findings == []


def test_a_hanging_checkov_times_out_as_an_error(make_blueprint, tmp_path, offline_env) -> None:
    env = dict(offline_env, DSAAS_CHECKOV_TIMEOUT="1")
    result = security.run([make_blueprint({"main.tf": PUBLIC})],
                          Context(checkov_bin=fake_checkov(tmp_path, "exec sleep 30"), env=env))
    assert untrusted(result) == [("SEC004", "error")]
    assert "timed out after 1s" in result.findings[0].message


@pytest.mark.parametrize("body, rule", [(None, "SEC003"), ("exit 0", "SEC005")])
def test_validate_of_a_public_bucket_with_a_broken_checkov_exits_1(tmp_path, body, rule) -> None:
    """The issue's case: `validate DIR --checkov /bin/false` on a public-read bucket said "passed", exit 0."""
    checkov = "/bin/false" if body is None else fake_checkov(tmp_path, body)
    out = tmp_path / "report.json"
    code = validate.run([BROKEN / "public_bucket"], fmt="json", output=out, checkov_bin=checkov,
                        skip=["terraform", "format"])
    assert code == 1
    stage = next(s for s in json.loads(out.read_text())["stages"] if s["stage"] == "security")
    assert stage["status"] == "failed"
    assert [(f["rule_id"], f["severity"]) for f in stage["findings"]] == [(rule, "error")]


def test_override_files_and_the_upgrade_base_are_not_given_to_checkov(make_blueprint, tmp_path) -> None:
    """A partial override block scanned alone fails checks the merged block passes (no KMS key on
    a log group that only overrides its retention); .dsaas/base/ is a second copy of the blueprint."""
    bp = make_blueprint({"main.tf": PUBLIC, "main_override.tf": 'resource "aws_s3_bucket" "b" {\n}\n',
                         ".dsaas/base/main.tf": PUBLIC})
    started = security.start([bp.path], Context(checkov_bin=fake_checkov(tmp_path, "exit 0")))
    [root] = started.roots
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == ["main.tf"]
    result, _, _ = security.collect(started, [bp])
    assert ("SEC008", "warning", "bp/main_override.tf") in [(f.rule_id, f.severity, f.file) for f in result.findings]
