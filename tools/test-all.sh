#!/usr/bin/env bash
# Every test of anj-rs, from a fresh machine: installs what is missing, then runs
#   1. formatting, clippy, and the check that the C header matches cbindgen's output;
#   2. cargo test (unit tests incl. the registration state machine in simulated time,
#      codec/format tests, POSIX platform tests on loopback);
#   3. Miri over the core's tests and the C face's Rust tests; the bare-metal test firmware
#      (firmware-test/) built for thumbv7em-none-eabihf and run on QEMU; the std Rust example
#      (examples/rust-client/, on the core's Client API) linted, tested and built;
#   4. the CMake package: builds c_examples/ and the C tests, runs ctest;
#   5. interop against a real Leshan demo server on 127.0.0.1 (tests/interop, pytest),
#      and of the CoAP downloader (coap:// and coaps:// with PSK) and the Firmware
#      Update pull against aiocoap's file server (tinydtls for coaps://), and over
#      coaps:// with X.509 against a Californium/Scandium file server (probe/), and DTLS
#      with PSK, raw public keys and X.509 against Leshan;
#   6. the Cortex-M4 size report.
# Set ANJ_SKIP_INTEROP=1 or ANJ_SKIP_SIZE=1 to leave a stage out.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${ANJ_BUILD_DIR:-$root/build/test-all}"

stage() { printf '\n===== %s =====\n' "$*"; }

stage "setup"
need_apt=()
command -v cmake >/dev/null || need_apt+=(cmake)
command -v arm-none-eabi-gcc >/dev/null || need_apt+=(gcc-arm-none-eabi libnewlib-arm-none-eabi)
# QEMU's MPS2 AN386 board (Cortex-M4F) runs the bare-metal test firmware (firmware-test/).
command -v qemu-system-arm >/dev/null || need_apt+=(qemu-system-arm)
# DTLS: mbedtls-rs-sys (feature vendored-mbedtls) runs bindgen, which needs libclang;
# OpenSSL's s_server is the peer of tests/dtls_mbedtls.rs.
ldconfig -p | grep -q 'libclang-\?[0-9.]*\.so' || need_apt+=(libclang-dev)
command -v openssl >/dev/null || need_apt+=(openssl)
# chronyd: the independent NTP server of tests/interop/test_ntp.py (127.0.0.1, free port).
command -v chronyd >/dev/null || [[ -x /usr/sbin/chronyd ]] || need_apt+=(chrony)
# DTLSSocket (tinydtls for aiocoap's coaps:// file server) is built from source by pip:
# its build runs autoreconf.
# tinydtls-sys (feature vendored-tinydtls, raw public keys) runs autoreconf too.
command -v autoreconf >/dev/null && command -v automake >/dev/null && command -v libtoolize >/dev/null \
    || need_apt+=(autoconf automake libtool)
