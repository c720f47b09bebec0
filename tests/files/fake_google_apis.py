"""A local stand-in for the Google APIs the blueprint's pipeline steps call (REST, JSON), recording every request.

It answers as Google documents: OAuth token refresh, Cloud Storage JSON API (list, metadata, media
download, media upload and rewriteTo and delete with their generation preconditions), BigQuery
(jobs.insert, jobs.get, jobs.getQueryResults; the curate step's statements are recognised by their
text: the staging counts, and the export, whose watermark and partition filters it applies to the
curated rows), Dataflow (flexTemplates.launch, jobs.get), and Vertex AI (pipelineJobs list/get,
customJobs, batchPredictionJobs create/get (scoring the input with the model's model.joblib),
models.upload/get with versions and aliases, evaluations:import, endpoints
get/deployModel/undeployModel, modelDeploymentMonitoringJobs list/create/delete, pipelineJobs.create, operations),
and the metadata server's access token (Cloud Run, Compute Engine). Tests set up its state,
inject error answers (`fail`) and read `requests`.

Artifacts of kfp.local are local paths: a "gs://" URI or a "/gcs/" path that is one reads the
file system, as Vertex AI's Cloud Storage mount would read the bucket.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "fake-access-token"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: dict
    authorization: str
    raw: bytes = b""


@dataclass
class FakeGoogle:
    root: Path  # buckets live in root/<bucket>/<object>
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    # (METHOD, path regex) -> (status, JSON body): the next matching request gets this answer.
    failures: dict[tuple[str, str], tuple[int, dict]] = field(default_factory=dict)
    generations: dict[tuple[str, str], int] = field(default_factory=dict)
    # BigQuery: what the Dataflow load put into the staging table, and the curated table's rows;
    # either one value for every table, or a dict by raw dataset (staging tables <dataset>_<run>,
    # curated tables <dataset>): a dataset missing from the dict has none.
    staging_counts: tuple[int, int] | dict[str, tuple[int, int]] = (0, 0)  # good, bad
    staging_earliest: str | None = "2026-01-01T00:00:00.000000Z"  # the good rows' first event_time
    # The curated table: rows with record_id, event_time, payload and ingested_at (formatted as
    # the curate step's FORMAT_TIMESTAMP does, so that strings compare as times).
    curated_rows: list[dict] | dict[str, list[dict]] = field(default_factory=list)
    bq_now: str = "2026-01-02T00:00:00.000000Z"  # CURRENT_TIMESTAMP() of the next script
    exported: list[list[dict]] = field(default_factory=list)  # the rows of each export, in order
    exported_tables: list[str] = field(default_factory=list)  # the table of each export, in order
    export_error: dict | None = None  # the export job fails with this errorResult
    merge_error: dict | None = None  # the quarantine + MERGE transaction fails with this errorResult
    bq_jobs: dict[str, dict] = field(default_factory=dict)
    dataflow_state: str = "JOB_STATE_DONE"
    # Jobs whose inputFilePattern contains one of these end JOB_STATE_FAILED instead.
    dataflow_failing_inputs: tuple[str, ...] = ()
    dataflow_jobs: dict[str, dict] = field(default_factory=dict)  # job id -> its launch parameters
    # Vertex AI
    custom_job_state: str = "JOB_STATE_SUCCEEDED"
    run_custom_jobs: bool = True  # run the job's container command here, /gcs/ mapped to the buckets
    custom_jobs: dict[str, dict] = field(default_factory=dict)
    # Batch prediction: the state the job ends in; with JOB_STATE_SUCCEEDED the instances are
    # scored here with the model's model.joblib (as the prebuilt scikit-learn container would).
    batch_job_state: str = "JOB_STATE_SUCCEEDED"
    batch_jobs: dict[str, dict] = field(default_factory=dict)
    models: dict[str, dict] = field(default_factory=dict)  # model id -> {"versions": {id: model}, "aliases": {}}
    endpoints: dict[str, dict] = field(default_factory=dict)
    monitoring_jobs: dict[str, dict] = field(default_factory=dict)
    pipeline_jobs: list[dict] = field(default_factory=list)  # what pipelineJobs.list answers
    created_pipeline_jobs: dict[str, dict] = field(default_factory=dict)  # what pipelineJobs.create made
    # Deployments that answer with this split instead of the requested one (a split that did not take).
    served_split_override: dict[str, int] | None = None
    operations: dict[str, dict] = field(default_factory=dict)
    log_entries: list[dict] = field(default_factory=list)  # what entries:write received
    counter: int = 0

    def next_id(self) -> str:
        self.counter += 1
        return str(self.counter)

    def calls(self, method: str, pattern: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    # --- Cloud Storage -------------------------------------------------------------------------
    def put(self, bucket: str, name: str, data: bytes | str) -> None:
        path = self.root / bucket / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        self.generations[(bucket, name)] = self.generations.get((bucket, name), 0) + 1

    def objects(self, bucket: str, prefix: str = "") -> list[str]:
        base = self.root / bucket
        if not base.exists():
            return []
        return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()
                      and str(p.relative_to(base)).startswith(prefix))

    def local(self, bucket: str, name: str) -> Path:
        return Path("/" + name) if bucket == "" else self.root / bucket / name

    def gcs_path(self, path: str) -> str:
        """A /gcs/ path of a custom job -> the file here."""
        rest = path.removeprefix("/gcs/")
        return rest if rest.startswith("/") else str(self.root / rest)

    def add_model_version(self, model_id: str, project: str, region: str, artifact_uri: str,
                          aliases: tuple[str, ...] = ()) -> str:
        entry = self.models.setdefault(model_id, {"versions": {}, "aliases": {}})
        version = str(len(entry["versions"]) + 1)
        name = f"projects/{project}/locations/{region}/models/{model_id}"
        entry["versions"][version] = {"name": name, "versionId": version, "artifactUri": artifact_uri}
        for alias in aliases:
            entry["aliases"][alias] = version
        return version


def _error(code: int, status: str, message: str) -> dict:
    return {"error": {"code": code, "status": status, "message": message}}


def make_handler(state: FakeGoogle):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, code: int, body: dict | bytes) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/octet-stream" if isinstance(body, bytes)
                             else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if "json" in content_type and raw:
                body = json.loads(raw)
            elif raw:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            else:
                body = {}
            request = Request(method, path, query, body, self.headers.get("Authorization", ""), raw)
            state.requests.append(request)
            if method == "POST" and path == "/token":
                return self._send(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})
            if method == "GET" and path == "/computeMetadata/v1/instance/service-accounts/default/token":
                if self.headers.get("Metadata-Flavor") != "Google":  # as the metadata server
                    return self._send(403, _error(403, "PERMISSION_DENIED", "Missing Metadata-Flavor: Google"))
                return self._send(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})
            if request.authorization != f"Bearer {TOKEN}":
                return self._send(401, _error(401, "UNAUTHENTICATED", "Request had invalid credentials."))
            for (m, pattern), answer in list(state.failures.items()):
                if m == method and re.search(pattern, path):
                    del state.failures[(m, pattern)]
                    return self._send(*answer)
            try:
                code, answer = route(state, request)
            except KeyError as e:
                code, answer = 404, _error(404, "NOT_FOUND", f"not found: {e}")
            self._send(code, answer)

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_DELETE(self):
            self._handle("DELETE")

    return Handler


def project_number(project_id: str) -> str:
    """The fake's stable project number for a project id (Vertex names resources by number)."""
    return str(100_000_000_000 + zlib.crc32(project_id.encode()))


