"""GitHub Actions workflows of a fleet repository: plan on pull requests, apply on the default
branch behind a GitHub environment per client, drift on a schedule; one set per shard.

Every job logs in to its own client's account or project with OIDC / Workload Identity
Federation (no stored keys), has only the permissions it needs, and shares a concurrency group
with every other job touching the same client state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from dsaas_infra import __version__
from dsaas_infra.fleet import actions
from dsaas_infra.fleet.index import INDEX_FILE, FleetClient, shards
from dsaas_infra.spec import ci_names

RUNNER = "ubuntu-latest"
PYTHON = "3.12"
TERRAFORM = "1.15.5"
ARTIFACT_DAYS = 7
# An apply job may run as long as its CI login lasts (ci_names.AWS_SESSION_SECONDS), no longer.
APPLY_TIMEOUT_MINUTES = ci_names.AWS_SESSION_SECONDS["apply"] // 60
PLAN_ARTIFACT_DAYS = 1  # a saved plan may hold sensitive values: keep it no longer than the apply needs


@dataclass(frozen=True)
class Settings:
    max_parallel: int = 20
    default_branch: str = "main"
    drift_cron: str = "17 5 * * *"
    package: str = f"dsaas-infra[cloud]=={__version__}"


def _checkout(fetch_depth: int = 1) -> dict[str, Any]:
    return {"name": "Check out the fleet repository", "uses": actions.uses("actions/checkout"),
            "with": {"persist-credentials": False, "fetch-depth": fetch_depth}}


def _tooling(terraform: bool, settings: Settings) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [
        {"name": "Set up Python", "uses": actions.uses("actions/setup-python"), "with": {"python-version": PYTHON}},
        {"name": "Install dsaas-infra", "env": {"PACKAGE": settings.package},
         "run": 'python -m pip install --disable-pip-version-check "$PACKAGE"'},
    ]
    if terraform:
        steps.append({"name": "Set up Terraform", "uses": actions.uses("hashicorp/setup-terraform"),
                      "with": {"terraform_version": TERRAFORM, "terraform_wrapper": False}})
    return steps


def _login(purpose: str) -> list[dict[str, Any]]:
    """Keyless login to the leg's own account/project: the plan identity is read-only."""
    role = "matrix.plan_role_arn" if purpose == "plan" else "matrix.role_arn"
    account = "matrix.plan_service_account" if purpose == "plan" else "matrix.service_account"
    aws_with = {"role-to-assume": f"${{{{ {role} }}}}", "aws-region": "${{ matrix.region }}",
                "role-session-name": f"dsaas-{purpose}-${{{{ github.run_id }}}}"}
    if purpose == "apply":  # an apply can outlast the default hour: what the role allows (render/aws/ci.py)
        aws_with["role-duration-seconds"] = "${{ matrix.apply_session_seconds }}"
    return [
        {"name": "Log in to AWS (OIDC)", "if": "matrix.cloud == 'aws'",
         "uses": actions.uses("aws-actions/configure-aws-credentials"),
         "with": aws_with},
        {"name": "Log in to Google Cloud (Workload Identity Federation)", "if": "matrix.cloud == 'gcp'",
         "uses": actions.uses("google-github-actions/auth"),
         "with": {"workload_identity_provider": "${{ matrix.workload_identity_provider }}",
                  "service_account": f"${{{{ {account} }}}}"}},
    ]


_LEG_ENV = {"CLIENT": "${{ matrix.name }}", "BLUEPRINT": "${{ matrix.dir }}", "SPEC": "${{ matrix.spec }}"}


