"""Interop: firmware update in push mode (c_examples/fw_update_push) against Leshan.

Runs when ``ANJ_EXAMPLE_FW_UPDATE_PUSH`` names the built example, invoked as
``<binary> <endpoint> <server_uri> <image_file>``.

Leshan writes the image to Package /5/0/0 as an Opaque value through its REST
API; Californium turns a request larger than ``MAX_MESSAGE_SIZE`` into a
block-wise (RFC 7959 Block1) transfer of ``PREFERRED_BLOCK_SIZE`` blocks, so the
module's server is started with 1024-byte blocks. The client streams each block
into the example's file; the test then executes Update /5/0/2, the example
re-executes itself as its "new firmware" and reports the result, and the test
checks State, Update Result, the new version and the file, byte for byte
(SHA-256). The push throughput is printed (``pytest -s``).

``ANJ_FOTA_IMAGE_SIZE`` changes the image size (default 1 MiB).
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

import leshan

BINARY = os.environ.get("ANJ_EXAMPLE_FW_UPDATE_PUSH")
IMAGE_SIZE = int(os.environ.get("ANJ_FOTA_IMAGE_SIZE", str(1024 * 1024)))
BLOCK_SIZE = 1024
REGISTER_TIMEOUT = 30
PUSH_TIMEOUT = 300

pytestmark = pytest.mark.skipif(
    not BINARY, reason="ANJ_EXAMPLE_FW_UPDATE_PUSH (path to the built example) is not set")


@pytest.fixture(scope="module")
def leshan_server():
    """Leshan sending 1024-byte blocks (Californium's default is 512)."""
    props = {"PREFERRED_BLOCK_SIZE": BLOCK_SIZE, "MAX_MESSAGE_SIZE": BLOCK_SIZE}
    with leshan.LeshanServer(californium=props) as server:
        yield server
    print(f"Leshan log: {server.log_path}")


def _diag(c) -> str:
    tail = "\n".join(c.proc.log_text().splitlines()[-30:])
    state = "running" if c.proc.running else f"exited with {c.proc.returncode}"
    return f"\n--- client ({state}), log {c.proc.log_path}:\n{tail}"


def _ok(resp, c):
    assert resp.get("success"), f"{resp}{_diag(c)}"
    return resp


def _value(c, path: str):
    resp = _ok(c.server.read(c.ep, path, fmt="TEXT"), c)
    return resp["content"]["value"]


def _wait_log(c, needle: str, timeout: float, start: int = 0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in c.proc.log_text()[start:]:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def client(leshan_server, tmp_path, endpoint_name):
    path = Path(BINARY)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"ANJ_EXAMPLE_FW_UPDATE_PUSH={BINARY} is not an executable file")
    image_file = tmp_path / "image.bin"
    proc = leshan.ClientProcess([str(path.resolve()), endpoint_name, leshan_server.coap_uri,
                                 str(image_file)], log_path=tmp_path / "client.log").start()
    c = SimpleNamespace(ep=endpoint_name, proc=proc, server=leshan_server,
                        image_file=image_file)
    try:
        c.reg = leshan_server.wait_registered(endpoint_name, timeout=REGISTER_TIMEOUT)
    except (TimeoutError, leshan.LeshanError) as exc:
        proc.stop()
        pytest.fail(f"{endpoint_name} did not register: {exc}{_diag(c)}")
    yield c
    code = proc.stop()
    assert code == 0 and not proc.killed, f"example exited with {code}{_diag(c)}"
    assert leshan_server.client(endpoint_name) is None, f"still registered{_diag(c)}"


def _push(c, image: bytes, timeout: float = PUSH_TIMEOUT):
    """Writes ``image`` to /5/0/0; returns (response, seconds, requests Leshan sent)."""
    with c.server.events(c.ep) as trace:
        t0 = time.monotonic()
        resp = c.server.write(c.ep, "/5/0/0", image.hex(), fmt="OPAQUE", timeout=timeout)
        elapsed = time.monotonic() - t0
        time.sleep(0.3)  # the trace may lag behind the REST answer
        sent = [m for m in trace.coap_log() if not m.get("incoming")]
    return resp, elapsed, sent


def test_push_1mib_update_restart_and_report(client):
    c = client
    assert _value(c, "/5/0/3") == 0 and _value(c, "/5/0/5") == 0
    assert _value(c, "/5/0/9") == 1  # Delivery Method: push only
    assert _value(c, "/3/0/3") == "1.0.0"

    image = random.Random(5).randbytes(IMAGE_SIZE)
    # Leshan observes State and Update Result (as ThingsBoard does): every transition
    # must be notified.
    states = c.server.events(c.ep)
    _ok(c.server.observe(c.ep, "/5/0/3", fmt="TEXT"), c)
    _ok(c.server.observe(c.ep, "/5/0/5", fmt="TEXT"), c)
    resp, elapsed, sent = _push(c, image)
    _ok(resp, c)
    blocks = [m for m in sent if "PUT" in str(m.get("code", ""))]
    rate = len(image) / elapsed
    print(f"\nFOTA push: {len(image)} bytes in {elapsed:.2f} s = {rate:,.0f} B/s "
          f"({rate / 1024:,.1f} KiB/s); {len(blocks)} Block1 requests of up to "
          f"{BLOCK_SIZE} B, 1 block per round trip "
          f"({elapsed / max(1, len(blocks)) * 1000:.2f} ms per round trip)")
    # One confirmable request per block (no window): ceil(size / block) round trips.
    assert len(blocks) == -(-len(image) // BLOCK_SIZE), len(blocks)

    # Byte-exact: the file the example wrote is the image.
    assert hashlib.sha256(c.image_file.read_bytes()).hexdigest() \
        == hashlib.sha256(image).hexdigest()
    version = f"crc32-{zlib.crc32(image):08x}"
    assert _wait_log(c, f"FW DOWNLOADED {len(image)} {version}", 5), _diag(c)
    assert _value(c, "/5/0/3") == 2
    assert _value(c, "/5/0/5") == 0
    assert _value(c, "/5/0/6") == "image.bin"
    assert _value(c, "/5/0/7") == version

    # Update: the example answers, then re-executes itself and registers again.
    old = c.server.client(c.ep)
    _ok(c.server.execute(c.ep, "/5/0/2"), c)
    assert _wait_log(c, f"FW UPDATED {version}", 20), _diag(c)
    time.sleep(0.5)
    states.close()
    seen = [(e.data.get("res"), e.data.get("val", {}).get("value")) for e in states.history
            if e.kind == "NOTIFICATION" and isinstance(e.data, dict)]
    state_values = [v for r, v in seen if r == "/5/0/3"]
    print(f"notified /5/0/3 values: {state_values}; /5/0/5: {[v for r, v in seen if r == '/5/0/5']}")
    # Downloading, then Downloaded (Updating may or may not get out before the restart).
    assert [v for v in state_values if v in (1, 2)][:2] == [1, 2], seen
    deadline = time.monotonic() + REGISTER_TIMEOUT
    while True:
        reg = c.server.client(c.ep)
        if reg is not None and reg.registration_id != old.registration_id:
            break
        assert time.monotonic() < deadline, f"no new registration{_diag(c)}"
        time.sleep(0.1)
    assert c.proc.running, _diag(c)
    assert _value(c, "/5/0/3") == 0
    assert _value(c, "/5/0/5") == 1  # firmware updated successfully
    assert _value(c, "/3/0/3") == version
    # PkgVersion is the application's only while a package is downloaded.
    assert _value(c, "/5/0/7") == ""
    assert hashlib.sha256(c.image_file.read_bytes()).digest() == hashlib.sha256(image).digest()


def test_interrupted_push_resets_then_a_new_push_and_an_empty_write(client):
    c = client
    # Large enough to be still under way when the Read comes (1 MiB: ~1.5 s on loopback).
    image = random.Random(6).randbytes(max(IMAGE_SIZE, 1024 * 1024))
    result = {}

    def push():
        result["resp"] = c.server.write(c.ep, "/5/0/0", image.hex(), fmt="OPAQUE",
                                        timeout=60)

    writer = threading.Thread(target=push)
    writer.start()
    assert _wait_log(c, "FW DOWNLOAD START", 20), _diag(c)
    # Another request in the middle of the transfer ends it: the client resets.
    state = _value(c, "/5/0/3")
    writer.join(90)
    assert not writer.is_alive()
    assert not result["resp"].get("success"), result["resp"]
    assert state == 0
    assert _value(c, "/5/0/5") == 4  # connection lost
    assert _wait_log(c, "FW RESET", 5), _diag(c)
    assert not c.image_file.exists()

    # A new push starts at once.
    small = random.Random(7).randbytes(20 * 1024)
    resp, _, _ = _push(c, small, timeout=60)
    _ok(resp, c)
    assert _value(c, "/5/0/3") == 2 and _value(c, "/5/0/5") == 0
    assert c.image_file.read_bytes() == small

    # An empty Package resets the state machine and drops the package.
    log_len = len(c.proc.log_text())
    _ok(c.server.write(c.ep, "/5/0/0", "", fmt="OPAQUE"), c)
    assert _value(c, "/5/0/3") == 0 and _value(c, "/5/0/5") == 0
    assert _wait_log(c, "FW RESET", 5, start=log_len), _diag(c)
    assert not c.image_file.exists()


def test_update_without_a_package_is_405(client):
    resp = client.server.execute(client.ep, "/5/0/2")
    assert "405" in str(resp.get("status")), resp
    assert _value(client, "/5/0/3") == 0