def _numbered(name: str) -> str:
    return re.sub(r"projects/([a-z][a-z0-9-]*)/", lambda m: f"projects/{project_number(m.group(1))}/", name)


def _by_number(job: dict) -> dict:
    return {**job, "name": _numbered(job["name"]), "endpoint": _numbered(job.get("endpoint", ""))}


def _numbered_job(job: dict) -> dict:
    return {**job, "name": _numbered(job["name"])}


def _by_id(state: FakeGoogle, name: str) -> str:
    """The stored key of a monitoring job named by project id or by number."""
    return next((key for key in state.monitoring_jobs if name in (key, _numbered(key))), name)


def _operation(state: FakeGoogle, parent: str, response: dict, done: bool = True) -> dict:
    name = f"{parent}/operations/{state.next_id()}"
    operation = {"name": name, "done": done, "response": response}
    state.operations[name] = {**operation, "done": True}
    return operation


def _per_table(value, sql: str, *, staging: bool, missing):
    """`value` itself, or with a dict by dataset the entry of the table the statement reads
    (its FROM): a staging table <dataset>_<run> (the longest dataset name that prefixes it), or
    a curated table <dataset>."""
    if not isinstance(value, dict):
        return value
    table = re.search(r"FROM `[^`]+\.([^`.]+)`", sql).group(1)
    if not staging:
        return value.get(table, missing)
    keys = [k for k in value if table.startswith(k + "_")]
    return value[max(keys, key=len)] if keys else missing