def _changes_job(event: str, shard: int, settings: Settings) -> dict[str, Any]:
    if event == "pull_request":
        env = {"BASE_SHA": "${{ github.event.pull_request.base.sha }}",
               "HEAD_SHA": "${{ github.event.pull_request.head.sha }}"}
        script = ('git diff --name-only "$BASE_SHA" "$HEAD_SHA" > "$RUNNER_TEMP/changed.txt"\n'
                  f'dsaas-infra fleet-matrix {INDEX_FILE} --changed "$RUNNER_TEMP/changed.txt" --shard {shard} '
                  '>> "$GITHUB_OUTPUT"\n')
    elif event == "push":
        env = {"BEFORE_SHA": "${{ github.event.before }}", "AFTER_SHA": "${{ github.sha }}"}
        # A new branch has no "before": then every client of the shard counts as changed.
        script = ('if git cat-file -e "$BEFORE_SHA^{commit}" 2>/dev/null; then\n'
                  '  git diff --name-only "$BEFORE_SHA" "$AFTER_SHA" > "$RUNNER_TEMP/changed.txt"\n'
                  f'  dsaas-infra fleet-matrix {INDEX_FILE} --changed "$RUNNER_TEMP/changed.txt" --shard {shard} '
                  '>> "$GITHUB_OUTPUT"\n'
                  'else\n'
                  f'  dsaas-infra fleet-matrix {INDEX_FILE} --all --shard {shard} >> "$GITHUB_OUTPUT"\n'
                  'fi\n')
    else:
        env = {}
        script = f'dsaas-infra fleet-matrix {INDEX_FILE} --all --shard {shard} >> "$GITHUB_OUTPUT"\n'
    step: dict[str, Any] = {"name": "Compute the matrix of changed clients", "id": "matrix", "run": script}
    if env:
        step["env"] = env
    return {
        "name": "Which clients",
        "runs-on": RUNNER,
        "timeout-minutes": 10,
        "permissions": {"contents": "read"},
        "outputs": {"matrix": "${{ steps.matrix.outputs.matrix }}", "count": "${{ steps.matrix.outputs.count }}"},
        "steps": [_checkout(0 if event != "schedule" else 1), *_tooling(False, settings), step],
    }


def _matrix_job(name: str, settings: Settings, permissions: dict[str, str], steps: list[dict[str, Any]],
                environment: str, timeout: int = 60) -> dict[str, Any]:
    return {
        "name": f"{name} ${{{{ matrix.name }}}}",
        "needs": "changes",
        # An empty matrix is no client to run: skip, never fail.
        "if": "needs.changes.outputs.count != '0'",
        "runs-on": RUNNER,
        "timeout-minutes": timeout,
        "permissions": permissions,
        "environment": environment,
        # One run at a time per client state, in every workflow; queued, never cancelled midway.
        "concurrency": {"group": "dsaas-state-${{ matrix.name }}", "cancel-in-progress": False},
        "strategy": {"fail-fast": False, "max-parallel": settings.max_parallel,
                     "matrix": "${{ fromJSON(needs.changes.outputs.matrix) }}"},
        "steps": steps,
    }


_CHECK_RENDERED = {
    "name": "Check the blueprint is the rendering of its spec",
    "env": _LEG_ENV,
    "run": ('dsaas-infra render "$SPEC" --out "$BLUEPRINT"\n'
            'git diff --exit-code -- "$BLUEPRINT" || {\n'
            '  echo "::error::$BLUEPRINT is not what $SPEC renders: run dsaas-infra fleet and commit the result"\n'
            '  exit 1\n'
            '}\n'),
}


def _plan_steps(settings: Settings, *, upload: bool) -> list[dict[str, Any]]:
    summary = ('dsaas-infra fleet-report plan "$RUNNER_TEMP/plan.json" --client "$CLIENT" '
               '>> "$GITHUB_STEP_SUMMARY"\n')
    steps = [
        _checkout(), *_tooling(True, settings), _CHECK_RENDERED, *_login("plan"),
        {"name": "Validate", "env": _LEG_ENV, "run": 'dsaas-infra validate "$BLUEPRINT"\n'},
        {"name": "Plan", "env": _LEG_ENV,
         "run": ('dsaas-infra plan "$SPEC" --out "$BLUEPRINT" --format json > "$RUNNER_TEMP/plan.json"\n'
                 + summary)},
    ]
    if upload:
        steps.append({
            "name": "Keep the reviewed plan for the apply job",
            "uses": actions.uses("actions/upload-artifact"),
            "with": {"name": "plan-${{ matrix.name }}",
                     "path": "${{ matrix.dir }}/.dsaas/\n${{ matrix.dir }}/.terraform.lock.hcl\n",
                     "include-hidden-files": True, "if-no-files-found": "error",
                     "retention-days": PLAN_ARTIFACT_DAYS},
        })
    return steps


def plan_workflow(shard: int, total: int, settings: Settings) -> dict[str, Any]:
    return {
        "name": _title("plan", shard, total),
        "on": {"pull_request": {"paths": ["clients/**", "specs/**"]}},
        "permissions": {},
        "jobs": {
            "changes": _changes_job("pull_request", shard, settings),
            "plan": _matrix_job("plan", settings, {"contents": "read", "id-token": "write"},
                                _plan_steps(settings, upload=False), "${{ matrix.plan_environment }}"),
        },
    }


