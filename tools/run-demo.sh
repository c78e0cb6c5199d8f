#!/usr/bin/env bash
# The demo, from a fresh machine: builds the mandatory-objects example through the CMake
# package, starts a Leshan demo server on 127.0.0.1 (its web UI URL is printed: open it to
# see the device, read /3/0, write /1/0/1 ...), and runs the example against it.
# Ctrl-C de-registers the client and stops everything.
#   tools/run-demo.sh [ENDPOINT_NAME]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/demo"
if ! command -v cmake >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends cmake >/dev/null
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 2 --target anj_example_mandatory_objects
"$root/tools/leshan.sh" setup >/dev/null
example="$(find "$build" -type f -name anj_example_mandatory_objects -perm -u+x | head -n 1)"
exec "$root/tools/demo.sh" "$example" "${1:-anj-rs-demo}"
