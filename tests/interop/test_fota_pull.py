"""Interop: firmware update in pull mode (c_examples/fw_update_pull) against Leshan and
aiocoap's file server.

Runs when ``ANJ_EXAMPLE_FW_UPDATE_PULL`` names the built example, invoked as
``<binary> <endpoint> <server_uri> <image_file> [key=value options]``.

Leshan writes a ``coap://127.0.0.1:<port>/fw.bin`` URI to Package URI /5/0/1; the
image is served by ``aiocoap-fileserver`` (started as in test_download.py, on a free
loopback port). The client pulls it with the CoAP downloader while it keeps serving
Leshan, writes it to its image file, and the test checks the file byte for byte
(SHA-256), then executes Update /5/0/2: the example re-executes itself as its "new
firmware" and reports success and its new version.

* a 1 MiB pull with the file server stopped (SIGSTOP) halfway for longer than a
  retransmission cycle, then continued; Leshan reads /3/0 while the download waits;
* a clean 1 MiB pull whose throughput (bytes/s, blocks per round trip) and the
  example's peak stack are printed (``pytest -s``);
* failures, each seen by Leshan in Update Result /5/0/5: Invalid URI (7) for a
  malformed URI, one the downloader refuses and a missing file (4.04); Unsupported
  Protocol (9) for http:// and coaps:// (this build has CoAP only; coaps:// pulls are
  test_fota_pull_coaps.py's); Integrity Failure
  (5) when the file is rewritten halfway (new ETag); Connection Lost (4) when the
  file server goes away for good.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

import leshan

pytest.importorskip("aiocoap")

from test_download import FileServer  # noqa: E402

BINARY = os.environ.get("ANJ_EXAMPLE_FW_UPDATE_PULL")
SIZE = 1 << 20
HALF = SIZE // 2
REGISTER_TIMEOUT = 30
# Fast retransmissions so that a stalled file server is noticed within seconds
# (ACK_TIMEOUT 300 ms, MAX_RETRANSMIT 2: about 2.1-3.2 s until a timeout).
FAST = ["ack_timeout_ms=300", "max_retransmit=2"]

pytestmark = pytest.mark.skipif(
    not BINARY, reason="ANJ_EXAMPLE_FW_UPDATE_PULL (path to the built example) is not set")

IDLE, DOWNLOADING, DOWNLOADED = 0, 1, 2
RESULT_INITIAL, RESULT_SUCCESS, CONNECTION_LOST, INTEGRITY_FAILURE = 0, 1, 4, 5
INVALID_URI, UNSUPPORTED_PROTOCOL = 7, 9


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "fw.bin").write_bytes(os.urandom(SIZE))
    server = FileServer(root, tmp_path / "fileserver.log").start()
    try:
        yield server
    finally:
        server.stop()


def _diag(c) -> str:
    tail = "\n".join(c.proc.log_text().splitlines()[-30:])
    state = "running" if c.proc.running else f"exited with {c.proc.returncode}"
    return f"\n--- client ({state}), log {c.proc.log_path}:\n{tail}"


def _ok(resp, c):
    assert resp.get("success"), f"{resp}{_diag(c)}"
    return resp


def _value(c, path: str):
    return _ok(c.server.read(c.ep, path, fmt="TEXT"), c)["content"]["value"]


def _wait_log(c, pattern: str, timeout: float, start: int = 0):
    """The first match of the regular expression ``pattern`` in the client's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, c.proc.log_text()[start:])
        if m:
            return m
        if not c.proc.running:
            break
        time.sleep(0.02)
    return None


