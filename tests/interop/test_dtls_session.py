"""DTLS session continuity against Leshan, through a UDP forwarder that
simulates a NAT rebinding (udp_proxy.py: it switches its upstream source port
mid-session, and counts handshake messages and bytes each way).

* With a Connection ID agreed, the session must survive the rebinding: the
  client's next Update reaches Leshan from the new port, is accepted, and a
  Read afterwards succeeds, with no handshake at all. Leshan 2.0.0-M4
  (Scandium 2.6.3) knows only the pre-RFC code point of the CID extension
  (53), not RFC 9146's (54) that MbedTLS 3.6 sends, so even with ``-cid on``
  it agrees to none and the test checks the resumption path instead (the CID
  path is covered against an MbedTLS server in tests/dtls_mbedtls.rs).
* Without one (``-cid off``), Leshan cannot tell the records from the new port
  are ours: the Update goes unanswered, the client closes the connection and
  reconnects with an abbreviated handshake (session resumption: no
  ClientKeyExchange, no ServerHelloDone), and the registration goes on.
* Wrong credentials fail cleanly: the handshake fails, the status callback
  reports the retries and then FAILURE, and nothing leaves in plaintext.
* Anjay Lite's BC-Security tutorial, built unchanged, registers with its
  hard-coded server name and PSK.

Run with ``pytest -s`` to see the handshake and byte counts.

Needs ``ANJ_EXAMPLE_PSK``: c_examples/psk built with the MbedTLS backend (e.g.
CMake with ``-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls``). The
BC-Security test also needs ``ANJ_TUTORIAL_BC_SECURITY``: Anjay Lite's
BC-Security tutorial built unchanged (tools/check-tutorial.sh), and UDP port
5684 on 127.0.0.1 free (the tutorial's server name resolves there through
/etc/hosts).
"""

import os
import socket
import time

import pytest

import leshan
from udp_proxy import DOWN, UP, UdpProxy

BINARY = os.environ.get("ANJ_EXAMPLE_PSK")
TUTORIAL = os.environ.get("ANJ_TUTORIAL_BC_SECURITY")

pytestmark = pytest.mark.skipif(
    not BINARY, reason="ANJ_EXAMPLE_PSK (c_examples/psk built with vendored-mbedtls) is not set")

KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
LIFETIME = 20  # s: the Update is due after half of it
#: CoAP ACK_TIMEOUT 1 s and 2 retransmissions (an unanswered Update times out in
#: at most 10.5 s), Communication Retry Timer 1 s: recovery within a test's patience.
FAST = {"ANJ_EXAMPLE_ACK_TIMEOUT_MS": "1000", "ANJ_EXAMPLE_MAX_RETRANSMIT": "2",
        "ANJ_EXAMPLE_RETRY_TIMER_S": "1"}

#: The figures for the closing note, printed at the end of the module.
FIGURES: dict[str, str] = {}


@pytest.fixture(scope="module")
def leshan_cid():
    with leshan.LeshanServer(cid="on") as server:
        yield server


@pytest.fixture(scope="module")
def leshan_nocid():
    with leshan.LeshanServer(cid="off") as server:
        yield server


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if FIGURES:
        print("\n==== DTLS PSK registration to Leshan: handshake and bytes (proxy counts) ====")
        for name, line in FIGURES.items():
            print(f"{name}:\n    {line}")


def _start(server, proxy, ep, key=KEY, extra_env=None, lifetime=LIFETIME, log_path=None):
    identity = f"{ep}-id"
    server.add_psk(ep, identity, KEY)
    env = dict(os.environ, **FAST, **(extra_env or {}))
    uri = f"coaps://127.0.0.1:{proxy.port}"
    return leshan.ClientProcess([BINARY, ep, uri, identity, key.hex(), str(lifetime)],
                                log_path=log_path, env=env).start()


def _registered(server, proxy, proc, ep):
    try:
        server.wait_registered(ep, timeout=30)
    except (TimeoutError, leshan.LeshanError) as exc:
        pytest.fail(f"{ep} did not register: {exc}\n{proxy.stats().summary()}\n"
                    f"{proc.log_text()[-3000:]}")


def _read_manufacturer(server, ep, timeout=5):
    reply = server.read(ep, "/3/0/0", timeout=timeout)
    assert reply.get("success"), reply
    return reply["content"]["value"]


