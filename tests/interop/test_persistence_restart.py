"""Persistence across a restart: the Security and Server objects, PSK credentials
included, stored by one client process and restored by the next, which registers
over DTLS with what it restored.

Runs when ``ANJ_EXAMPLE_SENSOR_DTLS_PERSISTENCE`` names the sensor example built with
the MbedTLS backend and ANJ_WITH_PERSISTENCE (cargo features
``vendored-mbedtls,persistence``). c_examples/common keeps the objects in the file
``ANJ_EXAMPLE_PERSISTENCE_FILE`` (anj_dm_security_obj_store / anj_dm_server_obj_store
after installing them; restore instead of building them when the file restores).

1. first run: PSK from the environment, coaps:// URI, lifetime 77; the objects are
   stored; it registers with Leshan over DTLS and de-registers when stopped;
2. second run: no PSK in the environment and a SERVER_URI argument that leads
   nowhere (coap://127.0.0.1:9); the objects are restored from the file and it
   registers over DTLS with the persisted URI, identity and key, and the persisted
   lifetime;
3. a tampered file (one byte of the stored key flipped, checksum left as it was):
   the restore is refused and the client falls back to its arguments, which lead
   nowhere, so it does not register.
"""

import os
import time

import pytest

import leshan

BINARY = os.environ.get("ANJ_EXAMPLE_SENSOR_DTLS_PERSISTENCE")

pytestmark = pytest.mark.skipif(
    not BINARY,
    reason="ANJ_EXAMPLE_SENSOR_DTLS_PERSISTENCE (the example built with "
           "vendored-mbedtls,persistence) is not set")

KEY = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")
LIFETIME = 77
NOWHERE = "coap://127.0.0.1:9"


def _start(args, log_path, env_extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANJ_EXAMPLE_PSK_IDENTITY", "ANJ_EXAMPLE_PSK_KEY")}
    env.update(env_extra)
    return leshan.ClientProcess([BINARY, *args], log_path=log_path, env=env).start()


def _wait_log(proc, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in proc.log_text():
            return True
        time.sleep(0.05)
    return False


def test_restart_restores_credentials_and_registers_over_dtls(leshan_server, tmp_path):
    ep = f"anj-persist-{os.getpid()}"
    identity = f"{ep}-id"
    store = tmp_path / "objects.bin"
    leshan_server.add_psk(ep, identity, KEY)
    try:
        first = _start([ep, leshan_server.coaps_uri, str(LIFETIME)], tmp_path / "first.log",
                       {"ANJ_EXAMPLE_PSK_IDENTITY": identity,
                        "ANJ_EXAMPLE_PSK_KEY": KEY.hex(),
                        "ANJ_EXAMPLE_PERSISTENCE_FILE": str(store)})
        try:
            assert _wait_log(first, "PERSISTENCE STORED"), first.log_text()[-3000:]
            reg = leshan_server.wait_registered(ep, timeout=30)
            assert reg.lifetime == LIFETIME
        finally:
            first.stop()
        leshan_server.wait_deregistered(ep, timeout=10)
        data = store.read_bytes()
        assert KEY in data and identity.encode() in data
        assert leshan_server.coaps_uri.encode() in data

        # Second process: nothing but the file knows the server and the credentials.
        second = _start([ep, NOWHERE], tmp_path / "second.log",
                        {"ANJ_EXAMPLE_PERSISTENCE_FILE": str(store)})
        try:
            assert _wait_log(second, "PERSISTENCE RESTORED"), second.log_text()[-3000:]
            try:
                reg = leshan_server.wait_registered(ep, timeout=30)
            except (TimeoutError, leshan.LeshanError) as exc:
                pytest.fail(f"no registration after the restore: {exc}\n"
                            f"{second.log_text()[-3000:]}")
            assert reg.lifetime == LIFETIME, "the Server object came from the file"
            assert "TLS-PSK-WITH-AES-128-CCM-8" in second.log_text()
            device = leshan_server.read(ep, "/3/0")
            assert device.get("success"), device
            assert store.read_bytes() == data, "a restored client does not rewrite the file"
        finally:
            second.stop()
        leshan_server.wait_deregistered(ep, timeout=10)

        # Third: the stored key tampered with; the restore must refuse the file.
        at = data.index(KEY)
        store.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:])
        third = _start([ep, NOWHERE], tmp_path / "third.log",
                       {"ANJ_EXAMPLE_PERSISTENCE_FILE": str(store)})
        try:
            assert _wait_log(third, "PERSISTENCE RESTORE FAILED"), third.log_text()[-3000:]
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                assert leshan_server.client(ep) is None, "registered from a tampered file"
                time.sleep(0.25)
            assert "TLS-PSK" not in third.log_text()
        finally:
            third.stop()
    finally:
        leshan_server.remove_security(ep)