def _wait_bytes(c, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if c.image_file.exists() and c.image_file.stat().st_size >= n:
            return
        time.sleep(0.002)
    pytest.fail(f"{n} bytes did not arrive in {timeout} s{_diag(c)}")


@pytest.fixture
def start_client(leshan_server, tmp_path, endpoint_name):
    """Starts the example with extra key=value options; stops it at the end."""
    started = []

    def start(*opts: str):
        path = Path(BINARY)
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail(f"ANJ_EXAMPLE_FW_UPDATE_PULL={BINARY} is not an executable file")
        image_file = tmp_path / "image.bin"
        proc = leshan.ClientProcess(
            [str(path.resolve()), endpoint_name, leshan_server.coap_uri, str(image_file),
             *opts], log_path=tmp_path / "client.log").start()
        c = SimpleNamespace(ep=endpoint_name, proc=proc, server=leshan_server,
                            image_file=image_file)
        started.append(c)
        try:
            c.reg = leshan_server.wait_registered(endpoint_name, timeout=REGISTER_TIMEOUT)
        except (TimeoutError, leshan.LeshanError) as exc:
            pytest.fail(f"{endpoint_name} did not register: {exc}{_diag(c)}")
        return c

    yield start
    for c in started:
        code = c.proc.stop()
        assert code == 0 and not c.proc.killed, f"example exited with {code}{_diag(c)}"
        assert leshan_server.client(c.ep) is None, f"still registered{_diag(c)}"


def _downloaded(c, timeout: float = 120) -> dict:
    m = _wait_log(c, r"FW DOWNLOADED (\d+) (\S+) seconds=(\S+) blocks=(\d+) "
                     r"retries=(\d+) stack_peak=(\d+) stack_core=(\d+) "
                     r"stack_downloader=(\d+)", timeout)
    assert m, f"no FW DOWNLOADED line{_diag(c)}"
    return {"bytes": int(m[1]), "version": m[2], "seconds": float(m[3]),
            "blocks": int(m[4]), "retries": int(m[5]), "stack_peak": int(m[6]),
            "stack_core": int(m[7]), "stack_downloader": int(m[8])}


def _failed_result(c, expected: int, timeout: float = 60) -> None:
    m = _wait_log(c, r"FW DOWNLOAD FAILED error=(-?\d+) result=(\d+)", timeout)
    assert m, f"the download did not fail{_diag(c)}"
    assert int(m[2]) == expected, m[0]
    # The object took the result: Idle, and the server reads why.
    deadline = time.monotonic() + 5
    while _value(c, "/5/0/3") != IDLE:
        assert time.monotonic() < deadline, _diag(c)
        time.sleep(0.05)
    assert _value(c, "/5/0/5") == expected
    assert _value(c, "/5/0/1") == ""


def _update_and_restart(c, version: str, image_sha: str) -> None:
    old = c.server.client(c.ep)
    _ok(c.server.execute(c.ep, "/5/0/2"), c)
    assert _wait_log(c, re.escape(f"FW UPDATED {version}"), 20), _diag(c)
    deadline = time.monotonic() + REGISTER_TIMEOUT
    while True:
        reg = c.server.client(c.ep)
        if reg is not None and reg.registration_id != old.registration_id:
            break
        assert time.monotonic() < deadline, f"no new registration{_diag(c)}"
        time.sleep(0.1)
    assert c.proc.running, _diag(c)
    assert _value(c, "/5/0/3") == IDLE
    assert _value(c, "/5/0/5") == RESULT_SUCCESS
    assert _value(c, "/3/0/3") == version
    assert hashlib.sha256(c.image_file.read_bytes()).hexdigest() == image_sha


def test_pull_1mib_with_the_link_cut_halfway_then_update(served, start_client):
    c = start_client(*FAST, "retry_count=30", "retry_delay_ms=500")
    image = (served.root / "fw.bin").read_bytes()
    image_sha = hashlib.sha256(image).hexdigest()
    assert _value(c, "/5/0/3") == IDLE and _value(c, "/5/0/5") == RESULT_INITIAL
    assert _value(c, "/5/0/9") == 0  # Delivery Method: pull only
    assert _value(c, "/3/0/3") == "1.0.0"

    uri = served.uri("fw.bin")
    _ok(c.server.write(c.ep, "/5/0/1", uri, fmt="TEXT"), c)
    assert _value(c, "/5/0/1") == uri
    _wait_bytes(c, HALF)
    served.proc.send_signal(signal.SIGSTOP)
    try:
        # The link is cut. LwM2M traffic goes on while the downloader waits.
        t0 = time.monotonic()
        assert _value(c, "/5/0/3") == DOWNLOADING
        device = _ok(c.server.read(c.ep, "/3/0"), c)["content"]
        assert leshan.resources_of(device)[3] == "1.0.0"
        size_at_stall = c.image_file.stat().st_size
        assert size_at_stall < SIZE
        # Longer than a whole retransmission cycle (about 3.2 s at most).
        time.sleep(max(0.0, 7 - (time.monotonic() - t0)))
        assert _value(c, "/5/0/3") == DOWNLOADING
        assert _value(c, "/3/0/3") == "1.0.0"
    finally:
        served.proc.send_signal(signal.SIGCONT)

    d = _downloaded(c)
    print(f"\nFOTA pull with a stall: {d['seconds']:.1f} s, {d['retries']} retries; peak "
          f"stack {d['stack_peak']} B (anj_core_step answering Leshan's reads "
          f"{d['stack_core']} B, downloader step reconnecting {d['stack_downloader']} B)")
    assert d["retries"] >= 1, "the stall must have cost at least one attempt"
    # Every byte once: the retry asked for the block after the last good one.
    assert d["bytes"] == SIZE and d["blocks"] == SIZE // 1024
    assert hashlib.sha256(c.image_file.read_bytes()).hexdigest() == image_sha
    version = f"crc32-{zlib.crc32(image):08x}"
    assert d["version"] == version
    assert _value(c, "/5/0/3") == DOWNLOADED
    assert _value(c, "/5/0/5") == RESULT_INITIAL
    assert _value(c, "/5/0/7") == version
    assert _value(c, "/5/0/6") == "image.bin"

    _update_and_restart(c, version, image_sha)
    # The new firmware's first registration is the one the server sees: traffic works.
    assert leshan.resources_of(_ok(c.server.read(c.ep, "/3/0"), c)["content"])[3] \
        == version


def test_pull_1mib_throughput(served, start_client):
    c = start_client()
    image = (served.root / "fw.bin").read_bytes()
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    d = _downloaded(c)
    assert d["bytes"] == SIZE and d["retries"] == 0
    assert hashlib.sha256(c.image_file.read_bytes()).digest() == hashlib.sha256(image).digest()
    requests = served.requests_served()
    rate = d["bytes"] / d["seconds"]
    sizes = _wait_log(c, r"FW SIZES (.*)", 1)
    print(f"\nFOTA pull: {d['bytes']} bytes in {d['seconds']:.3f} s = {rate:,.0f} B/s "
          f"({rate / 1024:,.1f} KiB/s); {d['blocks']} blocks of 1024 B in {requests} "
          f"request/response round trips = {d['blocks'] / requests:.2f} blocks per "
          f"round trip ({d['seconds'] * 1000 / requests:.3f} ms per round trip; the "
          f"client loop sleeps 1 ms between steps while downloading)")
    print(f"FOTA pull memory: peak stack below main() during the download (stack "
          f"painting around each step; hooks, logs and callbacks included): "
          f"{d['stack_peak']} B; anj_core_step {d['stack_core']} B, "
          f"anj_coap_downloader_step {d['stack_downloader']} B; "
          f"{sizes[1] if sizes else '?'}")
    assert requests == d["blocks"], "one request per block without loss"
    assert _value(c, "/5/0/3") == DOWNLOADED


def test_invalid_uris_are_result_7(served, start_client):
    c = start_client(*FAST, "retry_count=2", "retry_delay_ms=200")
    # Malformed: refused by the object itself; the write fails.
    resp = c.server.write(c.ep, "/5/0/1", "coap:/127.0.0.1/fw.bin", fmt="TEXT")
    assert not resp.get("success"), resp
    assert _value(c, "/5/0/3") == IDLE and _value(c, "/5/0/5") == INVALID_URI
    # Well-formed, but more path segments than the downloader takes
    # (ANJ_COAP_DOWNLOADER_MAX_PATHS_NUMBER is 3): refused by uri_write_handler.
    log_len = len(c.proc.log_text())
    resp = c.server.write(c.ep, "/5/0/1", served.uri("a/b/c/fw.bin"), fmt="TEXT")
    assert not resp.get("success"), resp
    assert _wait_log(c, "FW URI", 5, start=log_len), _diag(c)
    assert _value(c, "/5/0/3") == IDLE and _value(c, "/5/0/5") == INVALID_URI
    # Valid, accepted, but the file does not exist: the server answers 4.04.
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("missing.bin"), fmt="TEXT"), c)
    _failed_result(c, INVALID_URI)
    assert not c.image_file.exists()


