"""The blueprint's own log bucket (monitoring.tf): the project's _Default bucket is left alone, the
blueprint's entries (and only those) are routed to its CMEK bucket and excluded from _Default.

The routing filter is evaluated on sample log entries by a small interpreter of the part of the
Cloud Logging query language it uses (AND, OR, parentheses, =, =~ (RE2, here Python's re), and :
(has: substring))."""

from __future__ import annotations

import re

import pytest

from dsaas_infra.render.gcp import build as gcp_build
from dsaas_infra.spec import load_spec
from tests.conftest import example_specs
from tests.render.parsed_blueprint import ParsedBlueprint, parse

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}


@pytest.fixture(scope="module")
def examples() -> dict[str, ParsedBlueprint]:
    return {stem: parse(load_spec(path)) for stem, path in GCP_SPECS.items()}


# --- a tiny interpreter of the filter's subset of the logging query language ------------------
_TOKEN = re.compile(r'\s*(\(|\)|AND\b|OR\b|[A-Za-z_.@"]+?(?:=~|=|:)"(?:[^"\\]|\\.)*")')
_CMP = re.compile(r'([A-Za-z_.]+)(=~|=|:)"((?:[^"\\]|\\.)*)"$')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        assert m, f"cannot read the filter at {text[pos:pos + 40]!r}"
        out.append(m.group(1))
        pos = m.end()
    return out


def _field(entry: dict, path: str) -> str | None:
    value: object = entry
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, str) else None


def matches(flt: str, entry: dict) -> bool:
    tokens = _tokens(flt)
    pos = 0

    def expr() -> bool:
        nonlocal pos
        result = term()
        while pos < len(tokens) and tokens[pos] == "OR":
            pos += 1
            result = term() or result  # evaluate both sides: every clause must parse
        return result

    def term() -> bool:
        nonlocal pos
        result = factor()
        while pos < len(tokens) and tokens[pos] == "AND":
            pos += 1
            result = factor() and result
        return result

    def factor() -> bool:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        if token == "(":
            result = expr()
            assert tokens[pos] == ")"
            pos += 1
            return result
        m = _CMP.match(token)
        assert m, token
        path, op, want = m.groups()
        have = _field(entry, path)
        if have is None:
            return False
        if op == "=":
            return have == want
        if op == "=~":
            return re.search(want, have) is not None
        return want in have

    result = expr()
    assert pos == len(tokens)
    return result


def test_the_interpreter_reads_what_it_is_given():
    entry = {"resource": {"type": "x", "labels": {"id": "abc-1"}}}
    assert matches('(resource.type="x" AND resource.labels.id=~"^abc-")', entry)
    assert not matches('(resource.type="y" AND resource.labels.id=~"^abc-")', entry)
    assert matches('(resource.type="y") OR (resource.labels.id:"c-1")', entry)


# --- the rendered blueprints ------------------------------------------------------------------
def test_the_default_bucket_is_left_alone_and_the_blueprint_has_its_own(examples):
    for stem, bp in examples.items():
        buckets = {name: r for (rtype, name), r in bp.resources.items()
                   if rtype == "google_logging_project_bucket_config"}
        assert list(buckets) == ["blueprint"], stem
        bucket = buckets["blueprint"]
        ctx = gcp_build.build_context(load_spec(GCP_SPECS[stem]))
        assert ctx.log_bucket is not None
        assert bucket["bucket_id"] == f"{ctx.name_prefix}-logs" != "_Default"
        assert bucket["location"] == "global"  # the logging key's location (kms.tf)
        assert bucket["cmek_settings"][0]["kms_key_name"] == "${google_kms_crypto_key.logging.id}"
        assert bucket["retention_days"] == min(ctx.phases.data.log_retention_days, 3650)
        assert bucket["lifecycle"][0]["prevent_destroy"] is ctx.prevent_destroy
        assert "${time_sleep.kms_grants}" in bucket["depends_on"]
        # Nothing else of the blueprint names _Default but the exclusion's comment.
        tf = "".join(bp.text(n) for n in bp.files if n.endswith(".tf"))
        assert '"_Default"' not in tf and "google_logging_project_sink\" \"_Default" not in tf