def _wait_update(server, ep, since_update, timeout):
    """Waits until Leshan has a newer lastUpdate for ``ep`` than ``since_update``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reg = server.client(ep)
        if reg is not None and reg.last_update and reg.last_update > since_update:
            return reg
        time.sleep(0.2)
    raise TimeoutError(f"{ep}: no Update within {timeout}s")


def _server_hello_extensions(proxy):
    """Extension types of the first ServerHello the proxy saw."""
    for d in proxy._log:
        if d.direction == DOWN and "ServerHello" in d.handshake:
            body = d.data[13 + 12:]  # record header, handshake header
            pos = 2 + 32
            pos += 1 + body[pos]            # session_id
            pos += 2 + 1                    # cipher_suite, compression_method
            types = []
            if pos + 2 <= len(body):
                end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
                pos += 2
                while pos + 4 <= end:
                    types.append(int.from_bytes(body[pos:pos + 2], "big"))
                    pos += 4 + int.from_bytes(body[pos + 2:pos + 4], "big")
            return types
    raise AssertionError("no ServerHello seen")


def _client_hello_extensions(proxy):
    for d in proxy._log:
        if d.direction == UP and "ClientHello" in d.handshake:
            body = d.data[13 + 12:]
            pos = 2 + 32
            pos += 1 + body[pos]            # session_id
            pos += 1 + body[pos]            # cookie
            pos += 2 + int.from_bytes(body[pos:pos + 2], "big")  # cipher_suites
            pos += 1 + body[pos]            # compression_methods
            end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
            pos += 2
            types = []
            while pos + 4 <= end:
                types.append(int.from_bytes(body[pos:pos + 2], "big"))
                pos += 4 + int.from_bytes(body[pos + 2:pos + 4], "big")
            return types
    raise AssertionError("no ClientHello seen")


CID_EXT = 54  # RFC 9146


def test_cid_server_and_a_nat_rebinding(leshan_cid, tmp_path):
    """Leshan started with ``-cid on``. With a Connection ID agreed, the session must
    survive the rebinding with no handshake. Leshan 2.0.0-M4 runs Scandium 2.6.3,
    which only knows the pre-RFC code point of the extension (53), so it ignores
    ours (54) and agrees to none: then the rebinding must cost exactly one
    abbreviated handshake, as without CID support."""
    ep = f"anj-sess-cid-{os.getpid()}"
    with UdpProxy(leshan_cid.coaps_port) as proxy:
        proc = _start(leshan_cid, proxy, ep, log_path=tmp_path / "client.log")
        try:
            _registered(leshan_cid, proxy, proc, ep)
            first = proxy.stats(until=proxy.mark())
            assert CID_EXT in _client_hello_extensions(proxy), "we ask for a Connection ID"
            agreed = CID_EXT in _server_hello_extensions(proxy)
            assert agreed == ("Connection ID" in proc.log_text())
            FIGURES[f"full handshake + Register, server -cid on (CID agreed: {agreed})"] = \
                first.summary()
            assert first.count("ClientKeyExchange", UP) == 1, first.summary()
            assert _read_manufacturer(leshan_cid, ep) == "anj-rs"

            reg = leshan_cid.client(ep)
            mark = proxy.mark()
            new_port = proxy.rebind()
            # The Update (due at LIFETIME/2) leaves through the new port.
            updated = _wait_update(leshan_cid, ep, reg.last_update, timeout=LIFETIME + 40)
            assert str(new_port) in str(updated.address), \
                f"Leshan follows the new address: {updated.address}"
            assert _read_manufacturer(leshan_cid, ep) == "anj-rs"
            after = proxy.stats(since=mark)
            if agreed:
                FIGURES["Update + Read after the rebinding, Connection ID"] = after.summary()
                assert after.count("ClientHello") == 0, f"no new handshake: {after.summary()}"
                assert after.handshake_messages == 0
            else:
                FIGURES["after the rebinding, server -cid on but no CID agreed"] = after.summary()
                assert after.count("ClientHello", UP) == 1, after.summary()
                assert after.count("ClientKeyExchange") == 0, f"abbreviated: {after.summary()}"
        finally:
            proc.stop()
            leshan_cid.remove_security(ep)


def test_without_cid_a_rebinding_costs_an_abbreviated_handshake(leshan_nocid, tmp_path):
    ep = f"anj-sess-nocid-{os.getpid()}"
    with UdpProxy(leshan_nocid.coaps_port) as proxy:
        proc = _start(leshan_nocid, proxy, ep, log_path=tmp_path / "client.log")
        try:
            _registered(leshan_nocid, proxy, proc, ep)
            first = proxy.stats(until=proxy.mark())
            FIGURES["full handshake + Register (no Connection ID)"] = first.summary()
            assert first.count("ClientKeyExchange", UP) == 1, first.summary()
            assert "Connection ID" not in proc.log_text()
            assert _read_manufacturer(leshan_nocid, ep) == "anj-rs"

            reg = leshan_nocid.client(ep)
            mark = proxy.mark()
            proxy.rebind()
            # The Update from the new port is dropped by Leshan (no session for that
            # address); it times out, the client reconnects and resumes the session.
            _wait_update(leshan_nocid, ep, reg.last_update, timeout=LIFETIME + 40)
            assert _read_manufacturer(leshan_nocid, ep) == "anj-rs"
            after = proxy.stats(since=mark)
            # Only the handshake itself, for the figures: from its ClientHello on.
            hs = [i for i, (d, n) in enumerate(after.messages) if n == "ClientHello"]
            assert hs, f"a new handshake after the rebinding: {after.summary()}"
            assert after.count("ClientKeyExchange") == 0, f"abbreviated: {after.summary()}"
            assert after.count("ServerHelloDone") == 0, f"abbreviated: {after.summary()}"
            assert after.count("ServerHello", DOWN) == 1
            assert after.count("Finished", UP) == 1 and after.count("Finished", DOWN) == 1
            assert "handshake done (resumed)" in proc.log_text()
            FIGURES["after the rebinding, no Connection ID: lost Update, "
                    "abbreviated handshake, Update, Read"] = after.summary()
            hs_only = _handshake_window(proxy, mark)
            FIGURES["resumed handshake alone"] = hs_only.summary()
        finally:
            proc.stop()
            leshan_nocid.remove_security(ep)


def _handshake_window(proxy, since):
    """The stats of the datagrams from the first ClientHello after ``since`` to the
    last handshake datagram (the Finished of whoever sends last)."""
    log = proxy._log  # a test helper reading the proxy's own record
    start = next(i for i in range(since, len(log)) if "ClientHello" in log[i].handshake)
    end = max(i for i in range(start, len(log)) if log[i].handshake) + 1
    return proxy.stats(since=start, until=end)


def test_wrong_key_fails_cleanly_with_retries_and_no_plaintext(leshan_cid, tmp_path):
    ep = f"anj-sess-bad-{os.getpid()}"
    wrong = bytes(b ^ 0x5A for b in KEY)
    with UdpProxy(leshan_cid.coaps_port) as proxy:
        proc = _start(leshan_cid, proxy, ep, key=wrong, log_path=tmp_path / "client.log",
                      extra_env={"ANJ_EXAMPLE_RETRY_COUNT": "2",
                                 # Leshan drops what it cannot authenticate: the
                                 # handshake fails when its retransmissions run out
                                 # (250+500+1000 ms here; a minute by default).
                                 "ANJ_EXAMPLE_DTLS_HS_TIMEOUTS_MS": "250,1000"})
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "STATUS FAILURE" not in proc.log_text():
                assert leshan_cid.client(ep) is None, "registered with a wrong key"
                time.sleep(0.2)
            log = proc.log_text()
            statuses = [line.split()[1] for line in log.splitlines() if line.startswith("STATUS ")]
            # Two attempts (Communication Retry Count 2, one sequence), then FAILURE.
            assert statuses[-1] == "FAILURE", f"{statuses}\n{log[-3000:]}"
            assert "REGISTERED" not in statuses
            assert "DTLS handshake failed" in log
            st = proxy.stats()
            # Each attempt is a full handshake (the failed one left no session to
            # resume) whose last flight is retransmitted on the timers until they
            # run out: Leshan silently drops a Finished it cannot authenticate.
            assert st.count("ServerHello", DOWN) == 2, st.summary()
            assert st.count("ClientKeyExchange", UP) > 2, st.summary()
            # No plaintext ever: every datagram of ours is a DTLS record of the
            # handshake or an alert (content types 20-22), never CoAP (0x40-0x7f).
            for d in proxy._log:
                if d.direction == UP:
                    assert d.app_records == 0, "no application data without a session"
            FIGURES["wrong key (2 attempts, then FAILURE)"] = st.summary()
        finally:
            proc.stop()
            leshan_cid.remove_security(ep)


@pytest.mark.skipif(not TUTORIAL, reason="ANJ_TUTORIAL_BC_SECURITY is not set")
def test_bc_security_tutorial_registers_with_its_hard_coded_psk(leshan_cid, tmp_path):
    # The tutorial connects to coaps://eu.iot.avsystem.cloud:5684 (127.0.0.1 in
    # /etc/hosts) as identity "identity" with key "P4s$w0rd": a forwarder on 5684
    # takes it to Leshan, which knows that key for the endpoint.
    if not leshan.resolves_to_loopback("eu.iot.avsystem.cloud"):
        pytest.skip("eu.iot.avsystem.cloud does not resolve to 127.0.0.1")
    if not leshan.udp_port_free(5684):
        pytest.skip("UDP 127.0.0.1:5684 is in use")
    ep = f"anj-bc-security-{os.getpid()}"
    leshan_cid.add_psk(ep, "identity", b"P4s$w0rd")
    with UdpProxy(leshan_cid.coaps_port, listen_port=5684) as proxy:
        proc = leshan.ClientProcess([TUTORIAL, ep], log_path=tmp_path / "tutorial.log").start()
        try:
            try:
                leshan_cid.wait_registered(ep, timeout=30)
            except (TimeoutError, leshan.LeshanError) as exc:
                pytest.fail(f"the tutorial did not register: {exc}\n{proc.log_text()[-3000:]}")
            # Firmware Version /3/0/3, the one Device resource the tutorial sets,
            # read over the tutorial's DTLS session.
            reply = leshan_cid.read(ep, "/3/0/3")
            assert reply.get("success"), reply
            assert reply["content"]["value"] == "0.1"
            st = proxy.stats()
            assert st.count("ClientKeyExchange", UP) == 1, st.summary()
            FIGURES["BC-Security tutorial: handshake, Register, Read /3/0/3"] = st.summary()
        finally:
            proc.stop()
            leshan_cid.remove_security(ep)
