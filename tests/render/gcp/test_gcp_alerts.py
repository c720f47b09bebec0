"""GCP platform alerts, budget, approvers and private training, from the rendered HCL and the compiled pipeline."""

from __future__ import annotations

import re

import pytest
import yaml

from dsaas_infra.errors import SpecError
from dsaas_infra.render.gcp import alerts as gcp_alerts
from dsaas_infra.render.gcp import pipeline as gcp_pipeline
from dsaas_infra.spec import load_spec, load_spec_text
from dsaas_infra.spec.cron import max_gap_minutes
from tests.conftest import example_specs
from tests.render.parsed_blueprint import ParsedBlueprint, parse

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}
ACCOUNT = "0A1B2C-3D4E5F-6A7B8C"


@pytest.fixture(scope="module")
def examples() -> dict[str, ParsedBlueprint]:
    return {stem: parse(load_spec(path)) for stem, path in GCP_SPECS.items()}


def with_extra(stem: str, gcp: str = "", top: str = "") -> ParsedBlueprint:
    text = GCP_SPECS[stem].read_text()
    if gcp:
        text = text.replace("\ngcp:\n", f"\ngcp:\n{gcp}", 1)
    return parse(load_spec_text(text + top, f"{stem}.yaml"))


def policies(bp: ParsedBlueprint) -> dict[str, dict]:
    return bp.of_type("google_monitoring_alert_policy")


def test_every_alert_policy_reaches_the_notification_channels(examples):
    for stem, bp in examples.items():
        found = policies(bp)
        assert found, stem
        for name, body in found.items():
            assert body["notification_channels"] == "${local.notification_channels}", (stem, name)


# Documented validity (Cloud Monitoring Aggregation.Aligner / Reducer): metric kind and value type
# each aligner and reducer accepts, and what the aligner outputs.
METRICS = {  # metric type -> (kind, value type)
    "loadbalancing.googleapis.com/https/request_count": ("DELTA", "INT64"),
    "loadbalancing.googleapis.com/https/total_latencies": ("DELTA", "DISTRIBUTION"),
    "monitoring.googleapis.com/uptime_check/check_passed": ("GAUGE", "BOOL"),
    "monitoring.googleapis.com/uptime_check/time_until_ssl_cert_expires": ("GAUGE", "DOUBLE"),
    "aiplatform.googleapis.com/prediction/online/error_count": ("DELTA", "INT64"),
    "aiplatform.googleapis.com/prediction/online/prediction_latencies": ("DELTA", "DISTRIBUTION"),
    "dataflow.googleapis.com/job/is_failed": ("GAUGE", "INT64"),
}
NUMERIC = {"INT64", "DOUBLE"}
ALIGNERS = {  # aligner -> (kinds, value types, output (kind, type) or None = unchanged)
    "ALIGN_DELTA": ({"CUMULATIVE", "DELTA"}, NUMERIC | {"DISTRIBUTION"}, None),
    "ALIGN_MAX": ({"GAUGE", "DELTA"}, NUMERIC, None),
    "ALIGN_NEXT_OLDER": ({"GAUGE", "DELTA", "CUMULATIVE"}, NUMERIC | {"BOOL", "DISTRIBUTION"}, None),
    "ALIGN_PERCENTILE_99": ({"GAUGE", "DELTA"}, {"DISTRIBUTION"}, ("GAUGE", "DOUBLE")),
}
REDUCERS = {  # reducer -> (kinds, value types)
    "REDUCE_SUM": ({"GAUGE", "DELTA"}, NUMERIC | {"DISTRIBUTION"}),
    "REDUCE_MAX": ({"GAUGE", "DELTA"}, NUMERIC),
    "REDUCE_MIN": ({"GAUGE", "DELTA"}, NUMERIC),
    "REDUCE_PERCENTILE_99": ({"GAUGE", "DELTA"}, NUMERIC | {"DISTRIBUTION"}),
    "REDUCE_COUNT_FALSE": ({"GAUGE"}, {"BOOL"}),
}


def test_every_threshold_condition_uses_an_aligner_and_reducer_valid_for_its_metric(examples):
    checked = 0
    for stem, bp in examples.items():
        for name, body in policies(bp).items():
            threshold = body["conditions"][0].get("condition_threshold")
            if not threshold:
                continue
            metric = re.search(r'metric\.type = \\?"([^"\\]+)', threshold[0]["filter"])
            if metric is None or metric.group(1) not in METRICS:
                continue  # log-based metrics of the blueprint (DELTA INT64): ALIGN_DELTA + REDUCE_SUM
            kind, value = METRICS[metric.group(1)]
            agg = threshold[0]["aggregations"][0]
            kinds, values, output = ALIGNERS[agg["per_series_aligner"]]
            assert kind in kinds and value in values, (stem, name, agg)
            if output is not None:
                kind, value = output
            reducer = agg.get("cross_series_reducer")
            if reducer:
                kinds, values = REDUCERS[reducer]
                assert kind in kinds and value in values, (stem, name, agg)
                # A percentile of each series then summed (or a sum of latencies) means nothing.
                assert not (agg["per_series_aligner"].startswith("ALIGN_PERCENTILE") and reducer == "REDUCE_SUM")
            checked += 1
    assert checked >= 8


