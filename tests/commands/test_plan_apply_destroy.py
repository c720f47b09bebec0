"""plan / apply / destroy end to end: the real CLI, a real Terraform and the real null provider.

Needs $DSAAS_TF_PLUGIN_MIRROR and Terraform ($DSAAS_TERRAFORM or on PATH: tests/conftest.py's
`terraform_bin`); scripts/install_test_tools.sh prepares both.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "null_blueprint"
BLUEPRINTS = Path(__file__).resolve().parent.parent.parent / "blueprints"
NULL_PROVIDER = "registry.terraform.io/hashicorp/null"


@pytest.fixture(scope="module")
def tf_env(terraform_bin, tmp_path_factory) -> dict[str, str]:
    """The environment of every CLI run here: our Terraform, the mirror-only CLI config."""
    mirror = os.environ.get("DSAAS_TF_PLUGIN_MIRROR")
    if not mirror or not (Path(mirror) / NULL_PROVIDER / "2.1.2").is_dir():
        pytest.fail(f"DSAAS_TF_PLUGIN_MIRROR={mirror!r} must hold {NULL_PROVIDER}/2.1.2 "
                    "(scripts/install_test_tools.sh DIR writes one to DIR/plugins)")
    config = tmp_path_factory.mktemp("tfcli") / "terraformrc"
    config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{Path(mirror).resolve()}"\n'
        f'    include = ["{NULL_PROVIDER}"]\n  }}\n  direct {{\n    exclude = ["{NULL_PROVIDER}"]\n  }}\n}}\n')
    env = dict(os.environ)
    env.update(TF_CLI_CONFIG_FILE=str(config), DSAAS_TERRAFORM=terraform_bin, CHECKPOINT_DISABLE="1",
               PYTHONPATH=os.pathsep.join(p or os.getcwd() for p in sys.path), COLUMNS="200")
    return env


def cli(env, *args, cwd=None, stdin=subprocess.DEVNULL, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *map(str, args)], env=env, cwd=cwd,
                          stdin=stdin, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def blueprint(tmp_path):
    def copy(name: str = "phases") -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target
    return copy


def state_addresses(work: Path) -> list[str]:
    state = work / "terraform.tfstate"
    if not state.exists():
        return []
    resources = json.loads(state.read_text())["resources"]
    return sorted(f"{r['type']}.{r['name']}" for r in resources for _ in r["instances"])


def assert_clean_error(result, status: int) -> list[str]:
    """The command failed with ``status``, one `error:` line per problem and no traceback."""
    assert result.returncode == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_plan_summarises_by_phase_and_saves_the_plan(tf_env, blueprint):
    work = blueprint()
    result = cli(tf_env, "plan", work, "--skip-preflight")
    assert result.returncode == 0, result.stderr
    assert "Plan: 8 to add, 0 to change, 0 to destroy." in result.stdout  # Terraform's own output, streamed
    assert "Plan: 8 to create, 0 to update, 0 to replace, 0 to destroy. Outputs change too." in result.stdout
    for phase in ("data", "training", "deployment", "access", "shared"):
        assert f"│ {phase}" in result.stdout
    assert (work / ".dsaas" / "plan.tfplan").is_file()
    record = json.loads((work / ".dsaas" / "plan.json").read_text())
    assert sorted(record["files"]) == [".terraform.lock.hcl", "access.tf", "data.tf", "deployment.tf",
                                       "main.tf", "training.tf", "versions.tf"]


def test_plan_json_with_detailed_exitcode(tf_env, blueprint):
    work = blueprint()
    result = cli(tf_env, "plan", work, "--skip-preflight", "--format", "json", "--detailed-exitcode")
    assert result.returncode == 2, result.stderr  # changes present
    doc = json.loads(result.stdout)  # stdout is the JSON document alone
    assert doc["changes"] is True
    assert doc["totals"] == {"create": 8, "update": 0, "replace": 0, "destroy": 0}
    assert doc["phases"]["data"]["types"] == {"null_resource": {"create": 2}}
    assert "Plan: 8 to add" in result.stderr  # Terraform's output went to stderr instead


BAD_SPEC = """apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, owner: ml@acme.example, colour: red}
cloud: aws
aws: {region: eu-west-1, account_id: "111122223333", zone: a}
"""


@pytest.mark.parametrize("flags, status", [([], 2), (["--detailed-exitcode"], 1)])
def test_bad_input_exits_1_under_detailed_exitcode_where_2_means_changes(tf_env, tmp_path, flags, status):
    (tmp_path / "bad.yaml").write_text(BAD_SPEC)
    result = cli(tf_env, "plan", "bad.yaml", *flags, cwd=tmp_path)
    errors = assert_clean_error(result, status)
    assert len(errors) == 2 and "colour" in errors[0] and "zone" in errors[1]  # one line per problem
    assert result.stdout == ""
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / "main.tf").write_text("")
    no_spec = assert_clean_error(cli(tf_env, "plan", tmp_path / "bp", "--out", "x", *flags), status)
    assert no_spec == [f"error: {tmp_path / 'bp'} is a blueprint directory; --out only applies to a spec"]


def test_apply_the_saved_plan_then_nothing_to_do(tf_env, blueprint):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    result = cli(tf_env, "apply", work, "--auto-approve")
    assert result.returncode == 0, result.stderr
    assert "Apply complete! Resources: 8 added, 0 changed, 0 destroyed." in result.stdout
    assert len(state_addresses(work)) == 8
    assert not (work / ".dsaas" / "plan.tfplan").exists()  # one plan, one apply
    again = cli(tf_env, "plan", work, "--skip-preflight", "--detailed-exitcode")
    assert again.returncode == 0, again.stderr
    assert "no changes" in again.stdout


@pytest.mark.parametrize("edit, shown", [
    (lambda w: (w / "deployment.tf").write_text((w / "deployment.tf").read_text().replace('"1"', '"2"')),
     "deployment.tf (changed)"),
    (lambda w: (w / "extra.tf").write_text('resource "null_resource" "extra" {}\n'), "extra.tf (added)"),
    (lambda w: (w / "access.tf").unlink(), "access.tf (removed)"),
])
def test_apply_refuses_a_plan_for_other_files(tf_env, blueprint, edit, shown):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    edit(work)
    result = cli(tf_env, "apply", work, "--auto-approve")
    errors = assert_clean_error(result, 2)
    assert errors == [f"error: {work} has changed since it was planned ({shown}): "
                      f"run `dsaas-infra plan {work}` again and review it"]
    assert state_addresses(work) == []  # nothing was applied


def test_apply_without_a_plan(tf_env, blueprint):
    work = blueprint()
    errors = assert_clean_error(cli(tf_env, "apply", work, "--auto-approve"), 2)
    assert errors == [f"error: no saved plan in {work}: run `dsaas-infra plan {work}` first"]


def test_apply_refuses_without_a_terminal(tf_env, blueprint):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    errors = assert_clean_error(cli(tf_env, "apply", work), 2)
    assert "without a terminal" in errors[0] and "--auto-approve" in errors[0]
    assert state_addresses(work) == []


def run_with_tty(env, args, answer: str, cwd=None) -> subprocess.CompletedProcess:
    """Run the CLI with a pseudo-terminal as stdin and type ``answer`` into it."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "dsaas_infra", *map(str, args)], env=env, cwd=cwd,
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(slave)
        os.write(master, answer.encode() + b"\n")
        out, err = proc.communicate(timeout=180)
    finally:
        os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("answer, status, applied", [("yes", 0, 8), ("y", 1, 0), ("no", 1, 0)])
