#!/usr/bin/env bash
# A local cognito-local 5.3.0 server (pinned in scripts/cognito-local/package-lock.json)
# on 127.0.0.1, for recording what that emulator answers.
#
#   scripts/cognito-local.sh start    install if needed, start it (or reuse a healthy one)
#   scripts/cognito-local.sh url      print its URL (exit 1 when it is not running)
#   scripts/cognito-local.sh status   exit 0 when it is running and answers /health
#   scripts/cognito-local.sh stop     stop it
#
# Needs node and npm. `start` runs `npm ci` in scripts/cognito-local when
# node_modules is missing or older than the lock file (the only network use: the npm
# registry); the server itself listens on loopback only and talks to nothing.
#
# State lives in target/cognito-local/: url, pid, server.log, and work/ — the
# server's working directory, holding its data in work/.cognito/ (emptied at every
# fresh start; config.json there turns off the email-only usernames that stock
# cognito-local gives new pools). cognito-local checks no credentials or signatures;
# any fake key works. Pool ids look like local_AbCd1234 (region "local").
# Typical use:
#
#   scripts/cognito-local.sh start
#   export COGNITO_LOCAL_URL=$(scripts/cognito-local.sh url)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

pkg=$root/scripts/cognito-local
dir=$root/target/cognito-local
work=$dir/work
pid_file=$dir/pid
url_file=$dir/url
log=$dir/server.log
entry=$pkg/node_modules/cognito-local/lib/bin/start.js
version=5.3.0
start_timeout=30

die() { echo "cognito-local.sh: $*" >&2; exit 1; }

# Whether process $1 exists and has not exited (a zombie, waiting for whoever
# adopted it to reap it, counts as exited).
running() {
    kill -0 "$1" 2>/dev/null || return 1
    [ ! -r "/proc/$1/stat" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}

# Whether the recorded pid is alive and is our server (not a recycled pid).
alive() {
    [ -f "$pid_file" ] || return 1
    local pid
    pid=$(cat "$pid_file")
    [ -n "$pid" ] && running "$pid" || return 1
    # /proc is there on Linux; elsewhere trust the pid.
    [ ! -r "/proc/$pid/cmdline" ] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$entry"
}

# Whether cognito-local answers its health route at $1 (2 s per try).
answers() {
    local body
    body=$(curl --silent --fail --max-time 2 --noproxy '*' "$1/health" 2>/dev/null) || return 1
    [ "$body" = '{"ok":true}' ]
}

healthy() { alive && [ -s "$url_file" ] && answers "$(cat "$url_file")"; }

# A port the kernel says is free right now.
free_port() {
    node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# npm ci when node_modules is missing, older than the lock file, or not 5.3.0.
install() {
    local marker=$pkg/node_modules/.package-lock.json
    if [ -f "$marker" ] && [ -f "$entry" ] && ! [ "$pkg/package-lock.json" -nt "$marker" ] \
        && [ "$(node -p 'require(process.argv[1]).version' "$pkg/node_modules/cognito-local/package.json")" = "$version" ]; then
        return
    fi
    echo "cognito-local.sh: npm ci in scripts/cognito-local" >&2
    # --ignore-scripts: the only install script in the tree is aws-sdk's
    # maintenance-mode notice; nothing needs building.
    (cd "$pkg" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2) \
        || die "npm ci failed in scripts/cognito-local"
    [ -f "$entry" ] || die "npm ci did not install $entry"
}

stop() {
    if alive; then
        local pid
        pid=$(cat "$pid_file")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            running "$pid" || break
            sleep 0.1
        done
        running "$pid" && kill -9 "$pid" 2>/dev/null || true
        echo "cognito-local.sh: stopped cognito-local (pid $pid)"
    fi
    rm -f "$pid_file" "$url_file"
}

# One attempt at a fresh server on a free port; returns 2 if the port was taken.
launch() {
    local port url pid
    port=$(free_port) || die "node could not find a free port"
    url="http://127.0.0.1:$port"
    rm -rf "$work"
    mkdir -p "$work/.cognito"
    # Stock cognito-local makes every new pool UsernameAttributes=["email"] (a plain
    # username gets 400 "Username should be an email."); AWS's default is none.
    echo '{"UserPoolDefaults":{"UsernameAttributes":[]}}' >"$work/.cognito/config.json"
    (
        cd "$work"
        # NODE_ENV=production: Express's error pages (e.g. 400 for a body that is not
        # JSON) then say "Bad Request" instead of a stack trace with local paths.
        HOST=127.0.0.1 PORT=$port NODE_ENV=production AWS_EC2_METADATA_DISABLED=true \
            exec node "$entry" >"$log" 2>&1 </dev/null
    ) &
    pid=$!
    echo "$pid" >"$pid_file"
    local deadline=$((SECONDS + start_timeout))
    until answers "$url"; do
        if ! running "$pid"; then
            rm -f "$pid_file"
            grep -q EADDRINUSE "$log" && return 2
            tail -n 20 "$log" >&2
            die "cognito-local exited during start; log above ($log)"
        fi
        [ "$SECONDS" -lt "$deadline" ] \
            || { stop >/dev/null; die "cognito-local did not answer at $url within ${start_timeout}s; see $log"; }
        sleep 0.2
    done
    echo "$url" >"$url_file"
    echo "cognito-local.sh: cognito-local $version at $url (pid $pid, state in ${work#"$root"/}/.cognito)"
}

start() {
    command -v node >/dev/null || die "node not found on PATH; install Node.js 20 (with npm) to use cognito-local"
    command -v npm >/dev/null || die "npm not found on PATH; install npm (it comes with Node.js) to use cognito-local"
    command -v curl >/dev/null || die "curl not found on PATH"
    if healthy; then
        echo "cognito-local.sh: reusing cognito-local at $(cat "$url_file") (pid $(cat "$pid_file"))"
        return
    fi
    stop >/dev/null
    install
    mkdir -p "$dir"
    local rc
    for _ in 1 2 3; do
        rc=0
        launch || rc=$?
        [ "$rc" -eq 2 ] || return "$rc"
        echo "cognito-local.sh: port taken before cognito-local bound it; retrying" >&2
    done
    die "could not bind a free port (see $log)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url)
        alive && [ -s "$url_file" ] || die "cognito-local is not running (scripts/cognito-local.sh start)"
        cat "$url_file"
        ;;
    status)
        if healthy; then
            echo "cognito-local.sh: healthy at $(cat "$url_file") (pid $(cat "$pid_file"))"
        else
            echo "cognito-local.sh: not running or not healthy" >&2
            exit 1
        fi
        ;;
    *) echo "usage: scripts/cognito-local.sh start|stop|url|status" >&2; exit 2 ;;
esac