def test_the_api_latency_alert_takes_the_99th_percentile_of_the_whole_distribution(examples):
    latency = policies(examples["gcp-managed"])["api_latency"]["conditions"][0]["condition_threshold"][0]
    assert latency["aggregations"][0] == {"alignment_period": "60s", "per_series_aligner": "ALIGN_DELTA",
                                          "cross_series_reducer": "REDUCE_PERCENTILE_99"}
    assert latency["threshold_value"] == gcp_alerts.API_LATENCY_P99_MS


@pytest.mark.parametrize("cron, hours", [("15 */6 * * *", 6), ("0 3 * * *", 24), ("30 1 * * 1-5", 72),
                                         ("0 3 * * 7", 168), ("0 0 1 * *", 31 * 24), ("*/5 * * * *", 5 / 60)])
def test_the_longest_gap_of_a_schedule(cron, hours):
    assert max_gap_minutes(cron) == round(hours * 60)


def test_data_freshness_is_checked_hourly_and_alerts_after_the_longest_gap_plus_slack(examples):
    bp = examples["gcp-proactive"]  # "0 3 * * *": a day between runs
    job = bp.resources[("google_cloud_scheduler_job", "freshness")]
    assert job["schedule"] == gcp_alerts.FRESHNESS_CHECK_SCHEDULE
    assert job["retry_config"][0]["retry_count"] == 0
    target = job["http_target"][0]
    assert target["uri"] == "https://bigquery.googleapis.com/bigquery/v2/projects/${local.project_id}/queries"
    assert target["oauth_token"][0]["service_account_email"] == "${google_service_account.scheduler.email}"
    text = bp.text("alerts.tf")
    assert "INTERVAL 1800 MINUTE" in text and "ERROR('no new curated rows" in text  # 24 h + a quarter of it
    # Partition-pruned: the curated table is partitioned by event_time; the check filters it with a
    # constant expression (window + the event lag), never scanning every partition.
    lookback = 1800 + gcp_alerts.FRESHNESS_EVENT_LAG_DAYS * 24 * 60
    pruned = f"WHERE event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {lookback} MINUTE)"
    assert pruned in text
    readme = bp.text("README.md")
    assert "reads only the partitions of events from the last 30 h plus 7 days" in readme
    assert r"merged into each curated table \(training\) in the last 30 h" in readme
    stale = policies(bp)["data_stale"]["conditions"][0]["condition_matched_log"][0]["filter"].replace('\\"', '"')
    assert 'resource.labels.job_id="' + job["name"] + '"' in stale and "severity>=ERROR" in stale
    # The launch alert no longer fires for the freshness check (and vice versa).
    launch = policies(bp)["scheduler_rejected"]["conditions"][0]["condition_matched_log"][0]["filter"]
    assert job["name"] not in launch and "mlops-loop" in launch
    # The check may run queries and read the curated dataset, nothing more.
    assert bp.resources[("google_project_iam_member", "scheduler_bigquery_jobs")]["role"] == "roles/bigquery.jobUser"
    assert bp.resources[("google_bigquery_dataset_iam_member", "scheduler_curated_reader")]["role"] == \
        "roles/bigquery.dataViewer"


def test_the_api_certificate_is_watched_by_an_https_check(examples):
    bp = examples["gcp-managed"]
    check = bp.resources[("google_monitoring_uptime_check_config", "api")]
    http = check["http_check"][0]
    assert http["use_ssl"] is True and http["validate_ssl"] is True and http["port"] == 443
    assert check["monitored_resource"][0]["labels"]["host"] == "${var.api_hostname}"
    found = policies(bp)
    for name in ("api_certificate", "api_certificate_expiry"):
        flt = found[name]["conditions"][0]["condition_threshold"][0]["filter"]
        assert flt.startswith("${format(") and "google_monitoring_uptime_check_config.api.uptime_check_id" in flt
    expiry = found["api_certificate_expiry"]["conditions"][0]["condition_threshold"][0]
    assert (expiry["comparison"], expiry["threshold_value"]) == ("COMPARISON_LT", gcp_alerts.CERT_EXPIRY_DAYS)
    # No API at reactive: no check and no certificate alerts.
    reactive = examples["gcp-reactive"]
    assert ("google_monitoring_uptime_check_config", "api") not in reactive.resources
    assert "api_certificate" not in policies(reactive)