def test_apply_asks_at_the_terminal(tf_env, blueprint, answer, status, applied):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    result = run_with_tty(tf_env, ["apply", work], answer)
    assert result.returncode == status, result.stderr
    assert "Only 'yes' will be accepted" in result.stderr
    assert "8 to create" in result.stderr  # the summary was shown before the question
    assert len(state_addresses(work)) == applied


def test_a_replacement_is_highlighted_as_destructive(tf_env, blueprint):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    assert cli(tf_env, "apply", work, "--auto-approve").returncode == 0
    (work / "deployment.tf").write_text((work / "deployment.tf").read_text().replace('"1"', '"2"'))
    result = cli(tf_env, "plan", work, "--skip-preflight", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["destructive"] == [{"address": "null_resource.pipeline", "type": "null_resource",
                                   "action": "replace", "phase": "deployment", "file": "deployment.tf"}]
    text = cli(tf_env, "plan", work, "--skip-preflight")
    assert "1 destructive change(s):" in text.stdout
    assert "replace  null_resource.pipeline  (deployment, deployment.tf)" in text.stdout


def test_destroy_needs_the_client_name(tf_env, blueprint):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    assert cli(tf_env, "apply", work, "--auto-approve").returncode == 0
    errors = assert_clean_error(cli(tf_env, "destroy", work, "--auto-approve"), 2)
    assert errors == ["error: --auto-approve needs --confirm CLIENT_NAME (the name of the client to destroy)"]
    errors = assert_clean_error(cli(tf_env, "destroy", work, "--auto-approve", "--confirm", "acme"), 2)
    assert errors == ["error: --confirm 'acme' does not match the client name 'phases'"]
    assert assert_clean_error(cli(tf_env, "destroy", work), 2)[0].startswith("error: refusing to destroy")
    assert len(state_addresses(work)) == 8
    typed_wrong = run_with_tty(tf_env, ["destroy", work], "yes")
    assert typed_wrong.returncode == 1 and "Destroy cancelled" in typed_wrong.stderr
    assert len(state_addresses(work)) == 8
    result = run_with_tty(tf_env, ["destroy", work], "phases")
    assert result.returncode == 0, result.stderr
    assert "0 to create, 0 to update, 0 to replace, 8 to destroy" in result.stderr
    assert state_addresses(work) == []


def test_destroy_with_auto_approve_and_confirm(tf_env, blueprint):
    work = blueprint()
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    assert cli(tf_env, "apply", work, "--auto-approve").returncode == 0
    result = cli(tf_env, "destroy", work, "--auto-approve", "--confirm", "phases")
    assert result.returncode == 0, result.stderr
    assert state_addresses(work) == []
    assert "Nothing to destroy." in cli(tf_env, "destroy", work, "--auto-approve", "--confirm", "phases").stderr


def test_prevent_destroy_is_explained(tf_env, blueprint):
    work = blueprint("protected")
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    assert cli(tf_env, "apply", work, "--auto-approve").returncode == 0
    result = cli(tf_env, "destroy", work, "--auto-approve", "--confirm", "protected")
    errors = assert_clean_error(result, 1)
    assert errors[0] == ("error: Terraform refused to destroy the resources (null_resource.raw): they carry "
                         "lifecycle.prevent_destroy so that the client's data cannot be deleted by accident")
    assert "set `phases.data.prevent_destroy: false` in the spec" in errors[1]
    assert "Instance cannot be destroyed" in result.stderr  # Terraform's own diagnostic, shown too
    assert state_addresses(work) == ["null_resource.raw", "null_resource.scratch"]


def test_terraform_failure_is_one_clear_line(tf_env, blueprint):
    work = blueprint("broken")
    result = cli(tf_env, "plan", work, "--skip-preflight")
    errors = assert_clean_error(result, 1)
    assert len(errors) == 1
    assert errors[0].endswith(f"plan failed (exit 1) in {work}: Error: Reference to undeclared resource")
    assert 'A managed resource "null_resource" "missing" has not been declared' in result.stderr


def test_plan_that_cannot_write_its_work_folder_is_one_error_line(tf_env, blueprint):
    work = blueprint()
    (work / ".dsaas").write_text("a file where the work folder should be")
    errors = assert_clean_error(cli(tf_env, "plan", work, "--skip-preflight"), 1)
    assert errors == [f"error: cannot write {work}/.dsaas: File exists"]


@pytest.mark.parametrize("value, problem", [("/nonexistent/terraform", "not an executable file"),
                                            ("terraform-9", "no executable of that name on PATH")])
def test_a_bad_terraform_is_a_usage_error_like_validate(tf_env, blueprint, value, problem):
    work = blueprint()
    for args in (["--terraform", value], []):
        env = dict(tf_env, DSAAS_TERRAFORM=value) if not args else tf_env
        origin = "--terraform" if args else "DSAAS_TERRAFORM"
        for command in (["plan", work, "--skip-preflight"], ["validate", work]):
            errors = assert_clean_error(cli(env, *command, *args), 2)
            assert errors == [f"error: {origin}={value}: {problem}"]


def test_plan_of_a_directory_without_a_spec_needs_skip_preflight(tf_env, blueprint):
    work = blueprint()
    errors = assert_clean_error(cli(tf_env, "plan", work), 2)
    assert "no spec is recorded for this blueprint" in errors[0] and "--skip-preflight" in errors[0]


def test_ctrl_c_during_apply_lets_terraform_release_the_lock(tf_env, blueprint):
    work = blueprint("slow")
    assert cli(tf_env, "plan", work, "--skip-preflight").returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "dsaas_infra", "apply", str(work), "--auto-approve"],
                            env=tf_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if "started-slow-create" in line:
            break
    # The lock is held while the provisioner runs.
    assert (work / ".terraform.tfstate.lock.info").exists()
    proc.send_signal(signal.SIGINT)
    # Newer Terraform stops the provisioner at once; 1.0 lets it finish, then stops.
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err
    assert "asking Terraform to stop gracefully and release the state lock" in err
    assert "Traceback" not in err
    assert not (work / ".terraform.tfstate.lock.info").exists()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def no_credentials_env(tf_env, home: Path) -> dict[str, str]:
    env = {k: v for k, v in tf_env.items()
           if not k.startswith(("AWS_", "GOOGLE_", "CLOUDSDK_", "GCLOUD_"))}
    # Nothing to find anywhere: no files, no metadata server, and the endpoint is a closed port
    # so that even a stray credential could not reach a real cloud.
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=str(home / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "none"), NO_GCE_CHECK="True",
               GCE_METADATA_HOST="127.0.0.1:1", GCE_METADATA_IP="127.0.0.1:1",
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}", CLOUDSDK_CONFIG=str(home / "gcloud"))
    return env


