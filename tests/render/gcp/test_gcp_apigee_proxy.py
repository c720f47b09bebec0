"""The shipped Apigee proxy: its bundle (built at render time) and what its policies enforce."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest

from dsaas_infra.render import render_blueprint
from dsaas_infra.render.gcp.access import MAX_REQUEST_BYTES, PROXY_BUNDLE, PROXY_DIR, proxy_bundle
from dsaas_infra.spec import load_spec
from tests.conftest import example_specs

MANAGED = next(p for p in example_specs() if p.stem == "gcp-managed")


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return render_blueprint(load_spec(MANAGED))


def xml(files, name: str) -> ET.Element:
    return ET.fromstring(files[f"{PROXY_DIR}/apiproxy/{name}"])


def test_bundle_holds_exactly_the_rendered_sources(files):
    with zipfile.ZipFile(io.BytesIO(files[PROXY_BUNDLE])) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
        infos = zf.infolist()
    sources = {n.removeprefix(f"{PROXY_DIR}/"): b for n, b in files.items() if n.startswith(f"{PROXY_DIR}/")}
    assert entries == sources
    assert all(n.startswith("apiproxy/") for n in entries)
    assert [i.filename for i in infos] == sorted(entries)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}


def test_bundle_is_byte_identical_across_renders_and_follows_its_sources(files):
    again = render_blueprint(load_spec(MANAGED))
    assert again[PROXY_BUNDLE] == files[PROXY_BUNDLE]
    changed = dict(files)
    changed[f"{PROXY_DIR}/apiproxy/predict.xml"] = b"<APIProxy name='x'/>"
    assert proxy_bundle(changed) != files[PROXY_BUNDLE]


def test_every_policy_is_declared_shipped_and_well_formed(files):
    declared = {p.text for p in xml(files, "predict.xml").iter("Policy")}
    shipped = {n.rsplit("/", 1)[1][:-4] for n in files if n.startswith(f"{PROXY_DIR}/apiproxy/policies/")}
    assert declared == shipped
    used = set()
    for name in ("proxies/default.xml", "targets/vertex.xml"):
        used |= {s.text for s in xml(files, name).iter("Name")}
    assert shipped <= used, shipped - used
    for policy in shipped:
        assert xml(files, f"policies/{policy}.xml").get("name") == policy


def request_steps(files) -> list[tuple[str, str | None]]:
    flow = xml(files, "proxies/default.xml").find("PreFlow/Request")
    return [(s.findtext("Name"), s.findtext("Condition")) for s in flow.findall("Step")]


def test_limits_run_before_the_backend_in_order(files):
    names = [n for n, _ in request_steps(files)]
    order = ["Verify-API-Key", "Spike-Arrest", "Rate-Quota", "Quota"]
    assert [names.index(n) for n in order] == sorted(names.index(n) for n in order)
    assert names.index("Payload-Too-Large") < names.index("JSON-Threat-Protection")
    conditions = dict(request_steps(files))
    assert conditions["Payload-Too-Large"] == f"request.header.Content-Length > {MAX_REQUEST_BYTES}"
    assert conditions["Length-Required"] == "request.header.Content-Length = null"
    threat = xml(files, "policies/JSON-Threat-Protection.xml")
    assert threat.findtext("Source") == "request" and int(threat.findtext("ContainerDepth")) <= 20


def test_rate_and_burst_limits_read_the_products_attributes(files):
    consumers = re.findall(r'(spike_arrest_rate|rate_limit_per_minute)\s*=\s*"([^"]+)"', files["access.tf"].decode())
    assert ("spike_arrest_rate", "400ps") in consumers  # fleet-app: burst_limit 400
    assert ("rate_limit_per_minute", "12000") in consumers  # fleet-app: 200 requests/s
    spike = xml(files, "policies/Spike-Arrest.xml")
    assert spike.find("Rate").get("ref") == "verifyapikey.Verify-API-Key.apiproduct.spike_arrest_rate"
    assert spike.findtext("UseEffectiveCount") == "true"
    rate = xml(files, "policies/Rate-Quota.xml")
    assert rate.find("Allow").get("countRef") == "verifyapikey.Verify-API-Key.apiproduct.rate_limit_per_minute"
    assert rate.findtext("TimeUnit") == "minute"
    assert rate.find("Identifier").get("ref") == "client_id"


def test_errors_are_the_proxys_own_json(files):
    proxy = xml(files, "proxies/default.xml")
    rules = {r.get("name"): (r.findtext("Step/Name"), r.findtext("Condition")) for r in proxy.iter("FaultRule")}
    assert rules["unauthorized"][0] == "Error-Unauthorized"
    assert "SpikeArrestViolation" in rules["rate-limited"][1] and "QuotaViolation" in rules["rate-limited"][1]
    assert rules["bad-request"][0] == "Error-Bad-Request"
    assert proxy.find("DefaultFaultRule/Step/Name").text == "Error-Internal"
    target = xml(files, "targets/vertex.xml")
    target_rules = {r.findtext("Step/Name") for r in target.iter("FaultRule")}
    assert target_rules == {"Error-Backend-Rejected", "Error-Backend-Unavailable"}
    for name in ("Error-Unauthorized", "Error-Rate-Limited", "Error-Bad-Request", "Error-Backend-Rejected",
                 "Error-Backend-Unavailable", "Error-Internal"):
        policy = xml(files, f"policies/{name}.xml")
        payload = policy.find("Set/Payload")
        assert payload.get("contentType") == "application/json"
        body = payload.text
        # A fixed message: no flow variable (error.content, fault details, target response) reaches the caller.
        assert "{" + "error." not in body and "response.content" not in body and "fault." not in body
        import json
        assert json.loads(body)["error"]["status"] == int(policy.findtext("Set/StatusCode"))


MEDIA_TYPE_CONDITION = re.compile(r'not \(request\.header\.Content-Type ~~ "(?P<regex>[^"]+)"\)')


def test_only_json_bodies_reach_the_json_threat_protection(files):
    names = [n for n, _ in request_steps(files)]
    assert (names.index("Payload-Too-Large") < names.index("Unsupported-Media-Type")
            < names.index("JSON-Threat-Protection") < names.index("Remove-API-Key"))
    condition = dict(request_steps(files))["Unsupported-Media-Type"]
    m = MEDIA_TYPE_CONDITION.fullmatch(condition)
    assert m, condition
    # Apigee's ~~ is Java's String.matches (a full match); this regex reads the same in Python.
    json_types = ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"]
    other_types = ["text/plain", "application/x-www-form-urlencoded", "application/jsonp",
                   "multipart/form-data; boundary=x", "application/xml", "", "text/plain; application/json"]
    assert all(re.fullmatch(m["regex"], t) for t in json_types)
    assert not any(re.fullmatch(m["regex"], t) for t in other_types)
    fault = xml(files, "policies/Unsupported-Media-Type.xml")
    assert fault.tag == "RaiseFault"
    assert fault.findtext("FaultResponse/Set/StatusCode") == "415"
    payload = fault.find("FaultResponse/Set/Payload")
    assert payload.get("contentType") == "application/json"
    import json
    assert json.loads(payload.text)["error"]["status"] == 415
    # A RaiseFault answers for itself: the default fault rule does not overwrite it.
    proxy = xml(files, "proxies/default.xml")
    assert 'fault.name != "RaiseFault"' in proxy.findtext("DefaultFaultRule/Step/Condition")