def test_unsupported_schemes_are_result_9(served, start_client):
    c = start_client()
    for uri in (f"http://127.0.0.1:{served.port}/fw.bin",
                f"coaps://127.0.0.1:{served.port}/fw.bin"):
        resp = c.server.write(c.ep, "/5/0/1", uri, fmt="TEXT")
        assert not resp.get("success"), resp
        assert _value(c, "/5/0/3") == IDLE
        assert _value(c, "/5/0/5") == UNSUPPORTED_PROTOCOL
    assert "FW URI" not in c.proc.log_text(), "the object refuses before the callback"
    # A supported URI is still taken afterwards.
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    assert _downloaded(c)["bytes"] == SIZE
    assert _value(c, "/5/0/3") == DOWNLOADED and _value(c, "/5/0/5") == RESULT_INITIAL


def test_file_changed_mid_download_is_result_5(served, start_client):
    c = start_client(*FAST, "retry_count=30", "retry_delay_ms=500")
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    _wait_bytes(c, HALF)
    # New contents in place: the file's stat changes, and so does aiocoap's ETag.
    with open(served.root / "fw.bin", "r+b") as f:
        f.write(os.urandom(SIZE))
    _failed_result(c, INTEGRITY_FAILURE)
    assert "FW RESET" in c.proc.log_text()
    assert not c.image_file.exists(), "the partial image is deleted"


