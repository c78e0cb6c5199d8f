#!/usr/bin/env bash
# Builds one Anjay Lite example, unchanged, against anj-rs.
#
#   tools/check-tutorial.sh [--configure-only] NAME [BUILD_DIR [extra cmake args...]]
#
# NAME is a tutorial name (BC-Initialization), or a path below Anjay Lite's
# examples/ directory (custom-network/minimal, tutorial/BC-Send), or a directory.
# The Anjay Lite tree is $ANJAY_LITE_SRC (default /tmp/al).
#
# The example is copied to a scratch tree shaped like Anjay Lite's:
#     <scratch>/examples/<...>/NAME   the example, unchanged
#     <scratch>/cmake                 symlink to anj-rs's cmake/ directory
# so that its `set(anjay_lite_DIR "../../../cmake")` (relative paths in
# <Package>_DIR are taken from the example's source directory) finds our package.
# Then it is configured and built in BUILD_DIR (default <scratch>/build).
#
# Exit status: 0 built, 1 build failed, 2 configure failed, 3 usage error.
# The last line says which stage failed; link errors (undefined references:
# functions anj-rs does not provide yet) are told apart from compile errors.
set -u

configure_only=0
if [ "${1:-}" = "--configure-only" ]; then
    configure_only=1
    shift
fi
if [ $# -lt 1 ]; then
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 3
fi
name=$1
shift
build_dir=${1:-}
[ $# -gt 0 ] && shift

here=$(cd "$(dirname "$0")/.." && pwd)
al=${ANJAY_LITE_SRC:-/tmp/al}

if [ -d "$al/examples/tutorial/$name" ]; then
    rel="tutorial/$name"
elif [ -d "$al/examples/$name" ]; then
    rel=$name
elif [ -d "$name" ]; then
    rel=""
else
    echo "check-tutorial: no example '$name' in $al/examples (set ANJAY_LITE_SRC?)" >&2
    exit 3
fi

scratch=${CHECK_TUTORIAL_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/anj-tutorial.XXXXXX")}
mkdir -p "$scratch"
if [ -n "$rel" ]; then
    src="$scratch/examples/$rel"
    from="$al/examples/$rel"
else
    # A directory given directly: keep it three levels below the scratch root,
    # like examples/tutorial/NAME.
    src="$scratch/examples/tutorial/$(basename "$name")"
    from=$name
fi
rm -rf "$src"
mkdir -p "$(dirname "$src")"
cp -R "$from" "$src"
rm -rf "$src/build"
ln -sfn "$here/cmake" "$scratch/cmake"

[ -n "$build_dir" ] || build_dir="$scratch/build"
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)
log="$build_dir/check-tutorial.log"

echo "check-tutorial: $from"
echo "check-tutorial: source $src"
echo "check-tutorial: build  $build_dir"

cmake -S "$src" -B "$build_dir" "$@" 2>&1 | tee "$log"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "check-tutorial: $name: CONFIGURE FAILED"
    exit 2
fi
if [ ! -f "$build_dir/anj-rs/include/anj/anj_config.h" ]; then
    echo "check-tutorial: $name: note: anj/anj_config.h not generated at configure time"
fi
if [ "$configure_only" = 1 ]; then
    echo "check-tutorial: $name: CONFIGURE OK"
    exit 0
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$build_dir" -j "$jobs" 2>&1 | tee -a "$log"
if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    echo "check-tutorial: $name: BUILD OK"
    exit 0
fi
if grep -q "undefined reference\|Undefined symbols\|unresolved external" "$log"; then
    missing=$(grep -o "undefined reference to \`[^']*'" "$log" | sed "s/.*\`//; s/'$//" | sort -u | tr '\n' ' ')
    echo "check-tutorial: $name: LINK FAILED; missing: $missing"
elif grep -q "anj-rs: \`cargo build\` failed" "$log"; then
    echo "check-tutorial: $name: BUILD FAILED (cargo)"
else
    echo "check-tutorial: $name: BUILD FAILED (compile)"
fi
exit 1
