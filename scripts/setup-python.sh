#!/usr/bin/env bash
# Creates the Python venvs the tests use, with pinned packages:
#   .venv         scripts/requirements.txt         (boto3)
#   .venv-awscli  scripts/requirements-awscli.txt  (the AWS CLI, which pins its own botocore)
# Re-running is cheap: pip skips what is already installed at the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null; then
    echo "setup-python: $python not found; install Python 3.9+ (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi
make_venv() {
    local dir=$1 requirements=$2
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
}
make_venv .venv scripts/requirements.txt
make_venv .venv-awscli scripts/requirements-awscli.txt