def route(state: FakeGoogle, r: Request) -> tuple[int, dict | bytes]:
    p = r.path
    # --- Cloud Storage ---------------------------------------------------------------------------
    if m := re.fullmatch(r"/storage/v1/b/([^/]*)/o", p):
        bucket, prefix = m.group(1), r.query.get("prefix", "")
        items = [{"name": n, "generation": str(state.generations.get((bucket, n), 1)),
                  "size": str(state.local(bucket, n).stat().st_size)}
                 for n in state.objects(bucket, prefix)]
        return 200, {"items": items} if items else {}
    if m := re.fullmatch(r"/upload/storage/v1/b/([^/]+)/o", p):
        bucket, name = m.group(1), r.query["name"]
        want, have = r.query.get("ifGenerationMatch"), state.generations.get((bucket, name), 0)
        if not state.local(bucket, name).exists():
            have = 0
        if want is not None and int(want) != have:
            return 412, _error(412, "FAILED_PRECONDITION", "At least one of the pre-conditions did not hold.")
        state.put(bucket, name, r.raw)
        return 200, {"name": name, "bucket": bucket, "generation": str(state.generations[(bucket, name)])}
    if m := re.fullmatch(r"/storage/v1/b/([^/]*)/o/(.+)/rewriteTo/b/([^/]+)/o/(.+)", p):
        src, dst = state.local(m.group(1), m.group(2)), state.local(m.group(3), m.group(4))
        want = r.query.get("sourceGeneration")
        if not src.exists() or (want is not None and
                                int(want) != state.generations.get((m.group(1), m.group(2)), 1)):
            return 404, _error(404, "NOT_FOUND", f"No such object: {m.group(1)}/{m.group(2)}")
        if r.query.get("ifGenerationMatch") == "0" and dst.exists():  # the destination's precondition
            return 412, _error(412, "FAILED_PRECONDITION", "At least one of the pre-conditions did not hold.")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        state.generations[(m.group(3), m.group(4))] = state.generations.get((m.group(3), m.group(4)), 0) + 1
        return 200, {"kind": "storage#rewriteResponse", "done": True, "resource": {"name": m.group(4)}}
    if m := re.fullmatch(r"/storage/v1/b/([^/]*)/o/(.+)", p):
        bucket, name = m.group(1), m.group(2)
        path = state.local(bucket, name)
        if not path.exists():
            return 404, _error(404, "NOT_FOUND", f"No such object: {bucket}/{name}")
        if r.method == "GET" and r.query.get("alt") == "media":
            return 200, path.read_bytes()
        if r.method == "DELETE":
            want = r.query.get("ifGenerationMatch")
            if want is not None and int(want) != state.generations.get((bucket, name), 1):
                return 412, _error(412, "FAILED_PRECONDITION", "At least one of the pre-conditions did not hold.")
            path.unlink()  # its generation number is kept: a new object under the name gets a higher one
            return 204, b""
        return 200, {"name": name, "bucket": bucket, "generation": str(state.generations.get((bucket, name), 1))}
    # --- BigQuery --------------------------------------------------------------------------------
    if m := re.fullmatch(r"/bigquery/v2/projects/([^/]+)/jobs", p):
        sql = r.body["configuration"]["query"]["query"]
        job_id = f"job_{state.next_id()}"
        location = r.body["jobReference"]["location"]
        rows: list = []
        if "COUNTIF" in sql:
            good, bad = _per_table(state.staging_counts, sql, staging=True, missing=(0, 0))
            # MIN over no good row is NULL.
            rows = [{"f": [{"v": str(good)}, {"v": str(bad)}, {"v": state.staging_earliest if good else None}]}]
        if "BEGIN TRANSACTION" in sql and state.merge_error:
            state.bq_jobs[job_id] = {"sql": sql, "rows": []}
            return 200, {"jobReference": {"projectId": m.group(1), "jobId": job_id, "location": location},
                         "status": {"state": "DONE", "errorResult": state.merge_error}}
        if "EXPORT DATA" in sql and state.export_error:
            state.bq_jobs[job_id] = {"sql": sql, "rows": []}
            return 200, {"jobReference": {"projectId": m.group(1), "jobId": job_id, "location": location},
                         "status": {"state": "DONE", "errorResult": state.export_error}}
        if uri := re.search(r"uri = '([^']+)'", sql):
            # The export: the rows above the watermark (and in the pending partitions), as files
            # under the URI's prefix; the script's last statement answers the mark.
            chosen = _per_table(state.curated_rows, sql, staging=False, missing=[])
            state.exported_tables.append(re.search(r"FROM `[^`]+\.([^`.]+)`", sql).group(1))
            if since := re.search(r"ingested_at > TIMESTAMP\('([^']+)'\)", sql):
                chosen = [row for row in chosen if row.get("ingested_at", "") > since.group(1)]
            if earliest := re.search(r"event_time >= TIMESTAMP\('([^']+)'\)", sql):
                chosen = [row for row in chosen if row["event_time"] >= earliest.group(1)]
            bucket, _, name = uri.group(1).removeprefix("gs://").partition("/")
            state.put(bucket, name.replace("*", "000000000000"),
                      "".join(json.dumps(row) + "\n" for row in chosen))
            state.exported.append(chosen)
            rows = [{"f": [{"v": state.bq_now}]}]
        state.bq_jobs[job_id] = {"sql": sql, "rows": rows}
        return 200, {"jobReference": {"projectId": m.group(1), "jobId": job_id, "location": location},
                     "status": {"state": "DONE"}}
    if m := re.fullmatch(r"/bigquery/v2/projects/([^/]+)/jobs/([^/]+)", p):
        job = state.bq_jobs[m.group(2)]
        return 200, {"jobReference": {"jobId": m.group(2)}, "status": {"state": "DONE"}}
    if m := re.fullmatch(r"/bigquery/v2/projects/([^/]+)/queries/([^/]+)", p):
        job = state.bq_jobs[m.group(2)]
        return 200, {"jobComplete": True, "rows": job["rows"], "totalRows": str(len(job["rows"]))}
    # --- Dataflow --------------------------------------------------------------------------------
    if re.fullmatch(r"/v1b3/projects/[^/]+/locations/[^/]+/flexTemplates:launch", p):
        job_id = f"df-{state.next_id()}"
        state.dataflow_jobs[job_id] = r.body["launchParameter"]["parameters"]
        return 200, {"job": {"id": job_id, "currentState": "JOB_STATE_QUEUED"}}
    if m := re.fullmatch(r"/v1b3/projects/[^/]+/locations/[^/]+/jobs/([^/]+)", p):
        pattern = state.dataflow_jobs.get(m.group(1), {}).get("inputFilePattern", "")
        if any(part in pattern for part in state.dataflow_failing_inputs):
            return 200, {"currentState": "JOB_STATE_FAILED"}
        return 200, {"currentState": state.dataflow_state}
    # --- Vertex AI -------------------------------------------------------------------------------
    loc = r"/v1/(projects/[^/]+/locations/[^/]+)"
    if re.fullmatch(loc + r"/pipelineJobs", p) and r.method == "GET":
        return 200, {"pipelineJobs": [_numbered_job(j) for j in state.pipeline_jobs]}
    if m := re.fullmatch(loc + r"/pipelineJobs/([^/:]+)", p):
        # pipelineJobs.get: by job id, named by project number as Vertex answers.
        found = [j for j in state.pipeline_jobs if j["name"].rsplit("/", 1)[-1] == m.group(2)]
        if not found:
            return 404, _error(404, "NOT_FOUND", f"PipelineJob {m.group(2)} not found.")
        return 200, _numbered_job(found[0])
    if re.fullmatch(r"/v1/projects/[^/]+/locations/[^/]+/(?:.*/)?operations/\d+", p):
        return 200, state.operations[p.removeprefix("/v1/")]
    if m := re.fullmatch(loc + r"/customJobs", p):
        name = f"{m.group(1)}/customJobs/{state.next_id()}"
        job = {**r.body, "name": name, "state": "JOB_STATE_PENDING"}
        state.custom_jobs[name] = job
        if state.run_custom_jobs and state.custom_job_state == "JOB_STATE_SUCCEEDED":
            container = r.body["jobSpec"]["workerPoolSpecs"][0]["containerSpec"]
            command = [sys.executable if c == "python3" else state.gcs_path(c) if c.startswith("/gcs/") else c
                       for c in container["command"] + container.get("args", [])]
            run = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
            job["log"] = run.stdout + run.stderr
            job["final"] = "JOB_STATE_SUCCEEDED" if run.returncode == 0 else "JOB_STATE_FAILED"
        else:
            job["final"] = state.custom_job_state
        return 200, {k: v for k, v in job.items() if k not in ("final", "log")}
    if re.fullmatch(r"/v1/projects/[^/]+/locations/[^/]+/customJobs/\d+", p):
        job = state.custom_jobs[p.removeprefix("/v1/")]
        answer = {**job, "state": job["final"]}
        if job["final"] != "JOB_STATE_SUCCEEDED":
            answer["error"] = {"code": 3, "message": "The replica workerpool0-0 exited with a non-zero status of 1."}
        return 200, {k: v for k, v in answer.items() if k not in ("final", "log")}
    if m := re.fullmatch(loc + r"/batchPredictionJobs", p):
        name = f"{m.group(1)}/batchPredictionJobs/{state.next_id()}"
        job = {**r.body, "name": name, "state": "JOB_STATE_PENDING", "final": state.batch_job_state}
        if state.batch_job_state in ("JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED"):
            job.update(_score(state, r.body, name.rsplit("/", 1)[-1]))
        state.batch_jobs[name] = job
        return 200, {k: v for k, v in job.items() if k != "final"}
    if re.fullmatch(r"/v1/projects/[^/]+/locations/[^/]+/batchPredictionJobs/\d+", p):
        job = state.batch_jobs[p.removeprefix("/v1/")]
        answer = {**job, "state": job["final"]}
        if job["final"] not in ("JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED"):
            answer["error"] = {"code": 13, "message": "Batch prediction job failed: the model server exited."}
        return 200, {k: v for k, v in answer.items() if k != "final"}
    if m := re.fullmatch(loc + r"/models:upload", p):
        model = r.body["model"]
        model_id = r.body.get("modelId") or r.body["parentModel"].rsplit("/", 1)[-1]
        if "modelId" in r.body and model_id in state.models:
            return 409, _error(409, "ALREADY_EXISTS", f"Model {model_id} already exists.")
        if "parentModel" in r.body and model_id not in state.models:
            return 404, _error(404, "NOT_FOUND", f"Model {model_id} not found.")
        project, region = m.group(1).split("/")[1], m.group(1).split("/")[3]
        version = state.add_model_version(model_id, project, region, model["artifactUri"])
        state.models[model_id]["versions"][version].update(model)
        # The upload is a long-running operation: not done at first, done when asked again.
        return 200, _operation(state, m.group(1), {"model": f"{m.group(1)}/models/{model_id}",
                                                   "modelVersionId": version}, done=False)
    if p == "/v2/entries:write":
        state.log_entries += r.body["entries"]
        return 200, {}
    if m := re.fullmatch(loc + r"/models/([^/@:]+):listVersions", p):
        entry = state.models[m.group(2)]
        return 200, {"models": [{**v, "versionAliases": [a for a, x in entry["aliases"].items() if x == k]}
                                for k, v in entry["versions"].items()]}
    if m := re.fullmatch(loc + r"/models/([^/@:]+)(?:@([^/:]+))?/evaluations:import", p):
        return 200, {"name": f"{m.group(1)}/models/{m.group(2)}/evaluations/{state.next_id()}",
                     **r.body["modelEvaluation"]}
    if m := re.fullmatch(loc + r"/models/([^/@:]+)(?:@([^/:]+))?", p):
        entry = state.models[m.group(2)]
        ref = m.group(3) or max(entry["versions"], key=int)
        version = entry["aliases"].get(ref, ref)
        if version not in entry["versions"]:
            return 404, _error(404, "NOT_FOUND", f"Model version {m.group(2)}@{ref} not found.")
        aliases = [a for a, v in entry["aliases"].items() if v == version]
        return 200, {**entry["versions"][version], "versionAliases": aliases}
    if m := re.fullmatch(loc + r"/endpoints/([^/:]+)(:deployModel|:undeployModel)?", p):
        endpoint = state.endpoints[m.group(2)]
        if m.group(3) == ":deployModel":
            deployed = {**r.body["deployedModel"], "id": f"dm{state.next_id()}"}
            model, _, version = deployed["model"].partition("@")
            deployed.update(model=model, modelVersionId=version or "1")
            endpoint["deployedModels"].append(deployed)
            split = {(deployed["id"] if k == "0" else k): v for k, v in r.body.get("trafficSplit", {}).items()}
            endpoint["trafficSplit"] = state.served_split_override or split
            return 200, _operation(state, m.group(1), {"deployedModel": {"id": deployed["id"]}})
        if m.group(3) == ":undeployModel":
            gone = r.body["deployedModelId"]
            endpoint["deployedModels"] = [d for d in endpoint["deployedModels"] if d["id"] != gone]
            endpoint["trafficSplit"] = {k: v for k, v in endpoint["trafficSplit"].items() if k != gone}
            return 200, _operation(state, m.group(1), {})
        return 200, {"name": f"{m.group(1)}/endpoints/{m.group(2)}", **endpoint}
    if m := re.fullmatch(loc + r"/pipelineJobs", p):
        name = f"{m.group(1)}/pipelineJobs/{state.next_id()}"
        state.created_pipeline_jobs[name] = {**r.body, "name": name, "state": "PIPELINE_STATE_PENDING",
                                             "createTime": "2026-01-01T12:00:00Z"}
        state.pipeline_jobs.append(state.created_pipeline_jobs[name])  # listed and read as Vertex does
        return 200, state.created_pipeline_jobs[name]
    if m := re.fullmatch(loc + r"/modelDeploymentMonitoringJobs", p):
        if r.method == "GET":
            # As Vertex does: resource names carry the project NUMBER, not the id the caller used,
            # and the list is paged (one job per page here, so a caller that ignores nextPageToken
            # misses jobs).
            jobs = [_by_number(job) for job in state.monitoring_jobs.values()]
            start = int(r.query.get("pageToken", "0"))
            page = {"modelDeploymentMonitoringJobs": jobs[start:start + 1]}
            if start + 1 < len(jobs):
                page["nextPageToken"] = str(start + 1)
            return 200, page
        name = f"{m.group(1)}/modelDeploymentMonitoringJobs/{state.next_id()}"
        state.monitoring_jobs[name] = {**r.body, "name": name, "state": "JOB_STATE_PENDING"}
        return 200, state.monitoring_jobs[name]
    if m := re.fullmatch(loc + r"/modelDeploymentMonitoringJobs/\d+", p):
        if r.method == "DELETE":
            state.monitoring_jobs.pop(_by_id(state, p.removeprefix("/v1/")))
            return 200, _operation(state, m.group(1), {})
    return 404, _error(404, "NOT_FOUND", f"no fake for {r.method} {p}")


