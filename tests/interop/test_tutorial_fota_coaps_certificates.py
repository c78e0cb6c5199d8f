"""Anjay Lite's firmware-update-coaps-downloader-certificates tutorial, built
unchanged against anj-rs (tools/check-tutorial.sh) with
``ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP=ON``: the tutorial gives no Server Public
Key (/0/x/4), which Anjay Lite accepts only with that option, and then does not
verify the server. End to end on loopback:

* it reads ``client_cert.der`` and ``client_key.der`` from its working directory and
  registers over DTLS with them to ``coaps://eu.iot.avsystem.cloud:5684`` (/etc/hosts:
  127.0.0.1), where a forwarder takes it to a Leshan demo server started with its own
  certificate and trust store (which checks that the certificate's CN is the endpoint);
* Leshan writes a ``coaps://`` Package URI naming a Californium/Scandium file server
  (probe/CoapsFileServer.java) that requires a client certificate from the test CA:
  the tutorial hands the Security object's certificate and key
  (``anj_security_get_cert_info``) to ``anj_coap_downloader_start``;
* the image arrives byte-exact in ``/tmp/firmware_image.bin``, Leshan reads State
  Downloaded (2), and the file server saw the client certificate's subject. The update
  itself is not run (the tutorial would exec the image).

Needs ``ANJ_TUTORIAL_FOTA_COAPS_CERTIFICATES``, UDP 127.0.0.1:5684 free, and
/tmp/firmware_image.bin absent.
"""

import os
import shutil
import socket

import pytest

import leshan
from test_tutorial_fota_coaps import IMAGE, MARKER, downloaded, remove_image
from test_x509 import _make
from udp_proxy import UdpProxy

TUTORIAL = os.environ.get("ANJ_TUTORIAL_FOTA_COAPS_CERTIFICATES")
SIZE = 200 * 1024

pytestmark = pytest.mark.skipif(
    not TUTORIAL, reason="ANJ_TUTORIAL_FOTA_COAPS_CERTIFICATES is not set")




def test_tutorial_pulls_firmware_over_coaps_with_its_certificate(tmp_path):
    if not leshan.resolves_to_loopback("eu.iot.avsystem.cloud"):
        pytest.skip("eu.iot.avsystem.cloud does not resolve to 127.0.0.1")
    if not leshan.udp_port_free(5684):
        pytest.skip("UDP 127.0.0.1:5684 is in use")
    if IMAGE.exists() or MARKER.exists():
        pytest.skip(f"{IMAGE} or {MARKER} exists (another run of the tutorial?)")
    ep = f"anj-tutorial-fota-certs-{os.getpid()}"
    pki = tmp_path / "pki"
    pki.mkdir()
    _make(pki, "ca", "anj-rs tutorial CA", ca=True)
    _make(pki, "server", "localhost", issuer="ca")
    _make(pki, "client", ep, issuer="ca")
    device = tmp_path / "device"
    device.mkdir()
    shutil.copy(pki / "client.der", device / "client_cert.der")
    shutil.copy(pki / "client.key.der", device / "client_key.der")
    root = tmp_path / "root"
    root.mkdir()
    firmware = os.urandom(SIZE)
    (root / "fw.bin").write_bytes(firmware)
    try:
        with leshan.LeshanServer(extra_args=[
                "-cert", str(pki / "server.der"), "-prik", str(pki / "server.key.der"),
                "-truststore", str(pki / "ca.der")]) as dm_server, \
                leshan.CoapsFileServer(root, pki / "server.der", pki / "server.key.der",
                                       pki / "ca.der") as files, \
                UdpProxy(dm_server.coaps_port, listen_port=5684):
            dm_server.add_x509(ep)
            proc = leshan.ClientProcess([TUTORIAL, ep], cwd=device,
                                        log_path=tmp_path / "tutorial.log").start()
            try:
                try:
                    dm_server.wait_registered(ep, timeout=30)
                except (TimeoutError, leshan.LeshanError) as exc:
                    pytest.fail(f"the tutorial did not register: {exc}\n"
                                f"{proc.log_text()[-3000:]}")
                assert "INSECURE" in proc.log_text()
                w = dm_server.write(ep, "/5/0/1", files.uri("fw.bin"), fmt="TEXT")
                assert w.get("success"), w
                downloaded(dm_server, ep, proc, firmware)
                gets = files.events_of("get")
                assert gets and all(ep in str(g) for g in gets), gets
            finally:
                proc.stop()
    finally:
        remove_image()
