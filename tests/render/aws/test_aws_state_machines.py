"""The AWS state machines as rendered: valid Amazon States Language, and executed where moto can.

The definitions are the rendered HCL locals with Terraform references resolved to concrete
values (ARNs of resources created in moto where an execution calls them). asl-validator (npm)
checks them; moto's Step Functions interpreter runs the deploy state machine against a Lambda
whose answers are queued (moto's docker-free Lambda), and the training pipeline up to the
point where it finds no training data (moto's interpreter has no SageMaker integration).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from dsaas_infra.spec import load_spec_text
from tests.render.aws.test_aws_serving import spec_text
from tests.render.parsed_blueprint import parse

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = "123456789012"  # moto's
REGION = "eu-west-1"


def resolve(value, locals_: dict, refs: dict[str, str]):
    """Terraform references -> concrete values: whole-value locals, then ${...} in strings."""
    if isinstance(value, dict):
        return {k: resolve(v, locals_, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, locals_, refs) for v in value]
    if not isinstance(value, str):
        return value
    whole = re.fullmatch(r"\$\{local\.([a-z_]+)\}", value)
    if whole and whole.group(1) in locals_ and whole.group(1) not in refs:
        return resolve(locals_[whole.group(1)], locals_, refs)

    def one(match: re.Match) -> str:
        ref = match.group(1)
        if ref in refs:
            return refs[ref]
        if ref.startswith("local.") and isinstance(locals_.get(ref[6:]), str):
            return str(resolve(locals_[ref[6:]], locals_, refs))
        return "placeholder"

    value = re.sub(r"\$\{jsonencode\(.*\)\}", "{}", value)  # a JSON string at apply time
    previous = None
    while previous != value:
        previous, value = value, re.sub(r"\$\{([^{}]+)\}", one, value)
    return value


def references(prefix: str = "acme-prod") -> dict[str, str]:
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}"
    return {
        "local.partition": "aws", "local.region": REGION, "local.account_id": ACCOUNT,
        "local.name_prefix": prefix,
        "aws_lambda_function.deploy.arn": f"{arn.format('lambda')}:function:{prefix}-deploy",
        "aws_sns_topic.alerts.arn": f"{arn.format('sns')}:{prefix}-alerts",
        "aws_glue_job.etl.name": f"{prefix}-etl",
        "aws_glue_job.prepare.name": f"{prefix}-prepare",
        "aws_s3_bucket.curated.bucket": f"{prefix}-curated",
        "aws_s3_bucket.artifacts.bucket": f"{prefix}-artifacts",
        "aws_s3_object.evaluation_script.key": "code/evaluation/evaluate.py",
        "aws_kms_key.main.arn": f"{arn.format('kms')}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "aws_iam_role.sagemaker_pipeline.arn": f"arn:aws:iam::{ACCOUNT}:role/{prefix}-sagemaker-pipeline",
        "aws_security_group.sagemaker.id": "sg-0123456789abcdef0",
        "local.private_subnet_ids": "subnet-0123456789abcdef0",
        "aws_sagemaker_model_package_group.main.model_package_group_name": f"{prefix}-models",
        "local.pipeline_training_image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    }


def definitions(text: str) -> dict[str, dict]:
    bp = parse(load_spec_text(text, "t.yaml"))
    refs = references()
    out = {"pipeline": resolve(bp.locals["pipeline_definition"], bp.locals, refs)}
    if "deploy_definition" in bp.locals:
        out["deploy"] = resolve(bp.locals["deploy_definition"], bp.locals, refs)
    for definition in out.values():
        assert "${" not in json.dumps(definition)
    return out


SPECS = {
    "reactive": spec_text(maturity="reactive"),
    "proactive": spec_text(),
    "proactive-auto": spec_text(deployment="    approval: {metric: rmse, threshold: 0.25}\n"),
    "managed": spec_text(maturity="managed", retention=731),
}


@pytest.fixture(scope="module", params=sorted(SPECS))
def machines(request) -> dict[str, dict]:
    return definitions(SPECS[request.param])


# --- asl-validator ----------------------------------------------------------------------------


def asl_validator() -> str | None:
    """$DSAAS_ASL_VALIDATOR, $DSAAS_TEST_TOOLS/node/..., .tools/node/... or PATH."""
    candidates = [os.environ.get("DSAAS_ASL_VALIDATOR")]
    if os.environ.get("DSAAS_TEST_TOOLS"):
        candidates.append(str(Path(os.environ["DSAAS_TEST_TOOLS"]) / "node/node_modules/.bin/asl-validator"))
    candidates += [str(REPO / ".tools/node/node_modules/.bin/asl-validator"), shutil.which("asl-validator")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def test_every_state_machine_is_valid_amazon_states_language(machines, tmp_path):
    tool = asl_validator()
    if tool is None:
        message = "asl-validator not installed: scripts/install_test_tools.sh DIR installs it (npm)"
        if os.environ.get("DSAAS_REQUIRE_TEST_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    for name, definition in machines.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(definition))
        run = subprocess.run([tool, "--json-path", str(path)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and "is valid" in run.stdout, (name, run.stdout, run.stderr)


def test_asl_validator_rejects_a_broken_definition(tmp_path):
    """The check can fail: a transition to a missing state is reported."""
    tool = asl_validator()
    if tool is None:
        pytest.skip("asl-validator not installed")
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}))
    run = subprocess.run([tool, "--json-path", str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "MISSING_TRANSITION_TARGET" in run.stdout + run.stderr


def test_the_deploy_loop_is_bounded_by_a_counter_not_the_execution_timeout(machines):
    if "deploy" not in machines:  # batch scoring: no endpoint, nothing to wait for
        assert not any(s["Type"] == "Wait" for s in machines["pipeline"]["States"].values())
        return
    states = machines["deploy"]["States"]
    for counter, limit in (("CountBusyWait", "BusyTooLong"), ("CountPoll", "PolledTooLong")):
        assert states[counter]["Parameters"]["count.$"] == "States.MathAdd($.polls.count, 1)"
        (rule,) = states[limit]["Choices"]
        assert rule["Variable"] == "$.polls.count" and rule["Next"] == "GaveUpWaiting"
        assert 10 <= rule["NumericGreaterThan"] <= 500
    assert states["GaveUpWaiting"]["Next"] == "NotifyFailure"
    assert machines["deploy"]["TimeoutSeconds"] < machines["pipeline"]["TimeoutSeconds"]


# --- moto's interpreter -----------------------------------------------------------------------


def _post(url: str, body: dict) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


@pytest.fixture
def sfn(moto, monkeypatch):
    """moto with its state machine interpreter on and a docker-free Lambda with queued answers."""
    # The interpreter calls the services of its tasks at localhost:$MOTO_PORT.
    monkeypatch.setenv("MOTO_PORT", moto.rsplit(":", 1)[1])
    _post(f"{moto}/moto-api/config", {"stepfunctions": {"execute_state_machine": True},
                                      "lambda": {"use_docker": False}})
    yield moto
    _post(f"{moto}/moto-api/config", {"stepfunctions": {"execute_state_machine": False},
                                      "lambda": {"use_docker": True}})


def _lambda_answers(moto: str, answers: list[dict]) -> None:
    _post(f"{moto}/moto-api/static/lambda-simple/response",
          {"account_id": ACCOUNT, "region": REGION, "results": [json.dumps(a) for a in answers]})


def _fast(definition: dict) -> dict:
    """The same machine with every Wait at 0 seconds (the interpreter really waits)."""
    definition = json.loads(json.dumps(definition))
    for state in definition["States"].values():
        if state["Type"] == "Wait":
            state["Seconds"] = 0
    return definition


def _run(definition: dict, name: str, execution_input: dict) -> tuple[dict, list[dict]]:
    iam, sfn = boto3.client("iam"), boto3.client("stepfunctions")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machine = sfn.create_state_machine(name=name, definition=json.dumps(_fast(definition)),
                                       roleArn=role)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution_input))["executionArn"]
    for _ in range(300):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.1)
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return described, events


def _deploy_resources() -> None:
    boto3.client("sns").create_topic(Name="acme-prod-alerts")
    role = boto3.client("iam").create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName="acme-prod-deploy", Runtime="python3.12", Role=role, Handler="deploy.handler",
        Code={"ZipFile": (REPO / "templates/aws/files/lambda/deploy.py").read_bytes()})


def _answer(state: str, **extra) -> dict:
    out = {"state": state, "reason": None, "endpoint_name": "acme-prod-endpoint",
           "endpoint_config": "acme-prod-endpoint-c1", "variants": {}, "model_package_arn": None}
    out.update(extra)
    return out


def _entered(events: list[dict]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


@pytest.fixture(scope="module")
def managed_machines() -> dict[str, dict]:
    return definitions(SPECS["managed"])


def test_deploy_execution_succeeds_once_the_endpoint_serves_the_new_config(sfn, managed_machines):
    _deploy_resources()
    _lambda_answers(sfn, [
        _answer("updating"), _answer("busy", reason="it is Updating"), _answer("in_service"),
        _answer("in_service"),  # autoscale
        {"endpoint_name": "acme-prod-endpoint", "monitoring_schedule": {"name": "x"}},  # monitor
        _answer("pruned"),
    ])
    described, events = _run(managed_machines["deploy"], "deploy-ok",
                             {"model_package_arn":
                                  "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-models/3"})
    assert described["status"] == "SUCCEEDED", events[-1]
    entered = _entered(events)
    assert entered[:4] == ["Start", "Deploy", "Deployed", "WaitForEndpoint"]
    assert entered.count("CheckEndpoint") == 2 and "CountPoll" in entered
    assert entered[-4:] == ["Autoscale", "MonitorDrift", "Prune", "Succeeded"]


def test_deploy_execution_fails_with_sagemakers_reason_when_the_update_rolls_back(sfn, managed_machines):
    _deploy_resources()
    reason = ("the update of acme-prod-endpoint to acme-prod-endpoint-c1 rolled back; it still serves "
              "acme-prod-endpoint-c0: The primary container for production variant challenger did not "
              "pass the ping health check.")
    _lambda_answers(sfn, [_answer("updating"), _answer("failed", reason=reason)])
    described, events = _run(managed_machines["deploy"], "deploy-rollback",
                             {"model_package_arn":
                                  "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-models/4"})
    assert described["status"] == "FAILED"
    failed = [e["executionFailedEventDetails"] for e in events if "executionFailedEventDetails" in e]
    assert failed == [{"error": "DeploymentFailed", "cause": f"DeploymentFailed: {reason}"}]
    entered = _entered(events)
    assert "NotifyFailure" in entered and "Autoscale" not in entered


def test_deploy_execution_gives_up_after_the_poll_limit(sfn, managed_machines):
    _deploy_resources()
    limit = managed_machines["deploy"]["States"]["PolledTooLong"]["Choices"][0]["NumericGreaterThan"]
    _lambda_answers(sfn, [_answer("updating")] + [_answer("busy", reason="it is Updating")] * (limit + 1))
    described, events = _run(managed_machines["deploy"], "deploy-stuck", {"model_package_arn": "p/5"})
    assert described["status"] == "FAILED"
    failed = [e["executionFailedEventDetails"] for e in events if "executionFailedEventDetails" in e]
    assert failed[0]["error"] == "DeploymentFailed"
    assert failed[0]["cause"].startswith("EndpointNotReady: Endpoint acme-prod-endpoint did not settle")


def test_training_run_without_training_data_fails_loudly(sfn):
    machines = definitions(SPECS["proactive"])
    boto3.client("sns").create_topic(Name="acme-prod-alerts")
    glue = boto3.client("glue")
    for job in ("acme-prod-etl", "acme-prod-prepare"):
        glue.create_job(Name=job, Role="arn:aws:iam::123456789012:role/glue",
                        Command={"Name": "glueetl", "ScriptLocation": "s3://x/y.py"})
    boto3.client("s3").create_bucket(Bucket="acme-prod-curated",
                                      CreateBucketConfiguration={"LocationConstraint": REGION})
    # moto's aws-sdk integration cannot map CheckOverlap's PascalCase StateMachineArn onto the
    # camelCase Step Functions API (real Step Functions does): start right after it.
    definition = dict(machines["pipeline"], StartAt="NameRun")
    # moto 5.2 crashes on the .sync form of glue:startJobRun (no callback endpoint): the Glue
    # steps start their job runs without waiting, as the request-response form.
    for state in definition["States"].values():
        if state.get("Resource", "").endswith(":glue:startJobRun.sync"):
            state["Resource"] = state["Resource"].removesuffix(".sync")
            state["ResultSelector"] = {"JobRunId.$": "$.JobRunId"}
    described, events = _run(definition, "acme-prod-pipeline", {"trigger": "schedule"})
    assert described["status"] == "FAILED", _entered(events)
    failed = [e["executionFailedEventDetails"] for e in events if "executionFailedEventDetails" in e]
    assert failed[0]["error"] == "PipelineFailed"
    assert failed[0]["cause"].startswith("NoTrainingData: The prepare step wrote no training data")
    entered = _entered(events)
    assert entered.index("RunEtl") < entered.index("PrepareTrainingSet") < entered.index("CheckTrainingData")
    assert "Train" not in entered and "NotifyFailure" in entered


def _lambda_payloads(events: list[dict], action: str) -> list[dict]:
    """The payloads the execution sent to the deploy Lambda for one action."""
    out = []
    for event in events:
        details = event.get("taskScheduledEventDetails")
        if details:
            payload = json.loads(details["parameters"]).get("Payload", {})
            if payload.get("action") == action:
                out.append(payload)
    return out


PROMOTED = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-models/6"
MONITOR_ANSWER = {"endpoint_name": "acme-prod-endpoint", "monitoring_schedule": {"name": "x"}}


@pytest.mark.parametrize("looked_up", [PROMOTED, None], ids=["package-found", "no-package"])
def test_a_promotion_succeeds_and_gives_the_drift_step_the_promoted_models_package(sfn, managed_machines, looked_up):
    """{"promote": true} names no package: the drift step takes the one the deploy step looked up
    (or null, then the hand-uploaded baseline), never a JSONPath into the input that fails."""
    _deploy_resources()
    _lambda_answers(sfn, [
        _answer("updating", model_package_arn=looked_up), _answer("in_service"),
        _answer("in_service"),  # autoscale
        MONITOR_ANSWER, _answer("pruned"),
    ])
    described, events = _run(managed_machines["deploy"], "deploy-promote", {"promote": True})
    assert described["status"] == "SUCCEEDED", events[-1]
    assert _entered(events)[-4:] == ["Autoscale", "MonitorDrift", "Prune", "Succeeded"]
    assert _lambda_payloads(events, "monitor") == [{"action": "monitor", "model_package_arn": looked_up}]


def test_an_approval_gives_the_drift_step_the_approved_package(sfn, managed_machines):
    _deploy_resources()
    package = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-models/7"
    _lambda_answers(sfn, [
        _answer("updating", model_package_arn=package), _answer("in_service"), _answer("in_service"),
        MONITOR_ANSWER, _answer("pruned"),
    ])
    described, events = _run(managed_machines["deploy"], "deploy-approved",
                             {"model_package_arn": package, "trigger": "approval"})
    assert described["status"] == "SUCCEEDED", events[-1]
    assert _lambda_payloads(events, "monitor") == [{"action": "monitor", "model_package_arn": package}]


def test_a_run_that_finds_the_previous_one_running_is_counted_not_passed_off_as_a_run(sfn):
    """The skip publishes RunsSkipped (moto's CloudWatch receives it) before it ends: the freshness
    alarm subtracts it, the overlap alarm reads it."""
    machines = definitions(SPECS["proactive"])
    # moto cannot run CheckOverlap's listExecutions (see above): start at the choice it feeds,
    # with the answer a second running execution gives.
    definition = dict(machines["pipeline"], StartAt="AloneOrNot")
    described, events = _run(definition, "acme-prod-pipeline", {"overlap": {"running": 2}})
    assert described["status"] == "SUCCEEDED", events[-1]
    assert _entered(events) == ["AloneOrNot", "PreviousRunStillGoing", "SkippedForRunningExecution"]
    metrics = boto3.client("cloudwatch").list_metrics(Namespace="DSaaS/Pipeline")["Metrics"]
    assert [(m["MetricName"], m["Dimensions"]) for m in metrics] == [
        ("RunsSkipped", [{"Name": "StateMachine", "Value": "acme-prod-pipeline"}])]
