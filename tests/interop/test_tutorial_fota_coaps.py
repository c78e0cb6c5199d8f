"""Anjay Lite's firmware-update-coaps-downloader tutorial, built unchanged against
anj-rs (tools/check-tutorial.sh), end to end on loopback:

* it registers over DTLS with its hard-coded PSK (identity ``identity``, key
  ``P4s$w0rd``) to ``coaps://eu.iot.avsystem.cloud:5684``, which /etc/hosts maps to
  127.0.0.1, where a forwarder takes it to Leshan;
* Leshan writes a ``coaps://`` Package URI (/5/0/1) naming aiocoap's file server
  (tinydtls), which knows the same PSK: the tutorial hands the Security object's PSK
  (``anj_security_get_psk_info``) to ``anj_coap_downloader_start``;
* the image arrives byte-exact in the tutorial's ``/tmp/firmware_image.bin`` and
  Leshan reads State Downloaded (2). The update itself is not run (the tutorial
  would exec the image).

Needs ``ANJ_TUTORIAL_FOTA_COAPS`` (the built tutorial), UDP 127.0.0.1:5684 free and
/tmp/firmware_image.bin absent (another run of the tutorial would share it).
"""

import hashlib
import os
import socket
import time
from pathlib import Path

import pytest

import leshan
from udp_proxy import UdpProxy

pytest.importorskip("aiocoap")
pytest.importorskip("DTLSSocket")

import test_download_coaps as coaps  # noqa: E402

TUTORIAL = os.environ.get("ANJ_TUTORIAL_FOTA_COAPS")
IMAGE = Path("/tmp/firmware_image.bin")
MARKER = Path("/tmp/fw-updated-marker")
SIZE = 200 * 1024
DOWNLOADED = 2

pytestmark = pytest.mark.skipif(
    not TUTORIAL, reason="ANJ_TUTORIAL_FOTA_COAPS (the tutorial built with vendored-mbedtls) "
                         "is not set")




def downloaded(server, ep, proc, firmware: bytes, timeout: float = 90) -> None:
    """Waits for State Downloaded (/5/0/3 = 2); the tutorial's image is ``firmware``."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        r = server.read(ep, "/5/0/3", fmt="TEXT")
        state = r.get("content", {}).get("value") if r.get("success") else None
        if state == DOWNLOADED:
            break
        time.sleep(0.2)
    assert state == DOWNLOADED, f"state {state}\n{proc.log_text()[-3000:]}"
    assert hashlib.sha256(IMAGE.read_bytes()).digest() == hashlib.sha256(firmware).digest()


def remove_image() -> None:
    for p in (IMAGE, MARKER):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def test_tutorial_pulls_firmware_over_coaps_with_its_psk(leshan_server, tmp_path):
    if not leshan.resolves_to_loopback("eu.iot.avsystem.cloud"):
        pytest.skip("eu.iot.avsystem.cloud does not resolve to 127.0.0.1")
    if not leshan.udp_port_free(5684):
        pytest.skip("UDP 127.0.0.1:5684 is in use")
    if IMAGE.exists() or MARKER.exists():
        pytest.skip(f"{IMAGE} or {MARKER} exists (another run of the tutorial?)")
    root = tmp_path / "root"
    root.mkdir()
    firmware = os.urandom(SIZE)
    (root / "fw.bin").write_bytes(firmware)
    files = coaps.CoapsFileServer(root, tmp_path, identity="identity", key=b"P4s$w0rd").start()
    ep = f"anj-tutorial-fota-coaps-{os.getpid()}"
    leshan_server.add_psk(ep, "identity", b"P4s$w0rd")
    try:
        with UdpProxy(leshan_server.coaps_port, listen_port=5684):
            proc = leshan.ClientProcess([TUTORIAL, ep],
                                        log_path=tmp_path / "tutorial.log").start()
            try:
                try:
                    leshan_server.wait_registered(ep, timeout=30)
                except (TimeoutError, leshan.LeshanError) as exc:
                    pytest.fail(f"the tutorial did not register: {exc}\n"
                                f"{proc.log_text()[-3000:]}")
                # /5/0/8 Protocol Support lists CoAPS (1).
                proto = leshan_server.read(ep, "/5/0/8")
                assert proto.get("success"), proto
                assert 1 in proto["content"]["values"].values(), proto
                w = leshan_server.write(ep, "/5/0/1", files.uri("fw.bin"), fmt="TEXT")
                assert w.get("success"), w
                downloaded(leshan_server, ep, proc, firmware)
                assert files.requests_served() > 0
            finally:
                proc.stop()
    finally:
        files.stop()
        leshan_server.remove_security(ep)
        remove_image()
