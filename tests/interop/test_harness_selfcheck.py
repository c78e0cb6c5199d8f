"""Validate the harness (leshan.py) against a client built on Leshan's own library.

Skipped with ANJ_SKIP_SELFCHECK=1. Needs java, javac and mvn (the jars come
from Maven Central on first use and are cached in tests/interop/.leshan/).
"""

import contextlib
import signal
import time

import pytest

import leshan

pytestmark = pytest.mark.selfcheck


@pytest.fixture(scope="module")
def selfcheck_cmd():
    return leshan.ensure_selfcheck_client()


def test_ensure_jar_is_idempotent():
    first = leshan.ensure_leshan_jar()
    mtime = first.stat().st_mtime
    again = leshan.ensure_leshan_jar()
    assert again == first and again.stat().st_mtime == mtime


def test_server_binds_loopback_only(leshan_server):
    assert leshan_server.coap_uri == f"coap://127.0.0.1:{leshan_server.coap_port}"
    assert len({leshan_server.coap_port, leshan_server.coaps_port}) == 2
    assert leshan_server.clients() == []
    # Every socket the JVM owns is bound to 127.0.0.1 (maybe IPv4-mapped IPv6).
    inodes = _socket_inodes(leshan_server.pid)
    bound = _bound_addresses(inodes)
    assert bound, "could not find the server's sockets"
    for addr, port in bound:
        assert addr == "127.0.0.1", (addr, port)
    ports = {p for _, p in bound}
    assert {leshan_server.coap_port, leshan_server.coaps_port, leshan_server.web_port} <= ports


def test_full_cycle(leshan_server, selfcheck_cmd, endpoint_name, tmp_path):
    ep = endpoint_name
    server = leshan_server
    with contextlib.ExitStack() as stack:
        events = stack.enter_context(server.events(ep))
        client = leshan.ClientProcess([*selfcheck_cmd, ep, server.coap_uri, "120"],
                                      log_path=tmp_path / "client.log").start()
        try:
            # Register
            reg = server.wait_registered(ep, timeout=60)
            events.wait_for("REGISTRATION", timeout=5)
            assert reg.endpoint == ep
            assert reg.lifetime == 120
            assert reg.binding == "U"
            assert reg.registration_id
            assert reg.lwm2m_version in ("1.0", "1.1")
            assert reg.has_object(1) and reg.has_object(3)
            assert not reg.has_object(0), "Security object must not be announced"
            assert reg.last_update is not None and reg.registration_date is not None
            assert [r.endpoint for r in server.clients()] == [ep]
            # COAPLOG events need a stream opened after the client registered.
            trace = stack.enter_context(server.events(ep))

            # Read /3/0 in every LwM2M 1.1 multi-value format
            for fmt in (leshan.NO_FORMAT, "TLV", "SENML_CBOR", "SENML_JSON"):
                resp = server.read(ep, "/3/0", fmt=fmt)
                assert resp["success"], (fmt, resp)
                values = leshan.resources_of(resp["content"])
                assert values[0] == "anj-rs selfcheck", (fmt, values)
                assert values[3] == "selfcheck-1.0", (fmt, values)
            resp = server.read(ep, "/3/0/0", fmt="TEXT")
            assert resp["success"] and resp["content"] == {"id": 0, "value": "anj-rs selfcheck"}
            # A whole instance has no plain-text form: the client refuses it.
            assert not server.read(ep, "/3/0", fmt="TEXT")["success"]

            # Discover
            disc = server.discover(ep, "/3")
            assert disc["success"]
            assert "/3/0/0" in [link["url"] for link in disc["objectLinks"]]

            # Write the lifetime; the client must follow with an Update
            resp = server.write(ep, "/1/0/1", 20, fmt="TLV")
            assert resp["success"], resp
            assert server.read(ep, "/1/0/1")["content"]["value"] == 20
            upd = events.wait_for("UPDATED", timeout=10)
            assert upd.data["registration"]["lifetime"] == 20
            assert server.client(ep).lifetime == 20

            # Execute "Registration Update Trigger" (/1/0/8) and see the update
            before = server.client(ep)
            t0 = time.monotonic()
            assert server.execute(ep, "/1/0/8")["success"]
            upd = events.wait_for("UPDATED", timeout=10)
            assert upd.received - t0 < 5
            time.sleep(1.1)  # lastUpdate has one-second resolution
            assert server.execute(ep, "/1/0/8")["success"]
            after = server.wait_update(ep, before, timeout=10)
            assert after.registration_id == before.registration_id

            # Observe a resource and receive a notification when it changes
            assert server.observe(ep, "/1/0/1", fmt="TEXT")["success"]
            assert server.write(ep, "/1/0/1", 25)["success"]
            note = events.wait_for("NOTIFICATION", timeout=10,
                                   predicate=lambda e: e.data["val"].get("value") == 25)
            assert note.data["res"] == "/1/0/1"
            server.cancel_observe(ep, "/1/0/1")

            # Write-Attributes: Leshan's client library answers 5.00 "not
            # implemented", which is enough to see the request go out.
            wa = server.write_attributes(ep, "/1/0/1", pmin=1, pmax=30)
            assert wa["valid"] and "status" in wa, wa
            time.sleep(0.2)
            assert any(not m.get("incoming") and m.get("code") == "PUT" and "pmin" in m.get("options", "")
                       for m in trace.coap_log()), trace.coap_log()[-3:]

            # Executing a non-executable resource fails cleanly
            assert not server.execute(ep, "/3/0/0")["success"]

            # De-register on SIGINT
            reg_id = server.client(ep).registration_id
            client.send_signal(signal.SIGINT)
            server.wait_deregistered(ep, timeout=10)
            events.wait_for("DEREGISTRATION", timeout=5)
            deletes = [m for m in trace.coap_log()
                       if m.get("incoming") and m.get("code") == "DELETE"]
            assert deletes and reg_id in deletes[-1].get("options", ""), trace.coap_log()[-5:]
            assert client.wait(10) is not None, "client did not exit after SIGINT"
        finally:
            code = client.stop()
            print(f"client exit code {code}, log {client.log_path}")
    assert server.client(ep) is None
    assert not client.killed


