#!/usr/bin/env bash
# Soak test of tapedeck's two servers, bounded in time and on loopback only.
#
#   scripts/soak.sh [--short]
#
# 1. replay: `tapedeck replay` (bundled fixtures) under 256 keep-alive
#    connections for 60 s (--short: 10 s), after a warm-up that fills the
#    journal's bounded window. Passes when
#    - no request failed (wrk: no socket error, every answer the fixture's
#      400 UserNotFoundException; without wrk, scripts/soak/load.py checks the same),
#    - the server counted every request as matched (its journal totals), and
#    - RSS stayed flat: VmRSS sampled every second, the median of the last
#      quartile at most 8 MiB + 10% above the median of the first (the bound
#      is justified in scripts/soak/check.py).
# 2. record: `tapedeck record` with 64 concurrent clients for 30 s (--short:
#    8 s) in front of a slow local upstream (20-250 ms per answer) that resets
#    10% of its connections, before answering or mid-body
#    (scripts/soak/upstream.py). Passes when every exchange whose answer
#    reached the client is recorded exactly once, no reset one is recorded,
#    the client never lost a connection, and the output directory holds only
#    whole fixtures and lints clean (`tapedeck lint`).
#
# Uses target/debug/tapedeck (built if needed), or $TAPEDECK_BIN. Needs
# python3; uses wrk when installed (as root it tries `apt-get install wrk`).
# Ends with the plain line `soak: N passed, M failed`; exits 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

replay_secs=60
warmup_secs=5
record_secs=30
if [ "${1:-}" = "--short" ]; then
    replay_secs=10
    warmup_secs=3
    record_secs=8
elif [ -n "${1:-}" ]; then
    echo "usage: scripts/soak.sh [--short]" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tapedeck-soak.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
# verdict "ok: ..." / "FAIL: ..." lines, counted.
count() {
    while IFS= read -r line; do
        echo "  $line"
        case "$line" in
            ok:*) passed=$((passed + 1)) ;;
            FAIL:*) failed=$((failed + 1)) ;;
        esac
    done
}
check() { # check CONDITION-STATUS TEXT
    if [ "$1" -eq 0 ]; then echo "ok: $2"; else echo "FAIL: $2"; fi
}

bin=${TAPEDECK_BIN:-target/debug/tapedeck}
if [ -z "${TAPEDECK_BIN:-}" ]; then
    cargo build --quiet --bin tapedeck
fi
if ! command -v wrk >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    timeout 180 apt-get install -y -qq wrk >/dev/null 2>&1 || true
fi

# Starts "$@" in the background with stdout to $work/NAME.out; waits (max
# 30 s) for its "listening on http://ADDR" line and sets $url.
start_server() {
    local name=$1
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    server_pid=$!
    for _ in $(seq 300); do
        url=$(sed -n 's/.*listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/$name.out" | head -n1)
        [ -n "$url" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "soak: $name did not start:" >&2
    cat "$work/$name.err" >&2
    return 1
}

totals() { # the replay journal's totals as "requests matched unmatched dropped"
    python3 -c 'import json, sys, urllib.request
t = json.load(urllib.request.urlopen(sys.argv[1] + "/__tapedeck/journal", timeout=10))["totals"]
print(t["requests"], t["matched"], t["unmatched"], t["dropped"])' "$1"
}

# Runs 256 connections against $url for $1 seconds; prints "requests errors".
drive_replay() {
    local secs=$1
    if command -v wrk >/dev/null; then
        wrk -t2 -c256 -d"${secs}s" --timeout 5s -s scripts/soak/replay.lua "$url/" >"$work/wrk.out" 2>&1 || true
        local requests unexpected socket
        requests=$(sed -n 's/^soak-wrk: requests \([0-9]*\) unexpected.*/\1/p' "$work/wrk.out")
        unexpected=$(sed -n 's/^soak-wrk: requests [0-9]* unexpected \([0-9]*\)/\1/p' "$work/wrk.out")
        socket=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$work/wrk.out" | awk '{print $1+$2+$3+$4}')
        echo "${requests:-0} $(( ${unexpected:-1} + ${socket:-0} ))"
    else
        python3 scripts/soak/load.py replay --url "$url" --clients 256 --duration "$secs" --results "$work/replay.json"
        python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["requests"], len(r["errors"]))' "$work/replay.json"
    fi
}

# ---------------------------------------------------------------------------
echo "== soak 1/2: tapedeck replay, 256 connections, ${replay_secs} s (+ warm-up)"
start_server replay "$bin" replay --listen 127.0.0.1:0 --max-connections 1024
replay_pid=$server_pid
driver=python
command -v wrk >/dev/null && driver=wrk
echo "  $url, driver $driver"

# Warm-up: until the journal's window (10,000 entries) is full.
for _ in 1 2 3 4 5 6; do
    drive_replay "$warmup_secs" >/dev/null
    read -r _ _ _ dropped < <(totals "$url")
    [ "$dropped" -gt 0 ] && break
done
read -r base_requests _ _ _ < <(totals "$url")

( while kill -0 "$replay_pid" 2>/dev/null; do
      awk '/^VmRSS:/ {print $2}' "/proc/$replay_pid/status" 2>/dev/null || true
      sleep 1
  done ) >"$work/rss.txt" &
sampler=$!
pids+=("$sampler")
started=$(date +%s%N)
read -r sent errors < <(drive_replay "$replay_secs")
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
kill "$sampler" 2>/dev/null || true
read -r requests matched unmatched _ < <(totals "$url")
served=$((requests - base_requests))
rate=$(( sent * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) ))
count < <(
    check $(( errors == 0 && sent > 0 ? 0 : 1 )) "replay: $sent requests in $(( elapsed_ms / 1000 )) s (~$rate/s), $errors errors"
    check $(( unmatched == 0 && matched == requests ? 0 : 1 )) "replay: the server matched every request ($served in the window; $requests in all, $unmatched unmatched)"
    python3 scripts/soak/check.py rss "$work/rss.txt" || true
)
kill "$replay_pid"
wait "$replay_pid" 2>/dev/null || true

# ---------------------------------------------------------------------------
echo "== soak 2/2: tapedeck record, 64 clients, ${record_secs} s, slow upstream resetting 10%"
python3 scripts/soak/upstream.py --port-file "$work/upstream.port" >"$work/upstream.out" 2>&1 &
upstream_pid=$!
pids+=("$upstream_pid")
for _ in $(seq 100); do [ -s "$work/upstream.port" ] && break; sleep 0.1; done
upstream="http://127.0.0.1:$(cat "$work/upstream.port")"
out=$work/recorded
start_server record "$bin" record --upstream "$upstream" --out "$out" --no-resign \
    --keep-usernames --listen 127.0.0.1:0 --read-timeout 5
record_pid=$server_pid
echo "  $url -> $upstream"
python3 scripts/soak/load.py proxy --url "$url" --clients 64 --duration "$record_secs" --results "$work/proxy.json"
kill "$record_pid"
wait "$record_pid" 2>/dev/null || true
kill "$upstream_pid"
wait "$upstream_pid" 2>/dev/null || true
echo "  $(cat "$work/upstream.out")"
lint_status=0
"$bin" lint "$out" >"$work/lint.out" 2>&1 || lint_status=$?
count < <(
    python3 scripts/soak/check.py proxy "$work/proxy.json" "$out" || true
    check "$lint_status" "record: tapedeck lint is clean on the output ($(tail -n1 "$work/lint.out"))"
)

echo "soak: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
