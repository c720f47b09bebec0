#!/usr/bin/env bash
# Install everything the test suite needs, from scratch, then run it:
#   .venv/            the package with its test extras (boto3, Google clients, moto, pytest)
#   .tools/           Terraform, the hashicorp/null provider mirror and checkov in its own venv
#                     (checkov's bc-python-hcl2 would overwrite python-hcl2 in .venv)
# Extra arguments go to pytest (e.g. scripts/test.sh -k golden --update-golden).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check '.[test]'
bash scripts/install_test_tools.sh .tools --checkov
# Lint and type errors fail the run before the (long) suite starts.
bash scripts/lint.sh

export DSAAS_TEST_TOOLS="$PWD/.tools"
export DSAAS_TERRAFORM="$PWD/.tools/bin/terraform"
export DSAAS_TF_PLUGIN_MIRROR="$PWD/.tools/plugins"
export DSAAS_CHECKOV="$PWD/.tools/checkov/bin/checkov"
export CHECKPOINT_DISABLE=1
# Everything above installed the test tools: a missing one is a failure here, not a skip.
export DSAAS_REQUIRE_TEST_TOOLS=1

# Tests import the package from the source tree (tests/test_packaging.py checks the wheel).
exec .venv/bin/python -m pytest "$@"
