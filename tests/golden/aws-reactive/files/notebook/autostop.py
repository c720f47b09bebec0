"""Stop this SageMaker notebook instance once Jupyter has been idle for --idle-seconds (cron runs it every 5 minutes).

Idle means: no kernel is busy, and neither the Jupyter server (any request from the browser, a
terminal, the file browser) nor any kernel shows activity for that long. Only the Python standard
library and boto3 (the notebook's system environment has it) are used.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import urllib.request
from datetime import datetime, timezone

METADATA = "/opt/ml/metadata/resource-metadata.json"
JUPYTER = "https://localhost:8443"


def _get(base: str, path: str) -> object:
    # The notebook's own server on localhost, with SageMaker's self-signed certificate.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"{base}{path}", context=context, timeout=30) as response:
        return json.load(response)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def idle_for(status: dict, sessions: list, now: datetime) -> float:
    """Seconds since the last activity; 0 while a kernel is busy."""
    kernels = [s.get("kernel") or {} for s in sessions]
    if any(k.get("execution_state") == "busy" for k in kernels):
        return 0.0
    stamps = [_time(t) for t in [status.get("last_activity"), *(k.get("last_activity") for k in kernels)] if t]
    if not stamps:
        return 0.0  # nothing to go by: never stop blindly
    return (now - max(stamps)).total_seconds()


def main(argv: list[str] | None = None, now: datetime | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle-seconds", type=int, required=True)
    parser.add_argument("--jupyter", default=JUPYTER)
    parser.add_argument("--metadata", default=METADATA)
    args = parser.parse_args(argv)
    status = _get(args.jupyter, "/api/status")
    sessions = _get(args.jupyter, "/api/sessions")
    assert isinstance(status, dict) and isinstance(sessions, list)
    idle = idle_for(status, sessions, now or datetime.now(timezone.utc))
    if idle < args.idle_seconds:
        print(f"active: idle for {idle:.0f} s of {args.idle_seconds}")
        return 0
    with open(args.metadata, encoding="utf-8") as f:
        name = json.load(f)["ResourceName"]
    import boto3

    print(f"idle for {idle:.0f} s: stopping notebook instance {name}")
    boto3.client("sagemaker").stop_notebook_instance(NotebookInstanceName=name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
