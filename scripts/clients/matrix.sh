#!/usr/bin/env bash
# The client conformance matrix, in one command: boto3, the AWS CLI, the AWS SDK for
# JavaScript v3 and the AWS SDK for Rust call AdminForgetDevice against
# `tapedeck replay --strict` for every reference fixture and every probe
# (scripts/clients/probes/), then README.md's matrix (between <!-- matrix:start -->
# and <!-- matrix:end -->) and docs/clients.md's observation table are regenerated.
# Exits non-zero when a client's outcome differs from a fixture's, or a client broke
# the contract. The last line is `clients: N passed, M failed, K skipped`.
#
#   scripts/clients/matrix.sh            # run, and rewrite README.md / docs/clients.md
#   scripts/clients/matrix.sh --check    # run, and fail if those files are out of date (CI)
#   scripts/clients/matrix.sh --clients boto3,rust-sdk --no-write
#
# TAPEDECK_BIN=path uses that replay binary instead of building target/debug/tapedeck.
# What it installs, all pinned: the Python venvs (scripts/setup-python.sh), the JS SDK
# (npm ci from scripts/clients/js/package-lock.json) and the Rust SDK runner (cargo
# test --no-run --locked of scripts/clients/rust, into scripts/clients/rust/target:
# the runner and that project's tests, on one build of the SDK).
set -euo pipefail
cd "$(dirname "$0")/../.."

took() { printf 'matrix: %s took %ss\n' "$1" "$(( $(date +%s) - $2 ))" >&2; }

if [ -z "${TAPEDECK_BIN:-}" ]; then
    t=$(date +%s); cargo build --quiet --bin tapedeck; took "cargo build (tapedeck)" "$t"
    TAPEDECK_BIN=target/debug/tapedeck
fi
if [ ! -x .venv/bin/python ] || [ ! -x .venv-awscli/bin/aws ]; then
    t=$(date +%s); scripts/setup-python.sh; took "Python venvs" "$t"
fi
command -v node >/dev/null || { echo "matrix: node (18 or later) is needed for the JS SDK runner" >&2; exit 1; }
js=scripts/clients/js
if [ ! -f $js/node_modules/.package-lock.json ] || [ $js/package-lock.json -nt $js/node_modules/.package-lock.json ]; then
    t=$(date +%s); (cd $js && npm ci --no-audit --no-fund --loglevel=error); took "npm ci" "$t"
fi
t=$(date +%s)
cargo test --no-run --quiet --locked --manifest-path scripts/clients/rust/Cargo.toml --target-dir scripts/clients/rust/target
took "cargo test --no-run (Rust SDK runner and tests)" "$t"
exec .venv/bin/python scripts/clients/matrix.py --bin "$TAPEDECK_BIN" "$@"
