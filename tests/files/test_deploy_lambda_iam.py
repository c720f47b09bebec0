"""The deploy Lambda's Application Auto Scaling calls, run against moto, are each allowed by the
deploy role's rendered policy, evaluated with the request context AWS supplies for that action.

The Service Authorization Reference lists application-autoscaling:service-namespace only for the
write actions (RegisterScalableTarget, DeregisterScalableTarget, PutScalingPolicy, Delete*); the
Describe* actions support no condition key, so a positive StringEquals on it never matches them
(a missing key makes a positive operator false: tests/render/aws/iam_eval.py). AWS's own managed
policies grant them in a statement of their own, unconditioned (AmazonDynamoDBFullAccess_v2,
"ApplicationAutoscalingDescribeActions", in moto's copy of the managed policies).
"""

from __future__ import annotations

import boto3
import pytest

from tests.files.test_deploy_lambda import ENDPOINT, config, deploy
from tests.render.aws.iam_eval import allowed, managed
from tests.render.aws.test_aws_serving import render, spec_text, statements

# The actions whose request context carries application-autoscaling:service-namespace.
NAMESPACE_KEYED = {"RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy",
                   "DeleteScalingPolicy", "DeleteScheduledAction", "PutScheduledAction"}


@pytest.fixture(scope="module", params=["proactive", "managed"])
def deploy_policy(request) -> dict:
    bp = render(spec_text(maturity=request.param, retention=731))
    document = bp.data[("aws_iam_policy_document", "deploy")]
    out = []
    for st in statements(document):
        iam = {"Effect": st.get("effect", "Allow"), "Action": st["actions"], "Resource": st["resources"]}
        conditions: dict[str, dict[str, list[str]]] = {}
        for c in st.get("condition", []):
            conditions.setdefault(c["test"], {})[c["variable"]] = c["values"]
        if conditions:
            iam["Condition"] = conditions
        out.append({**iam, "Sid": st.get("sid")})
    return {"Version": "2012-10-17", "Statement": out}


def recorded_client() -> tuple[object, list[tuple[str, dict]]]:
    """An Application Auto Scaling client of the moto server that records each call it makes."""
    aas = boto3.client("application-autoscaling")
    calls: list[tuple[str, dict]] = []
    aas.meta.events.register("provide-client-params.application-autoscaling.*",
                             lambda params, model, **_: calls.append((model.name, dict(params))))
    return aas, calls


def context_of(operation: str, params: dict) -> dict[str, str]:
    if operation in NAMESPACE_KEYED:
        return {"application-autoscaling:service-namespace": params["ServiceNamespace"]}
    return {}


def test_the_evaluator_denies_a_describe_granted_only_under_the_namespace_condition():
    """The previous statement (Describe* next to the writes, under the condition) is denied."""
    old = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["application-autoscaling:DescribeScalableTargets"], "Resource": "*",
        "Condition": {"StringEquals": {"application-autoscaling:service-namespace": ["sagemaker"]}}}]}
    assert not allowed([old], "application-autoscaling:DescribeScalableTargets", "*",
                       context_of("DescribeScalableTargets", {"ServiceNamespace": "sagemaker"}))
    aws_own = managed("AmazonDynamoDBFullAccess_v2")
    (describe,) = [s for s in aws_own["Statement"] if s.get("Sid") == "ApplicationAutoscalingDescribeActions"]
    assert "Condition" not in describe


def test_every_autoscaling_call_of_the_shipped_deploy_code_is_allowed(moto, deploy_policy):
    aas, calls = recorded_client()
    deploy.autoscale(config(variants=(("blue", 50), ("green", 50), ("red", 0))), aas)
    # green changes type and red leaves the spec: release_autoscaling describes, then deregisters both.
    cfg = config(variants=(("blue", 50), ("green", 50)))
    cfg["variants"][1]["instance_type"] = "ml.c5.2xlarge"
    current = {n: {"model": "m-old", "instance_type": "ml.m5.xlarge", "weight": 50.0, "count": 2}
               for n in ("blue", "green", "red")}
    assert deploy.release_autoscaling(cfg, aas, current) == ["green", "red"]
    left = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [t["ResourceId"] for t in left] == [deploy.resource_id(ENDPOINT, "blue")]
    made = {op for op, _ in calls}
    assert {"RegisterScalableTarget", "PutScalingPolicy", "DescribeScalableTargets",
            "DeregisterScalableTarget"} <= made
    for operation, params in calls:
        assert allowed([deploy_policy], f"application-autoscaling:{operation}", "*",
                       context_of(operation, params)), (operation, params)


def test_describe_actions_have_their_own_unconditioned_statement_and_writes_stay_on_sagemaker(deploy_policy):
    by_sid = {s["Sid"]: s for s in deploy_policy["Statement"]}
    read = by_sid["ReadAutoscaling"]
    assert read["Action"] == ["application-autoscaling:DescribeScalableTargets",
                              "application-autoscaling:DescribeScalingPolicies"]
    assert read["Resource"] == ["*"] and "Condition" not in read
    writes = [s for s in deploy_policy["Statement"]
              if any(a.startswith("application-autoscaling:") for a in s["Action"]) and s is not read]
    assert [s["Sid"] for s in writes] == ["AutoscaleVariants"]
    (write,) = writes
    assert all(a.split(":")[1] in NAMESPACE_KEYED for a in write["Action"])
    assert write["Condition"] == {"StringEquals": {"application-autoscaling:service-namespace": ["sagemaker"]}}
    # The writes are refused for any other service's scalable targets.
    assert not allowed([deploy_policy], "application-autoscaling:RegisterScalableTarget", "*",
                       {"application-autoscaling:service-namespace": "ecs"})
