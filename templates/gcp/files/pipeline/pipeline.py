"""The blueprint's Vertex AI Pipelines (KFP v2) pipeline: one run of the MLOps loop.

curate -> prepare -> train -> evaluate -> register -> gate -> deploy -> monitor
(batch tier, no endpoint: ... -> register -> gate -> batch predict)

Cloud Scheduler starts a run on the data schedule (pipelineJobs.create with the compiled spec,
pipeline.yaml, and the client's parameter values: see pipeline.tf). Nothing here is specific to
one client: every value comes in as a pipeline parameter.

- single run: of the loop's active runs (scheduled and promote runs) only the earliest works: a
  launch Cloud Scheduler retried, or a run still going at the next slot, ends at once; a promote
  run (or a run given approved_model) that is not the earliest fails without deploying.
- curate: requeues the files a dead run left in processing/, claims the new raw files
  (incoming/ -> processing/<run>/), loads them with Google's "Text Files on Cloud Storage to
  BigQuery" Dataflow Flex Template into a staging table (the UDF marks malformed lines instead of
  failing; the staging dataset's tables expire), quarantines the marked rows and MERGEs the good
  ones into the curated table on record_id in one transaction (idempotent: a re-delivered file or
  a retried run changes nothing twice), exports the rows merged since the last export's
  watermark, and moves the files to processed/<run>/.
- prepare: the pluggable step that turns curated rows into the training set (label first, numeric
  features after, as CSV) and a held-out test set, streaming every export through bounded
  spools; no usable rows is a failure, not a success.
- train: a Vertex AI custom job on the spec's machine type, in the blueprint's network when one is
  peered, running train.py (uploaded next to this file) in the serving container.
- evaluate: metrics on the held-out set, stored with the model version.
- register: a new version of the model in the Vertex AI Model Registry with its evaluation.
- gate: manual approval (the version waits in the registry) or the spec's metric threshold.
- promotion (promote runs only, started by the blueprint's promote job): the approved version
  becomes the champion with all traffic; the deploy and monitor steps follow it.
- deploy: the new version on the endpoint with the variants' traffic split, replica counts and
  machine type; success only once the endpoint serves that split; older versions are undeployed.
- monitor: the endpoint's drift monitoring job, alerting the notification channels.
- batch predict (the batch tier, instead of deploy and monitor): the new input under
  inference/incoming/ of the raw bucket, claimed per run, scored by a Vertex AI batch prediction
  job with the version the gate passed (or the approved one), predictions under predictions/<run>/
  of the artifacts bucket.

Steps that change something outside their own outputs (curate, train, register, deploy, monitor,
approved, batch predict) are never cached: a cached step would report success without doing its work. Every
step that calls Google takes `api_endpoint` (empty: Google's own endpoints), as Google's client
libraries take client_options, so the steps run against a local fake in the blueprint's tests.

Recompile after a change (the blueprint's tests check the two are the same):
    python pipeline.py pipeline.yaml
"""


import sys

from kfp import compiler, dsl
from kfp.dsl import Artifact, Dataset, Input, Metrics, Model, Output

