#!/usr/bin/env bash
# Runs Anjay Lite 3.0.0's own integration suite (tests/integration in its tree: a C++ test
# app that uses only the public API and find_package(anjay_lite), driven by fake LwM2M
# servers in Python) against this checkout.
#
#   tools/anjay-lite-suite.sh PATH_TO_ANJAY_LITE_TREE [pytest args...]
#
# e.g.  tools/anjay-lite-suite.sh ~/Anjay-lite tests/test_register.py -k update
#
# Anjay Lite's sources are never copied into this repository: give a tree you already
# have (github.com/AVSystem/Anjay-lite, version 3.0.0). Not part of .ci/run.
#
# What it does (everything lives under $ANJ_RS_SUITE_DIR, default target/anjay-lite-suite):
#   tree/         a copy of the parts of the Anjay Lite tree the suite needs (tests/,
#                 tools/, requirements.txt) whose cmake/ is a symlink to this checkout's
#                 cmake/: the app does set(anjay_lite_DIR "../../../cmake"), which no -D
#                 can override. The copy is refreshed on every run; pytest's cache
#                 (tree/tests/integration/.pytest_cache, where the suite keeps one CMake
#                 build directory per app configuration) is kept, so a re-run is incremental.
#   venv/         Python: Anjay Lite's requirements.txt, framework_tools (editable),
#                 cbor2, typing_extensions, powercmd, pytest-timeout and pymbedtls.
#   mbedtls/      MbedTLS for pymbedtls, built once from the source the mbedtls-rs-sys
#                 crate ships (the same MbedTLS as `vendored-mbedtls`; no network needed
#                 beyond the package registries). MBEDTLS_ROOT_DIR=<dir with
#                 MbedTLSConfig.cmake> uses another one.
#   cargo-target/ the cargo target directory shared by all app configurations (through
#                 ANJ_RS_CARGO_TARGET_DIR), so MbedTLS and the dependencies are built once.
#   toolchain.cmake  extra CMake settings for every app build, passed through the
#                 CMAKE_TOOLCHAIN_FILE environment variable (the suite's own cmake calls
#                 take no extra arguments): ANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls
#                 and the shared target dir. ANJ_RS_SUITE_CARGO_FLAGS overrides the flags.
#   junit.xml, failed.txt, summary.txt   results of the last run.
#
# Environment: ANJ_RS_SUITE_DIR, ANJ_RS_SUITE_TIMEOUT (s per test, default 240),
# ANJ_RS_SUITE_CARGO_FLAGS, ANJ_RS_SUITE_FULL_RELEASE=1 (LTO release builds, slow),
# MBEDTLS_ROOT_DIR (an MbedTLS CMake package for pymbedtls).
#
# pytest runs with pytest-timeout (ANJ_RS_SUITE_TIMEOUT, default 240 s per test) and its
# cache provider on (the suite needs it). At the end the per-file counts are printed and
# the failing test ids are written to failed.txt. The exit status is pytest's.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -f "$1/tests/integration/conftest.py" ]; then
    echo "usage: $0 PATH_TO_ANJAY_LITE_TREE [pytest args...]" >&2
    echo "  (the tree must contain tests/integration/conftest.py)" >&2
    exit 2
fi
AL=$(cd "$1" && pwd)
shift
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${ANJ_RS_SUITE_DIR:-$REPO/target/anjay-lite-suite}
TIMEOUT=${ANJ_RS_SUITE_TIMEOUT:-240}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
log() { echo "anjay-lite-suite: $*" >&2; }

for tool in cmake c++ cc python3 openssl cargo; do
    command -v "$tool" >/dev/null || { log "$tool not found"; exit 1; }
done

