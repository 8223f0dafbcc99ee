#!/usr/bin/env bash
# Install checkov into its own virtualenv at .tools/checkov, apart from the project's .venv.
#
# checkov pins its own versions of boto3, cfn-lint's dependencies, pydantic and others, which would
# fight the project's dev dependencies if both lived in .venv. tests/test_checkov.py runs
# `checkov -f template.yaml --framework cloudformation` only when .tools/checkov/bin/checkov
# exists, and skips (with this script's name as the reason) otherwise.
#
# Usage: scripts/install-checkov.sh            # create or upgrade .tools/checkov
#        PYTHON=python3.12 scripts/install-checkov.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
TOOLS_DIR=".tools/checkov"

if [ ! -x "$TOOLS_DIR/bin/python" ]; then
    "$PYTHON" -m venv "$TOOLS_DIR"
fi
"$TOOLS_DIR/bin/python" -m pip install --quiet --upgrade pip
"$TOOLS_DIR/bin/python" -m pip install --quiet --upgrade checkov
"$TOOLS_DIR/bin/checkov" --version
