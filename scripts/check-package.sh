#!/usr/bin/env bash
# Checks that the crate is ready to publish: `cargo package --list` ships every
# file build.rs embeds (each fixture set and the service model), so that the
# published crate builds to the same binary; and `cargo package --no-verify`
# writes the .crate. build.rs lists what it embeds in $OUT_DIR/embedded-files.txt;
# this finds that directory through cargo's build messages.
#
#   scripts/check-package.sh        # prints the package's size; exits 1 on a missing file
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir=$(cargo build --lib --quiet --message-format=json |
    python3 -c '
import json, sys
for m in map(json.loads, sys.stdin):
    if m.get("reason") == "build-script-executed" and "#tapedeck@" in m["package_id"]:
        print(m["out_dir"])' | tail -n1)
embedded=$out_dir/embedded-files.txt
if [ -z "$out_dir" ] || [ ! -f "$embedded" ]; then
    echo "check-package: cannot find build.rs's embedded-files.txt (out_dir: '${out_dir}')" >&2
    exit 1
fi

listed=$(mktemp)
trap 'rm -f "$listed"' EXIT
cargo package --list --allow-dirty --quiet >"$listed"
missing=$(grep -vxF -f "$listed" "$embedded" || true)
if [ -n "$missing" ]; then
    echo "check-package: build.rs embeds files that cargo package leaves out (see include in Cargo.toml):" >&2
    echo "$missing" >&2
    exit 1
fi
echo "check-package: cargo package ships all $(wc -l <"$embedded") files build.rs embeds ($(wc -l <"$listed") files in all)"

cargo package --allow-dirty --no-verify --quiet
crate=$(ls -t target/package/tapedeck-*.crate | head -n1)
ls -l "$crate" | awk '{ printf "check-package: %s, %.0f KiB\n", $9, $5 / 1024 }'