PYTHON_IMAGE = "python:3.11-slim"
# Vertex AI's prebuilt scikit-learn serving container: it serves the model, and train and evaluate
# run in it too, so the three use the same scikit-learn.
SKLEARN_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"
# The Google client code the cloud steps need (pinned: a run is reproducible).
GOOGLE_PACKAGES = ["google-auth==2.63.0", "requests==2.33.0"]


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def single_run(
    project: str,
    region: str,
    run_id: str,
    display_name: str,
    api_endpoint: str = "",
    promote: bool = False,
    approved_model: str = "",
) -> str:
    """"run", or "skip" when an earlier run of this loop is still active.

    Cloud Scheduler retries a launch whose answer it did not get (a timeout, a 5xx after the job
    was created): pipelineJobs.create then starts a second run of the same slot, a slow run can
    still be going at the next slot, and an approver can start a promote run at any time. Every
    run that changes the curated table or the endpoint passes here first: of the active runs of
    this loop (display name `display_name`, or `display_name` + " (promote)" for the promote job's
    runs), only the earliest created works. A scheduled run that gives way ends green (its log
    says which run it gave way to); a run a human started (promote, or approved_model given)
    fails instead, so that the approver sees it did nothing and runs it again later.
    "" as display_name: no check (a run started by hand outside the loop's names).

    This run's own creation time comes from reading this job (pipelineJobs.get, consistent),
    never from the list (eventually consistent: a job may be missing from it for a moment); a
    run that cannot read its own job fails rather than guess.
    """
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    if not display_name:
        return "run"
    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)
    base = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"
    jobs_url = f"{base}/projects/{project}/locations/{region}/pipelineJobs"
    by_hand = promote or bool(approved_model)

    def call(url, params=None):
        response = http.get(url, params=params, timeout=120)
        if response.status_code >= 400:
            raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:2000]}")
        return response.json()

    def job_id(job):  # Vertex names jobs by project number: compare the job id, the last segment
        return job["name"].rsplit("/", 1)[-1]

    mine_id = run_id.rsplit("/", 1)[-1]
    mine = call(f"{jobs_url}/{mine_id}")
    if not mine.get("createTime"):
        raise RuntimeError(f"single_run: pipeline job {mine_id} has no createTime: cannot order the runs")
    order = (mine["createTime"], mine_id)
    names = (display_name, display_name + " (promote)")
    active = ("PIPELINE_STATE_QUEUED", "PIPELINE_STATE_PENDING", "PIPELINE_STATE_RUNNING",
              "PIPELINE_STATE_PAUSED", "PIPELINE_STATE_CANCELLING")
    # Only the state is filtered by Vertex (few jobs are active at once); the names here.
    flt = " OR ".join(f'state="{s}"' for s in active)
    jobs, token = [], None
    while True:
        params = {"filter": flt}
        if token:
            params["pageToken"] = token
        page = call(jobs_url, params)
        jobs += page.get("pipelineJobs", [])
        token = page.get("nextPageToken")
        if not token:
            break
    # A job without a createTime counts as earlier: giving way is the safe side.
    earlier = [j for j in jobs if j.get("displayName") in names and j.get("state") in active
               and job_id(j) != mine_id and (j.get("createTime", ""), job_id(j)) < order]
    if not earlier:
        return "run"
    first = min(earlier, key=lambda j: (j.get("createTime", ""), job_id(j)))
    message = (f"single_run: {first['name']} ({first.get('displayName')}, created "
               f"{first.get('createTime')}) is still active")
    if by_hand:
        raise RuntimeError(message + ": this run started by hand deploys nothing; start it again "
                           "once that run has ended")
    print(message + ": this run does nothing")
    return "skip"


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def curate(
    project: str,
    region: str,
    run_id: str,
    raw_bucket: str,
    dataflow_bucket: str,
    artifacts_bucket: str,
    dataset: str,
    datasets: list,
    training_dataset: str,
    template: str,
    dataflow_service_account: str,
    subnetwork: str,
    kms_key: str,
    machine_type: str,
    max_workers: int,
    snapshot: Output[Dataset],
    report: Output[Artifact],
    training_enabled: bool = True,
    api_endpoint: str = "",
    lock_wait_seconds: int = 3600,
    lock_lease_seconds: int = 3600,
    staging_dataset: str = "",
    compact_after: int = 30,
) -> str:
    """Load each raw dataset's new files into its curated table and export what changed; returns
    "train" when the training dataset holds rows the last trained model was not trained on (and
    training_enabled), "skip" otherwise (no new input: the run's training steps do not run).

    Every name in `datasets` is one raw dataset: its files arrive under incoming/<dataset>/, its
    curated table `dataset`.<dataset> (one row per record_id) and its quarantine table
    <dataset>_quarantine are its own, and so are its export watermark
    (gs://<artifacts>/curated/datasets/<dataset>/export_state.json) and exports
    (curated/datasets/<dataset>/exports/<run>/). `snapshot` names the exports of
    `training_dataset` (prepare reads all of them). Files under incoming/ outside every dataset's
    prefix are left there and reported (they are never loaded).

    Only new input costs anything: the files claimed from incoming/<dataset>/ are loaded, and a
    dataset's export holds only the curated rows merged since its last export, reading only the
    partitions they are in. Every `compact_after` exports of a dataset, one is of its whole table
    and the older ones are deleted (0: never). The MERGEs, exports and watermarks are done under a
    lock (gs://<artifacts>/curated/lock, with a lease), so two runs never merge at once.

    Loud outcomes: a dataset whose Dataflow load fails keeps its files in processing/<run>/ and
    fails the run once the other datasets are committed; a dataset whose new lines were all
    quarantined is committed (the lines are in its quarantine table, the files move on) and then
    fails the run with the counts: a source that changed its format is never a green run.
    A failure at any step commits nothing half: a retry of the run loads the files still in
    processing/<run>/ again (with a fresh staging table), and once the run has ended, the next
    run requeues them.
    """
    import hashlib
    import json
    import re
    import time
    import urllib.parse

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)

    def request(method, url, **kwargs):
        return http.request(method, url, timeout=120, **kwargs)

    def call(method, url, **kwargs):
        response = request(method, url, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:2000]}")
        return response.json() if response.content else {}

    def wait(poll, done):  # 1 s, 2 s, 4 s ... up to a minute between polls
        delay, state = 1, poll()
        while not done(state):
            time.sleep(delay)
            delay = min(delay * 2, 60)
            state = poll()
        return state

    names = list(datasets)
    if not names or len(set(names)) != len(names) or not all(
            isinstance(n, str) and re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", n) for n in names):
        raise ValueError(f"datasets must be distinct snake_case names, not {datasets!r}")
    if training_enabled and training_dataset not in names:
        raise ValueError(f"training_dataset {training_dataset!r} is not one of the datasets {names}")
    run = re.sub(r"[^a-z0-9_]", "_", run_id.lower())[-40:]
    root = api_endpoint or "https://storage.googleapis.com"
    storage = root + "/storage/v1"

    def quoted(name):
        return urllib.parse.quote(name, safe="")

    def listing(bucket, prefix):
        token, out = None, []
        while True:
            params = {"prefix": prefix, "fields": "items(name,generation),nextPageToken"}
            if token:
                params["pageToken"] = token
            page = call("GET", f"{storage}/b/{bucket}/o", params=params)
            out += [o for o in page.get("items", []) if not o["name"].endswith("/")]
            token = page.get("nextPageToken")
            if not token:
                return out

    def objects(prefix):
        return listing(raw_bucket, prefix)

    def copy(obj, new_name, if_absent=False):
        """Copy exactly the listed generation; False when it is gone (another run claimed it),
        or with if_absent when new_name exists already."""
        params = {"sourceGeneration": obj["generation"]}
        if if_absent:
            params["ifGenerationMatch"] = "0"
        while True:  # rewriteTo may need several calls for large objects
            response = request("POST", f"{storage}/b/{raw_bucket}/o/{quoted(obj['name'])}/rewriteTo/b/"
                               f"{raw_bucket}/o/{quoted(new_name)}", params=params, json={})
            if response.status_code == 404 or (if_absent and response.status_code == 412):
                return False
            if response.status_code >= 400:
                raise RuntimeError(f"rewrite {obj['name']}: {response.status_code} {response.text[:2000]}")
            result = response.json()
            if result.get("done"):
                return True
            params = {**params, "rewriteToken": result["rewriteToken"]}

    def remove(name, generation):
        """Delete one generation; False when it is not there any more (or was replaced)."""
        response = request("DELETE", f"{storage}/b/{raw_bucket}/o/{quoted(name)}",
                           params={"ifGenerationMatch": generation})
        if response.status_code in (404, 412):
            return False
        if response.status_code >= 400:
            raise RuntimeError(f"delete {name}: {response.status_code} {response.text[:2000]}")
        return True

    # --- State shared by the runs, in the artifacts bucket (only the pipeline writes there) ---
    state_dir = "curated"
    lock_name = f"{state_dir}/lock"

    def own(name):  # a dataset's state: its export watermark, its exports, the last trained mark
        return f"{state_dir}/datasets/{name}"

    def read(name):
        """(JSON content, generation) of an artifacts object, or (None, None) if there is none."""
        meta = request("GET", f"{storage}/b/{artifacts_bucket}/o/{quoted(name)}")
        if meta.status_code == 404:
            return None, None
        if meta.status_code >= 400:
            raise RuntimeError(f"read {name}: {meta.status_code} {meta.text[:2000]}")
        generation = meta.json()["generation"]
        body = call("GET", f"{storage}/b/{artifacts_bucket}/o/{quoted(name)}",
                    params={"alt": "media", "generation": generation})
        return body, generation

    def write(name, content, if_generation=None):
        """Upload JSON; with if_generation only over that generation ("0": only if absent).
        Returns the new generation, or None when the precondition failed."""
        params = {"uploadType": "media", "name": name}
        if if_generation is not None:
            params["ifGenerationMatch"] = if_generation
        response = request("POST", f"{root}/upload/storage/v1/b/{artifacts_bucket}/o", params=params,
                           data=json.dumps(content), headers={"Content-Type": "application/json"})
        if response.status_code == 412:
            return None
        if response.status_code >= 400:
            raise RuntimeError(f"write {name}: {response.status_code} {response.text[:2000]}")
        return response.json()["generation"]

    # 1. Files a dead run left in processing/<its run>/<dataset>/ go back to
    #    incoming/<dataset>/requeued-<its run>/, so that this run loads them: a failed run (the
    #    pipeline-failure alert fired for it) never strands input. A run is dead when its pipeline
    #    job, named in curated/runs/<run>.json, has ended without moving its files on (or is gone).
    vertex = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"
    ended = ("PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED")
    others = {}
    for obj in objects("processing/"):
        owner = obj["name"].split("/")[1]
        if owner != run:
            others.setdefault(owner, []).append(obj)
    for owner, leftovers in sorted(others.items()):
        marker, _ = read(f"{state_dir}/runs/{owner}.json")
        if marker is None:
            print(f"curate: processing/{owner}/ has {len(leftovers)} file(s) and no run record: left alone")
            continue
        job = request("GET", f"{vertex}/projects/{project}/locations/{region}/pipelineJobs/"
                      f"{marker['job'].rsplit('/', 1)[-1]}")
        if job.status_code >= 400 and job.status_code != 404:
            raise RuntimeError(f"pipeline job of run {owner}: {job.status_code} {job.text[:2000]}")
        if job.status_code != 404 and job.json().get("state") not in ended:
            continue  # still working on them
        for obj in leftovers:
            rel = obj["name"][len(f"processing/{owner}/"):]
            first, _, rest = rel.partition("/")
            name = (f"incoming/{first}/requeued-{owner}/{rest}" if rest and first in names
                    else f"incoming/requeued-{owner}/{rel}")
            if copy(obj, name, if_absent=True):
                remove(obj["name"], obj["generation"])
        print(f"curate: run {owner} ended with {len(leftovers)} file(s) in processing/{owner}/: "
              f"requeued under incoming/<dataset>/requeued-{owner}/")

    # 2. Claim each dataset's new input. A file belongs to the run whose delete of the listed
    #    generation succeeds: two runs that list and copy the same file never both load it (the
    #    other deletes its copy), and a newer upload under the same name stays new. The run record
    #    comes first: files in processing/<run>/ always name their run.
    record_name = f"{state_dir}/runs/{run}.json"
    record = {"job": run_id, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if write(record_name, record, if_generation="0") is None:
        record, _ = read(record_name)
        print(f"curate: run {run} was here before (a retry): its files in processing/{run}/ are loaded again")
    unassigned = []
    for obj in objects("incoming/"):
        ds, _, rest = obj["name"][len("incoming/"):].partition("/")
        if ds not in names or not rest:
            unassigned.append(obj["name"])
            continue
        name = f"processing/{run}/{ds}/{rest}"
        if not copy(obj, name):
            print(f"curate: {obj['name']} was claimed by another run")
            continue
        if not remove(obj["name"], obj["generation"]):
            print(f"curate: {obj['name']} was claimed by another run (or replaced): not loading it here")
            for mine in objects(name):
                if mine["name"] == name:
                    remove(name, mine["generation"])
            continue
    if unassigned:
        print(f"curate: WARNING: {len(unassigned)} file(s) under incoming/ belong to no dataset "
              f"(incoming/<dataset>/..., datasets {names}) and are not loaded: {unassigned[:10]}")
    # What this run loads: everything in processing/<run>/<dataset>/, so a retry of this run
    # (Vertex AI's retry of a failed run) loads a failed attempt's files with its own new ones.
    claimed = {ds: [o["name"] for o in objects(f"processing/{run}/{ds}/")] for ds in names}

    def acquire():
        deadline = time.time() + lock_wait_seconds
        delay = 5
        while True:
            mine = {"run": run, "expires": time.time() + lock_lease_seconds}
            generation = write(lock_name, mine, if_generation="0")
            if generation is not None:
                return generation
            held, held_generation = read(lock_name)
            if held is not None and held["expires"] < time.time():
                # The holder's lease ran out (its run died): take over exactly that generation.
                generation = write(lock_name, mine, if_generation=held_generation)
                if generation is not None:
                    print(f"curate: took over the lock of run {held['run']} (lease expired)")
                    return generation
                continue
            if time.time() >= deadline:
                raise RuntimeError(
                    f"curate: the curated tables are locked by run {held and held['run']} "
                    f"(gs://{artifacts_bucket}/{lock_name}) for more than {lock_wait_seconds} s: the "
                    f"files stay in processing/{run}/")
            time.sleep(delay)
            delay = min(delay * 2, 60)

    def release(generation):
        response = request("DELETE", f"{storage}/b/{artifacts_bucket}/o/{quoted(lock_name)}",
                           params={"ifGenerationMatch": generation})
        if response.status_code in (404, 412):
            print("curate: the lock was taken over while this run held it (lease too short?)")
        elif response.status_code >= 400:
            raise RuntimeError(f"release the lock: {response.status_code} {response.text[:2000]}")

    bq = (api_endpoint or "https://bigquery.googleapis.com") + f"/bigquery/v2/projects/{project}"

    def query(sql):
        job = call("POST", f"{bq}/jobs", json={
            "configuration": {"query": {"query": sql, "useLegacySql": False}},
            "jobReference": {"projectId": project, "location": region},
        })
        ref = job["jobReference"]
        job = wait(lambda: job if job.get("status", {}).get("state") == "DONE" else call(
            "GET", f"{bq}/jobs/{ref['jobId']}", params={"location": ref["location"]}),
            lambda j: j.get("status", {}).get("state") == "DONE")
        if job["status"].get("errorResult"):
            raise RuntimeError(f"BigQuery job {ref['jobId']} failed: {job['status']['errorResult']}")
        return call("GET", f"{bq}/queries/{ref['jobId']}", params={"location": ref["location"]})

    def values(result):
        return [v["v"] for v in result["rows"][0]["f"]]

    stamp = "'%Y-%m-%dT%H:%M:%E6SZ'"  # fixed width: these strings sort as the times do
    # The staging tables live in a dataset of their own whose tables expire (data.tf): one a
    # failed run leaves behind costs nothing for long.
    staging_of = {ds: (f"{ds}_{run}", f"`{project}.{staging_dataset or dataset}.{ds}_{run}`") for ds in names}
    counts = {ds: {"files": len(claimed[ds]), "loaded": 0, "quarantined": 0, "exported_since": None,
                   "status": "no new input"} for ds in names}
    failures = []
    dataflow = (api_endpoint or "https://dataflow.googleapis.com") + f"/v1b3/projects/{project}/locations/{region}"

    def job_name(ds):  # unique per dataset among the run's jobs, at most 63 characters
        name = f"curate-{ds}-{run}".replace("_", "-")
        if len(name) > 63:
            name = name[:50].rstrip("-") + "-" + hashlib.sha256(name.encode()).hexdigest()[:12]
        return name

    # 3. Dataflow: each dataset's files -> a fresh staging table of its own (the UDF never
    #    throws). The jobs run side by side; a staging table a failed attempt of this run left is
    #    dropped first: the load is of every file in processing/<run>/<dataset>/ again.
    jobs = {}
    for ds in names:
        if not claimed[ds]:
            continue
        staging_id, staging = staging_of[ds]
        query(f"DROP TABLE IF EXISTS {staging}")
        launch = call("POST", f"{dataflow}/flexTemplates:launch", json={
            "launchParameter": {
                "jobName": job_name(ds),
                "containerSpecGcsPath": template,
                "parameters": {
                    "inputFilePattern": f"gs://{raw_bucket}/processing/{run}/{ds}/**",
                    "JSONPath": f"gs://{dataflow_bucket}/schema/staging_schema.json",
                    "outputTable": f"{project}:{staging_dataset or dataset}.{staging_id}",
                    "javascriptTextTransformGcsPath": f"gs://{dataflow_bucket}/udf/transform.js",
                    "javascriptTextTransformFunctionName": "transform",
                    "bigQueryLoadingTemporaryDirectory": f"gs://{dataflow_bucket}/bq-temp",
                },
                "environment": {
                    "serviceAccountEmail": dataflow_service_account,
                    "tempLocation": f"gs://{dataflow_bucket}/temp",
                    "stagingLocation": f"gs://{dataflow_bucket}/staging",
                    "subnetwork": subnetwork,
                    "ipConfiguration": "WORKER_IP_PRIVATE",
                    "kmsKeyName": kms_key,
                    "machineType": machine_type,
                    "maxWorkers": max_workers,
                },
            }
        })
        jobs[ds] = launch["job"]["id"]
    loaded = []
    for ds, job_id in jobs.items():
        state = wait(lambda job_id=job_id: call("GET", f"{dataflow}/jobs/{job_id}").get("currentState", ""),
                     lambda s: s in ("JOB_STATE_DONE", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"))
        if state == "JOB_STATE_DONE":
            loaded.append(ds)
        else:
            counts[ds]["status"] = "load failed"
            failures.append(f"dataset {ds}: Dataflow job {job_id} ended {state}: its "
                            f"{len(claimed[ds])} file(s) stay in processing/{run}/{ds}/")

    def curate_one(ds, export_state):
        """Quarantine + MERGE of a loaded dataset (one transaction); returns the good rows."""
        _, staging = staging_of[ds]
        target, quarantine = f"`{project}.{dataset}.{ds}`", f"`{project}.{dataset}.{ds}_quarantine`"
        good, bad, earliest = values(query(
            "SELECT COUNTIF(error IS NULL) AS good, COUNTIF(error IS NOT NULL) AS bad, "
            f"FORMAT_TIMESTAMP({stamp}, MIN(IF(error IS NULL, event_time, NULL))) AS earliest "
            f"FROM {staging}"))
        good, bad = int(good or 0), int(bad or 0)
        counts[ds].update(loaded=good, quarantined=bad)
        if good and earliest:
            # Before the MERGE: should the export below fail, the next run still knows the
            # earliest partition holding rows that are not exported yet.
            pending = export_state["pending_since"]
            export_state["pending_since"] = min(pending, earliest) if pending else earliest
            write(f"{own(ds)}/export_state.json", export_state)
        # One transaction: the quarantine rows and the MERGE commit together or not at all
        # (a failure rolls both back; the run fails, the files stay in processing/<run>/).
        # A retry of the same run commits nothing twice: the MERGE is idempotent on
        # record_id, and a rejected line this run already quarantined (in a partition since
        # the run record, a day's margin) is not inserted again. The DROP is DDL, which
        # BigQuery does not allow in a transaction: it comes after the COMMIT (a staging table
        # it misses expires with its dataset's default). ingested_at: when the row was merged
        # (BigQuery's clock, under the lock), so that every row merged after an export is
        # above that export's watermark.
        query(f"""
BEGIN
  BEGIN TRANSACTION;
  INSERT INTO {quarantine} (run_id, line, error, quarantined_at)
  SELECT '{run}', s.payload, s.error, CURRENT_TIMESTAMP() FROM {staging} AS s
  WHERE s.error IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM {quarantine} AS q
    WHERE q.run_id = '{run}' AND q.line IS NOT DISTINCT FROM s.payload AND q.error = s.error
      AND q.quarantined_at >= TIMESTAMP_SUB(TIMESTAMP('{record["since"]}'), INTERVAL 1 DAY));
  MERGE {target} AS t
  USING (
    SELECT * EXCEPT (error) FROM {staging} WHERE error IS NULL
    QUALIFY ROW_NUMBER() OVER (PARTITION BY record_id ORDER BY event_time DESC, ingested_at DESC) = 1
  ) AS s
  ON t.record_id = s.record_id
  WHEN MATCHED AND s.event_time >= t.event_time THEN
    UPDATE SET event_time = s.event_time, source = s.source, payload = s.payload, ingested_at = CURRENT_TIMESTAMP()
  WHEN NOT MATCHED THEN
    INSERT (record_id, event_time, source, payload, ingested_at)
    VALUES (s.record_id, s.event_time, s.source, s.payload, CURRENT_TIMESTAMP());
  COMMIT TRANSACTION;
EXCEPTION WHEN ERROR THEN
  ROLLBACK TRANSACTION;
  RAISE USING MESSAGE = @@error.message;
END;
DROP TABLE IF EXISTS {staging};
""")
        return good, bad

    def export_one(ds, export_state):
        """5. Export what was merged since the watermark (the whole table on a first export or a
        compaction), then move the watermark to the export's own start: rows merged later are
        above it. Nothing pending: nothing to export (and no query at all)."""
        exports = f"gs://{artifacts_bucket}/{own(ds)}/exports/"
        if not export_state["pending_since"]:
            return export_state["watermark"]
        since = export_state["watermark"]
        where = ""
        # Compaction: with compact_after exports already there, this export is of the whole
        # table (every record's latest version), and the older ones are deleted after it, so
        # prepare reads one full export and fewer than compact_after deltas, not the history.
        # (Runs work one at a time, single_run: no prepare reads them meanwhile.)
        at = own(ds).count("/") + 2  # the <run> segment of <own>/exports/<run>/<part>
        older = sorted({o["name"].split("/")[at] for o in listing(artifacts_bucket, f"{own(ds)}/exports/")
                        if o["name"].count("/") > at} - {run})
        compact = since is not None and compact_after > 0 and len(older) >= compact_after
        if compact:
            print(f"curate: {ds}: {len(older)} exports: this one is of the whole table, the older ones go")
            since = None
        if since is not None:
            where = (f"WHERE ingested_at > TIMESTAMP('{since}') AND ingested_at <= mark"
                     f" AND event_time >= TIMESTAMP('{export_state['pending_since']}')")
        (mark,) = values(query(f"""
DECLARE mark TIMESTAMP DEFAULT CURRENT_TIMESTAMP();
EXPORT DATA OPTIONS (uri = '{exports}{run}/part-*.json', format = 'JSON', overwrite = true) AS
SELECT record_id, FORMAT_TIMESTAMP({stamp}, event_time) AS event_time, payload,
       FORMAT_TIMESTAMP({stamp}, ingested_at) AS ingested_at
FROM `{project}.{dataset}.{ds}` {where};
SELECT FORMAT_TIMESTAMP({stamp}, mark) AS mark;
"""))
        counts[ds]["exported_since"] = since
        write(f"{own(ds)}/export_state.json", {"watermark": mark, "pending_since": None, "run": run})
        if compact:
            for obj in listing(artifacts_bucket, f"{own(ds)}/exports/"):
                if obj["name"].split("/")[at] in older:
                    response = request("DELETE", f"{storage}/b/{artifacts_bucket}/o/{quoted(obj['name'])}")
                    if response.status_code >= 400 and response.status_code != 404:
                        raise RuntimeError(f"delete {obj['name']}: {response.status_code} {response.text[:2000]}")
        return mark

    # 4-6. Under the lock, dataset by dataset: quarantine + MERGE, export, then its files move
    #      on (processing/<run>/<dataset>/ -> processed/<run>/<dataset>/).
    watermarks = {}
    lock = acquire()
    try:
        for ds in names:
            export_state, _ = read(f"{own(ds)}/export_state.json")
            export_state = export_state or {"watermark": None, "pending_since": None}
            if ds in loaded:
                good, bad = curate_one(ds, export_state)
                counts[ds]["status"] = "curated" if good else "all quarantined" if bad else "empty files"
            watermarks[ds] = export_one(ds, export_state)
            if ds in loaded:
                for obj in objects(f"processing/{run}/{ds}/"):
                    name = "processed/" + obj["name"][len("processing/"):]
                    if not copy(obj, name) or not remove(obj["name"], obj["generation"]):
                        raise RuntimeError(f"curate: could not move {obj['name']} to {name}")
    finally:
        release(lock)

    for ds in names:
        c = counts[ds]
        print(f"curate: {ds}: {c['status']}: {c['files']} file(s), {c['loaded']} row(s) merged, "
              f"{c['quarantined']} line(s) quarantined")
        if c["status"] == "all quarantined":
            failures.append(
                f"dataset {ds}: all {c['quarantined']} new line(s) of {c['files']} file(s) were quarantined "
                f"(none merged; see table {dataset}.{ds}_quarantine): the source's format changed?")

    # Train only on data the last trained model has not seen: the training dataset's watermark
    # moved past the one the last registered model was trained to (written by mark_trained).
    outcome = "skip"
    if training_enabled:
        trained, _ = read(f"{own(training_dataset)}/trained.json")
        mark = watermarks.get(training_dataset)
        if mark is not None and (trained is None or trained.get("watermark") != mark):
            outcome = "train"
        else:
            print(f"curate: SKIP: no new rows in {training_dataset} since the last trained model "
                  f"({(trained or {}).get('run', 'none yet')}): the training steps do not run")
    # What prepare reads: every export of the training dataset so far.
    ds = training_dataset if training_dataset in names else names[0]
    with open(snapshot.path, "w") as f:
        json.dump({"exports": f"gs://{artifacts_bucket}/{own(ds)}/exports/", "run": run, "dataset": ds,
                   "watermark": watermarks.get(ds)}, f)
    snapshot.metadata.update(outcome=outcome, dataset=ds, watermark=watermarks.get(ds) or "")
    report.metadata.update(outcome=outcome, unassigned=len(unassigned),
                           quarantined=sum(c["quarantined"] for c in counts.values()))
    with open(report.path, "w") as f:
        json.dump({"run": run, "outcome": outcome, "datasets": counts, "unassigned": unassigned[:100],
                   "failures": failures}, f)
    if failures:
        raise RuntimeError("curate: " + "; ".join(failures))
    return outcome


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def mark_trained(
    artifacts_bucket: str,
    snapshot: Input[Dataset],
    model: str,
    api_endpoint: str = "",
):
    """Record that `model` was trained on the training dataset up to the snapshot's watermark
    (gs://<artifacts>/curated/datasets/<dataset>/trained.json): curate trains again only once
    newer rows were merged."""
    import json

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    with open(snapshot.path) as f:
        taken = json.load(f)
    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)
    root = api_endpoint or "https://storage.googleapis.com"
    name = f"curated/datasets/{taken['dataset']}/trained.json"
    response = http.post(f"{root}/upload/storage/v1/b/{artifacts_bucket}/o",
                         params={"uploadType": "media", "name": name}, timeout=120,
                         data=json.dumps({"watermark": taken["watermark"], "run": taken["run"], "model": model}),
                         headers={"Content-Type": "application/json"})
    if response.status_code >= 400:
        raise RuntimeError(f"write {name}: {response.status_code} {response.text[:2000]}")
    print(f"mark_trained: {model} was trained on {taken['dataset']} up to {taken['watermark']}")


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def last_trained(
    artifacts_bucket: str,
    snapshot: Input[Dataset],
    approval: str,
    api_endpoint: str = "",
) -> str:
    """On a run without new training data: the version the last trained model was registered as
    (mark_trained's record) when `approval` is "auto" (every version passes the gate), so that
    batch scoring keeps using it; "" otherwise (scoring then uses the approved alias)."""
    import json
    import urllib.parse

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    if approval != "auto":
        return ""
    with open(snapshot.path) as f:
        taken = json.load(f)
    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)
    name = urllib.parse.quote(f"curated/datasets/{taken['dataset']}/trained.json", safe="")
    response = http.get(f"{api_endpoint or 'https://storage.googleapis.com'}/storage/v1/b/{artifacts_bucket}/o/{name}",
                        params={"alt": "media"}, timeout=120)
    if response.status_code == 404:
        print("last_trained: no model trained yet")
        return ""
    if response.status_code >= 400:
        raise RuntimeError(f"read trained.json: {response.status_code} {response.text[:2000]}")
    model = response.json().get("model", "")
    print(f"last_trained: {model}")
    return model


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def prepare(
    snapshot: Input[Dataset],
    label_field: str,
    test_percent: int,
    train: Output[Dataset],
    test: Output[Dataset],
    features: Output[Artifact],
    api_endpoint: str = "",
    chunk_bytes: int = 64 * 1024 * 1024,
) -> int:
    """Curated rows -> training set; returns its number of rows.

    The default contract (replace this component to change it): each curated record's payload is a
    JSON object; `label_field` is the value to predict, every other numeric field present in all
    labelled records is a feature. Rows go to the held-out test set by a hash of their record id,
    so a record stays on the same side from run to run. CSV, no header, label first.

    It reads every export curate wrote (each holds the rows merged since the one before; the
    snapshot names their gs:// prefix, or a local folder holding the same files); a record
    in several keeps its latest version (event_time, then ingested_at, as the MERGE does). Memory
    stays bounded whatever the data: the exports are streamed from Cloud Storage into spool files
    on local disk by a hash of the record id, `chunk_bytes` of input per spool, and each spool is
    deduplicated on its own.
    """
    import csv
    import hashlib
    import json
    import math
    import os
    import tempfile
    import urllib.parse

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    with open(snapshot.path) as f:
        exports = json.load(f)["exports"]
    storage = (api_endpoint or "https://storage.googleapis.com") + "/storage/v1"
    if exports.startswith("gs://"):
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        http = AuthorizedSession(credentials)

    def call(method, url, **kwargs):
        response = http.request(method, url, timeout=120, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:2000]}")
        return response
    bucket, _, prefix = exports.removeprefix("gs://").partition("/")
    listed, token = [], None
    while exports.startswith("gs://"):
        params = {"prefix": prefix, "fields": "items(name,size),nextPageToken"}
        if token:
            params["pageToken"] = token
        page = call("GET", f"{storage}/b/{bucket}/o", params=params).json()
        listed += [o for o in page.get("items", []) if o["name"].endswith(".json")]
        token = page.get("nextPageToken")
        if not token:
            break
    if not exports.startswith("gs://"):  # the same files in a local folder (to try a prepare of your own)
        for folder, _, names in os.walk(exports):
            listed += [{"name": os.path.join(folder, n), "size": os.path.getsize(os.path.join(folder, n))}
                       for n in names if n.endswith(".json")]
    listed.sort(key=lambda o: o["name"])

    def lines(obj):
        if not exports.startswith("gs://"):
            with open(obj["name"], "rb") as f:
                yield from f
            return
        url = f"{storage}/b/{bucket}/o/{urllib.parse.quote(obj['name'], safe='')}"
        with http.request("GET", url, params={"alt": "media"}, stream=True, timeout=600) as response:
            if response.status_code >= 400:
                raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:2000]}")
            yield from response.iter_lines()
    total = sum(int(o.get("size", 0)) for o in listed)
    spools = min(512, max(1, math.ceil(total / max(chunk_bytes, 1))))

    def digest(record_id):
        return int(hashlib.sha256(record_id.encode()).hexdigest(), 16)

    work = tempfile.mkdtemp(prefix="prepare-")
    paths = [os.path.join(work, f"spool-{i:03d}.jsonl") for i in range(spools)]
    outs = [open(p, "w") for p in paths]
    try:
        for obj in listed:
            for line in lines(obj):
                if line.strip():
                    record = json.loads(line)
                    outs[(digest(str(record["record_id"])) >> 8) % spools].write(json.dumps(record) + "\n")
    finally:
        for out in outs:
            out.close()

    def numeric(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    # Pass 1, one spool at a time: the latest version of each record, the labelled ones kept.
    names, labelled = None, 0
    for path in paths:
        latest = {}
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                key = (record["event_time"] or "", record.get("ingested_at") or "")
                rid = str(record["record_id"])
                if rid not in latest or key >= latest[rid][0]:
                    latest[rid] = (key, record["payload"])
        with open(path, "w") as f:
            for rid in sorted(latest):
                payload = json.loads(latest[rid][1])
                if isinstance(payload, dict) and numeric(payload.get(label_field)):
                    keys = {k for k, v in payload.items() if k not in (label_field, "id") and numeric(v)}
                    names = keys if names is None else names & keys
                    labelled += 1
                    f.write(json.dumps([rid, payload]) + "\n")
    if not labelled:
        raise RuntimeError(
            f"no training set: none of the curated records in {len(listed)} export file(s) under "
            f"{exports} has a numeric {label_field!r}")
    names = sorted(names or ())
    if not names:
        raise RuntimeError("no training set: the labelled records share no numeric feature")
    # Pass 2: stream the deduplicated spools into the two CSV files.
    sides = {"train": 0, "test": 0}
    with open(train.path, "w", newline="") as train_file, open(test.path, "w", newline="") as test_file:
        writers = {"train": csv.writer(train_file), "test": csv.writer(test_file)}
        for path in paths:
            with open(path) as f:
                for line in f:
                    rid, payload = json.loads(line)
                    side = "test" if digest(rid) % 100 < test_percent else "train"
                    writers[side].writerow([payload[label_field]] + [payload[n] for n in names])
                    sides[side] += 1
            os.remove(path)
    for side, artifact in (("train", train), ("test", test)):
        if not sides[side]:
            raise RuntimeError(f"no training set: the {side} side is empty ({labelled} labelled rows)")
        artifact.metadata["rows"] = sides[side]
    with open(features.path, "w") as f:
        json.dump({"label": label_field, "features": names}, f)
    print(f"prepare: {labelled} labelled records from {len(listed)} export file(s) "
          f"({total} bytes, {spools} spool(s)), {len(names)} features")
    return sides["train"]


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def train(
    project: str,
    region: str,
    run_id: str,
    train_data: Input[Dataset],
    features: Input[Artifact],
    trainer_uri: str,
    image: str,
    machine_type: str,
    accelerator_type: str,
    accelerator_count: int,
    service_account: str,
    network_attachment: str,
    kms_key: str,
    model: Output[Model],
    api_endpoint: str = "",
):
    """Run train.py as a Vertex AI custom job on the given machine; the model lands in `model`.

    With a network attachment the job runs in the client's VPC (a Private Service Connect
    interface: private address, no external IP)."""
    import time

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)

    def fuse(uri):  # custom jobs see Cloud Storage under /gcs
        return "/gcs/" + uri.removeprefix("gs://")

    machine = {"machineType": machine_type}
    if accelerator_type:
        machine.update(acceleratorType=accelerator_type, acceleratorCount=accelerator_count)
    job = {
        "displayName": f"train-{run_id}"[:128],
        "jobSpec": {
            "workerPoolSpecs": [{
                "machineSpec": machine,
                "replicaCount": "1",
                "diskSpec": {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 100},
                "containerSpec": {
                    "imageUri": image,
                    "command": ["python3", fuse(trainer_uri)],
                    "args": ["--train", fuse(train_data.uri), "--features", fuse(features.uri),
                             "--model-dir", fuse(model.uri)],
                },
            }],
            "serviceAccount": service_account,
            "scheduling": {"timeout": "86400s"},
        },
        "encryptionSpec": {"kmsKeyName": kms_key},
    }
    if network_attachment:
        job["jobSpec"]["pscInterfaceConfig"] = {"networkAttachment": network_attachment}
    base = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"

    def call(method, url, **kwargs):
        response = http.request(method, url, timeout=120, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:2000]}")
        return response.json()

    current = call("POST", f"{base}/projects/{project}/locations/{region}/customJobs", json=job)
    name = current["name"]
    delay = 1
    while current.get("state") not in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED",
                                       "JOB_STATE_EXPIRED"):
        time.sleep(delay)
        delay = min(delay * 2, 60)
        current = call("GET", f"{base}/{name}")
    state = current["state"]
    if state != "JOB_STATE_SUCCEEDED":
        raise RuntimeError(f"training job {name} ended {state}: {current.get('error')}")
    model.metadata["custom_job"] = name


