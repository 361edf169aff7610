#!/usr/bin/env bash
# Benchmarks tapedeck replay against the floor (examples/floor.rs), WireMock,
# Mountebank and moto, and the recording proxy against a direct call; see
# docs/benchmarks.md for the method and the latest results.
#
#   scripts/bench.sh            full run: 5 rounds of 5 s runs (about 15 min), rewrites the
#                               results section of docs/benchmarks.md and docs/benchmarks.svg
#   scripts/bench.sh --quick    smoke run: 1 round of 2 s runs, report in target/bench/ only
#   scripts/bench.sh --help     every option (rounds, duration, servers, fixtures, ...)
#
# Needs: a Rust toolchain, wrk (installed with apt-get when missing and root), node and
# npm (WireMock and Mountebank, pinned in scripts/bench/package-lock.json), Java 17+
# (WireMock), Python 3 (the driver, stdlib only; moto comes from .venv, made by
# scripts/setup-python.sh). Everything listens on 127.0.0.1 only, and every load run is
# bounded in time. Set BENCH_SKIP_BUILD=1 to use the binaries already in target/release.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bench.sh: $*" >&2; exit 2; }

for arg in "$@"; do
    case $arg in -h|--help) exec python3 scripts/bench/bench.py --help ;; esac
done

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "bench.sh: installing wrk" >&2
        apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
    fi
    command -v wrk >/dev/null || die "wrk is needed (Debian: apt-get install wrk)"
fi
command -v python3 >/dev/null || die "python3 is needed"

servers=$(python3 - "$@" <<'EOF'
import sys
args = sys.argv[1:]
v = "floor,replay,wiremock,mountebank,moto"
for i, a in enumerate(args):
    if a == "--servers" and i + 1 < len(args):
        v = args[i + 1]
    elif a.startswith("--servers="):
        v = a.split("=", 1)[1]
print(v)
EOF
)
wants() { [[ ",$servers," == *",$1,"* ]]; }

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    echo "bench.sh: cargo build --release (tapedeck and the floor)" >&2
    cargo build --release --quiet --bin tapedeck --example floor
fi

if wants wiremock || wants mountebank; then
    command -v npm >/dev/null || die "node and npm are needed for WireMock and Mountebank"
    if [ ! -x scripts/bench/node_modules/mountebank/bin/mb ] || [ ! -d scripts/bench/node_modules/wiremock ]; then
        echo "bench.sh: npm ci in scripts/bench (WireMock standalone, Mountebank)" >&2
        (cd scripts/bench && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi
if wants wiremock; then
    command -v java >/dev/null || die "Java 11+ is needed for WireMock standalone"
fi
if wants moto && [ ! -x .venv/bin/moto_server ]; then
    echo "bench.sh: scripts/setup-python.sh (moto)" >&2
    scripts/setup-python.sh
fi

exec python3 scripts/bench/bench.py "$@"