def test_file_server_gone_is_result_4(served, start_client):
    c = start_client(*FAST, "retry_count=2", "retry_delay_ms=200")
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    _wait_bytes(c, HALF)
    served.proc.kill()
    served.proc.wait(timeout=10)
    _failed_result(c, CONNECTION_LOST)
    assert not c.image_file.exists()


def test_empty_uri_during_a_download_resets(served, start_client):
    c = start_client(*FAST, "retry_count=30", "retry_delay_ms=500")
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    _wait_bytes(c, 64 * 1024)
    served.proc.send_signal(signal.SIGSTOP)  # keep it under way
    try:
        _ok(c.server.write(c.ep, "/5/0/1", "", fmt="TEXT"), c)
        assert _value(c, "/5/0/3") == IDLE and _value(c, "/5/0/5") == RESULT_INITIAL
        assert _wait_log(c, "FW RESET", 5), _diag(c)
        assert not c.image_file.exists()
    finally:
        served.proc.send_signal(signal.SIGCONT)
    # The terminated download reports nothing more; a new one runs to the end.
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    d = _downloaded(c)
    assert d["bytes"] == SIZE
    assert hashlib.sha256(c.image_file.read_bytes()).digest() \
        == hashlib.sha256((served.root / "fw.bin").read_bytes()).digest()
    assert "FW DOWNLOAD FAILED" not in c.proc.log_text()
