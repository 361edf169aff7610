#!/usr/bin/env bash
# Installs a tapedeck wheel into a fresh venv (with examples/python's pinned
# requirements) and runs, against what was installed: python/tests (tapedeck.Replay),
# examples/python's suite (plain boto3, the pytest plugin, pytester checks), and
# that suite again under pytest-xdist with 2 workers. TAPEDECK_BIN is unset, so
# the wheel's own binary is the one used.
#
#   scripts/test-wheel.sh target/wheels/tapedeck-*.whl
set -euo pipefail
wheel=${1:?usage: scripts/test-wheel.sh WHEEL}
wheel=$(realpath "$wheel")
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "test-wheel: $python not found" >&2; exit 1; }
venv=$PWD/target/wheel-venv
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r examples/python/requirements.txt "$wheel"
unset TAPEDECK_BIN
pytest=("$venv/bin/python" -m pytest -p no:cacheprovider)
echo "test-wheel: python/tests"
"${pytest[@]}" python/tests
echo "test-wheel: examples/python"
(cd examples/python && "${pytest[@]}")
echo "test-wheel: examples/python, pytest-xdist with 2 workers"
(cd examples/python && "${pytest[@]}" -n 2)
