#!/usr/bin/env bash
# Regenerates include/anj_internal/bindings.h with the pinned cbindgen.
# `tools/gen-headers.sh --check` fails when the checked-in header differs (CI runs it).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
want="0.29.0"
if ! cbindgen --version 2>/dev/null | grep -q " $want\$"; then
    cargo install --quiet --locked cbindgen --version "$want" >&2
fi
out="$here/include/anj_internal/bindings.h"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
(cd "$here" && cbindgen --quiet --config cbindgen.toml --crate anj --output "$tmp")
# cbindgen 0.29 puts the `;` of a cfg-gated struct field after its `#endif`; move it in.
python3 - "$tmp" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"\n(#endif)\n(\s*);\n", r";\n\1\n", s)
open(p, "w").write(s)
PY
if [ "${1:-}" = "--check" ]; then
    if ! diff -u "$out" "$tmp"; then
        echo "gen-headers: include/anj_internal/bindings.h is out of date; run tools/gen-headers.sh" >&2
        exit 1
    fi
    echo "gen-headers: bindings.h is up to date"
else
    cp "$tmp" "$out"
    echo "gen-headers: wrote $out"
fi