def test_unknown_client(leshan_server):
    assert leshan_server.client("nobody") is None
    with pytest.raises(leshan.LeshanHttpError) as err:
        leshan_server.read("nobody", "/3/0")
    assert err.value.status == 400
    with pytest.raises(TimeoutError):
        leshan_server.wait_registered("nobody", timeout=0.5)


def test_client_process_exit_codes(tmp_path):
    proc = leshan.ClientProcess(["sh", "-c", "trap 'exit 7' INT; while :; do sleep 0.05; done"],
                                log_path=tmp_path / "trap.log").start()
    time.sleep(0.3)
    assert proc.running
    assert proc.stop(grace=5) == 7 and not proc.killed
    stubborn = leshan.ClientProcess(["sh", "-c", "trap '' INT; echo hello; while :; do sleep 0.05; done"],
                                    log_path=tmp_path / "stubborn.log").start()
    time.sleep(0.3)
    assert stubborn.stop(grace=0.5) == -signal.SIGKILL and stubborn.killed
    assert "hello" in stubborn.log_text()


def _socket_inodes(pid):
    import os

    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _bound_addresses(inodes):
    """(address, port) of listening/bound inet sockets with the given inodes."""
    import ipaddress

    out = []
    for table in ("tcp", "udp", "tcp6", "udp6"):
        try:
            lines = open(f"/proc/net/{table}").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            local, inode = cols[1], cols[9]
            if inode not in inodes:
                continue
            # Only listening TCP sockets (state 0A); UDP sockets are all bound.
            if table.startswith("tcp") and cols[3] != "0A":
                continue
            hex_addr, hex_port = local.split(":")
            raw = bytes.fromhex(hex_addr)
            if len(raw) == 4:
                addr = str(ipaddress.IPv4Address(raw[::-1]))
            else:
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                v6 = ipaddress.IPv6Address(words)
                addr = str(v6.ipv4_mapped or v6)
            out.append((addr, int(hex_port, 16)))
    return out
