#!/usr/bin/env bash
# The one test command. From a fresh clone it builds tapedeck, installs what the
# tests need (a Python venv with pinned boto3 and AWS CLI), and runs the whole
# suite: formatting, clippy, the crate docs and package, the Rust tests, the
# Python wheel and the npm package in example projects, real AWS clients against
# `tapedeck replay`, and the AWS SDK for Rust in tests against
# `tapedeck::ReplayServer`. Exits non-zero on the first failure. The release binary is built once and reused by
# the soak, the wheel, the npm package and the client matrix.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export INSTA_UPDATE=no

# Each step's title, and when it ends, how long it took.
step_name=
step_start=$(date +%s)
step_end() {
    [ -n "$step_name" ] && printf -- '-- %s: %ss\n' "$step_name" "$(( $(date +%s) - step_start ))"
    return 0
}
step() {
    step_end
    step_name=$*
    step_start=$(date +%s)
    printf '\n== %s\n' "$*"
}

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

step "cargo doc --no-deps with RUSTDOCFLAGS=-D warnings: the crate docs build clean"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet

step "cargo package: the crate ships everything build.rs embeds"
scripts/check-package.sh

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

release=target/release/tapedeck
step "cargo build --release --locked: the one release build (soak, wheel, npm, client matrix)"
cargo build --release --locked --quiet --bin tapedeck
ls -l "$release" | awk '{ printf "tapedeck (release, stripped): %.1f MiB\n", $5 / 1048576 }'

step "soak (short): replay under 256 connections, record against a resetting upstream"
TAPEDECK_BIN=$release scripts/soak.sh --short

if [ "${TAPEDECK_FUZZ:-0}" = 1 ]; then
    step "fuzz: libFuzzer, 30 s per target (needs a nightly toolchain)"
    scripts/fuzz.sh --time 30
fi

step "Python wheel: maturin build, reusing the release build"
wheel=$(scripts/package-python.sh | tail -n1)

step "the wheel in a fresh venv: python/tests, examples/python (plain, then pytest-xdist -n 2)"
scripts/test-wheel.sh "$wheel"

step "pip install . from the checkout into a fresh venv (maturin reuses the release build)"
python3 -m venv --clear target/checkout-venv
target/checkout-venv/bin/python -m pip install --quiet --disable-pip-version-check .
env -u TAPEDECK_BIN target/checkout-venv/bin/python -c 'import subprocess, tapedeck
print(subprocess.run([tapedeck.find_binary(), "--version"], check=True, capture_output=True, text=True).stdout.strip(), "from", tapedeck.find_binary())'

step "npm packages: scripts/package-npm.sh with the release binary"
packed=$(scripts/package-npm.sh --bin "$release" | tail -n1)
read -r -a tarballs <<<"$packed"

step "the npm packages in examples/js: tsc, node --test, no process left"
scripts/test-npm.sh "${tarballs[@]}"

step "four AWS clients against tapedeck replay: the conformance matrix"
TAPEDECK_BIN=$release scripts/clients/matrix.sh --check

step "the AWS SDK for Rust against tapedeck::ReplayServer: scripts/clients/rust/tests (built by the matrix)"
cargo test --quiet --locked --manifest-path scripts/clients/rust/Cargo.toml \
    --target-dir scripts/clients/rust/target

step_end
printf '\n== done\n'
