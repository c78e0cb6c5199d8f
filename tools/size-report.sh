#!/usr/bin/env bash
# Size report: the library for Cortex-M4 (thumbv7em-none-eabihf, opt-level "z", LTO,
# panic = abort, logs off) in Anjay Lite's minimal configuration (Security, Server,
# Device, Discover, SenML CBOR; plain UDP; no POSIX layer), linked into a minimal image
# (tools/size/main.c) with arm-none-eabi-gcc -Os, --gc-sections, newlib-nano.
# Prints text/data/bss of the whole image, of the library's own code, and sizeof(anj_t)
# (as the compiler laid it out for this target: read from the library, see src/layout.rs).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${SIZE_REPORT_DIR:-$here/target/size-report}"
mkdir -p "$out"
target=thumbv7em-none-eabihf
# ANJ_SIZE_FEATURES adds cargo features to the minimal set (e.g. "tlv" to see what TLV costs).
features="net-udp,default-device-obj,default-security-obj,default-server-obj,discover,senml-cbor${ANJ_SIZE_FEATURES:+,$ANJ_SIZE_FEATURES}"
# ANJ_SIZE_MBEDTLS=psk (or cert) adds DTLS through the default MbedTLS backend: the image
# then uses coaps:// with PSK, and MbedTLS 3.6 (the sources the `vendored-mbedtls` crate
# ships) is built for Cortex-M4 with tools/size/mbedtls_config_psk.h (cert: plus X.509
# with ECDHE-ECDSA on secp256r1) and linked into the image.
mbedtls_kind="${ANJ_SIZE_MBEDTLS:-}"
extra_cflags=()
main_cflags=()
mbedtls_lib=()
if [[ -n "$mbedtls_kind" ]]; then
    features="$features,security,net-dtls,mbedtls"
    mbedtls_config="$here/tools/size/mbedtls_config_psk.h"
    case "$mbedtls_kind" in
        psk) ;;
        cert) features="$features,certificates"; extra_cflags+=(-DANJ_SIZE_MBEDTLS_CERTIFICATES) ;;
        *) echo "size-report: ANJ_SIZE_MBEDTLS is psk or cert" >&2; exit 2 ;;
    esac
    cargo fetch --quiet --manifest-path "$here/Cargo.toml" >/dev/null || true
    mbedtls_src="$(cargo metadata --quiet --format-version 1 --features vendored-mbedtls --manifest-path "$here/Cargo.toml" \
        | python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="mbedtls-rs-sys"))')/mbedtls"
    [[ -d "$mbedtls_src/library" ]] || { echo "size-report: MbedTLS sources not found at $mbedtls_src" >&2; exit 2; }
    config_define="-DMBEDTLS_CONFIG_FILE=\"$mbedtls_config\""
    main_cflags=(-DANJ_SIZE_WITH_MBEDTLS -I"$mbedtls_src/include" "$config_define" "${extra_cflags[@]}")
    out="$out/mbedtls-$mbedtls_kind"
    mkdir -p "$out/mbedtls"
    for f in "$mbedtls_src"/library/*.c; do
        arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffunction-sections \
            -fdata-sections -I"$mbedtls_src/include" -I"$mbedtls_src/library" "$config_define" "${extra_cflags[@]}" \
            -c "$f" -o "$out/mbedtls/$(basename "$f" .c).o"
    done
    rm -f "$out/libmbedtls.a"
    arm-none-eabi-ar rcs "$out/libmbedtls.a" "$out"/mbedtls/*.o
    mbedtls_lib=("$out/libmbedtls.a")
    export ANJ_MBEDTLS_INCLUDE_DIRS="$mbedtls_src/include" ANJ_MBEDTLS_CONFIG_FILE="$mbedtls_config"
fi

command -v arm-none-eabi-gcc >/dev/null || { echo "size-report: needs arm-none-eabi-gcc (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)" >&2; exit 2; }
command -v cmake >/dev/null || { echo "size-report: needs cmake (it completes anj/anj_config.h: cmake/anj_rs_sizes.cmake)" >&2; exit 2; }
rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target" >&2

# `cargo rustc --crate-type staticlib`: Cargo.toml's [lib] also lists `rlib`, and cargo
# never applies the profile's LTO to a crate that is also built as an rlib (no `-C lto`
# at all), so core's panic and formatting code would be linked as precompiled, unpruned
# objects. A staticlib-only build gets the real fat LTO (as the CMake package does too).
CC_thumbv7em_none_eabihf=arm-none-eabi-gcc \
CFLAGS_thumbv7em_none_eabihf="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os ${extra_cflags[*]:-}" \
cargo rustc --quiet --manifest-path "$here/Cargo.toml" --lib --crate-type staticlib --profile size --target "$target" \
    --no-default-features --features "$features" --target-dir "$out/target" \
    --message-format=json-render-diagnostics > "$out/cargo.json"
lib="$out/target/$target/size/libanj.a"
# anj/anj_config.h as the CMake package makes it: build.rs's (from its OUT_DIR) with the
# sizes of the opaque types read from the compiled library's symbols (src/layout.rs).
config_in="$(python3 -c '
import json, sys
ids = ("path+file://" + sys.argv[2] + "#", "path+file://" + sys.argv[2] + ")")
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "build-script-executed" and any(i in m["package_id"] for i in ids):
        print(m["out_dir"] + "/include/anj/anj_config.h")
' "$out/cargo.json" "$here" | tail -n 1)"
[[ -f "$config_in" ]] || { echo "size-report: build.rs's anj/anj_config.h not found" >&2; exit 2; }
cmake -DANJ_RS_NM=arm-none-eabi-nm -DANJ_RS_LIB="$lib" -DANJ_RS_HEADER_IN="$config_in" \
    -DANJ_RS_HEADER_OUT="$out/include/anj/anj_config.h" -P "$here/cmake/anj_rs_sizes.cmake"

cflags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffunction-sections -fdata-sections
        -std=c99 -Wall -Wextra -I"$out/include" -I"$here/include")
arm-none-eabi-gcc "${cflags[@]}" "${main_cflags[@]}" -c "$here/tools/size/main.c" -o "$out/main.o"
arm-none-eabi-gcc "${cflags[@]}" -c "$here/tools/size/hooks.c" -o "$out/hooks.o"
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 --specs=nano.specs --specs=nosys.specs \
    -Wl,--gc-sections -Wl,-Map="$out/image.map" "$out/main.o" "$out/hooks.o" "$lib" "${mbedtls_lib[@]}" -lm -o "$out/image.elf"

echo "== whole image (library + libc/libm/libgcc it pulls in + example + hook stubs)"
arm-none-eabi-size "$out/image.elf"
echo "== the library's own part of that image (input sections the final link kept from libanj.a)"
# Parsed from the link map's "Linker script and memory map" part only: the map's first
# part lists the input sections --gc-sections *discarded*, which must not be counted.
# An input section line is ` .name  0xADDR  0xSIZE  file` or, for a long name, ` .name`
# alone followed by `  0xADDR  0xSIZE  file` on the next line. Sizes are grouped by the
# output section they land in (as arm-none-eabi-size does: .text, .rodata and .ARM.exidx
# are flash, .data is flash + RAM, .bss is RAM) and by archive member: the crate's own code
# (core is part of it after LTO) versus compiler_builtins (Rust's libgcc: soft-float,
# 64-bit division, mem* fallbacks).
python3 - "$out/image.map" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split('\n')
start = next(i for i, l in enumerate(lines) if l.startswith('Linker script and memory map'))
sums = {}
pending = None
for line in lines[start:]:
    m = re.match(r'^ (\.\S+|COMMON)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)', line)
    if m:
        sec, size, obj = m.group(1), int(m.group(3), 16), m.group(4)
        pending = None
    else:
        m2 = re.match(r'^ (\.\S+|COMMON)$', line.rstrip())
        if m2:
            pending = m2.group(1)
            continue
        m = re.match(r'^ {16}0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)', line)
        if not (m and pending):
            pending = None
            continue
        sec, size, obj = pending, int(m.group(2), 16), m.group(3)
        pending = None
    if size == 0:
        continue
    if 'libmbedtls.a(' in obj:
        member = 'mbedtls'
    elif 'libanj.a(' in obj:
        member = 'builtins' if 'compiler_builtins' in obj else 'own'
    else:
        continue
    if sec.startswith('.text'):
        kind = 'text'
    elif sec.startswith('.rodata') or sec.startswith('.ARM.exidx') or sec.startswith('.ARM.extab'):
        kind = 'rodata'
    elif sec.startswith('.data'):
        kind = 'data'
    elif sec.startswith('.bss') or sec == 'COMMON':
        kind = 'bss'
    else:
        continue  # debug info, comments, attributes: not in the image
    sums[(member, kind)] = sums.get((member, kind), 0) + size
def show(label, members):
    t, r, d, b = (sum(sums.get((m, k), 0) for m in members) for k in ('text', 'rodata', 'data', 'bss'))
    print(f"{label:<44} text {t:6d} B  rodata {r:6d} B  data {d:4d} B  bss {b:4d} B  (flash {t + r + d} B)")
show("library (anj + core, after LTO)", ['own'])
show("compiler_builtins from libanj.a", ['builtins'])
show("all of libanj.a", ['own', 'builtins'])
if any(k[0] == 'mbedtls' for k in sums):
    show("MbedTLS (libmbedtls.a)", ['mbedtls'])
PY
# Zero heap: nothing in the image may allocate (newlib's malloc would come with sbrk).
if arm-none-eabi-nm "$out/image.elf" | grep -qE ' (_malloc_r|malloc|_sbrk|_sbrk_r)$'; then
    echo "size-report: the image links a heap allocator:" >&2
    arm-none-eabi-nm "$out/image.elf" | grep -E ' (_malloc_r|malloc|_sbrk|_sbrk_r)$' >&2
    exit 1
fi
echo "heap: none (no malloc or sbrk in the image)"
printf 'sizeof(anj_t) = %s B\n' "$(sed -n 's/#define ANJ_INTERNAL_SIZEOF_ANJ_T //p' "$out/include/anj/anj_config.h")"
