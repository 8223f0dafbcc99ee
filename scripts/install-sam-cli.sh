#!/usr/bin/env bash
# Install the AWS SAM CLI into its own virtualenv at .tools/sam, apart from the project's .venv.
#
# aws-sam-cli pins its own (often older) boto3, click, cfn-lint and aws-sam-translator, which would
# fight the project's dev dependencies if both lived in .venv. tests/aws/test_template.py runs
# `sam validate --lint` only when .tools/sam/bin/sam exists, and skips (with this script's name as the
# reason) otherwise.
#
# Usage: scripts/install-sam-cli.sh            # create or upgrade .tools/sam
#        PYTHON=python3.12 scripts/install-sam-cli.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
TOOLS_DIR=".tools/sam"

if [ ! -x "$TOOLS_DIR/bin/python" ]; then
    "$PYTHON" -m venv "$TOOLS_DIR"
fi
"$TOOLS_DIR/bin/python" -m pip install --quiet --upgrade pip
"$TOOLS_DIR/bin/python" -m pip install --quiet --upgrade aws-sam-cli
"$TOOLS_DIR/bin/sam" --version
