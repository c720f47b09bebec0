"""Start one promote run of the MLOps loop: what the blueprint's Cloud Run job <prefix>-promote runs.

An approver sets the alias "approved" on the version to promote (Model Registry), then executes
the job (`gcloud run jobs execute <prefix>-promote --region=<region> --wait`; README). The job
runs as the scheduler's account: it reads the pipeline-job request the blueprint wrote
(PROMOTE_REQUEST, gs://<artifacts bucket>/pipeline/promote-request.json: the compiled loop and
the client's parameters with promote = true) and creates one pipeline job from it. That run
makes the approved version the champion with all traffic, prunes the rest and re-creates the
drift monitoring for the new champion. A request that is not a promote request, or any error
answer, fails the job (exit status 1) with Google's message.

Only the standard library: the job runs this file in python:3.11-slim as it is. API_ENDPOINT
(one root for every Google API) and METADATA_ENDPOINT point it at a local fake in the tests.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def _request(method: str, url: str, headers: dict, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read()
    except urllib.error.HTTPError as e:
        detail = e.read()[:2000].decode(errors="replace")
        raise SystemExit(f"promote: {method} {url}: {e.code} {detail}") from None


def main() -> int:
    project, region = os.environ["PROJECT"], os.environ["REGION"]
    bucket, _, name = os.environ["PROMOTE_REQUEST"].removeprefix("gs://").partition("/")
    api = os.environ.get("API_ENDPOINT", "")
    metadata = os.environ.get("METADATA_ENDPOINT", "http://metadata.google.internal")
    storage = api or "https://storage.googleapis.com"
    vertex = api or f"https://{region}-aiplatform.googleapis.com"

    token = json.loads(_request(
        "GET", f"{metadata}/computeMetadata/v1/instance/service-accounts/default/token",
        {"Metadata-Flavor": "Google"}))["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    obj = urllib.parse.quote(name, safe="")
    job = json.loads(_request("GET", f"{storage}/storage/v1/b/{bucket}/o/{obj}?alt=media", auth))
    if job.get("runtimeConfig", {}).get("parameterValues", {}).get("promote") is not True:
        raise SystemExit(f"promote: gs://{bucket}/{name} is not a promote request (promote is not true)")
    created = json.loads(_request(
        "POST", f"{vertex}/v1/projects/{project}/locations/{region}/pipelineJobs",
        {**auth, "Content-Type": "application/json"}, json.dumps(job).encode()))
    print(f"promote: started pipeline job {created['name']}: it makes the approved version the "
          "champion (Vertex AI Pipelines in the console shows its steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
