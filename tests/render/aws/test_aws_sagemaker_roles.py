"""The notebooks' and the pipeline's SageMaker roles, evaluated on the rendered policies (iam_eval.py).

A notebook (aws_iam_role.sagemaker_execution) cannot write what the pipeline trains, evaluates, monitors or runs
(models/, evaluation/, monitoring/, code/, glue/scripts/, the curated data and training sets): it writes scratch/
only. Every job and model of the pipeline runs as aws_iam_role.sagemaker_pipeline, and only that role is passed by
the pipeline's state machine and the deploy function.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import hcl2
import pytest

from dsaas_infra.render import render_blueprint
from dsaas_infra.render.aws import roles as aws_roles
from dsaas_infra.spec import load_spec, load_spec_text
from tests.render.aws.iam_eval import allowed, policy_documents
from tests.render.aws.test_aws_serving import spec_text
from tests.render.parsed_blueprint import norm

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO / "blueprints").glob("aws-*.yaml"))
ACCOUNT = "111122223333"
ARTIFACTS = "arn:aws:s3:::acme-artifacts"
CURATED = "arn:aws:s3:::acme-curated"
RAW = "arn:aws:s3:::acme-raw"
NOTEBOOKS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/acme-prod-sagemaker-execution"
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/acme-prod-sagemaker-pipeline"
REFS = {
    "aws_s3_bucket.artifacts.arn": ARTIFACTS, "aws_s3_bucket.curated.arn": CURATED, "aws_s3_bucket.raw.arn": RAW,
    "aws_iam_role.sagemaker_execution.arn": NOTEBOOKS_ROLE, "aws_iam_role.sagemaker_pipeline.arn": PIPELINE_ROLE,
    "local.pipeline_training_data_prefix": "training-sets/", "local.pipeline_inference_data_prefix": "inference/",
    "local.pipeline_model_output_prefix": "models/",
}
WRITES = ("s3:PutObject", "s3:DeleteObject")
# What the pipeline trains, evaluates, monitors and runs, and the data it trains on.
PIPELINE_OBJECTS = (
    f"{ARTIFACTS}/models/acme-prod-1234/output/model.tar.gz",
    f"{ARTIFACTS}/evaluation/1234/evaluation.json",
    f"{ARTIFACTS}/monitoring/baseline/1234/constraints.json",
    f"{ARTIFACTS}/code/evaluation/evaluate.py",
    f"{ARTIFACTS}/glue/scripts/etl.py",
    f"{ARTIFACTS}/glue/scripts/prepare.py",
    f"{CURATED}/training-sets/1234/train/part-0.csv",
    f"{CURATED}/sales/part-0.parquet",
)


def documents(text: str) -> dict[str, dict]:
    """The IAM policy documents of training.tf and deployment.tf, references resolved (others left as text)."""
    spec = load_spec_text(text, "test.yaml")
    files = {k: v.decode() for k, v in render_blueprint(spec).items()}
    refs = defaultdict(lambda: "unresolved", REFS)
    out: dict[str, dict] = {}
    for name in ("training.tf", "deployment.tf"):
        if name in files:
            out.update(policy_documents(files[name], refs))
    return out


SPECS = {
    "proactive": spec_text(),
    "managed": spec_text(maturity="managed", retention=731),
    "reactive-batch": spec_text(maturity="reactive"),
}


@pytest.fixture(scope="module", params=sorted(SPECS))
def docs(request) -> dict[str, dict]:
    return documents(SPECS[request.param])


def test_notebooks_cannot_write_what_the_pipeline_trains_evaluates_or_runs(docs):
    notebooks = [docs["sagemaker_execution"]]
    for obj in PIPELINE_OBJECTS:
        for action in WRITES:
            assert not allowed(notebooks, action, obj), (action, obj)
        if obj.startswith(ARTIFACTS):
            assert allowed(notebooks, "s3:GetObject", obj), obj  # users read the artifacts
    assert allowed(notebooks, "s3:GetObject", f"{CURATED}/sales/part-0.parquet")


def test_notebooks_write_scratch_only(docs):
    notebooks = [docs["sagemaker_execution"]]
    for action in (*WRITES, "s3:AbortMultipartUpload"):
        assert allowed(notebooks, action, f"{ARTIFACTS}/scratch/alice/model.tar.gz"), action
    writable = {r for st in notebooks[0]["Statement"] for a in st["Action"] if a in WRITES for r in st["Resource"]}
    assert writable == {f"{ARTIFACTS}/scratch/*"}


def test_the_pipeline_role_writes_models_and_evaluations_and_not_the_code_it_runs(docs):
    pipeline = [docs["sagemaker_pipeline"]]
    assert allowed(pipeline, "s3:PutObject", f"{ARTIFACTS}/models/acme-prod-1234/output/model.tar.gz")
    assert allowed(pipeline, "s3:PutObject", f"{ARTIFACTS}/evaluation/1234/evaluation.json")
    assert allowed(pipeline, "s3:GetObject", f"{CURATED}/training-sets/1234/train/part-0.csv")
    assert allowed(pipeline, "s3:GetObject", f"{ARTIFACTS}/code/evaluation/evaluate.py")
    for obj in (f"{ARTIFACTS}/code/evaluation/evaluate.py", f"{ARTIFACTS}/glue/scripts/prepare.py",
                f"{ARTIFACTS}/scratch/x", f"{CURATED}/training-sets/1234/train/part-0.csv"):
        assert not allowed(pipeline, "s3:PutObject", obj), obj
    # No raw data, no other object of the curated bucket, no deletion.
    assert not allowed(pipeline, "s3:GetObject", f"{RAW}/sales/2026-01-01.csv")
    assert not allowed(pipeline, "s3:GetObject", f"{CURATED}/sales/part-0.parquet")
    assert not allowed(pipeline, "s3:DeleteObject", f"{ARTIFACTS}/models/acme-prod-1234/output/model.tar.gz")


def test_only_the_pipeline_role_is_passed_by_the_pipeline_and_the_deploy_function(docs):
    context = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    passers = [n for n in ("pipeline", "deploy") if n in docs]
    assert "pipeline" in passers
    for name in passers:
        policy = [docs[name]]
        assert allowed(policy, "iam:PassRole", PIPELINE_ROLE, context), name
        assert not allowed(policy, "iam:PassRole", NOTEBOOKS_ROLE, context), name
        assert not allowed(policy, "iam:PassRole", PIPELINE_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"})
    # The notebooks pass only themselves; the pipeline role passes nothing.
    assert not allowed([docs["sagemaker_execution"]], "iam:PassRole", PIPELINE_ROLE, context)
    assert allowed([docs["sagemaker_execution"]], "iam:PassRole", NOTEBOOKS_ROLE, context)
    assert not [s for s in docs["sagemaker_pipeline"]["Statement"] if any(a.startswith("iam:") for a in s["Action"])]


def test_the_pipeline_role_starts_and_approves_nothing(docs):
    pipeline = [docs["sagemaker_pipeline"]]
    for action in ("sagemaker:CreateTrainingJob", "sagemaker:CreateModel", "sagemaker:CreateModelPackage",
                   "sagemaker:UpdateModelPackage", "sagemaker:CreateEndpoint"):
        assert not allowed(pipeline, action, f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model/x"), action


def _hcl(text: str, name: str) -> dict:
    spec = load_spec_text(text, "test.yaml")
    return norm(hcl2.loads(render_blueprint(spec)[name].decode()))


@pytest.mark.parametrize("level", sorted(SPECS))
def test_every_job_and_model_of_the_pipeline_runs_as_the_pipeline_role(level):
    doc = _hcl(SPECS[level], "deployment.tf")
    text = json.dumps(doc)
    assert "aws_iam_role.sagemaker_execution" not in text
    locals_ = {k: v for block in doc["locals"] for k, v in block.items()}
    roles = re.findall(r'"(?:RoleArn|ExecutionRoleArn)": "([^"]+)"', json.dumps(locals_["pipeline_definition"]))
    assert roles and set(roles) == {"${aws_iam_role.sagemaker_pipeline.arn}"}
    if "deploy_config" in locals_:
        assert locals_["deploy_config"]["sagemaker_role_arn"] == "${aws_iam_role.sagemaker_pipeline.arn}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_pipeline_role_trusts_this_accounts_sagemaker_only_and_carries_the_boundary(example):
    spec = load_spec(example)
    doc = norm(hcl2.loads(render_blueprint(spec)["deployment.tf"].decode()))
    data = {k: v for block in doc["data"] for k, v in block.get("aws_iam_policy_document", {}).items()}
    (trust,) = data["sagemaker_pipeline_assume"]["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["sagemaker.amazonaws.com"]}]
    conditions = {(c["test"], c["variable"]): c["values"] for c in trust["condition"]}
    assert conditions == {("StringEquals", "aws:SourceAccount"): ["${local.account_id}"],
                          ("ArnLike", "aws:SourceArn"): ["${local.pipeline_sagemaker_arn}:*"]}
    role = {k: v for block in doc["resource"] for k, v in block.get("aws_iam_role", {}).items()}["sagemaker_pipeline"]
    assert role["name"] == f"{spec.name_prefix}-sagemaker-pipeline"
    if spec.ci is not None and spec.ci.create_identity:
        assert role["permissions_boundary"] == "${aws_iam_policy.ci_boundary.arn}"


def test_the_prefixes_the_pipeline_writes_follow_the_level():
    assert aws_roles.pipeline_write_prefixes(realtime=True, drift_baseline=False, drift_detection=False) == [
        "models/", "evaluation/"]
    assert aws_roles.pipeline_write_prefixes(realtime=True, drift_baseline=True, drift_detection=True) == [
        "models/", "evaluation/", "monitoring/", "data-capture/"]
    assert aws_roles.pipeline_write_prefixes(realtime=False, drift_baseline=False, drift_detection=False) == [
        "models/", "evaluation/", "predictions/"]


def test_the_trained_artifacts_version_is_recorded_and_can_be_checked(docs):
    model = f"{ARTIFACTS}/models/acme-prod-1234/output/model.tar.gz"
    assert allowed([docs["pipeline"]], "s3:GetObject", model)  # RecordModelArtifact's HeadObject
    assert not allowed([docs["pipeline"]], "s3:PutObject", model)
    if "deploy" in docs:  # verify_artifact's HeadObject, only on the pipeline's models
        assert allowed([docs["deploy"]], "s3:GetObject", model)
        assert not allowed([docs["deploy"]], "s3:GetObject", f"{ARTIFACTS}/scratch/alice/model.tar.gz")


@pytest.mark.parametrize("level", sorted(SPECS))
def test_the_pipeline_records_the_model_version_before_evaluating_it(level):
    doc = _hcl(SPECS[level], "deployment.tf")
    locals_ = {k: v for block in doc["locals"] for k, v in block.items()}
    states = locals_["pipeline_definition"]["States"]
    assert states["Train"]["Next"] == "RecordModelArtifact"
    record = states["RecordModelArtifact"]
    assert record["Resource"].endswith(":states:::aws-sdk:s3:headObject")
    assert record["Parameters"]["Bucket"] == "${aws_s3_bucket.artifacts.bucket}"
    assert record["Parameters"]["Key.$"] == (
        "States.Format('${local.pipeline_model_output_prefix}{}/output/model.tar.gz', $.run.job_name)")
    assert locals_["pipeline_model_output_prefix"] == "models/"
    assert record["Next"] in ("Baseline", "Evaluate")
    assert record["Catch"] == "${local.pipeline_catch}"
    properties = states["RegisterModel"]["Parameters"]["CustomerMetadataProperties"]
    assert properties["model_data_version_id.$"] == "$.model_artifact.version_id"
    if "deploy_config" in locals_:
        assert locals_["deploy_config"]["model_data_prefix"] == "${local.pipeline_model_output_uri}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_readme_names_each_role_with_what_it_writes(example):
    spec = load_spec(example)
    readme = render_blueprint(spec)["README.md"].decode()
    prefix = spec.name_prefix
    assert f"| `{prefix}-sagemaker-execution` |" in readme
    (notebooks,) = [line for line in readme.splitlines() if line.startswith(f"| `{prefix}-sagemaker-execution` |")]
    assert notebooks.split(" | ")[2] == "`scratch/`"
    (pipeline,) = [line for line in readme.splitlines() if line.startswith(f"| `{prefix}-sagemaker-pipeline` |")]
    assert "`models/`" in pipeline and "`evaluation/`" in pipeline
    if spec.phases.deployment.realtime:
        assert "What is approved is what serves" in readme and "model_data_version_id" in readme
