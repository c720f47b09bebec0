"""The CLI as a user runs it: a real process, exit statuses, one-line errors, fast start-up."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spec.conftest import GOOD_AWS


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dsaas_infra", *args],
        capture_output=True, text=True, cwd=cwd, timeout=60,
    )


def test_help_lists_every_command():
    result = run("--help")
    assert result.returncode == 0
    for command in ("init", "render", "phases", "schema", "validate", "preflight", "doctor",
                    "bootstrap", "plan", "apply", "destroy"):
        assert command in result.stdout


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("dsaas-infra ")


def test_startup_imports_no_cloud_sdk_or_checkov():
    """`--help` and `render` must not pay for boto3, Google libraries or checkov."""
    code = ("import dsaas_infra.cli, dsaas_infra.commands.render, dsaas_infra.commands.validate, "
            "dsaas_infra.commands.init, dsaas_infra.render.aws.build, dsaas_infra.render.gcp.build")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert imported, "importtime printed nothing"
    heavy = imported & {"boto3", "botocore", "google", "checkov"}
    assert not heavy, heavy


def test_init_writes_a_valid_starter_spec_for_each_cloud(tmp_path):
    for cloud in ("aws", "gcp"):
        spec = tmp_path / f"{cloud}.yaml"
        result = run("init", "newco", "--cloud", cloud, "--maturity", "managed", "--out", str(spec))
        assert result.returncode == 0, result.stderr
        text = spec.read_text()
        assert "maturity: managed" in text and f"cloud: {cloud}" in text
        assert "#" in text  # commented


def test_init_refuses_to_overwrite_and_rejects_bad_names(tmp_path):
    spec = tmp_path / "x.yaml"
    assert run("init", "newco", "--out", str(spec)).returncode == 0
    again = run("init", "newco", "--out", str(spec))
    assert again.returncode == 2 and "exists" in again.stderr
    bad = run("init", "New_Co", "--out", str(tmp_path / "y.yaml"))
    assert bad.returncode == 2 and "client name" in bad.stderr


def test_render_then_hand_edit_guard_through_the_cli(tmp_path):
    spec = tmp_path / "acme.yaml"
    spec.write_text(GOOD_AWS)
    out = tmp_path / "bp"
    first = run("render", str(spec), "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert (out / "versions.tf").is_file()
    (out / "versions.tf").write_text("# edited\n")
    refused = run("render", str(spec), "--out", str(out))
    assert refused.returncode == 2
    assert "versions.tf" in refused.stderr and "--force" in refused.stderr
    forced = run("render", str(spec), "--out", str(out), "--force")
    assert forced.returncode == 0
    assert (out / "versions.tf").read_text() != "# edited\n"


def test_render_several_specs_into_client_env_folders(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(GOOD_AWS)
    b.write_text(GOOD_AWS.replace("name: acme", "name: beta").replace("environment: prod", "environment: dev"))
    result = run("render", str(a), str(b), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "acme-prod" / "versions.tf").is_file()
    assert (tmp_path / "out" / "beta-dev" / "versions.tf").is_file()


def test_two_specs_for_the_same_client_env_are_refused(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(GOOD_AWS)
    b = tmp_path / "b.yaml"
    b.write_text(GOOD_AWS)
    result = run("render", str(a), str(b), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "both render to" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "text, fragment",
    [
        (GOOD_AWS.replace("schedule:", "shedule:"), "did you mean 'schedule'?"),
        ("apiVersion: [\n", "invalid YAML"),
        ("a: !!python/object/apply:os.system ['touch /tmp/pwned']\n", "unsupported YAML tag"),
        (GOOD_AWS.replace("name: acme", "name: ACME"), "client.name"),
    ],
)
def test_bad_spec_is_one_located_line_exit_2_no_traceback(tmp_path, text, fragment):
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    result = run("render", str(spec), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {spec}:")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()


def test_missing_spec_file_exit_2(tmp_path):
    result = run("render", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "cannot read" in result.stderr


def test_phases_table_per_cloud():
    both = run("phases")
    assert both.returncode == 0 and "S3" in both.stdout and "Apigee" in both.stdout
    gcp = run("phases", "--cloud", "gcp")
    assert "Dataflow" in gcp.stdout and "S3" not in gcp.stdout


def test_schema_is_json_schema_of_the_spec():
    result = run("schema")
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"apiVersion", "client", "cloud", "phases"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_unknown_command_is_usage_error():
    assert run("frobnicate").returncode == 2


def test_init_into_a_directory_or_a_missing_one(tmp_path):
    assert run("init", "newco", "--out", str(tmp_path)).returncode == 0
    assert (tmp_path / "newco.yaml").is_file()
    missing = run("init", "newco", "--out", str(tmp_path / "no" / "such" / "x.yaml"))
    assert missing.returncode == 1 and "cannot write" in missing.stderr
    assert "Traceback" not in missing.stderr and "internal" not in missing.stderr


@pytest.mark.parametrize("name", ["o[red]x", "b[/]"])
def test_paths_that_look_like_markup_are_printed_as_they_are(tmp_path, name):
    spec = tmp_path / "acme.yaml"
    spec.write_text(GOOD_AWS)
    result = run("render", str(spec), "--out", str(tmp_path / name))
    assert result.returncode == 0, result.stderr
    assert f"-> {tmp_path / name} " in result.stderr


def test_a_batch_with_a_hand_edit_writes_nothing(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(GOOD_AWS)
    b.write_text(GOOD_AWS.replace("name: acme", "name: beta"))
    out = tmp_path / "out"
    assert run("render", str(b), "--out", str(out / "beta-prod")).returncode == 0
    (out / "beta-prod" / "versions.tf").write_text("# mine\n")
    result = run("render", str(a), str(b), "--out", str(out))
    assert result.returncode == 2 and "versions.tf" in result.stderr
    assert not (out / "acme-prod").exists()


def test_render_records_the_spec_so_plan_dir_finds_it(tmp_path):
    import json as _json

    spec = tmp_path / "acme.yaml"
    spec.write_text(GOOD_AWS)
    assert run("render", str(spec), "--out", str(tmp_path / "bp")).returncode == 0
    source = _json.loads((tmp_path / "bp" / ".dsaas" / "source.json").read_text())
    assert source["spec"] == str(spec.resolve()) and source["client"] == "acme"
