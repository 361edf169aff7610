#!/usr/bin/env bash
# Bounded, coverage-guided fuzzing of tapedeck with libFuzzer.
#
#   scripts/fuzz.sh [--time SECS] [--require-nightly] [TARGET...]
#
# Targets (fuzz/fuzz_targets/, bodies in fuzz/src/lib.rs):
#   fixture_parser   any bytes as a fixture file: parse, write back, re-parse, lint
#   replay_request   any method/path/headers/body through the replay request path
#                    (contract checks, canonical key, index lookup, near misses)
#
# Each target runs for SECS seconds (default 30) with AddressSanitizer, starting
# from the committed seeds (fuzz/seeds/<target>/) and the bundled fixtures, and
# keeps what it finds in fuzz/corpus/<target>/ (git-ignored). A crash is saved
# in fuzz/artifacts/<target>/ and fails the run; tests/it/prop_fuzz_corpus.rs then
# replays it on stable in every `cargo test` until it is fixed.
#
# Needs a nightly toolchain (`rustup toolchain list`); the build uses the same
# flags as `cargo fuzz build` (which also works: `cargo +nightly fuzz run
# replay_request`, from the repository root, if cargo-fuzz is installed). With
# no nightly it prints why and exits 0, or 1 with --require-nightly: the stable
# corpus replay in `cargo test` is what then covers the targets.
#
# Ends with the plain line `fuzz: N passed, M failed` (one per target).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=30
require=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) secs="$2"; shift 2 ;;
        --time=*) secs="${1#--time=}"; shift ;;
        --require-nightly) require=1; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(fixture_parser replay_request)

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz.sh: no nightly toolchain here (rustup toolchain list), and toolchains cannot be downloaded on this machine."
    echo "fuzz.sh: the fuzz targets still run on stable over their seed corpus: cargo test --test it prop_fuzz_corpus::"
    echo "fuzz: 0 passed, 0 failed, ${#targets[@]} skipped"
    exit "$require"
fi

host=$(rustc +nightly -vV | sed -n 's/^host: //p')
# The flags cargo-fuzz uses for libFuzzer with AddressSanitizer.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Clink-dead-code -Zsanitizer=address -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR=fuzz/target
# Build with the main crate's dependency versions.
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock

echo "== building the fuzz targets (nightly, AddressSanitizer; the first build takes minutes)"
build_started=$(date +%s)
bins=()
for t in "${targets[@]}"; do bins+=(--bin "$t"); done
cargo +nightly build --quiet --release --manifest-path fuzz/Cargo.toml --target "$host" "${bins[@]}"
echo "built in $(( $(date +%s) - build_started )) s"

passed=0
failed=0
for t in "${targets[@]}"; do
    corpus=fuzz/corpus/$t
    artifacts=fuzz/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    seeds=(fuzz/seeds/"$t")
    if [ "$t" = fixture_parser ]; then
        # The bundled fixtures, one directory per set.
        for set in fixtures/admin-forget-device/*/; do seeds+=("$set"); done
    fi
    echo "== $t: ${secs} s"
    log=fuzz/target/$t.log
    set +e
    timeout $((secs + 120)) "fuzz/target/$host/release/$t" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$corpus" "${seeds[@]}" >"$log" 2>&1
    rc=$?
    set -e
    grep -E '^(Done|stat::number_of_executed_units|#[0-9]+ +DONE)' "$log" || true
    if [ $rc -eq 0 ]; then
        echo "$t: no crash; corpus $(find "$corpus" -type f | wc -l) inputs"
        passed=$((passed + 1))
    else
        echo "$t: FAILED (exit $rc); the end of $log:"
        tail -n 40 "$log"
        ls -1 "$artifacts" | sed 's/^/  artifact: /'
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