def apply_workflow(shard: int, total: int, settings: Settings) -> dict[str, Any]:
    apply_steps = [
        _checkout(), *_tooling(True, settings), _CHECK_RENDERED,
        {"name": "Fetch the reviewed plan", "uses": actions.uses("actions/download-artifact"),
         "with": {"name": "plan-${{ matrix.name }}", "path": "${{ matrix.dir }}"}},
        *_login("apply"),
        # apply refuses a plan whose blueprint files changed since: exactly the reviewed plan runs.
        {"name": "Apply", "env": _LEG_ENV, "run": 'dsaas-infra apply "$SPEC" --out "$BLUEPRINT" --auto-approve\n'},
    ]
    plan = _matrix_job("plan", settings, {"contents": "read", "id-token": "write"},
                       _plan_steps(settings, upload=True), "${{ matrix.plan_environment }}")
    apply = _matrix_job("apply", settings, {"contents": "read", "id-token": "write"}, apply_steps,
                        "${{ matrix.name }}", timeout=APPLY_TIMEOUT_MINUTES)
    apply["needs"] = ["changes", "plan"]
    return {
        "name": _title("apply", shard, total),
        "on": {"push": {"branches": [settings.default_branch], "paths": ["clients/**", "specs/**"]}},
        "permissions": {},
        "jobs": {"changes": _changes_job("push", shard, settings), "plan": plan, "apply": apply},
    }


def drift_workflow(shard: int, total: int, settings: Settings) -> dict[str, Any]:
    steps = [
        _checkout(), *_tooling(True, settings), *_login("plan"),
        {"name": "Detect drift", "id": "drift", "env": _LEG_ENV,
         # Exit 2 (drift) still writes the report; the last step fails the job for it.
         "run": ('status=0\n'
                 'dsaas-infra drift "$SPEC" --out "$BLUEPRINT" --format json > "$RUNNER_TEMP/drift.json" '
                 '|| status=$?\n'
                 'echo "status=$status" >> "$GITHUB_OUTPUT"\n'
                 'dsaas-infra fleet-report drift "$RUNNER_TEMP/drift.json" --client "$CLIENT" '
                 '>> "$GITHUB_STEP_SUMMARY"\n')},
        {"name": "Keep the drift report", "if": "always()", "uses": actions.uses("actions/upload-artifact"),
         "with": {"name": "drift-${{ matrix.name }}", "path": "${{ runner.temp }}/drift.json",
                  "if-no-files-found": "warn", "retention-days": ARTIFACT_DAYS}},
        {"name": "Fail on drift or error", "if": "steps.drift.outputs.status != '0'",
         "env": {"STATUS": "${{ steps.drift.outputs.status }}", "CLIENT": "${{ matrix.name }}"},
         "run": 'echo "::error::drift detection for $CLIENT exited $STATUS (2: drift, 1: error)"\nexit 1\n'},
    ]
    return {
        "name": _title("drift", shard, total),
        "on": {"schedule": [{"cron": settings.drift_cron}], "workflow_dispatch": {}},
        "permissions": {},
        "jobs": {
            "changes": _changes_job("schedule", shard, settings),
            "drift": _matrix_job("drift", settings, {"contents": "read", "id-token": "write"}, steps,
                                 "${{ matrix.plan_environment }}"),
        },
    }


def _title(kind: str, shard: int, total: int) -> str:
    return f"dsaas {kind}" + (f" (shard {shard} of {total})" if total > 1 else "")


def file_name(kind: str, shard: int, total: int) -> str:
    return f"dsaas-{kind}.yml" if total == 1 else f"dsaas-{kind}-{shard:02d}.yml"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True  # shared step dicts are written out in full: no &anchors in a workflow


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_USES = re.compile(r"^(\s*(?:- )?uses: )([\w.-]+/[\w.-]+)@([0-9a-f]{40})$", re.MULTILINE)


def dump(workflow: dict[str, Any]) -> str:
    text = yaml.dump(workflow, Dumper=_Dumper, sort_keys=False, width=1000, default_flow_style=False)
    # PyYAML writes the key `on` as is: GitHub reads it as the trigger key (YAML 1.1 would say true).
    text = _USES.sub(lambda m: f"{m.group(1)}{m.group(2)}@{m.group(3)} # {actions.tag(m.group(2))}", text)
    return "# Generated by `dsaas-infra fleet`: edit the specs and re-run it rather than editing this file.\n" + text


def workflows(clients: list[FleetClient], settings: Settings) -> dict[str, str]:
    """Relative path -> content of every workflow file."""
    total = shards(clients)
    out = {}
    for shard in range(1, total + 1):
        for kind, build in (("plan", plan_workflow), ("apply", apply_workflow), ("drift", drift_workflow)):
            out[f".github/workflows/{file_name(kind, shard, total)}"] = dump(build(shard, total, settings))
    return out
