#!/usr/bin/env bash
# Lint and type checks with the configuration in pyproject.toml ([tool.ruff], [tool.mypy]); CI runs this.
# mypy checks the files pyproject.toml names (dsaas_infra). Uses .venv (scripts/test.sh installs the
# test extra there, which has ruff and mypy).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${DSAAS_LINT_BIN:-.venv/bin}
"$BIN/ruff" check .
"$BIN/mypy"
