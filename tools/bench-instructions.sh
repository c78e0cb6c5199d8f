#!/usr/bin/env bash
# Instructions per server request, counted by callgrind (valgrind --tool=callgrind).
#
# Builds benches/requests.rs with the release profile (opt-level "s", fat LTO,
# codegen-units 1 -- `cargo bench` itself runs without LTO, see Cargo.toml) and runs
# each request kind twice, with N and 2N requests (ANJ_BENCH_ONLY=<kind>
# ANJ_BENCH_ITERS=<n>). (Ir(2N) - Ir(N)) / N is the cost of one request -- receive,
# decode, data model, encode, send, through one Client::step -- with setup and
# registration cancelling out. The fake link's copies of the datagrams are included.
#
# These are host (x86-64) instructions, not Cortex-M4 ones; compare with Anjay Lite
# measured the same way, on the same host.
#
# Environment: BENCH_N (default 20000) requests in the shorter run; BENCH_ONLY to run one
# kind; BENCH_ANNOTATE=1 to also print callgrind_annotate's top functions per kind.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${BENCH_INSTRUCTIONS_DIR:-$here/target/bench-instructions}"
n="${BENCH_N:-20000}"
kinds=(read_3_0 read_3_0_0 write_1_0_1 discover_3)
[[ -n "${BENCH_ONLY:-}" ]] && kinds=("$BENCH_ONLY")

command -v valgrind >/dev/null || { echo "bench-instructions: needs valgrind (apt-get install -y valgrind)" >&2; exit 2; }
mkdir -p "$out"

# The release profile (fat LTO) in a target directory of its own, so the main one is not
# rebuilt. Debug info only names functions for callgrind_annotate; it changes no instruction.
bin="$(
    CARGO_PROFILE_BENCH_LTO=fat \
    CARGO_PROFILE_BENCH_DEBUG=line-tables-only \
    cargo bench --quiet --manifest-path "$here/Cargo.toml" --bench requests --no-run \
        --target-dir "$out/target" --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1
)"
[[ -x "$bin" ]] || { echo "bench-instructions: no bench executable" >&2; exit 1; }

# Total instructions (Ir) of one run of `kind` with `iters` requests.
ir() {
    local kind="$1" iters="$2" file="$out/callgrind.$1.$2.out"
    ANJ_BENCH_ONLY="$kind" ANJ_BENCH_ITERS="$iters" \
        valgrind --tool=callgrind --callgrind-out-file="$file" "$bin" >/dev/null 2>"$out/valgrind.$kind.$iters.log" ||
        { echo "bench-instructions: $kind failed, see $out/valgrind.$kind.$iters.log" >&2; exit 1; }
    sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$file" | head -n 1
}

# 12345 -> 12,345
thousands() {
    local s="$1" r=""
    while (( ${#s} > 3 )); do r=",${s: -3}$r"; s="${s:0:${#s}-3}"; done
    echo "$s$r"
}

label() {
    case "$1" in
        read_3_0) echo "Read /3/0, SenML CBOR" ;;
        read_3_0_0) echo "Read /3/0/0, text/plain" ;;
        write_1_0_1) echo "Write /1/0/1 \"120\", text/plain" ;;
        discover_3) echo "Discover /3" ;;
        *) echo "$1" ;;
    esac
}

echo "Instructions per request (x86-64 host, callgrind; release profile; N=$n vs 2N=$((2 * n)) requests)"
printf '%-34s %14s  %s\n' "request" "instructions" ""
for kind in "${kinds[@]}"; do
    a="$(ir "$kind" "$n")"
    b="$(ir "$kind" $((2 * n)))"
    per=$(( (b - a + n / 2) / n ))
    note=""
    [[ "$kind" == read_3_0 ]] && note="(Anjay Lite 3.0.0 reference: ~8,600)"
    printf '%-34s %14s  %s\n' "$(label "$kind")" "$(thousands "$per")" "$note"
    if [[ "${BENCH_ANNOTATE:-0}" == 1 ]]; then
        # Per-function split of the longer run (includes the setup, amortised over 2N).
        callgrind_annotate --inclusive=no "$out/callgrind.$kind.$((2 * n)).out" 2>/dev/null | sed -n '1,40p' | grep -E '^ *[0-9,]+ ' | head -n 25
    fi
done
