#!/usr/bin/env bash
# The one test command. From a fresh clone it builds tapedeck, installs what the
# tests need (a Python venv with pinned boto3 and AWS CLI), and runs the whole
# suite: formatting, clippy, the Rust tests, and real AWS clients against
# `tapedeck replay`. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export INSTA_UPDATE=no

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

step "Python venv (scripts/requirements.txt)"
scripts/setup-python.sh

step "moto 5.2.5 and cognito-local 5.3.0 on 127.0.0.1"
trap 'scripts/moto.sh stop; scripts/cognito-local.sh stop' EXIT
scripts/moto.sh start
MOTO_URL=$(scripts/moto.sh url)
export MOTO_URL MOTO_CREDENTIALS=$PWD/target/moto/credentials.env
scripts/cognito-local.sh start
COGNITO_LOCAL_URL=$(scripts/cognito-local.sh url)
export COGNITO_LOCAL_URL

step "cargo test"
cargo test --quiet 2>&1 | tee target/cargo-test.log
# Print the plain totals line so CI can count across all test binaries.
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "rust: %d passed, %d failed, %d skipped\n", p, f, i }' target/cargo-test.log

step "soak (short): replay under 256 connections, record against a resetting upstream"
scripts/soak.sh --short

if [ "${TAPEDECK_FUZZ:-0}" = 1 ]; then
    step "fuzz: libFuzzer, 30 s per target (needs a nightly toolchain)"
    scripts/fuzz.sh --time 30
fi

step "four AWS clients against tapedeck replay: the conformance matrix"
cargo build --quiet
TAPEDECK_BIN=target/debug/tapedeck scripts/clients/matrix.sh --check

step "done"