# --- 1. the tree --------------------------------------------------------------
TREE=$WORK/tree
mkdir -p "$TREE"
# Refresh the copy, but keep pytest's cache (the app builds) in tests/integration.
for p in "$TREE"/* "$TREE"/tests/* "$TREE"/tests/integration/*; do
    case "$p" in
    "$TREE/tests" | "$TREE/tests/integration" | *'*') ;;
    *) rm -rf "$p" ;;
    esac
done
mkdir -p "$TREE/tests" "$TREE/tools"
cp -a "$AL/tests/." "$TREE/tests/"
cp -a "$AL/tools/." "$TREE/tools/"
cp -a "$AL/requirements.txt" "$TREE/"
rm -rf "$TREE/cmake"
ln -s "$REPO/cmake" "$TREE/cmake"

# --- 2. Python -----------------------------------------------------------------
VENV=$WORK/venv
if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
fi
PY=$VENV/bin/python
req_stamp=$VENV/.anj-rs-requirements
req_sum=$(cat "$AL/requirements.txt" "$AL/tools/test-framework-tools/tools/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$req_stamp" 2>/dev/null)" != "$req_sum" ]; then
    log "installing Python packages"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -r "$TREE/requirements.txt"
    "$PY" -m pip install -q cbor2 typing_extensions powercmd pytest-timeout
    echo "$req_sum" > "$req_stamp"
fi
# The editable install points into the copy; reinstalling is cheap.
"$PY" -m pip install -q --no-deps -e "$TREE/tools/test-framework-tools/tools"

# --- 3. MbedTLS and pymbedtls ---------------------------------------------------
if ! "$PY" -c 'import pymbedtls' 2>/dev/null; then
    if [ -z "${MBEDTLS_ROOT_DIR:-}" ]; then
        MBEDTLS_PREFIX=$WORK/mbedtls
        if [ ! -f "$MBEDTLS_PREFIX/lib/cmake/MbedTLS/MbedTLSConfig.cmake" ]; then
            src=$(cargo metadata --manifest-path "$REPO/Cargo.toml" --format-version 1 \
                    --features vendored-mbedtls 2>/dev/null |
                "$PY" -c 'import json,sys,os
m=json.load(sys.stdin)
print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="mbedtls-rs-sys"))')
            log "building MbedTLS for pymbedtls from $src/mbedtls"
            rm -rf "$WORK/mbedtls-build"
            cmake -S "$src/mbedtls" -B "$WORK/mbedtls-build" -DCMAKE_BUILD_TYPE=Release \
                -DCMAKE_INSTALL_PREFIX="$MBEDTLS_PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
                -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DENABLE_PROGRAMS=OFF \
                -DENABLE_TESTING=OFF >/dev/null
            cmake --build "$WORK/mbedtls-build" --target install --parallel 2 >/dev/null
        fi
        MBEDTLS_ROOT_DIR=$MBEDTLS_PREFIX/lib/cmake/MbedTLS
    fi
    log "building pymbedtls against $MBEDTLS_ROOT_DIR"
    MBEDTLS_ROOT_DIR=$MBEDTLS_ROOT_DIR "$PY" -m pip install -q "$TREE/tools/test-framework-tools/pymbedtls"
fi

# --- 4. CMake settings for the app builds ------------------------------------------
CARGO_FLAGS=${ANJ_RS_SUITE_CARGO_FLAGS:---features;vendored-mbedtls}
TOOLCHAIN=$WORK/toolchain.cmake
cat > "$TOOLCHAIN.new" <<EOF
# Written by tools/anjay-lite-suite.sh: settings for every build of the suite's test app.
set(ANJ_RS_CARGO_FLAGS "$CARGO_FLAGS" CACHE STRING "extra cargo arguments")
set(ANJ_RS_CARGO_TARGET_DIR "$WORK/cargo-target" CACHE PATH "shared cargo target directory")
EOF
if ! cmp -s "$TOOLCHAIN.new" "$TOOLCHAIN"; then mv "$TOOLCHAIN.new" "$TOOLCHAIN"; else rm "$TOOLCHAIN.new"; fi
export CMAKE_TOOLCHAIN_FILE=$TOOLCHAIN
# The suite builds one library per app configuration (22 of them). Unless
# ANJ_RS_SUITE_FULL_RELEASE=1, the release profile is built without LTO and with
# parallel codegen: the same code paths (no debug assertions or overflow checks), a
# fraction of the build time.
if [ "${ANJ_RS_SUITE_FULL_RELEASE:-0}" != 1 ]; then
    export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
fi

# --- 5. the suite --------------------------------------------------------------------
cd "$TREE/tests/integration"
log "pytest in $PWD (timeout ${TIMEOUT}s per test; app builds cached in .pytest_cache/d/build)"
start=$(date +%s)
set +e
"$PY" -m pytest -p pytest_timeout --timeout="$TIMEOUT" -rfE \
    --junitxml="$WORK/junit.xml" "$@"
rc=$?
set -e
end=$(date +%s)

"$PY" - "$WORK/junit.xml" "$WORK/failed.txt" "$WORK/summary.txt" $((end - start)) <<'EOF'
import sys, collections, xml.etree.ElementTree as ET
junit, failed_path, summary_path, secs = sys.argv[1:5]
try:
    root = ET.parse(junit).getroot()
except (OSError, ET.ParseError) as e:
    print(f"no results ({e})"); sys.exit(0)
counts = collections.OrderedDict()
failed = []
for case in root.iter("testcase"):
    cls = case.get("classname", "")
    file = cls.split(".")[-1] if cls else "?"
    c = counts.setdefault(file, collections.Counter())
    if case.find("skipped") is not None:
        c["skipped"] += 1
    elif case.find("failure") is not None or case.find("error") is not None:
        c["failed"] += 1
        failed.append(f"tests/{file}.py::{case.get('name')}")
    else:
        c["passed"] += 1
lines = []
tp = tf = ts = 0
for file, c in sorted(counts.items()):
    run = c["passed"] + c["failed"]
    lines.append(f"  {file:<28} {c['passed']:>3}/{run:<3} passed" +
                 (f", {c['skipped']} skipped" if c["skipped"] else ""))
    tp += c["passed"]; tf += c["failed"]; ts += c["skipped"]
lines.append(f"  {'total':<28} {tp:>3}/{tp + tf:<3} passed" + (f", {ts} skipped" if ts else "") +
             f"  ({int(secs) // 60} min {int(secs) % 60} s)")
text = "per-file results:\n" + "\n".join(lines) + "\n"
print(text, end="")
open(summary_path, "w").write(text)
open(failed_path, "w").write("".join(f + "\n" for f in failed))
print(f"failing test ids: {failed_path} ({len(failed)})")
EOF
exit $rc
