#!/usr/bin/env bash
# Builds the Python wheel (pyproject.toml): maturin, pinned in
# scripts/requirements.txt, packs the stripped release binary and python/tapedeck.
# maturin runs `cargo rustc --release --locked --bin tapedeck`, the same
# compilation as `cargo build --release --locked`: after that build it compiles
# nothing again. Writes target/wheels/; the last line printed is the wheel's path.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/maturin ] || scripts/setup-python.sh
rm -f target/wheels/tapedeck-*.whl
.venv/bin/maturin build --release --locked --out target/wheels >&2
wheel=$(ls target/wheels/tapedeck-*.whl)
echo "package-python: $wheel ($(du -k "$wheel" | cut -f1) KiB)" >&2
echo "$PWD/$wheel"
