"""The validate command: usage errors (exit 2), exit statuses, --strict, --skip, --output, specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsaas_infra.commands import validate
from dsaas_infra.errors import OperationError, SpecError, UsageError

REPO = Path(__file__).resolve().parents[2]
CLEAN = {"main.tf": 'variable "name" {\n  type    = string\n  default = "x"\n}\n\noutput "name" {\n'
                    '  value = var.name\n}\n'}


@pytest.fixture()
def clean_dir(make_blueprint) -> Path:
    return make_blueprint(CLEAN, "clean").path


@pytest.fixture(autouse=True)
def _no_tools_from_the_user(monkeypatch, tmp_path: Path) -> None:
    """Tool discovery reads the real environment; point it at nothing unless a test says otherwise."""
    for var in ("DSAAS_TERRAFORM", "DSAAS_CHECKOV", "TF_CLI_CONFIG_FILE", "DSAAS_TF_PLUGIN_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("kwargs, message", [
    (dict(paths=[]), "at least one"),
    (dict(paths=["MISSING"], fmt="text"), "no such file"),
    (dict(paths=["CLEAN"], fmt="xml"), "unknown format 'xml'"),
    (dict(paths=["CLEAN"], skip=["lint"]), "unknown stage 'lint'"),
    (dict(paths=["CLEAN"], terraform_bin="/nonexistent/terraform"),
     "--terraform=/nonexistent/terraform: not an executable file"),
    (dict(paths=["CLEAN"], terraform_bin="terraform-9"), "--terraform=terraform-9: no executable of that name"),
    (dict(paths=["CLEAN"], checkov_bin="NOTEXEC"), "not an executable file"),
    (dict(paths=["CLEAN"], checkov_bin="checkov-9"), "--checkov=checkov-9: no executable of that name"),
    (dict(paths=["FILE"]), "not a blueprint directory or a .yaml/.yml spec"),
    (dict(paths=["EMPTY"]), "empty: no .tf files here"),
])
def test_bad_invocations_are_usage_errors(kwargs, message, clean_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "notes.txt").chmod(0o644)
    kwargs = {k: str(tmp_path / "notes.txt") if v == "NOTEXEC" else v for k, v in kwargs.items()}
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("no Terraform here")
    subst = {"CLEAN": clean_dir, "MISSING": tmp_path / "missing", "FILE": tmp_path / "notes.txt",
             "EMPTY": tmp_path / "empty"}
    kwargs["paths"] = [subst[p] for p in kwargs["paths"]]
    with pytest.raises(UsageError, match=message.replace("(", r"\(")) as info:
        validate.run(**kwargs)
    assert info.value.exit_code == 2


def test_a_clean_blueprint_exits_0_and_strict_turns_missing_tools_into_1(clean_dir: Path, capsys) -> None:
    assert validate.run([clean_dir]) == 0
    out = capsys.readouterr().out
    assert "format" in out and "skipped" in out and "no terraform or tofu binary" in out
    assert validate.run([clean_dir], strict=True) == 1
    assert "--strict" in capsys.readouterr().out


def test_bad_tool_variables_are_usage_errors(clean_dir: Path, monkeypatch) -> None:
    for var in ("DSAAS_TERRAFORM", "DSAAS_CHECKOV"):
        with monkeypatch.context() as m:
            m.setenv(var, "/nonexistent/tool")
            with pytest.raises(UsageError, match=f"{var}=/nonexistent/tool: not an executable file"):
                validate.run([clean_dir])


def test_terraform_may_be_named_as_on_path(clean_dir: Path, terraform_bin, monkeypatch, capsys) -> None:
    # The same lookup as plan: a bare name is looked up on PATH.
    monkeypatch.setenv("PATH", str(Path(terraform_bin).parent))
    assert validate.run([clean_dir], skip=["terraform", "security"], terraform_bin=Path(terraform_bin).name) == 0
    assert "format     │ passed" in capsys.readouterr().out


def test_stages_skipped_on_request_do_not_fail_strict(clean_dir: Path, terraform_bin) -> None:
    code = validate.run([clean_dir], strict=True, skip=["terraform", "security"], terraform_bin=terraform_bin)
    assert code == 0


def test_json_report_to_output_file(clean_dir: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "report.json"
    assert validate.run([clean_dir], fmt="json", output=target, skip=["security"]) == 0
    doc = json.loads(target.read_text())
    assert [s["stage"] for s in doc["stages"]] == ["syntax", "references", "schema", "budget", "format", "terraform",
                                                   "plan", "security"]
    assert doc["stages"][-1]["skipped_reason"] == "skipped on request (--skip)"
    assert "report written to" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["sarif", "junit", "text"])
def test_every_format_writes_a_report(fmt: str, clean_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / f"report.{fmt}"
    assert validate.run([clean_dir], fmt=fmt, output=target) == 0
    assert target.stat().st_size > 100


def test_paths_are_shown_literally_never_as_rich_markup(tmp_path: Path, capsys) -> None:
    # "[/]" used to crash rich (exit 3); "[bold]" used to vanish from the path shown.
    names = ["x[bold]y", "o[red]x", "b[/]"]
    for name in names:
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "main.tf").write_text('output "o" {\n  value = var.missing\n}\n')
    report = Path("b[/]") / "r.txt"
    assert validate.run([Path(n) for n in names], skip=["format", "terraform", "security"]) == 1
    assert validate.run([Path(n) for n in names], skip=["security"], output=report, strict=True) == 1
    out, err = capsys.readouterr()
    for name in names:
        assert f"{name}/main.tf:2" in out
    assert f"report written to {report}" in err


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("where, reason", [("missing/dir/r.out", "No such file or directory"),
                                           (".", "Is a directory")])
def test_an_unwritable_output_is_one_error_line(fmt, where, reason, clean_dir: Path) -> None:
    with pytest.raises(OperationError) as info:
        validate.run([clean_dir], fmt=fmt, output=Path(where), skip=["security"])
    assert info.value.lines() == [f"cannot write {where}: {reason}"]
    assert info.value.exit_code == 1


def test_a_target_named_twice_is_validated_once(clean_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    same = [clean_dir, clean_dir / ".." / clean_dir.name, clean_dir]
    validate.run(same, fmt="json", output=target, skip=["format", "terraform", "security"])
    assert json.loads(target.read_text())["targets"] == [str(clean_dir)]


def test_a_bad_spec_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("apiVersion: dsaas-infra/v1\nclient:\n  name: X\n")
    with pytest.raises(SpecError) as info:
        validate.run([spec])
    assert info.value.exit_code == 2


def test_a_spec_is_rendered_and_validated(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    code = validate.run([REPO / "blueprints" / "aws-reactive.yaml"], fmt="json", output=target)
    doc = json.loads(target.read_text())
    schema = next(s for s in doc["stages"] if s["stage"] == "schema")
    assert schema["status"] == "passed", schema["findings"]
    assert doc["targets"][0].endswith("aws-reactive.yaml[rendered]")
    assert code == doc["exit_code"]


def test_with_names_only_opt_in_stages(tmp_path) -> None:
    import pytest

    from dsaas_infra.errors import UsageError

    (tmp_path / "main.tf").write_text('output "o" {\n  value = 1\n}\n')
    with pytest.raises(UsageError, match="opt-in stages: plan"):
        validate.run([tmp_path], enable=["security"])
