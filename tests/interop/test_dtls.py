"""Interop over DTLS: the C example client against Leshan's coaps:// endpoint with
PSK credentials given to Leshan through its security REST API.

Runs only when ``ANJ_EXAMPLE_SENSOR_DTLS`` names the sensor example binary
built with the MbedTLS backend (cargo feature ``vendored-mbedtls``, e.g. CMake
with ``-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls``). The example takes
its PSK from ``ANJ_EXAMPLE_PSK_IDENTITY`` and ``ANJ_EXAMPLE_PSK_KEY`` (hex).
"""

import os
import time

import pytest

import leshan

BINARY = os.environ.get("ANJ_EXAMPLE_SENSOR_DTLS")

pytestmark = pytest.mark.skipif(
    not BINARY,
    reason="ANJ_EXAMPLE_SENSOR_DTLS (the example built with vendored-mbedtls) is not set")

KEY = bytes.fromhex("00112233445566778899aabbccddeeff")


def _client(server, ep, identity, key, log_path):
    env = dict(os.environ, ANJ_EXAMPLE_PSK_IDENTITY=identity, ANJ_EXAMPLE_PSK_KEY=key.hex())
    return leshan.ClientProcess([BINARY, ep, server.coaps_uri], log_path=log_path,
                                env=env).start()


def test_psk_register_and_read(leshan_server, tmp_path):
    ep = f"anj-dtls-{os.getpid()}"
    identity = f"{ep}-id"
    leshan_server.add_psk(ep, identity, KEY)
    proc = _client(leshan_server, ep, identity, KEY, tmp_path / "client.log")
    try:
        try:
            reg = leshan_server.wait_registered(ep, timeout=30)
        except (TimeoutError, leshan.LeshanError) as exc:
            pytest.fail(f"{ep} did not register over coaps: {exc}\n{proc.log_text()[-3000:]}")
        assert reg.endpoint == ep
        assert "TLS-PSK-WITH-AES-128-CCM-8" in proc.log_text()
        device = leshan_server.read(ep, "/3/0")
        assert device.get("success"), device
        res = leshan.resources_of(device["content"])
        assert res[0] == "anj-rs"  # Manufacturer, over the DTLS session
    finally:
        proc.stop()
        leshan_server.remove_security(ep)


def test_wrong_key_is_rejected(leshan_server, tmp_path):
    ep = f"anj-dtls-bad-{os.getpid()}"
    identity = f"{ep}-id"
    leshan_server.add_psk(ep, identity, KEY)
    wrong = bytes(b ^ 0xFF for b in KEY)
    proc = _client(leshan_server, ep, identity, wrong, tmp_path / "client.log")
    try:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            assert leshan_server.client(ep) is None, "registered with a wrong key"
            time.sleep(0.25)
        log = proc.log_text()
        assert "TLS-PSK-WITH-AES-128-CCM-8" not in log, "a handshake completed"
    finally:
        proc.stop()
        leshan_server.remove_security(ep)
