#!/usr/bin/env bash
# Regenerates cmake/anj_options.cmake and the #error rules of include/anj/init.h from the
# option table (anj-core/options.rs), with tools/gen-options.rs (std only, built by rustc).
# `tools/gen-options.sh --check` fails when one of them is stale, when the table is
# inconsistent, or when Cargo.toml's default features disagree with it (CI runs it).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rustc --edition 2021 -O -o "$tmp/gen-options" "$here/tools/gen-options.rs"
"$tmp/gen-options" "$here" "$@"