@dsl.component(base_image=SKLEARN_IMAGE)
def evaluate(
    model: Input[Model],
    test: Input[Dataset],
    metrics: Output[Metrics],
    evaluation: Output[Artifact],
) -> float:
    """Regression metrics of the model on the held-out set; returns the RMSE."""
    import csv
    import json
    import math
    import os

    import joblib

    estimator = joblib.load(os.path.join(model.path, "model.joblib"))
    with open(test.path, newline="") as f:
        rows = [[float(v) for v in row] for row in csv.reader(f) if row]
    if not rows:
        raise RuntimeError("the held-out set is empty")
    actual = [r[0] for r in rows]
    predicted = [float(p) for p in estimator.predict([r[1:] for r in rows])]
    errors = [p - a for p, a in zip(predicted, actual)]
    mean = sum(actual) / len(actual)
    total = sum((a - mean) ** 2 for a in actual)
    result = {
        "rootMeanSquaredError": math.sqrt(sum(e * e for e in errors) / len(errors)),
        "meanAbsoluteError": sum(abs(e) for e in errors) / len(errors),
        "rSquared": 1 - sum(e * e for e in errors) / total if total else 0.0,
        "rows": len(rows),
    }
    for key, value in result.items():
        metrics.log_metric(key, value)
    with open(evaluation.path, "w") as f:
        json.dump(result, f)
    return result["rootMeanSquaredError"]


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def register(
    project: str,
    region: str,
    run_id: str,
    model_id: str,
    display_name: str,
    serving_image: str,
    kms_key: str,
    model: Input[Model],
    evaluation: Input[Artifact],
    api_endpoint: str = "",
) -> str:
    """Upload the model as a new version in the Model Registry with its evaluation; returns
    the version's resource name (projects/.../models/ID@VERSION)."""
    import json
    import time

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)
    base = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"
    parent = f"projects/{project}/locations/{region}"

    def call(method, url, **kwargs):
        response = http.request(method, url, timeout=120, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:2000]}")
        return response.json()

    def wait(operation):
        delay = 1
        while not operation.get("done"):
            time.sleep(delay)
            delay = min(delay * 2, 30)
            operation = call("GET", f"{base}/{operation['name']}")
        if "error" in operation:
            raise RuntimeError(f"{operation['name']}: {operation['error']}")
        return operation.get("response", {})

    with open(evaluation.path) as f:
        result = json.load(f)
    body = {"model": {
        "displayName": display_name,
        "artifactUri": model.uri,
        "containerSpec": {"imageUri": serving_image},
        "versionDescription": f"pipeline run {run_id}; held-out RMSE {result['rootMeanSquaredError']:.6g}",
        "labels": {"pipeline-run": run_id.lower()[-63:]},
        "encryptionSpec": {"kmsKeyName": kms_key},
    }}
    exists = http.get(f"{base}/{parent}/models/{model_id}", timeout=120)
    if exists.status_code == 404:
        body["modelId"] = model_id
    elif exists.status_code >= 400:
        raise RuntimeError(f"model {model_id}: {exists.status_code} {exists.text[:2000]}")
    else:
        body["parentModel"] = f"{parent}/models/{model_id}"
    uploaded = wait(call("POST", f"{base}/{parent}/models:upload", json=body))
    version = f"{uploaded['model']}@{uploaded['modelVersionId']}"
    # The evaluation import answers with the evaluation itself (no long-running operation).
    call("POST", f"{base}/{version}/evaluations:import", json={"modelEvaluation": {
        "displayName": f"held-out {run_id}"[:128],
        "metricsSchemaUri": "gs://google-cloud-aiplatform/schema/modelevaluation/regression_metrics_1.0.0.yaml",
        "metrics": {k: v for k, v in result.items() if k != "rows"},
    }})
    return version