def test_the_sink_routes_to_the_bucket_and_default_excludes_exactly_the_same_entries(examples):
    for stem, bp in examples.items():
        sink = bp.resources[("google_logging_project_sink", "blueprint")]
        exclusion = bp.resources[("google_logging_project_exclusion", "blueprint")]
        assert sink["destination"] == "logging.googleapis.com/${google_logging_project_bucket_config.blueprint.id}"
        assert sink["filter"] == exclusion["filter"] == "${local.blueprint_logs}", stem
        assert sink["unique_writer_identity"] is True
        # Excluded only once the sink routes: no entry is dropped from both.
        assert exclusion["depends_on"] == ["${google_logging_project_sink.blueprint}"]
        ctx = gcp_build.build_context(load_spec(GCP_SPECS[stem]))
        # The parser keeps HCL escapes.
        assert bp.locals["blueprint_logs"].replace("\\\"", "\"") == ctx.log_bucket.filter


def _entry(rtype: str, log: str = "projects/p/logs/x", **labels: str) -> dict:
    return {"logName": log, "resource": {"type": rtype, "labels": labels}}


def test_the_filter_routes_the_blueprints_entries_and_no_other_workloads():
    spec = load_spec(GCP_SPECS["gcp-managed"])
    ctx = gcp_build.build_context(spec)
    assert ctx.log_bucket is not None and ctx.vertex_endpoint is not None
    flt, prefix, project = ctx.log_bucket.filter, ctx.name_prefix, ctx.project_id
    audit = f"projects/{project}/logs/cloudaudit.googleapis.com%2Fdata_access"
    raw = ctx.buckets["raw"]
    ours = [
        _entry("cloud_scheduler_job", job_id=ctx.pipeline.job_name),
        _entry("cloud_scheduler_job", job_id=f"{prefix}-freshness"),
        _entry("cloud_run_job", job_name=ctx.pipeline.promote_job_name),
        _entry("aiplatform.googleapis.com/PipelineJob", pipeline_job_id="dsaas-mlops-loop-20260102030405"),
        _entry("dataflow_step", job_name="curate-dsaas-mlops-loop-20260102030405"),
        _entry("aiplatform.googleapis.com/Endpoint", endpoint_id=ctx.vertex_endpoint.name),
        _entry("aiplatform.googleapis.com/ModelDeploymentMonitoringJob",
               log=f"projects/{project}/logs/aiplatform.googleapis.com%2Fmodel_monitoring_anomaly"),
        {**_entry("gcs_bucket", log=audit, bucket_name=raw),
         "protoPayload": {"resourceName": f"projects/_/buckets/{raw}/objects/incoming/a.json"}},
        {**_entry("bigquery_dataset", log=audit),
         "protoPayload": {"resourceName": f"projects/{project}/datasets/{ctx.dataset_id}/tables/events"}},
    ]
    others = [
        _entry("cloud_scheduler_job", job_id="nightly-backup"),
        _entry("cloud_scheduler_job", job_id=f"x{prefix}-job"),
        _entry("cloud_run_job", job_name="billing-export"),
        _entry("aiplatform.googleapis.com/PipelineJob", pipeline_job_id="churn-model-20260102030405"),
        _entry("dataflow_step", job_name="other-team-etl"),
        _entry("aiplatform.googleapis.com/Endpoint", endpoint_id="123456789"),
        {**_entry("gcs_bucket", log=audit, bucket_name="someone-elses"),
         "protoPayload": {"resourceName": "projects/_/buckets/someone-elses/objects/a"}},
        _entry("gce_instance", log=f"projects/{project}/logs/syslog", instance_id="1"),
    ]
    assert [matches(flt, e) for e in ours] == [True] * len(ours)
    assert [matches(flt, e) for e in others] == [False] * len(others)


def test_a_blueprint_without_deployment_has_no_log_bucket():
    from tests.render.gcp.test_gcp_platform import render

    bp = render("reactive", env="dev", phases="  training: {enabled: false}\n  deployment: {enabled: false}")
    assert not [k for k in bp.resources if k[0].startswith("google_logging_project")]


def test_the_readme_says_what_is_routed_and_that_default_is_untouched(examples):
    bp = examples["gcp-managed"]
    readme = bp.text("README.md")
    ctx = gcp_build.build_context(load_spec(GCP_SPECS["gcp-managed"]))
    assert ctx.log_bucket is not None
    assert f"log bucket `{ctx.log_bucket.bucket_id}`" in readme
    assert "keeps its own retention and encryption" in readme
    for route in ctx.log_bucket.routes:
        assert route.what.replace("(", "\\(").replace(")", "\\)") in readme