def test_a_budget_with_a_billing_account_alerts_the_channels():
    bp = with_extra("gcp-reactive", gcp=f"  billing_account: {ACCOUNT}\n", top="budget: {monthly_usd: 25000}\n")
    budget = bp.resources[("google_billing_budget", "main")]
    assert budget["billing_account"] == ACCOUNT
    assert budget["amount"][0]["specified_amount"][0] == {"currency_code": "USD", "units": "25000"}
    assert budget["budget_filter"][0]["projects"] == ["projects/${data.google_project.current.number}"]
    rules = sorted((r["spend_basis"], r["threshold_percent"]) for r in budget["threshold_rules"])
    assert rules == [("CURRENT_SPEND", 0.5), ("CURRENT_SPEND", 0.9), ("CURRENT_SPEND", 1.0),
                     ("FORECASTED_SPEND", 1.0)]
    channels = budget["all_updates_rule"][0]["monitoring_notification_channels"]
    assert "local.notification_channels" in channels and "min(5," in channels
    assert "billingbudgets.googleapis.com" in bp.text("services.tf")
    assert "Billing budget" in bp.text("README.md") and ACCOUNT in bp.text("README.md")


def test_the_budgeted_examples_render_their_budget_and_a_budget_without_an_account_does_not_load(examples):
    """validate must never compare the estimate with a budget that nothing alarms on (SPEC017)."""
    for stem in ("gcp-proactive", "gcp-managed"):
        bp = examples[stem]
        assert bp.spec.budget is not None and bp.spec.gcp.billing_account is not None
        budget = bp.resources[("google_billing_budget", "main")]
        assert budget["billing_account"] == bp.spec.gcp.billing_account
        assert budget["amount"][0]["specified_amount"][0]["units"] == f"{bp.spec.budget.monthly_usd:.0f}"
    assert ("google_billing_budget", "main") not in examples["gcp-reactive"].resources
    assert "No billing budget" in examples["gcp-reactive"].text("README.md")
    with pytest.raises(SpecError) as e:
        with_extra("gcp-reactive", top="budget: {monthly_usd: 25000}\n")
    lines = e.value.lines()
    assert len(lines) == 1 and lines[0].startswith("gcp-reactive.yaml:") and lines[0].endswith("[SPEC017]")


def _header(bp: ParsedBlueprint) -> str:
    lines = bp.text("alerts.tf").splitlines()
    return " ".join(line.removeprefix("# ") for line in lines[:lines.index("")])


@pytest.mark.parametrize("stem, extra", [("gcp-reactive", {}), ("gcp-proactive", {}), ("gcp-managed", {}),
                                         ("gcp-reactive", {"gcp": f"  billing_account: {ACCOUNT}\n",
                                                           "top": "budget: {monthly_usd: 25000}\n"})])
def test_the_alerts_file_says_what_it_holds_and_nothing_else(stem, extra):
    """The opening comment of alerts.tf names the budget only where one is rendered, the API's
    alerts only where there is an API."""
    bp = with_extra(stem, **extra)
    header = _header(bp)
    has_budget = ("google_billing_budget", "main") in bp.resources
    has_api = "api_5xx" in policies(bp)
    assert ("billing budget" in header) == has_budget, header
    assert ("public API" in header) == has_api, header
    assert ("data freshness" in header) == (("google_cloud_scheduler_job", "freshness") in bp.resources)
    assert has_budget == (bool(extra) or stem != "gcp-reactive") and has_api == (stem != "gcp-reactive")


@pytest.mark.parametrize("stem", ["gcp-reactive", "gcp-proactive", "gcp-managed"])
def test_a_failed_execution_of_the_promote_job_alerts(examples, stem):
    """The promote job only creates the promote run: when it fails no run exists to raise the
    pipeline-failure alert, so Cloud Run's execution metric does, wherever there is a job."""
    bp = examples[stem]
    jobs = bp.of_type("google_cloud_run_v2_job")
    alert = policies(bp).get("promote_failed")
    assert (alert is not None) == ("promote" in jobs), stem
    if alert is None:
        return
    condition = alert["conditions"][0]["condition_threshold"][0]
    flt = condition["filter"].replace('\\"', '"')
    assert 'resource.type = "cloud_run_job"' in flt and 'metric.labels.result = "failed"' in flt
    assert f'resource.labels.job_name = "{jobs["promote"]["name"]}"' in flt
    assert 'metric.type = "run.googleapis.com/job/completed_execution_count"' in flt
    assert (condition["comparison"], condition["threshold_value"], condition["duration"]) == ("COMPARISON_GT", 0, "0s")
    assert condition["aggregations"][0]["per_series_aligner"] == "ALIGN_DELTA"
    assert alert["notification_channels"] == "${local.notification_channels}"
    assert "failed executions of the promote job" in _header(bp)