def _score(state: FakeGoogle, body: dict, job_id: str) -> dict:
    """Score a batch prediction job's JSON Lines input with the model version's model.joblib:
    each object's includedFields, in that order, as the array instance the model takes. Lines
    missing a field are errors. Returns the job's outputInfo and completionStats."""
    import joblib

    ref = body["model"].rsplit("/", 1)[-1]
    model_id, _, version = ref.partition("@")
    entry = state.models[model_id]
    uri = entry["versions"][entry["aliases"].get(version, version)]["artifactUri"].rstrip("/")
    bucket, _, prefix = uri.removeprefix("gs://").partition("/")
    estimator = joblib.load(state.local(bucket, f"{prefix}/model.joblib".lstrip("/")))
    fields = body["instanceConfig"]["includedFields"]
    good, bad = [], []
    for source in body["inputConfig"]["gcsSource"]["uris"]:
        src_bucket, _, name = source.removeprefix("gs://").partition("/")
        for line in state.local(src_bucket, name).read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if any(f not in record for f in fields):
                bad.append({"instance": record, "error": {"code": 3, "message": "missing field"}})
                continue
            instance = [record[f] for f in fields]
            good.append({"instance": instance, "prediction": float(estimator.predict([instance])[0])})
    out_bucket, _, out_prefix = body["outputConfig"]["gcsDestination"]["outputUriPrefix"] \
        .removeprefix("gs://").partition("/")
    folder = f"{out_prefix.rstrip('/')}/prediction-model-{job_id}"
    state.put(out_bucket, f"{folder}/predictions_00001.jsonl", "".join(json.dumps(g) + "\n" for g in good))
    state.put(out_bucket, f"{folder}/errors_00001.jsonl", "".join(json.dumps(b) + "\n" for b in bad))
    return {"outputInfo": {"gcsOutputDirectory": f"gs://{out_bucket}/{folder}"},
            "completionStats": {"successfulCount": str(len(good)), "failedCount": str(len(bad)),
                                "incompleteCount": "0"}}


