#!/usr/bin/env bash
# Installs tapedeck's npm tarballs (scripts/package-npm.sh) into a fresh
# examples/js — its pinned AWS SDK v3 from package-lock.json, then the tarballs —
# type-checks it against the package's TypeScript types, runs its tests with
# node --test, and fails if any tapedeck process is left running afterwards.
#
#   scripts/test-npm.sh target/npm/tapedeck-0.1.0.tgz target/npm/tapedeck-cli-linux-x64-0.1.0.tgz
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: scripts/test-npm.sh TARBALL..." >&2; exit 2; }
tarballs=()
for t in "$@"; do tarballs+=("$(realpath "$t")"); done
cd "$(dirname "$0")/../examples/js"
command -v npm >/dev/null || { echo "test-npm: npm (Node 18 or later) is needed" >&2; exit 1; }
rm -rf node_modules
npm ci --no-audit --no-fund --loglevel=error
npm install --no-save --no-audit --no-fund --loglevel=error "${tarballs[@]}"
echo "test-npm: tsc (the example against the package's types; the types themselves)"
npx --no-install tsc -p .
npx --no-install tsc --noEmit --strict --types node node_modules/tapedeck/index.d.ts
echo "test-npm: node --test"
status=0
env -u TAPEDECK_BIN node --test || status=$?
installed=$(realpath node_modules/@tapedeck/cli-linux-x64/bin/tapedeck)
left=()
for exe in /proc/[0-9]*/exe; do
    [ "$(readlink "$exe" 2>/dev/null)" = "$installed" ] && left+=("${exe//[^0-9]/}")
done
if [ ${#left[@]} -gt 0 ]; then
    echo "test-npm: FAIL: tapedeck processes left running: ${left[*]}" >&2
    exit 1
fi
echo "test-npm: no tapedeck process left running"
exit "$status"
