#!/usr/bin/env bash
# A local moto 5.2.5 server (from .venv, see scripts/requirements.txt) that checks
# SigV4 signatures, for tests/it/record_moto.rs.
#
#   scripts/moto.sh start   start it (or reuse a healthy one), bootstrap an IAM key
#   scripts/moto.sh url     print its URL (exit 1 when it is not running)
#   scripts/moto.sh stop    stop it
#
# State lives in target/moto/: url, pid, moto.log and credentials.env (the
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of a fake IAM user moto created; never
# real AWS credentials). Typical use:
#
#   scripts/setup-python.sh && scripts/moto.sh start
#   export MOTO_URL=$(scripts/moto.sh url) MOTO_CREDENTIALS=target/moto/credentials.env
#
# moto verifies signatures only after INITIAL_NO_AUTH_ACTION_COUNT requests have
# reached a service (counted across all services; /moto-api/ routes, which the
# health check below uses, are not counted). scripts/moto_bootstrap.py spends
# exactly that allowance (3: iam CreateUser, PutUserPolicy, CreateAccessKey, with
# retries off) and says how many it needs (--allowance), so nothing else may talk
# to moto between the start and the bootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=target/moto
pid_file=$dir/pid
url_file=$dir/url
credentials=$dir/credentials.env
log=$dir/moto.log
python=.venv/bin/python
start_timeout=30

die() { echo "moto.sh: $*" >&2; exit 1; }

# Whether the recorded process is alive.
alive() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

# Whether moto answers at $1 (an uncounted /moto-api/ route, 2 s per try).
answers() {
    curl --silent --fail --max-time 2 --output /dev/null "$1/moto-api/config"
}

# A port the kernel says is free right now.
free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop() {
    if alive; then
        local pid
        pid=$(cat "$pid_file")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        echo "moto.sh: stopped moto (pid $pid)"
    fi
    rm -f "$pid_file" "$url_file" "$credentials"
}

start() {
    [ -x "$python" ] || die "$python not found; run scripts/setup-python.sh first"
    "$python" -c 'import moto.server' 2>/dev/null \
        || die "moto is not installed in .venv; run scripts/setup-python.sh"
    command -v curl >/dev/null || die "curl not found"
    if alive && [ -f "$url_file" ] && [ -s "$credentials" ] && answers "$(cat "$url_file")"; then
        echo "moto.sh: reusing moto at $(cat "$url_file") (pid $(cat "$pid_file"))"
        return
    fi
    # Stale or half-bootstrapped state: the allowance may be spent, so start afresh.
    stop >/dev/null
    mkdir -p "$dir"
    local allowance port url pid
    allowance=$("$python" scripts/moto_bootstrap.py --allowance)
    port=$(free_port)
    url="http://127.0.0.1:$port"
    INITIAL_NO_AUTH_ACTION_COUNT=$allowance nohup "$python" -m moto.server -H 127.0.0.1 -p "$port" \
        >"$log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$pid_file"
    local deadline=$((SECONDS + start_timeout))
    until answers "$url"; do
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; rm -f "$pid_file"; die "moto exited during start; log above ($log)"; }
        [ "$SECONDS" -lt "$deadline" ] || { stop >/dev/null; die "moto did not answer at $url within ${start_timeout}s; see $log"; }
        sleep 0.2
    done
    echo "$url" >"$url_file"
    if ! "$python" scripts/moto_bootstrap.py "$url" --out "$credentials"; then
        stop >/dev/null
        die "bootstrap failed; moto stopped (log: $log)"
    fi
    echo "moto.sh: moto 5.2.5 at $url (pid $pid), verifying SigV4 after $allowance bootstrap requests"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url)
        alive && [ -f "$url_file" ] || die "moto is not running (scripts/moto.sh start)"
        cat "$url_file"
        ;;
    *) echo "usage: scripts/moto.sh start|stop|url" >&2; exit 2 ;;
esac