def test_model_approvers_get_a_custom_role_that_cannot_deploy():
    bp = with_extra("gcp-managed", gcp="  model_approvers: [\"group:ml-approvers@stark.example\"]\n")
    role = bp.resources[("google_project_iam_custom_role", "model_approver")]
    perms = set(role["permissions"])
    assert perms == set(gcp_pipeline.APPROVER_PERMISSIONS)
    assert "aiplatform.models.update" in perms  # mergeVersionAliases
    forbidden = ("upload", "delete", "deploy", "undeploy", "create", "setIamPolicy", "actAs")
    assert not [p for p in perms if p.rsplit(".", 1)[-1] in forbidden]
    assert not any(p.startswith(("aiplatform.endpoints.", "iam.")) and not p.endswith(".get") for p in perms)
    binding = bp.resources[("google_project_iam_member", "model_approvers")]
    assert binding["for_each"] == '${toset(["group:ml-approvers@stark.example"])}'
    assert binding["role"] == "${google_project_iam_custom_role.model_approver.name}"
    readme = bp.text("README.md")
    assert ":mergeVersionAliases" in readme and "stark-prod-model@N" in readme
    assert "gcloud scheduler jobs run stark-prod-mlops-loop" in readme


def test_a_bad_approver_member_is_a_spec_error():
    from dsaas_infra.errors import SpecError

    with pytest.raises(SpecError) as e:
        with_extra("gcp-managed", gcp="  model_approvers: [\"ml-approvers@stark.example\"]\n")
    assert "gcp.model_approvers" in str(e.value)


def test_training_jobs_run_in_the_blueprint_network(examples):
    bp = examples["gcp-managed"]
    attachment = bp.resources[("google_compute_network_attachment", "training")]
    assert attachment["subnetworks"] == ["${local.subnetwork_self_link}"]
    assert attachment["connection_preference"] == "ACCEPT_MANUAL"
    assert bp.locals["pipeline_parameters"]["training_network_attachment"] == \
        "${google_compute_network_attachment.training.id}"
    agent = bp.resources[("google_project_iam_member", "vertex_agent_network_attachment")]
    assert agent["member"].endswith("@gcp-sa-aiplatform.iam.gserviceaccount.com")


def _tasks(component: dict, out: dict) -> None:
    for name, task in component.get("dag", {}).get("tasks", {}).items():
        out[name] = task


def test_side_effecting_steps_are_never_cached(examples):
    spec = yaml.safe_load(examples["gcp-managed"].files["files/pipeline/pipeline.yaml"])
    tasks: dict[str, dict] = {}
    for component in [spec["root"], *spec["components"].values()]:
        _tasks(component, tasks)
    executors = {name: task["componentRef"]["name"] for name, task in tasks.items()}
    side_effects = ("comp-curate", "comp-train", "comp-register", "comp-deploy", "comp-monitor", "comp-approved")
    seen = set()
    for name, task in tasks.items():
        ref = executors[name]
        base = re.sub(r"-\d+$", "", ref)
        if base in side_effects:
            seen.add(base)
            assert not task.get("cachingOptions", {}).get("enableCache"), name
        elif base in ("comp-prepare", "comp-evaluate", "comp-gate"):
            assert task["cachingOptions"] == {"enableCache": True}, name  # pure: safe to reuse
    assert seen == set(side_effects)


def test_a_version_held_at_the_manual_gate_too_long_alerts(examples):
    """Manual approval (proactive and managed examples): the approved step's overdue log entry is
    matched by alert approval_overdue; the pipeline gets the same log name and days. The batch tier
    (reactive, automatic approval) holds nothing: no such alert."""
    for stem in ("gcp-proactive", "gcp-managed"):
        bp = examples[stem]
        spec = load_spec(next(p for p in example_specs() if p.stem == stem))
        policy = policies(bp)["approval_overdue"]
        condition = policy["conditions"][0]["condition_matched_log"][0]
        assert condition["filter"].replace('\\"', '"') == (f'logName="projects/{spec.gcp.project_id}/logs/'
                                       f'{gcp_pipeline.APPROVAL_OVERDUE_LOG}"')
        assert policy["notification_channels"] == "${local.notification_channels}"
        params = bp.locals["pipeline_parameters"]
        assert params["approval_overdue_log"] == gcp_pipeline.APPROVAL_OVERDUE_LOG
        assert params["approval_overdue_days"] == gcp_pipeline.APPROVAL_OVERDUE_DAYS
        perms = bp.resources[("google_project_iam_custom_role", "pipeline_run")]["permissions"]
        assert "aiplatform.models.list" in perms  # listVersions
    assert "approval_overdue" not in policies(examples["gcp-reactive"])
    assert "approval_overdue_log" not in examples["gcp-reactive"].locals["pipeline_parameters"]
