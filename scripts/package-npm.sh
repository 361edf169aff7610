#!/usr/bin/env bash
# Packs tapedeck's npm packages for this platform (Linux x64, glibc), in the
# main-package-plus-platform-packages pattern (as esbuild and Biome ship):
#   tapedeck                 the `tapedeck` command (a small JS shim: `npx tapedeck …`)
#                            and the test helper (startReplay, ESM, TypeScript types);
#                            its optionalDependencies name one package per platform
#   @tapedeck/cli-linux-x64  the stripped release binary
# Sources: npm/tapedeck and npm/cli-linux-x64; the version is Cargo.toml's.
#
#   scripts/package-npm.sh               # cargo build --release --locked, then pack
#   scripts/package-npm.sh --bin PATH    # pack an already-built release binary
#   TAPEDECK_BIN=PATH scripts/package-npm.sh
#
# Writes target/npm/*.tgz; the last line printed is the two tarball paths.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${TAPEDECK_BIN:-}
while [ $# -gt 0 ]; do
    case $1 in
        --bin) bin=${2:?--bin needs a path}; shift 2 ;;
        *) echo "usage: scripts/package-npm.sh [--bin PATH]" >&2; exit 2 ;;
    esac
done
fail() { echo "package-npm: $*" >&2; exit 1; }
command -v npm >/dev/null || fail "npm (Node 18 or later) is needed"
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
    fail "only Linux x64 has a platform package (npm/cli-linux-x64); this is $(uname -s)-$(uname -m)"

if [ -z "$bin" ]; then
    cargo build --release --locked --quiet --bin tapedeck
    bin=target/release/tapedeck
fi
[ -x "$bin" ] || fail "$bin is not an executable file"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
[ -n "$version" ] || fail "no version in Cargo.toml"
[ "$("$bin" --version)" = "tapedeck $version" ] ||
    fail "$bin is '$("$bin" --version)', not tapedeck $version (Cargo.toml): a stale binary?"
if command -v readelf >/dev/null && readelf -S "$bin" | grep -q '\.symtab'; then
    fail "$bin still has its symbol table: build it with the release profile (strip = true)"
fi

out=target/npm
stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage"
cp -R npm/tapedeck npm/cli-linux-x64 "$stage/"
mkdir -p "$stage/cli-linux-x64/bin"
cp "$bin" "$stage/cli-linux-x64/bin/tapedeck"
chmod 755 "$stage/cli-linux-x64/bin/tapedeck" "$stage/tapedeck/bin/tapedeck.js"
# Both packages get Cargo.toml's version, and the main package pins its platform
# package to exactly that version.
node - "$stage" "$version" <<'JS'
const fs = require("node:fs");
const [stage, version] = process.argv.slice(2);
for (const dir of ["tapedeck", "cli-linux-x64"]) {
  const file = `${stage}/${dir}/package.json`;
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.version = version;
  for (const name of Object.keys(pkg.optionalDependencies ?? {})) pkg.optionalDependencies[name] = version;
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
}
JS
rm -f "$out"/tapedeck-*.tgz
main=$(npm pack --silent --pack-destination "$out" "./$stage/tapedeck")
platform=$(npm pack --silent --pack-destination "$out" "./$stage/cli-linux-x64")
rm -rf "$stage"
for t in "$main" "$platform"; do
    echo "package-npm: $out/$t ($(du -k "$out/$t" | cut -f1) KiB)" >&2
done
echo "$PWD/$out/$main $PWD/$out/$platform"