if [[ ${#need_apt[@]} -gt 0 ]]; then
    if [[ $(id -u) == 0 ]]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "missing: ${need_apt[*]} (install them, or run as root)" >&2
        exit 1
    fi
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add thumbv7em-none-eabihf >/dev/null
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
# aiocoap's file server is the peer of the CoAP downloader interop test.
python3 -c 'import aiocoap' 2>/dev/null || python3 -m pip install -q 'aiocoap>=0.4.17,<0.5'
# ... and over DTLS (test_download_coaps.py): tinydtls through DTLSSocket; the file
# server's --credentials option needs aiocoap's oscore extra (cbor2, lakers...).
python3 -c 'import DTLSSocket, cbor2, lakers' 2>/dev/null \
    || python3 -m pip install -q 'aiocoap[oscore]>=0.4.17,<0.5' 'DTLSSocket>=0.2,<0.3'

stage "format, lint, generated header"
cargo fmt --all -- --check
cargo clippy --quiet --all-targets -- -D warnings
# The safe core crate on its own: its defaults, and the minimal configuration's formats.
cargo clippy --quiet -p anj-core --all-targets -- -D warnings
cargo clippy --quiet -p anj-core --no-default-features --features senml-cbor -- -D warnings
cargo clippy --quiet --all-targets --features coap-downloader -- -D warnings
cargo clippy --quiet --all-targets --features coap-downloader,fota-coap -- -D warnings
cargo clippy --quiet --all-targets --features coap-downloader,persistence -- -D warnings
cargo clippy --quiet --all-targets --features ntp,persistence,security,net-dtls,mbedtls -- -D warnings
cargo clippy --quiet --all-targets --features security,external-crypto-storage -- -D warnings
cargo clippy --quiet --all-targets --features external-data -- -D warnings
cargo clippy --quiet --all-targets \
    --features persistence,security,certificates,external-crypto-storage,crypto-storage-default -- -D warnings
tools/gen-headers.sh --check
tools/gen-options.sh --check
# The core crate's boundary: no C type, C integer, extern "C", #[no_mangle] or raw pointer in
# its sources (comments included), and unsafe code forbidden at its root.
if grep -rnE 'anj_[a-z0-9_]+_t\b|c_int|extern "C"|no_mangle|\*mut |\*const ' anj-core/src; then
    echo "anj-core names the C layer (see above)" >&2
    exit 1
fi
grep -q '^#!\[forbid(unsafe_code)\]$' anj-core/src/lib.rs

stage "cargo test"
cargo test --quiet -p anj-core 2>&1 | tail -n 4
cargo test --quiet 2>&1 | tail -n 40
# External data (ANJ_WITH_EXTERNAL_DATA, off by default): streamed values, block-wise reads.
cargo test --quiet --lib --features external-data -- external streamed 2>&1 | tail -n 4

stage "cargo test, DTLS on the vendored MbedTLS 3.6 (PSK against openssl s_server)"
cargo clippy --quiet --all-targets --features vendored-mbedtls -- -D warnings
cargo test --quiet --features vendored-mbedtls --lib --test dtls_mbedtls 2>&1 | tail -n 8

stage "cargo test, X.509 certificates on the vendored MbedTLS 3.6 (against openssl s_server)"
cargo clippy --quiet --all-targets --features vendored-mbedtls,certificates -- -D warnings
cargo test --quiet --features vendored-mbedtls,certificates --test dtls_mbedtls_x509 2>&1 | tail -n 8

# (With ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP too: the X.509 tests then also show an
# empty /0/x/4 connecting unverified, where the stage above shows it refused.)
stage "cargo test, raw public keys on tinydtls beside MbedTLS (key encodings; PSK and X.509 again through the dispatch)"
rpk_features=vendored-mbedtls,vendored-tinydtls,allow-insecure-server-certificate-skip
cargo clippy --quiet --all-targets --features "$rpk_features" -- -D warnings
cargo test --quiet --features "$rpk_features" --lib --test dtls_rpk --test dtls_mbedtls \
    --test dtls_mbedtls_x509 2>&1 | grep -E '^test result|FAILED|panicked'

stage "cargo test, persistence (Server, Security with credentials and certificate usage, NTP)"
cargo test --quiet --lib --features persistence,ntp,security,certificates -- persistence ntp 2>&1 | tail -n 4
cargo test --quiet --lib --features persistence -- persistence 2>&1 | tail -n 4

stage "cargo test, observation options off by default (Observe-Composite, notification store)"
ANJ_OBSERVE_NOTIFICATION_STORE_SIZE=512 \
    cargo test --quiet --lib --features observe-composite observe 2>&1 | tail -n 5
ANJ_OBSERVE_NOTIFICATION_STORE_SIZE=512 \
    cargo test --quiet -p anj-core --lib --features observe-composite observe 2>&1 | tail -n 5

stage "cargo test, minimal configuration (Security, Server, Device, Discover, SenML CBOR; no POSIX layer)"
cargo clippy --quiet --all-targets --no-default-features \
    --features std,net-udp,default-device-obj,default-security-obj,default-server-obj,discover,senml-cbor -- -D warnings
cargo test --quiet --no-default-features \
    --features std,net-udp,default-device-obj,default-security-obj,default-server-obj,discover,senml-cbor 2>&1 | tail -n 12

stage "Miri: the core's tests and the C face's Rust tests (no C code linked)"
# Undefined behaviour in the unsafe C face (raw pointers, unions, FFI structs) and below
# it. Under Miri no C code can run, so the C face is built without the C log handler
# (log-full), the MbedTLS/tinydtls backends and the POSIX sockets; the POSIX clock and
# random hooks are Rust over libc calls that Miri emulates. Miri interprets ~100x slower
# than native, so both suites run a subset, side by side (one core each):
# - anj-core (no unsafe of its own): the CoAP codec, exchange, downloader, attributes, SNTP
#   and log modules, without the two randomized codec tests (thousands of messages) and
#   the two micro-log tests that run Anjay Lite's Python decoder and read the source tree
#   (no processes nor files under Miri's isolation);
# - the C face: the client's tests (`client::`), which drive every C entry point they need
#   (anj_core_init/step, the built-in objects' install and handlers, the Object adapter over
#   C handler tables, Send, Observe, Bootstrap, Firmware Update push, block transfers both
#   ways), module by module, leaving out their slowest tests (each 10-60 s under Miri,
#   ~4 min together; their paths are covered by the faster tests of the same module): the
#   large-value chunking tests per format, the long block-wise Firmware Update pushes, a
#   timed-out notification, a block-wise Register and two reconnect scenarios. The FFI
#   modules' own unit tests (ffi::, dm::, observe/send engine tests) are not in the stage
#   yet: one of them ran for more than 8 minutes under Miri and is still to be found
#   (`--report-time`); they passed without UB as far as they ran (166 of 193).
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal >/dev/null
rustup +nightly component add miri rust-src >/dev/null 2>&1
cargo +nightly miri setup >/dev/null 2>&1
miri_core_args=(
    --skip coap_lite_and_we_agree_both_ways --skip parse_never_panics_on_random_or_mutated_input
    --skip micro_lines_decode_with_anjay_lites_script --skip micro_log_ids_cover_every_logging_file
    coap:: exchange:: download:: dm:: ntp:: log:: client:: observe:: send::
)
miri_face_features=std,net-udp,net-ipv4,time-posix-compat,rng-posix-compat
miri_face_features+=,default-device-obj,default-security-obj,default-server-obj
miri_face_features+=,default-fota-obj,fota-pull-method,fota-push-method,fota-coaps
miri_face_features+=,senml-cbor,senml-json,plaintext,opaque,tlv,tlv-encoder,cbor,lwm2m-cbor
miri_face_features+=,cbor-decode-decimal-fractions,cbor-decode-half-float
miri_face_features+=,cbor-decode-indefinite-bytes,cbor-decode-string-time
miri_face_features+=,discover,observe,bootstrap,bootstrap-discover,discover-attr
miri_face_features+=,composite-operations,lwm2m-send,rst-as-cancel-observe,cache,lwm2m12
miri_face_features+=,persistence,ntp
miri_face_args=(
    --skip senml_json_vd_values_larger_than_the_carry_come_in_chunks
    --skip senml_cbor_values_larger_than_the_carry_come_in_chunks
    --skip lwm2m_cbor_values_larger_than_the_carry_come_in_chunks
    --skip tlv_values_larger_than_the_carry_come_in_chunks
    --skip a_senml_json_write_composite_and_an_lwm2m_cbor_write_in_blocks
    --skip a_block_wise_push_streams_into_the_application_then_updates
    --skip a_block_wise_base64_push_is_decoded_as_the_blocks_come
    --skip a_bad_base64_block_fails_the_push_with_4_00_and_resets
    --skip application_errors_during_a_push_become_the_update_result
    --skip a_timed_out_notification_keeps_the_observation_without_an_update
    --skip a_long_object_list_registers_block_wise
    --skip queue_mode_keeps_the_connection_and_an_unanswered_wake_up_update_reconnects
    --skip an_unanswered_update_closes_the_link_and_the_next_attempt_reconnects
    client::
)
miri_log="$build/miri"
mkdir -p "$miri_log"
# (Its own target directory: the two cargo runs must not wait on each other's lock.)
cargo +nightly miri test --quiet -p anj-core --target-dir "$root/target/miri-core" \
    -- "${miri_core_args[@]}" >"$miri_log/core.log" 2>&1 &
core_pid=$!
# The C face under Tree Borrows, leaks allowed. Stacked Borrows rejects a pattern of the
# library itself: the data model holds a slice of an object's instance table (e.g. the
# Security object's, iterated in client::register's ServerAccount::find) while calling
# that object's handler, which takes `&mut` of the whole context (ffi::objects' ctx_of);
# that retag invalidates the slice under Stacked Borrows, while Tree Borrows allows it
# as the handler only reads. The tests leak their application objects on purpose (static
# in C; the library itself allocates nothing).
MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-tree-borrows -Zmiri-ignore-leaks" \
    cargo +nightly miri test --quiet --lib --no-default-features --features "$miri_face_features" \
    -- "${miri_face_args[@]}" >"$miri_log/face.log" 2>&1 &
face_pid=$!
miri_status=0
wait "$core_pid" || miri_status=1
wait "$face_pid" || miri_status=1
echo "anj-core under Miri:"
grep -E '^test result|FAILED|panicked|Undefined Behavior|^error' "$miri_log/core.log" || true
echo "anj (C face, Rust tests) under Miri:"
grep -E '^test result|FAILED|panicked|Undefined Behavior|^error' "$miri_log/face.log" || true
if [[ $miri_status != 0 ]]; then
    tail -n 60 "$miri_log/core.log" "$miri_log/face.log"
    exit 1
fi

stage "bare-metal test firmware on anj-core (thumbv7em-none-eabihf, run on QEMU's mps2-an386)"
# firmware-test/ is outside the workspace (its .cargo/config.toml sets the target and the
# QEMU runner): it must link as a no_std binary and its checks pass on the emulated MCU.
(
    cd firmware-test
    cargo fmt -- --check
    cargo clippy --quiet --release -- -D warnings
    cargo build --quiet --release
    timeout 300 cargo run --quiet --release
)

stage "std Rust example on anj-core's Client API (examples/rust-client)"
# Also outside the workspace: a std binary (UdpSocket link, a Rust object, Firmware Update
# pull) that the interop stage runs against Leshan (tests/interop/test_rust_client.py).
(
    cd examples/rust-client
    cargo fmt -- --check
    cargo clippy --quiet --all-targets -- -D warnings
    cargo test --quiet 2>&1 | tail -n 3
    cargo build --quiet --release
)

stage "CMake package: c_examples and C tests (ctest)"
# SenML JSON and TLV output (off by default, as in Anjay Lite) on, for the interop tests that use them.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DANJ_WITH_SENML_JSON=ON -DANJ_WITH_TLV_ENCODER=ON >/dev/null
cmake --build "$build" -j 2
ctest --test-dir "$build" --output-on-failure

if [[ "${ANJ_SKIP_INTEROP:-0}" != 1 ]]; then
    stage "interop with Leshan and aiocoap (loopback)"
    tools/leshan.sh setup >/dev/null
    # The sensor, download and FOTA pull examples once more, with the MbedTLS backend, for
    # coaps:// (test_dtls.py, test_download_coaps.py, test_fota_pull_coaps.py: CoAPS in
    # /5/0/8; with certificates, test_download_coaps_x509.py: the download with X.509
    # credentials in its anj_net_config_t), with persistence for the restart test
    # (test_persistence_restart.py: ANJ_EXAMPLE_PERSISTENCE_FILE in c_examples/common),
    # and with raw public keys on tinydtls (test_rpk.py: c_examples/certificates with
    # ANJ_EXAMPLE_RPK=1; vendored-tinydtls brings certificates too).
    cmake -S "$root" -B "$build-dtls" -DCMAKE_BUILD_TYPE=Release -DANJ_RS_BUILD_AT_CONFIGURE=OFF -DANJ_WITH_SENML_JSON=ON -DANJ_WITH_TLV_ENCODER=ON -DEXAMPLES_WITH_DTLS=ON \
        "-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls,vendored-tinydtls,persistence,fota-coaps,certificates" >/dev/null
    cmake --build "$build-dtls" -j 2 --target anj_example_sensor anj_example_psk anj_example_bootstrap \
        anj_example_coap_download anj_example_fw_update_pull anj_example_certificates >/dev/null
    dtls_sensor="$(find "$build-dtls" -type f -name anj_example_sensor -perm -u+x | head -n 1)"
    cert_example="$(find "$build-dtls" -type f -name anj_example_certificates -perm -u+x | head -n 1)"
    dtls_download="$(find "$build-dtls" -type f -name anj_example_coap_download -perm -u+x | head -n 1)"
    dtls_fw_pull="$(find "$build-dtls" -type f -name anj_example_fw_update_pull -perm -u+x | head -n 1)"
    # c_examples/psk: DTLS session continuity over a rebinding proxy (test_dtls_session.py).
    dtls_psk="$(find "$build-dtls" -type f -name anj_example_psk -perm -u+x | head -n 1)"
    # Anjay Lite's BC-Security tutorial, unchanged, registering with its hard-coded PSK
    # (needs the Anjay Lite tree: ANJAY_LITE_SRC, default /tmp/al).
    bc_security=""
    fota_coaps_tutorial=""
    crypto_storage_tutorial=""
    fota_certs_tutorial=""
    if [[ -d "${ANJAY_LITE_SRC:-/tmp/al}/examples/tutorial/BC-Security" ]]; then
        tools/check-tutorial.sh BC-Security "$build-bc-security" -DCMAKE_BUILD_TYPE=Release \
            "-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls" >/dev/null
        bc_security="$build-bc-security/anjay_lite_bc_security"
        # ... and its firmware-update-coaps-downloader tutorial: FOTA pull over coaps://
        # with the Security object's PSK (test_tutorial_fota_coaps.py).
        tools/check-tutorial.sh firmware-update-coaps-downloader "$build-fota-coaps" \
            -DCMAKE_BUILD_TYPE=Release "-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls" >/dev/null
        fota_coaps_tutorial="$build-fota-coaps/anjay_lite_secure_firmware_update_pull"
        # ... and AT-CryptoStorage: X.509 bootstrap with external-storage references,
        # persistence, restart (test_tutorial_crypto_storage.py).
        tools/check-tutorial.sh AT-CryptoStorage "$build-crypto-storage" \
            -DCMAKE_BUILD_TYPE=Release "-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls" >/dev/null
        crypto_storage_tutorial="$build-crypto-storage/anjay_lite_at_crypto_storage"
        # ... and firmware-update-coaps-downloader-certificates, which gives no /0/x/4:
        # built with ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP, as Anjay Lite needs too
        # (test_tutorial_fota_coaps_certificates.py).
        tools/check-tutorial.sh firmware-update-coaps-downloader-certificates "$build-fota-certs" \
            -DCMAKE_BUILD_TYPE=Release -DANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP=ON \
            "-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls" >/dev/null
        fota_certs_tutorial="$build-fota-certs/anjay_lite_certs_firmware_update_pull"
    fi
    # The bootstrap example too: its Bootstrap-Server provisions a coaps:// account
    # (test_bootstrap.py).
    dtls_bootstrap="$(find "$build-dtls" -type f -name anj_example_bootstrap -perm -u+x | head -n 1)"
    find_example() {
        local p
        p="$(find "$build" -type f -name "anj_example_$1" -perm -u+x | head -n 1)"
        [[ -n "$p" ]] || { echo "example $1 was not built" >&2; exit 1; }
        echo "$p"
    }
    ANJ_EXAMPLE_MANDATORY_OBJECTS="$(find_example mandatory_objects)" \
    ANJ_EXAMPLE_SENSOR="$(find_example sensor)" \
    ANJ_EXAMPLE_MULTI_INSTANCE="$(find_example multi_instance)" \
    ANJ_EXAMPLE_EXTERNAL_DATA="$(find_example external_data)" \
    ANJ_EXAMPLE_FW_UPDATE_PUSH="$(find_example fw_update_push)" \
    ANJ_EXAMPLE_FW_UPDATE_PULL="$(find_example fw_update_pull)" \
    ANJ_EXAMPLE_COAP_DOWNLOAD="$(find_example coap_download)" \
    ANJ_EXAMPLE_SEND="$(find_example send)" \
    ANJ_EXAMPLE_SENSOR_DTLS="$dtls_sensor" \
    ANJ_EXAMPLE_SENSOR_DTLS_PERSISTENCE="$dtls_sensor" \
    ANJ_EXAMPLE_COAP_DOWNLOAD_DTLS="$dtls_download" \
    ANJ_EXAMPLE_FW_UPDATE_PULL_DTLS="$dtls_fw_pull" \
    ANJ_EXAMPLE_PSK="$dtls_psk" \
    ANJ_TUTORIAL_BC_SECURITY="$bc_security" \
    ANJ_TUTORIAL_FOTA_COAPS="$fota_coaps_tutorial" \
    ANJ_TUTORIAL_CRYPTO_STORAGE="$crypto_storage_tutorial" \
    ANJ_TUTORIAL_FOTA_COAPS_CERTIFICATES="$fota_certs_tutorial" \
    ANJ_EXAMPLE_CERTIFICATES="$cert_example" \
    ANJ_EXAMPLE_CERTIFICATES_RPK="$cert_example" \
    ANJ_EXAMPLE_NTP_SYNC="$(find_example ntp_sync)" \
    ANJ_EXAMPLE_BOOTSTRAP="$(find_example bootstrap)" \
    ANJ_EXAMPLE_BOOTSTRAP_DTLS="$dtls_bootstrap" \
    ANJ_EXAMPLE_RUST_CLIENT="$root/examples/rust-client/target/release/anj-rust-client" \
    ANJ_INTEROP_FORMATS="${ANJ_INTEROP_FORMATS:-SENML_CBOR,TEXT,TLV,SENML_JSON}" \
        python3 -m pytest -q -rs tests/interop
fi

if [[ "${ANJ_SKIP_SIZE:-0}" != 1 ]]; then
    stage "size report (Cortex-M4)"
    tools/size-report.sh
    stage "size report (Cortex-M4) with DTLS PSK on MbedTLS 3.6"
    ANJ_SIZE_MBEDTLS=psk tools/size-report.sh 2>&1 | grep -v 'ld: \|warning'
    stage "size report (Cortex-M4) with DTLS PSK and X.509 on MbedTLS 3.6"
    ANJ_SIZE_MBEDTLS=cert tools/size-report.sh 2>&1 | grep -v 'ld: \|warning'
fi
stage "all tests passed"