# The IAM permission Vertex AI checks for each REST method the steps call (Vertex AI's API
# reference, "IAM permissions" of each method; long-running operations: operations.list).
VERTEX_PERMISSIONS = [
    ("GET", r"/pipelineJobs", "aiplatform.pipelineJobs.list"),
    ("GET", r"/pipelineJobs/[^/]+", "aiplatform.pipelineJobs.get"),
    ("POST", r"/pipelineJobs", "aiplatform.pipelineJobs.create"),
    ("POST", r"/customJobs", "aiplatform.customJobs.create"),
    ("GET", r"/customJobs/[^/]+", "aiplatform.customJobs.get"),
    ("POST", r"/batchPredictionJobs", "aiplatform.batchPredictionJobs.create"),
    ("GET", r"/batchPredictionJobs/[^/]+", "aiplatform.batchPredictionJobs.get"),
    ("GET", r"/models/[^/:]+", "aiplatform.models.get"),
    ("GET", r"/models/[^/:]+:listVersions", "aiplatform.models.list"),
    ("POST", r"/models:upload", "aiplatform.models.upload"),
    ("POST", r"/models/[^/:]+/evaluations:import", "aiplatform.modelEvaluations.import"),
    ("GET", r"/(?:.*/)?operations/[^/]+", "aiplatform.operations.list"),
    ("GET", r"/endpoints/[^/:]+", "aiplatform.endpoints.get"),
    ("POST", r"/endpoints/[^/:]+:deployModel", "aiplatform.endpoints.deploy"),
    ("POST", r"/endpoints/[^/:]+:undeployModel", "aiplatform.endpoints.undeploy"),
    ("GET", r"/modelDeploymentMonitoringJobs", "aiplatform.modelDeploymentMonitoringJobs.list"),
    ("POST", r"/modelDeploymentMonitoringJobs", "aiplatform.modelDeploymentMonitoringJobs.create"),
    ("DELETE", r"/modelDeploymentMonitoringJobs/[^/]+", "aiplatform.modelDeploymentMonitoringJobs.delete"),
]


def vertex_permission(request: Request) -> str | None:
    """The permission a Vertex AI request needs; None for other APIs; KeyError for a Vertex
    method this table does not know yet (add it, and to the role that needs it)."""
    m = re.fullmatch(r"/v1/projects/[^/]+/locations/[^/]+(/.*)", request.path)
    if not m:
        return None
    for method, pattern, permission in VERTEX_PERMISSIONS:
        if request.method == method and re.fullmatch(pattern, m.group(1)):
            return permission
    raise KeyError(f"no permission known for {request.method} {request.path}")


def start(root: Path) -> tuple[FakeGoogle, ThreadingHTTPServer]:
    state = FakeGoogle(root=root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