@dsl.component(base_image=PYTHON_IMAGE)
def gate(
    evaluation: Input[Artifact],
    approval: str,
    metric: str,
    threshold: float,
    decision: Output[Artifact],
) -> str:
    """Deploy or not: "deploy", "hold" (waits for a manual approval) or "reject".

    approval "manual": every version waits in the registry until someone approves it (a run with
    approved_model set). "threshold": deployed when `metric` of the held-out evaluation meets
    `threshold` (errors at most, rSquared at least), rejected otherwise. "auto" (batch scoring, no
    endpoint and no threshold in the spec, as on AWS): every evaluated version scores the run's input.
    """
    import json

    with open(evaluation.path) as f:
        result = json.load(f)
    if approval == "manual":
        verdict, reason = "hold", "manual approval required: the version waits in the Model Registry"
    elif approval == "auto":
        verdict, reason = "deploy", "automatic approval (batch scoring without a metric threshold)"
    elif approval == "threshold":
        if metric not in result:
            raise ValueError(f"unknown metric {metric!r}; the evaluation has {sorted(result)}")
        value = result[metric]
        higher_is_better = metric == "rSquared"
        ok = value >= threshold if higher_is_better else value <= threshold
        verdict = "deploy" if ok else "reject"
        reason = f"{metric} {value:.6g} {'meets' if ok else 'misses'} the threshold {threshold:g}"
    else:
        raise ValueError(f"unknown approval mode {approval!r}: manual, threshold or auto")
    with open(decision.path, "w") as f:
        json.dump({"decision": verdict, "reason": reason, "metrics": result}, f)
    decision.metadata["decision"] = verdict
    print(f"gate: {verdict}: {reason}")
    return verdict


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def approved(
    project: str,
    region: str,
    endpoint: str,
    model_id: str,
    alias: str,
    api_endpoint: str = "",
    overdue_days: int = 0,
    overdue_log: str = "",
) -> str:
    """The version a human approved (the one carrying `alias` in the Model Registry) when the
    endpoint does not serve it yet; "" when none is approved or it is already deployed.

    The gate holds (manual approval) or rejects (threshold) new versions; an approver sets the
    alias on the version to deploy (README), and this step of the next run finds it.

    With overdue_days and overdue_log: when a version newer than the approved one (any version,
    with none approved) has waited more than overdue_days, the step writes a WARNING entry to the
    Cloud Logging log `overdue_log` (the blueprint's approval-overdue alert matches it), every
    run until someone approves a version.
    """
    import json
    import time

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)
    base = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"
    parent = f"projects/{project}/locations/{region}"

    def call(method, url, **kwargs):
        response = http.request(method, url, timeout=120, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:2000]}")
        return response.json()

    found = http.get(f"{base}/{parent}/models/{model_id}@{alias}", timeout=120)
    if found.status_code >= 400 and found.status_code != 404:
        raise RuntimeError(f"model {model_id}@{alias}: {found.status_code} {found.text[:2000]}")
    if overdue_days > 0 and overdue_log:
        # Versions waiting: created after the approved one (all of them when none is approved).
        since = found.json().get("versionCreateTime", "") if found.status_code == 200 else ""
        versions, token = [], None
        while True:
            page = http.get(f"{base}/{parent}/models/{model_id}:listVersions",
                            params={"pageToken": token} if token else {}, timeout=120)
            if page.status_code == 404:
                break
            if page.status_code >= 400:
                raise RuntimeError(f"versions of {model_id}: {page.status_code} {page.text[:2000]}")
            versions += page.json().get("models", [])
            token = page.json().get("nextPageToken")
            if not token:
                break
        waiting = sorted((v.get("versionCreateTime", ""), v.get("versionId", "")) for v in versions
                         if v.get("versionCreateTime", "") > since)
        deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - overdue_days * 86400))
        if waiting and waiting[0][0] < deadline:
            message = (f"approval overdue: {len(waiting)} version(s) of {model_id} wait for approval, the "
                       f"oldest (version {waiting[0][1]}, created {waiting[0][0]}) for more than "
                       f"{overdue_days} days")
            print(f"approved: {message}")
            logging_root = api_endpoint or "https://logging.googleapis.com"
            call("POST", f"{logging_root}/v2/entries:write", data=json.dumps({"entries": [{
                "logName": f"projects/{project}/logs/{overdue_log}",
                "resource": {"type": "global", "labels": {"project_id": project}},
                "severity": "WARNING",
                "jsonPayload": {"message": message, "model": model_id, "waiting": len(waiting),
                                "oldest_version": waiting[0][1], "oldest_created": waiting[0][0]},
            }]}), headers={"Content-Type": "application/json"})
    if found.status_code == 404:  # no such model yet, or no version carries the alias
        print(f"approved: no version of {model_id} carries the alias {alias!r}: nothing to deploy")
        return ""
    model = found.json()
    name, version = model["name"].split("@")[0], model["versionId"]
    served = call("GET", f"{base}/{parent}/endpoints/{endpoint}").get("deployedModels", [])
    if any(d.get("model", "").split("@")[0] == name and d.get("modelVersionId") == version for d in served):
        print(f"approved: version {version} of {model_id} is approved and already deployed")
        return ""
    print(f"approved: version {version} of {model_id} is approved: deploying it")
    return f"{name}@{version}"


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def promotion(
    project: str,
    region: str,
    endpoint: str,
    model_id: str,
    alias: str,
    variants: list,
    api_endpoint: str = "",
) -> str:
    """The version to make the champion in a promote run: the one carrying `alias` (the
    approval), "" when the endpoint already serves it as the champion with all traffic.

    A promote run is started by a human (the blueprint's promote job, README): no approved
    version is an error, never a green run that did nothing.
    """
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)
    base = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"
    parent = f"projects/{project}/locations/{region}"

    def call(method, url, **kwargs):
        response = http.request(method, url, timeout=120, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:2000]}")
        return response.json()

    found = http.get(f"{base}/{parent}/models/{model_id}@{alias}", timeout=120)
    if found.status_code == 404:
        raise RuntimeError(
            f"promote: no version of {model_id} carries the alias {alias!r}: approve the version to "
            "promote first (mergeVersionAliases, README), then run the promote job again")
    if found.status_code >= 400:
        raise RuntimeError(f"model {model_id}@{alias}: {found.status_code} {found.text[:2000]}")
    model = found.json()
    name, version = model["name"].split("@")[0], model["versionId"]
    current = call("GET", f"{base}/{parent}/endpoints/{endpoint}")
    champion = variants[0]["name"] if variants else "champion"
    for d in current.get("deployedModels", []):
        if (d.get("displayName") == champion and d.get("model", "").split("@")[0] == name
                and d.get("modelVersionId") == version
                and int(current.get("trafficSplit", {}).get(d["id"], 0)) == 100):
            print(f"promote: version {version} of {model_id} is already the champion with all traffic")
            return ""
    print(f"promote: version {version} of {model_id} becomes the champion with all traffic")
    return f"{name}@{version}"


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def deploy(
    project: str,
    region: str,
    endpoint: str,
    model: str,
    variants: list,
    promote: bool,
    machine_type: str,
    min_replicas: int,
    max_replicas: int,
    service_account: str,
    api_endpoint: str = "",
) -> str:
    """Deploy a registered version to the endpoint with the variants' traffic split.

    One variant: the new version takes all traffic once it serves, then the old ones are
    undeployed. Several: the first variant (champion) keeps the model it serves and its weight,
    the new version takes the other variants' weights (an A/B test); with promote (or when nothing
    is deployed yet) the new version becomes the champion with all traffic. Deployed models that no
    longer get traffic are undeployed (pruned) only after the new split is in place.
    Returns the new deployed model's id.
    """
    import time

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)
    base = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"
    url = f"{base}/projects/{project}/locations/{region}/endpoints/{endpoint}"

    def call(method, target, **kwargs):
        response = http.request(method, target, timeout=120, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {target}: {response.status_code} {response.text[:2000]}")
        return response.json()

    def wait(operation):
        delay = 1
        while not operation.get("done"):
            time.sleep(delay)
            delay = min(delay * 2, 30)
            operation = call("GET", f"{base}/{operation['name']}")
        if "error" in operation:
            raise RuntimeError(f"{operation['name']}: {operation['error']}")
        return operation.get("response", {})

    if not variants or sum(v["weight"] for v in variants) != 100:
        raise ValueError(f"variants must be given and their weights sum to 100: {variants}")
    current = call("GET", url)
    deployed = current.get("deployedModels", [])
    champion_name = variants[0]["name"]
    champion = next((d for d in deployed if d.get("displayName") == champion_name), None)
    if len(variants) == 1 or promote or champion is None:
        name, split = champion_name, {"0": 100}
    else:
        name = variants[1]["name"]
        split = {champion["id"]: variants[0]["weight"], "0": sum(v["weight"] for v in variants[1:])}
    body = {
        "deployedModel": {
            "model": model,
            "displayName": name,
            "dedicatedResources": {
                "machineSpec": {"machineType": machine_type},
                "minReplicaCount": min_replicas,
                "maxReplicaCount": max_replicas,
            },
            "enableAccessLogging": True,
        },
        "trafficSplit": split,
    }
    if service_account:
        body["deployedModel"]["serviceAccount"] = service_account
    new_id = wait(call("POST", f"{url}:deployModel", json=body))["deployedModel"]["id"]
    expected = {(new_id if k == "0" else k): v for k, v in split.items() if v}
    served = {k: v for k, v in call("GET", url).get("trafficSplit", {}).items() if v}
    if served != expected:
        raise RuntimeError(f"endpoint {endpoint} serves {served}, expected {expected}")
    for old in deployed:
        if old["id"] not in expected:
            wait(call("POST", f"{url}:undeployModel", json={"deployedModelId": old["id"]}))
    return new_id


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def monitor(
    project: str,
    region: str,
    endpoint: str,
    model: str,
    emails: list,
    notification_channels: list,
    kms_key: str,
    drift_threshold: float,
    sample_rate: float,
    interval_hours: int,
    api_endpoint: str = "",
) -> str:
    """(Re)create the endpoint's drift monitoring job for the models it now serves.

    A monitoring job covers the deployed models it was created for: after a deployment the old one
    is deleted and a new one created. Each deployed model's training set (the baseline of
    training-serving skew) and features come from its own model version's artifact directory
    (train.py writes them), the instance schema from ``model``'s (all must take the same features);
    every feature is watched for skew against that training set and for drift between serving
    windows. Anomalies are logged (the blueprint's log-based metric and alert)
    and sent to the notification channels and e-mails. Returns the job's name.
    """
    import time
    import urllib.parse

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)
    base = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"
    parent = f"projects/{project}/locations/{region}"
    endpoint_name = f"{parent}/endpoints/{endpoint}"

    def call(method, target, **kwargs):
        response = http.request(method, target, timeout=120, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {target}: {response.status_code} {response.text[:2000]}")
        return response.json()

    storage = (api_endpoint or "https://storage.googleapis.com") + "/storage/v1"

    def described(uri):  # the features.json train.py wrote next to a model version's artefacts
        bucket, _, prefix = uri.removeprefix("gs://").partition("/")
        obj = urllib.parse.quote(f"{prefix}/features.json".lstrip("/"), safe="")
        return call("GET", f"{storage}/b/{bucket}/o/{obj}", params={"alt": "media"})

    artifact_uri = call("GET", f"{base}/{model}")["artifactUri"].rstrip("/")
    names = described(artifact_uri)["features"]
    # Vertex names resources by project NUMBER in what it returns, so match on the endpoint's
    # location and id, never on the name built from the project id; and read every page.
    suffix, listed, token = f"/locations/{region}/endpoints/{endpoint}", [], None
    while True:
        page = call("GET", f"{base}/{parent}/modelDeploymentMonitoringJobs",
                    params={"pageToken": token} if token else {})
        listed += page.get("modelDeploymentMonitoringJobs", [])
        token = page.get("nextPageToken")
        if not token:
            break
    for job in listed:
        if job.get("endpoint", "").endswith(suffix):
            operation, delay = call("DELETE", f"{base}/{job['name']}"), 1
            while not operation.get("done"):
                time.sleep(delay)
                delay = min(delay * 2, 30)
                operation = call("GET", f"{base}/{operation['name']}")
    deployed = call("GET", f"{base}/{endpoint_name}").get("deployedModels", [])
    # Each deployed model's baseline is its own model version's training set and features (a
    # champion is never compared with the challenger's training data); the job has one instance
    # schema, so every deployed version must take the same features.
    baselines = {}
    for d in deployed:
        version = d.get("modelVersionId")
        own = d["model"].split("@", 1)[0] + (f"@{version}" if version else "")
        uri = call("GET", f"{base}/{own}")["artifactUri"].rstrip("/")
        features = described(uri)
        baselines[d["id"]] = (uri, features["features"], features.get("label", "label"))
        if features["features"] != names:
            raise RuntimeError(
                f"monitor: deployed model {d['id']} ({own}) takes features {features['features']}, the "
                f"model just deployed {names}: one monitoring job has one instance schema; undeploy "
                "the other version or deploy versions trained on the same features")
    job = call("POST", f"{base}/{parent}/modelDeploymentMonitoringJobs", json={
        "displayName": f"drift-{endpoint}",
        "endpoint": endpoint_name,
        "modelDeploymentMonitoringObjectiveConfigs": [{
            "deployedModelId": d["id"],
            "objectiveConfig": {
                # The training set the model was fitted on (CSV with a header row): without it
                # Model Monitoring cannot compute training-serving skew.
                "trainingDataset": {
                    "gcsSource": {"uris": [f"{baselines[d['id']][0]}/training_data.csv"]},
                    "dataFormat": "csv",
                    "targetField": baselines[d["id"]][2],
                },
                "trainingPredictionSkewDetectionConfig": {
                    "skewThresholds": {n: {"value": drift_threshold} for n in names},
                },
                "predictionDriftDetectionConfig": {
                    "driftThresholds": {n: {"value": drift_threshold} for n in names},
                },
            },
        } for d in deployed],
        "modelDeploymentMonitoringScheduleConfig": {"monitorInterval": f"{interval_hours * 3600}s"},
        "loggingSamplingStrategy": {"randomSampleConfig": {"sampleRate": sample_rate}},
        # Instances are arrays of numbers: the schema names them, in order.
        "analysisInstanceSchemaUri": f"{artifact_uri}/instance_schema.yaml",
        "modelMonitoringAlertConfig": {
            "emailAlertConfig": {"userEmails": emails},
            "enableLogging": True,
            "notificationChannels": notification_channels,
        },
        "encryptionSpec": {"kmsKeyName": kms_key},
    })
    print(f"monitoring deployed models {[d['id'] for d in deployed]} on {len(names)} features")
    return job["name"]


@dsl.component(base_image=PYTHON_IMAGE, packages_to_install=GOOGLE_PACKAGES)
def batch_predict(
    project: str,
    region: str,
    run_id: str,
    raw_bucket: str,
    artifacts_bucket: str,
    model_id: str,
    alias: str,
    candidate: str,
    decision: str,
    machine_type: str,
    min_replicas: int,
    max_replicas: int,
    service_account: str,
    kms_key: str,
    api_endpoint: str = "",
) -> str:
    """Score the new inference input with a Vertex AI batch prediction job (the batch tier: no
    endpoint); returns the gs:// folder of the predictions, "" when nothing was scored.

    Input: JSON Lines files under gs://<raw>/inference/incoming/ (folders below it too), one object
    per line with the model's features by name (the version's features.json; other fields are
    ignored). Each file is scored once: the step claims the files (inference/incoming/ ->
    inference/processing/<run>/, a file being the run's whose delete of the listed generation
    succeeds, as curate claims its input), the job reads exactly those, and once it has
    succeeded they move to inference/processed/<run>/. Output: gs://<artifacts>/predictions/<run>/,
    where Vertex AI writes prediction-<model>-<time>/predictions_*.jsonl (each line an instance and
    its prediction) and errors_*.jsonl.

    The model: the version this run registered when the gate passed it (decision "deploy"), else
    the version a human approved (the one carrying `alias`). None approved: nothing is scored and
    the input waits in inference/incoming/. No new input: nothing is scored. Both say so in the
    step's log and leave the run green.

    A job that fails fails the step, so the run (the pipeline-failure alert); its files stay in
    inference/processing/<run>/: a retry of the run scores them again, otherwise the next run
    requeues them (inference/incoming/requeued-<run>/). A job that succeeds with instances it
    could not score also fails the step, after moving its files on (they are not scored twice;
    errors_*.jsonl names the instances).
    """
    import json
    import re
    import time
    import urllib.parse

    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    http = AuthorizedSession(credentials)

    def request(method, url, **kwargs):
        return http.request(method, url, timeout=120, **kwargs)

    def call(method, url, **kwargs):
        response = request(method, url, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:2000]}")
        return response.json() if response.content else {}

    run = re.sub(r"[^a-z0-9_]", "_", run_id.lower())[-40:]
    root = api_endpoint or "https://storage.googleapis.com"
    storage = root + "/storage/v1"
    vertex = (api_endpoint or f"https://{region}-aiplatform.googleapis.com") + "/v1"
    parent = f"projects/{project}/locations/{region}"
    incoming, processing, processed = "inference/incoming/", "inference/processing/", "inference/processed/"

    def quoted(name):
        return urllib.parse.quote(name, safe="")

    def listing(bucket, prefix):
        token, out = None, []
        while True:
            params = {"prefix": prefix, "fields": "items(name,generation),nextPageToken"}
            if token:
                params["pageToken"] = token
            page = call("GET", f"{storage}/b/{bucket}/o", params=params)
            out += [o for o in page.get("items", []) if not o["name"].endswith("/")]
            token = page.get("nextPageToken")
            if not token:
                return out

    def copy(obj, new_name, if_absent=False):
        """Copy exactly the listed generation; False when it is gone (another run claimed it),
        or with if_absent when new_name exists already."""
        params = {"sourceGeneration": obj["generation"]}
        if if_absent:
            params["ifGenerationMatch"] = "0"
        while True:
            response = request("POST", f"{storage}/b/{raw_bucket}/o/{quoted(obj['name'])}/rewriteTo/b/"
                               f"{raw_bucket}/o/{quoted(new_name)}", params=params, json={})
            if response.status_code == 404 or (if_absent and response.status_code == 412):
                return False
            if response.status_code >= 400:
                raise RuntimeError(f"rewrite {obj['name']}: {response.status_code} {response.text[:2000]}")
            result = response.json()
            if result.get("done"):
                return True
            params = {**params, "rewriteToken": result["rewriteToken"]}

    def remove(name, generation):
        response = request("DELETE", f"{storage}/b/{raw_bucket}/o/{quoted(name)}",
                           params={"ifGenerationMatch": generation})
        if response.status_code in (404, 412):
            return False
        if response.status_code >= 400:
            raise RuntimeError(f"delete {name}: {response.status_code} {response.text[:2000]}")
        return True

    def move(obj, name):
        if not copy(obj, name) or not remove(obj["name"], obj["generation"]):
            raise RuntimeError(f"batch: could not move {obj['name']} to {name}")

    def record(name):
        response = request("GET", f"{storage}/b/{artifacts_bucket}/o/{quoted(name)}", params={"alt": "media"})
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise RuntimeError(f"read {name}: {response.status_code} {response.text[:2000]}")
        return response.json()

    # 1. Files a run that has ended left in inference/processing/<its run>/ go back to
    #    inference/incoming/requeued-<its run>/: a failed run never strands input.
    ended = ("PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED")
    others = {}
    for obj in listing(raw_bucket, processing):
        owner = obj["name"][len(processing):].split("/")[0]
        if owner != run:
            others.setdefault(owner, []).append(obj)
    for owner, leftovers in sorted(others.items()):
        marker = record(f"predictions/runs/{owner}.json")
        if marker is None:
            print(f"batch: {processing}{owner}/ has {len(leftovers)} file(s) and no run record: left alone")
            continue
        job = request("GET", f"{vertex}/{parent}/pipelineJobs/{marker['job'].rsplit('/', 1)[-1]}")
        if job.status_code >= 400 and job.status_code != 404:
            raise RuntimeError(f"pipeline job of run {owner}: {job.status_code} {job.text[:2000]}")
        if job.status_code != 404 and job.json().get("state") not in ended:
            continue  # still working on them
        for obj in leftovers:
            name = f"{incoming}requeued-{owner}/" + obj["name"][len(f"{processing}{owner}/"):]
            if copy(obj, name, if_absent=True):
                remove(obj["name"], obj["generation"])
        print(f"batch: run {owner} ended with {len(leftovers)} file(s) in {processing}{owner}/: "
              f"requeued under {incoming}requeued-{owner}/")

    # 2. Anything to score, and a model to score it with?
    waiting = listing(raw_bucket, incoming)
    mine = listing(raw_bucket, f"{processing}{run}/")  # a retry of this run: its claimed files
    if not waiting and not mine:
        print(f"batch: skipped: no new inference input under gs://{raw_bucket}/{incoming}: nothing scored")
        return ""
    if decision == "deploy":
        model, why = candidate, "this run's version (it passed the gate)"
    else:
        found = request("GET", f"{vertex}/{parent}/models/{model_id}@{alias}")
        if found.status_code == 404:
            print(f"batch: skipped: the gate said {decision!r} and no version of {model_id} carries the "
                  f"alias {alias!r}: nothing scored, {len(waiting) + len(mine)} file(s) wait in "
                  f"gs://{raw_bucket}/{incoming}")
            return ""
        if found.status_code >= 400:
            raise RuntimeError(f"model {model_id}@{alias}: {found.status_code} {found.text[:2000]}")
        approved = found.json()
        model = f"{approved['name'].split('@')[0]}@{approved['versionId']}"
        why = f"the approved version (alias {alias!r}; the gate said {decision!r} to this run's)"
    artifact_uri = call("GET", f"{vertex}/{model}")["artifactUri"].rstrip("/")
    bucket, _, prefix = artifact_uri.removeprefix("gs://").partition("/")
    names = call("GET", f"{storage}/b/{bucket}/o/{quoted((prefix + '/features.json').lstrip('/'))}",
                 params={"alt": "media"})["features"]

    # 3. Claim the input: the run record first, so that files in processing/<run>/ name their run.
    marker = {"job": run_id, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    response = request("POST", f"{root}/upload/storage/v1/b/{artifacts_bucket}/o",
                       params={"uploadType": "media", "name": f"predictions/runs/{run}.json", "ifGenerationMatch": "0"},
                       data=json.dumps(marker), headers={"Content-Type": "application/json"})
    if response.status_code >= 400 and response.status_code != 412:  # 412: a retry, recorded already
        raise RuntimeError(f"write the run record: {response.status_code} {response.text[:2000]}")
    for obj in waiting:
        name = f"{processing}{run}/{obj['name'][len(incoming):]}"
        if not copy(obj, name):
            print(f"batch: {obj['name']} was claimed by another run")
            continue
        if not remove(obj["name"], obj["generation"]):
            print(f"batch: {obj['name']} was claimed by another run (or replaced): not scoring it here")
            for copied in listing(raw_bucket, name):
                if copied["name"] == name:
                    remove(name, copied["generation"])
    claimed = listing(raw_bucket, f"{processing}{run}/")
    if not claimed:
        print("batch: skipped: every input file was claimed by another run: nothing scored")
        return ""

    # 4. The job: exactly the claimed files, the features in the model's order.
    output = f"gs://{artifacts_bucket}/predictions/{run}"
    job = call("POST", f"{vertex}/{parent}/batchPredictionJobs", json={
        "displayName": f"batch-{run}"[:128],
        "model": model,
        "inputConfig": {"instancesFormat": "jsonl",
                        "gcsSource": {"uris": [f"gs://{raw_bucket}/{o['name']}" for o in claimed]}},
        # Each line is an object: Vertex AI sends the model the features' values as an array, in
        # the order the model was trained on (the prebuilt scikit-learn container takes arrays).
        "instanceConfig": {"instanceType": "array", "includedFields": names},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": output}},
        "dedicatedResources": {"machineSpec": {"machineType": machine_type},
                               "startingReplicaCount": min_replicas, "maxReplicaCount": max_replicas},
        "serviceAccount": service_account,
        "encryptionSpec": {"kmsKeyName": kms_key},
        "labels": {"pipeline-run": run},
    })
    print(f"batch: scoring {len(claimed)} file(s) with {model}, {why}: {job['name']}")
    delay, final = 1, ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED",
                       "JOB_STATE_PARTIALLY_SUCCEEDED")
    while job.get("state") not in final:
        time.sleep(delay)
        delay = min(delay * 2, 60)
        job = call("GET", f"{vertex}/{job['name']}")
    if job["state"] not in ("JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED"):
        raise RuntimeError(f"batch prediction job {job['name']} ended {job['state']}: {job.get('error')}; "
                           f"the input stays in gs://{raw_bucket}/{processing}{run}/")

    # 5. Scored: the input moves on (never scored again), whatever the instance errors.
    for obj in claimed:
        move(obj, processed + obj["name"][len(processing):])
    folder = job.get("outputInfo", {}).get("gcsOutputDirectory", output)
    stats = job.get("completionStats", {})
    failed = int(stats.get("failedCount", 0) or 0) + int(stats.get("incompleteCount", 0) or 0)
    if job["state"] != "JOB_STATE_SUCCEEDED" or failed:
        raise RuntimeError(f"batch prediction job {job['name']} ended {job['state']} with {failed} instance(s) "
                           f"not scored: see errors_*.jsonl in {folder} (the input is in "
                           f"gs://{raw_bucket}/{processed}{run}/, it is not scored again)")
    print(f"batch: {stats.get('successfulCount', '?')} prediction(s) in {folder}")
    return folder


