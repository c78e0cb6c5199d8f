#!/usr/bin/env bash
# Size report: the library for Cortex-M4 (thumbv7em-none-eabihf, opt-level "z", LTO,
# panic = abort, logs off) in Anjay Lite's minimal configuration (Security, Server,
# Device, Discover, SenML CBOR; plain UDP; no POSIX layer), linked into a minimal image
# (tools/size/main.c) with arm-none-eabi-gcc -Os, --gc-sections, newlib-nano.
# Prints text/data/bss of the whole image, of the library's own code, and sizeof(anj_t).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${SIZE_REPORT_DIR:-$here/target/size-report}"
mkdir -p "$out"
target=thumbv7em-none-eabihf
features="net-udp,default-device-obj,default-security-obj,default-server-obj,discover,senml-cbor"

command -v arm-none-eabi-gcc >/dev/null || { echo "size-report: needs arm-none-eabi-gcc (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)" >&2; exit 2; }
rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target" >&2

# `cargo rustc --crate-type staticlib`: Cargo.toml's [lib] also lists `rlib`, and cargo
# never applies the profile's LTO to a crate that is also built as an rlib (no `-C lto`
# at all), so core's panic and formatting code would be linked as precompiled, unpruned
# objects. A staticlib-only build gets the real fat LTO; it needs `-C embed-bitcode=yes`
# instead of .cargo/config.toml's `=no` (the LTO output is machine code all the same).
ANJ_CONFIG_HEADER_DIR="$out/include" \
CC_thumbv7em_none_eabihf=arm-none-eabi-gcc \
CFLAGS_thumbv7em_none_eabihf="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os" \
RUSTFLAGS="-C embed-bitcode=yes" \
cargo rustc --quiet --manifest-path "$here/Cargo.toml" --lib --crate-type staticlib --profile size --target "$target" \
    --no-default-features --features "$features" --target-dir "$out/target"
lib="$out/target/$target/size/libanj.a"

cflags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffunction-sections -fdata-sections
        -std=c99 -Wall -Wextra -I"$out/include" -I"$here/include")
arm-none-eabi-gcc "${cflags[@]}" -c "$here/tools/size/main.c" -o "$out/main.o"
arm-none-eabi-gcc "${cflags[@]}" -c "$here/tools/size/hooks.c" -o "$out/hooks.o"
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 --specs=nano.specs --specs=nosys.specs \
    -Wl,--gc-sections -Wl,-Map="$out/image.map" "$out/main.o" "$out/hooks.o" "$lib" -lm -o "$out/image.elf"

echo "== whole image (library + libc/libm/libgcc it pulls in + example + hook stubs)"
arm-none-eabi-size "$out/image.elf"
echo "== the library's own part of that image (input sections from libanj.a, per the link map)"
# Library-only figure: sum of the input sections the map attributes to libanj.a.
python3 - "$out/image.map" <<'PY'
import re, sys
text = rodata = data = bss = 0
cur = None
for line in open(sys.argv[1]):
    m = re.match(r'^ (\.\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)', line)
    if not m:
        m2 = re.match(r'^ (\.\S+)$', line.rstrip())
        cur = m2.group(1) if m2 else cur
        m = re.match(r'^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)', line)
        if not (m and cur):
            continue
        sec, size, obj = cur, int(m.group(2), 16), m.group(3)
    else:
        sec, size, obj = m.group(1), int(m.group(3), 16), m.group(4)
    if 'libanj.a' not in obj or size == 0:
        continue
    if sec.startswith('.text') or sec.startswith('.rodata'):
        text += size
    elif sec.startswith('.data'):
        data += size
    elif sec.startswith('.bss') or sec.startswith('COMMON'):
        bss += size
print(f"library code+rodata {text} B, data {data} B, bss {bss} B")
PY
printf 'sizeof(anj_t) = %s B\n' "$(sed -n 's/#define ANJ_INTERNAL_SIZEOF_ANJ_T //p' "$out/include/anj/anj_config.h")"
