#!/usr/bin/env python3
"""A stand-in `terraform` for fleet fan-out tests: logs every call, sleeps, fails on request.

Environment: STUB_LOG (file every call appends a JSON line to: pid, cwd, argv, start, end),
STUB_SLEEP (seconds each plan sleeps, default 0), and a blueprint folder containing a file
named FAIL makes `plan` exit 1 with a Terraform-like diagnostic on stderr.
"""

import json
import os
import sys
import time
from pathlib import Path

PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.15.5",
    "resource_changes": [
        {"address": "null_resource.raw", "mode": "managed", "type": "null_resource", "name": "raw",
         "change": {"actions": ["create"]}},
    ],
    "resource_drift": [
        {"address": "null_resource.raw", "mode": "managed", "type": "null_resource", "name": "raw",
         "change": {"actions": ["update"], "before": {"triggers": {"k": "1"}}, "after": {"triggers": {"k": "2"}},
                    "before_sensitive": {}, "after_sensitive": {}}},
    ],
}


def main() -> int:
    argv = sys.argv[1:]
    start = time.time()
    cwd = Path.cwd()
    code = 0
    if argv and argv[0] == "plan":
        time.sleep(float(os.environ.get("STUB_SLEEP", "0")))
        if (cwd / "FAIL").exists():
            sys.stderr.write("\nError: stub failure in " + cwd.name + "\n\n")
            code = 1
        else:
            out = next(a.split("=", 1)[1] for a in argv if a.startswith("-out="))
            Path(out).write_text(json.dumps(PLAN))
            print(f"stub plan for {cwd.name}")
    elif argv and argv[0] == "show":
        print(Path(argv[-1]).read_text())
    elif argv and argv[0] == "init":
        print(f"stub init for {cwd.name}")
    elif argv and argv[0] == "version":
        print("Terraform v1.15.5")
    with open(os.environ["STUB_LOG"], "a") as log:
        log.write(json.dumps({"pid": os.getpid(), "cwd": str(cwd), "argv": argv, "start": start,
                              "end": time.time()}) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