@dsl.pipeline(name="dsaas-mlops-loop",
              description="curate -> prepare -> train -> evaluate -> register -> gate -> deploy -> monitor")
def loop(
    project: str,
    region: str,
    raw_bucket: str,
    dataflow_bucket: str,
    artifacts_bucket: str,
    dataset: str,
    # The raw datasets (incoming/<dataset>/ -> table <dataset>), and the one the training set is built from.
    datasets: list,
    training_dataset: str,
    dataflow_template: str,
    dataflow_service_account: str,
    subnetwork: str,
    dataflow_kms_key: str,
    kms_key: str,
    dataflow_machine_type: str,
    dataflow_max_workers: int,
    training_enabled: bool = True,
    label_field: str = "label",
    test_percent: int = 20,
    training_service_account: str = "",
    training_machine_type: str = "n2-standard-4",
    training_accelerator_type: str = "",
    training_accelerator_count: int = 0,
    training_network_attachment: str = "",
    serving_image: str = SKLEARN_IMAGE,
    model_id: str = "model",
    model_display_name: str = "model",
    deploy_enabled: bool = False,
    endpoint: str = "",
    # [{"name": ..., "weight": ...}], champion first (pipeline.tf passes the spec's variants).
    variants: list = [],
    promote: bool = False,
    approval: str = "manual",
    approval_metric: str = "rootMeanSquaredError",
    approval_threshold: float = 0.0,
    approved_alias: str = "approved",
    serving_machine_type: str = "n2-standard-2",
    min_replicas: int = 1,
    max_replicas: int = 1,
    drift_enabled: bool = False,
    alert_emails: list = [],
    notification_channels: list = [],
    drift_threshold: float = 0.3,
    drift_sample_rate: float = 0.8,
    drift_interval_hours: int = 1,
    approved_model: str = "",
    # The display name Cloud Scheduler starts runs with: of its active runs only the earliest
    # works ("" : no check).
    loop_display_name: str = "",
    # One root for every Google API the steps call, "" for Google's own (the tests' fake).
    api_endpoint: str = "",
    # Where curate's per-run staging tables go (a dataset whose tables expire); "": `dataset`.
    staging_dataset: str = "",
    # The batch tier (no endpoint): each run scores inference/incoming/ of the raw bucket with a
    # batch prediction job on serving_machine_type, min_replicas to max_replicas replicas, run as
    # batch_service_account.
    batch_enabled: bool = False,
    batch_service_account: str = "",
    # Manual approval: versions waiting longer than this many days are logged to this Cloud
    # Logging log (the approval-overdue alert); 0 or "": no check.
    approval_overdue_days: int = 0,
    approval_overdue_log: str = "",
):
    """One run of the loop. With promote set (the promote job a human executes), the run only
    makes the approved version (alias approved_alias) the champion with all traffic and re-creates
    the drift monitoring for it. With approved_model set (a version given by an operator), the run
    only deploys that version (and re-creates the drift monitoring)."""

    def serve(model, suffix, as_champion):
        """deploy -> monitor of one version (never cached: both change the endpoint)."""
        dep = deploy(
            project=project, region=region, endpoint=endpoint, model=model,
            variants=variants, promote=as_champion, machine_type=serving_machine_type,
            min_replicas=min_replicas, max_replicas=max_replicas, service_account="",
            api_endpoint=api_endpoint,
        ).set_display_name("deploy" + suffix).set_caching_options(False)
        with dsl.If(drift_enabled == True, "drift" + suffix.replace(" ", "-")):  # noqa: E712
            monitor(
                project=project, region=region, endpoint=endpoint, model=model,
                emails=alert_emails, notification_channels=notification_channels,
                kms_key=kms_key, drift_threshold=drift_threshold,
                sample_rate=drift_sample_rate, interval_hours=drift_interval_hours,
                api_endpoint=api_endpoint,
            ).set_display_name("monitor" + suffix).set_caching_options(False).after(dep)

    # Every branch below changes the curated table or the endpoint: it works only in the earliest
    # active run of the loop (promote runs included). A retried launch or a scheduled run still
    # going at the next slot gives way, green; a run a human started fails instead (single_run).
    solo = single_run(project=project, region=region, run_id=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                      display_name=loop_display_name, api_endpoint=api_endpoint, promote=promote,
                      approved_model=approved_model,
                      ).set_display_name("single run").set_caching_options(False)
    with dsl.If(solo.output == "run", "earliest-run"):
        with dsl.If(promote == True, "promote-approved-version"):  # noqa: E712
            # Started by the promote job (a human): the approved version becomes the champion.
            pick = promotion(project=project, region=region, endpoint=endpoint, model_id=model_id,
                             alias=approved_alias, variants=variants, api_endpoint=api_endpoint,
                             ).set_display_name("promotion").set_caching_options(False)
            with dsl.If(pick.output != "", "not-champion-yet"):
                serve(pick.output, " promoted version", True)
        with dsl.Elif(approved_model == "", "train-new-version"):
            cur = curate(
                project=project, region=region, run_id=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                raw_bucket=raw_bucket, dataflow_bucket=dataflow_bucket, artifacts_bucket=artifacts_bucket,
                dataset=dataset, datasets=datasets, training_dataset=training_dataset,
                training_enabled=training_enabled, template=dataflow_template,
                dataflow_service_account=dataflow_service_account,
                subnetwork=subnetwork, kms_key=dataflow_kms_key, machine_type=dataflow_machine_type,
                max_workers=dataflow_max_workers, api_endpoint=api_endpoint, staging_dataset=staging_dataset,
            ).set_display_name("curate").set_caching_options(False)
            # "train" only with training on and rows the last trained model has not seen.
            with dsl.If(cur.outputs["Output"] == "train", "new-training-data"):
                prep = prepare(snapshot=cur.outputs["snapshot"], label_field=label_field,
                               test_percent=test_percent, api_endpoint=api_endpoint).set_display_name("prepare")
                fit = train(
                    project=project, region=region, run_id=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                    train_data=prep.outputs["train"], features=prep.outputs["features"],
                    trainer_uri=f"gs://{artifacts_bucket}/pipeline/train.py", image=serving_image,
                    machine_type=training_machine_type, accelerator_type=training_accelerator_type,
                    accelerator_count=training_accelerator_count,
                    service_account=training_service_account,
                    network_attachment=training_network_attachment, kms_key=kms_key,
                    api_endpoint=api_endpoint,
                ).set_display_name("train").set_caching_options(False)
                ev = evaluate(model=fit.outputs["model"], test=prep.outputs["test"]).set_display_name("evaluate")
                reg = register(
                    project=project, region=region, run_id=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                    model_id=model_id, display_name=model_display_name, serving_image=serving_image,
                    kms_key=kms_key, model=fit.outputs["model"], evaluation=ev.outputs["evaluation"],
                    api_endpoint=api_endpoint,
                ).set_display_name("register").set_caching_options(False)
                mark_trained(artifacts_bucket=artifacts_bucket, snapshot=cur.outputs["snapshot"],
                             model=reg.output, api_endpoint=api_endpoint,
                             ).set_display_name("mark trained").set_caching_options(False)
                with dsl.If(batch_enabled == True, "batch-scoring"):  # noqa: E712
                    verdict = gate(evaluation=ev.outputs["evaluation"], approval=approval,
                                   metric=approval_metric, threshold=approval_threshold).set_display_name("gate")
                    batch_predict(
                        project=project, region=region, run_id=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                        raw_bucket=raw_bucket, artifacts_bucket=artifacts_bucket, model_id=model_id,
                        alias=approved_alias, candidate=reg.output, decision=verdict.outputs["Output"],
                        machine_type=serving_machine_type, min_replicas=min_replicas,
                        max_replicas=max_replicas, service_account=batch_service_account,
                        kms_key=kms_key, api_endpoint=api_endpoint,
                    ).set_display_name("batch predict").set_caching_options(False)
                with dsl.If(deploy_enabled == True, "serving"):  # noqa: E712
                    decision = gate(evaluation=ev.outputs["evaluation"], approval=approval,
                                    metric=approval_metric, threshold=approval_threshold).set_display_name("gate")
                    with dsl.If(decision.outputs["Output"] == "deploy", "gate-passed"):
                        serve(reg.output, "", False)
                    with dsl.Else():
                        # Held or rejected: deploy what a human approved, if the endpoint lacks it.
                        pick = approved(project=project, region=region, endpoint=endpoint, model_id=model_id,
                                        alias=approved_alias, api_endpoint=api_endpoint,
                                        overdue_days=approval_overdue_days, overdue_log=approval_overdue_log,
                                        ).set_display_name("approved version")
                        pick.set_caching_options(False).after(reg)
                        with dsl.If(pick.output != "", "human-approved"):
                            serve(pick.output, " approved version", False)
            with dsl.Else():
                # Nothing new to train on (curate said so: a visible skip): still score the new
                # inference input with the approved version, and deploy what a human approved
                # since, if the endpoint lacks it.
                with dsl.If(batch_enabled == True, "batch-scoring-without-new-data"):  # noqa: E712
                    last = last_trained(artifacts_bucket=artifacts_bucket, snapshot=cur.outputs["snapshot"],
                                        approval=approval, api_endpoint=api_endpoint,
                                        ).set_display_name("last trained version").set_caching_options(False)
                    with dsl.If(last.output != "", "score-with-last-trained"):
                        batch_predict(
                            project=project, region=region, run_id=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                            raw_bucket=raw_bucket, artifacts_bucket=artifacts_bucket, model_id=model_id,
                            alias=approved_alias, candidate=last.output, decision="deploy",
                            machine_type=serving_machine_type, min_replicas=min_replicas,
                            max_replicas=max_replicas, service_account=batch_service_account,
                            kms_key=kms_key, api_endpoint=api_endpoint,
                        ).set_display_name("batch predict (no new data)").set_caching_options(False)
                    with dsl.Else():
                        batch_predict(
                            project=project, region=region, run_id=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                            raw_bucket=raw_bucket, artifacts_bucket=artifacts_bucket, model_id=model_id,
                            alias=approved_alias, candidate="", decision="hold",
                            machine_type=serving_machine_type, min_replicas=min_replicas,
                            max_replicas=max_replicas, service_account=batch_service_account,
                            kms_key=kms_key, api_endpoint=api_endpoint,
                        ).set_display_name("batch predict (no new data, approved)").set_caching_options(False)
                with dsl.If(deploy_enabled == True, "serving-without-new-data"):  # noqa: E712
                    kept = approved(project=project, region=region, endpoint=endpoint, model_id=model_id,
                                    alias=approved_alias, api_endpoint=api_endpoint,
                                    overdue_days=approval_overdue_days, overdue_log=approval_overdue_log,
                                    ).set_display_name("approved version (no new data)")
                    kept.set_caching_options(False)
                    with dsl.If(kept.output != "", "human-approved-no-new-data"):
                        serve(kept.output, " approved version (no new data)", False)
        with dsl.Else():
            serve(approved_model, " given version", promote)


def compile_to(path: str) -> None:
    compiler.Compiler().compile(loop, package_path=path)


if __name__ == "__main__":
    compile_to(sys.argv[1] if len(sys.argv) > 1 else "pipeline.yaml")
