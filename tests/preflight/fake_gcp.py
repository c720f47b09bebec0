"""A tiny local stand-in for the Google APIs that preflight and bootstrap call (REST, JSON).

It answers Resource Manager v3 (get project, testIamPermissions), Resource Manager v1
(getEffectiveOrgPolicy), Cloud Billing (testIamPermissions on a billing account),
Compute Engine (project and region quotas), Cloud Quotas (quotaInfos of a service, one per
page), Apigee (organizations.instances.get), IAM (testIamPermissions on a service account),
Vertex AI (metadataStores.get), Compute Engine subnetworks.get and firewalls.list
and the Cloud Storage JSON API
(get and insert bucket) from an in-memory state that tests set up, and records every request.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PROJECT_STATES = {"ACTIVE": 1, "DELETE_REQUESTED": 2}


@dataclass
class FakeGcp:
    url: str = ""
    projects: dict[str, str] = field(default_factory=dict)  # project id -> state
    # project id -> number: Resource Manager then names the project by number, as Google does
    project_numbers: dict[str, str] = field(default_factory=dict)
    granted: set[str] = field(default_factory=set)  # permissions the caller holds
    granted_on: dict[str, set[str]] = field(default_factory=dict)  # project -> permissions (else granted)
    buckets: dict[str, dict] = field(default_factory=dict)  # name -> bucket resource
    # "global" or a region -> metric -> (limit, usage), as Compute Engine reports quotas.
    quotas: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    org_policies: dict[str, dict] = field(default_factory=dict)  # constraint -> effective policy
    # Cloud Quotas: service -> metric -> {region or "" (the default of every region): limit}
    quota_infos: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # billing account id -> permissions the caller holds on it
    billing_granted: dict[str, set[str]] = field(default_factory=dict)
    # "organizations/ORG/instances/NAME" -> the Apigee instance resource
    apigee_instances: dict[str, dict] = field(default_factory=dict)
    # service account e-mail -> permissions the caller holds on it (absent: the account does not exist)
    service_accounts: dict[str, set[str]] = field(default_factory=dict)
    # "projects/P/locations/R/metadataStores/NAME" -> the Vertex AI metadata store resource
    metadata_stores: dict[str, dict] = field(default_factory=dict)
    metadata_store_denied: bool = False  # metadataStores.get answers 403
    # "projects/P/regions/R/subnetworks/NAME" -> the Compute Engine subnetwork resource
    subnetworks: dict[str, dict] = field(default_factory=dict)
    # project -> its firewall rules (Compute Engine firewall resources), listed one per page
    firewalls: dict[str, list[dict]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.projects.clear()
        self.project_numbers.clear()
        self.granted.clear()
        self.granted_on.clear()
        self.buckets.clear()
        self.quotas.clear()
        self.org_policies.clear()
        self.quota_infos.clear()
        self.billing_granted.clear()
        self.apigee_instances.clear()
        self.service_accounts.clear()
        self.metadata_stores.clear()
        self.metadata_store_denied = False
        self.subnetworks.clear()
        self.firewalls.clear()
        self.requests.clear()


def _error(code: int, status: str, message: str) -> dict:
    return {"error": {"code": code, "status": status, "message": message}}


def make_handler(state: FakeGcp):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _send(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self):
            parts = urlsplit(self.path)
            state.requests.append(("GET", parts.path))
            if m := re.fullmatch(r"/v3/projects/([^/:]+)", parts.path):
                project = m.group(1)
                if project not in state.projects:
                    return self._send(404, _error(404, "NOT_FOUND", f"Project {project} not found."))
                value = state.projects[project]
                # The client asks for enums as numbers ($alt=json;enum-encoding=int), as Google answers.
                enum_int = "enum-encoding=int" in parse_qs(parts.query).get("$alt", [""])[0]
                return self._send(200, {"name": f"projects/{state.project_numbers.get(project, project)}",
                                        "projectId": project,
                                        "state": PROJECT_STATES[value] if enum_int else value})
            if m := re.fullmatch(r"/compute/v1/(projects/[^/]+/regions/[^/]+/subnetworks/[^/]+)", parts.path):
                subnet = state.subnetworks.get(m.group(1))
                if subnet is None:
                    return self._send(404, _error(404, "NOT_FOUND", f"The resource '{m.group(1)}' was not found"))
                return self._send(200, {"kind": "compute#subnetwork", "name": m.group(1).rsplit("/", 1)[-1],
                                        **subnet})
            if m := re.fullmatch(r"/compute/v1/projects/([^/]+)/global/firewalls", parts.path):
                rules = state.firewalls.get(m.group(1), [])
                start = int(parse_qs(parts.query).get("pageToken", ["0"])[0])
                fw_page: dict = {"kind": "compute#firewallList", "items": rules[start:start + 1]}
                if start + 1 < len(rules):
                    fw_page["nextPageToken"] = str(start + 1)
                return self._send(200, fw_page)
            if m := re.fullmatch(r"/compute/v1/projects/([^/]+)(?:/regions/([^/]+))?", parts.path):
                project, region = m.groups()
                if project not in state.projects:
                    return self._send(404, _error(404, "NOT_FOUND", f"The resource 'projects/{project}' was not found"))
                table = state.quotas.get(region or "global", {})
                quotas = [{"metric": k, "limit": lim, "usage": use} for k, (lim, use) in sorted(table.items())]
                kind = "compute#region" if region else "compute#project"
                return self._send(200, {"kind": kind, "name": region or project, "quotas": quotas})
            if m := re.fullmatch(r"/v1/projects/([^/]+)/locations/global/services/([^/]+)/quotaInfos", parts.path):
                if m.group(1) not in state.projects or m.group(2) not in state.quota_infos:
                    return self._send(403, _error(403, "PERMISSION_DENIED",
                                                  "Cloud Quotas API has not been used in this project"))
                infos = [{
                    "name": f"projects/{m.group(1)}/locations/global/services/{m.group(2)}/quotaInfos/{metric}",
                    "metric": metric, "service": m.group(2), "dimensions": ["region"],
                    "dimensionsInfos": [{"dimensions": {"region": r} if r else {}, "details": {"value": str(v)}}
                                        for r, v in sorted(limits.items())],
                } for metric, limits in sorted(state.quota_infos.get(m.group(2), {}).items())]
                start = int(parse_qs(parts.query).get("pageToken", ["0"])[0])
                page: dict = {"quotaInfos": infos[start:start + 1]}
                if start + 1 < len(infos):
                    page["nextPageToken"] = str(start + 1)
                return self._send(200, page)
            if m := re.fullmatch(r"/v1/(organizations/[^/]+/instances/[^/]+)", parts.path):
                instance = state.apigee_instances.get(m.group(1))
                if instance is None:
                    return self._send(404, _error(404, "NOT_FOUND", f"instance {m.group(1)} not found"))
                return self._send(200, {"name": m.group(1).rsplit("/", 1)[-1], **instance})
            if m := re.fullmatch(r"/v1/(projects/[^/]+/locations/[^/]+/metadataStores/[^/]+)", parts.path):
                if state.metadata_store_denied:
                    message = (f"Permission 'aiplatform.metadataStores.get' denied on resource "
                               f"'//aiplatform.googleapis.com/{m.group(1)}'")
                    return self._send(403, _error(403, "PERMISSION_DENIED", message))
                store = state.metadata_stores.get(m.group(1))
                if store is None:
                    return self._send(404, _error(404, "NOT_FOUND", f"MetadataStore {m.group(1)} is not found."))
                return self._send(200, {"name": m.group(1), **store})
            if m := re.fullmatch(r"/storage/v1/b/([^/]+)", parts.path):
                bucket = state.buckets.get(m.group(1))
                if bucket is None:
                    return self._send(404, _error(404, "NOT_FOUND", "The specified bucket does not exist."))
                return self._send(200, bucket)
            self._send(404, _error(404, "NOT_FOUND", f"no fake for GET {parts.path}"))

        def do_POST(self):
            parts = urlsplit(self.path)
            state.requests.append(("POST", parts.path))
            if m := re.fullmatch(r"/v3/projects/([^/:]+):testIamPermissions", parts.path):
                asked = self._body().get("permissions", [])
                held = state.granted_on.get(m.group(1), state.granted)
                return self._send(200, {"permissions": [p for p in asked if p in held]})
            if m := re.fullmatch(r"/v1/projects/([^/]+)/serviceAccounts/([^/:]+):testIamPermissions", parts.path):
                held = state.service_accounts.get(m.group(2))
                if held is None:  # as IAM answers for an account that does not exist
                    return self._send(404, _error(404, "NOT_FOUND", f"Unknown service account {m.group(2)}"))
                asked = self._body().get("permissions", [])
                return self._send(200, {"permissions": [p for p in asked if p in held]})
            if m := re.fullmatch(r"/v1/projects/([^/:]+):getEffectiveOrgPolicy", parts.path):
                if m.group(1) not in state.projects:
                    return self._send(403, _error(403, "PERMISSION_DENIED", "The caller does not have permission"))
                constraint = self._body().get("constraint", "")
                # Unset constraints come back as an empty policy naming the constraint.
                return self._send(200, {"constraint": constraint, **state.org_policies.get(constraint, {})})
            if m := re.fullmatch(r"/v1/billingAccounts/([^/:]+):testIamPermissions", parts.path):
                if m.group(1) not in state.billing_granted:
                    return self._send(403, _error(403, "PERMISSION_DENIED", "The caller does not have permission"))
                asked = self._body().get("permissions", [])
                return self._send(200, {"permissions": [p for p in asked if p in state.billing_granted[m.group(1)]]})
            if parts.path == "/storage/v1/b":
                body = self._body()
                body.update(kind="storage#bucket", id=body["name"],
                            project=parse_qs(parts.query).get("project", [""])[0])
                if body["name"] in state.buckets:
                    return self._send(409, _error(409, "ALREADY_EXISTS", "You already own this bucket."))
                state.buckets[body["name"]] = body
                return self._send(200, body)
            self._send(404, _error(404, "NOT_FOUND", f"no fake for POST {parts.path}"))

    return Handler


def start() -> tuple[FakeGcp, ThreadingHTTPServer]:
    state = FakeGcp()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