OWN_SPEC = """apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, owner: ml@acme.example}
cloud: aws
aws: {region: eu-west-1, account_id: "111122223333"}
"""


@pytest.mark.parametrize("spec", ["own"] + sorted(p.name for p in BLUEPRINTS.glob("*.yaml")))
def test_plan_without_credentials_fails_at_preflight(tf_env, tmp_path, spec):
    if spec == "own":
        path = tmp_path / "acme.yaml"
        path.write_text(OWN_SPEC)
    else:
        path = BLUEPRINTS / spec
    started = time.monotonic()
    result = cli(no_credentials_env(tf_env, tmp_path), "plan", path, cwd=tmp_path)
    errors = assert_clean_error(result, 1)
    assert len(errors) == 1 and errors[0].startswith("error: preflight failed: credentials resolve: ")
    assert time.monotonic() - started < 60
    assert not (tmp_path / "build").exists()  # nothing rendered, nothing run


def test_apply_refuses_when_the_spec_changed_after_the_plan(tf_env, tmp_path):
    # The spec was planned (rendered, hashed); then edited without planning again. The
    # rendered files are untouched, so only re-rendering the spec in memory can notice.
    from dsaas_infra.blueprint_dir import render, resolve
    from dsaas_infra.terraform import planfile

    spec = tmp_path / "acme.yaml"
    spec.write_text(OWN_SPEC)
    ws = resolve(spec, tmp_path / "out")
    render(ws)
    planfile.write_record(ws.dir, planfile.PlanRecord.for_blueprint(ws.dir))
    planfile.plan_path(ws.dir).write_bytes(b"never read: the refusal comes first")
    spec.write_text(OWN_SPEC.replace("eu-west-1", "eu-central-1"))
    result = cli(tf_env, "apply", spec, "--out", tmp_path / "out", "--auto-approve", cwd=tmp_path)
    errors = assert_clean_error(result, 2)
    assert errors[0].startswith(f"error: {spec} has changed since it was planned (it now renders ")
    assert "backend.tf" in errors[0]
    assert errors[0].endswith(f"run `dsaas-infra plan {spec} --out {tmp_path / 'out'}` again and review it")


def test_apply_hint_keeps_out(tf_env, tmp_path):
    (tmp_path / "acme.yaml").write_text(OWN_SPEC)
    errors = assert_clean_error(cli(tf_env, "apply", "acme.yaml", "--out", "p1", "--auto-approve", cwd=tmp_path), 2)
    assert errors == ["error: no saved plan in p1: run `dsaas-infra plan acme.yaml --out p1` first"]
