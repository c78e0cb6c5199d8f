"""Anjay Lite's AT-CryptoStorage tutorial, built unchanged against anj-rs
(tools/check-tutorial.sh), end to end on loopback:

* its Bootstrap-Server account is in Certificate mode with credentials given as
  external-storage references (file paths, the default POSIX crypto storage):
  ``bootstrap_client_cert.der``, ``bootstrap_client_key.der`` and
  ``bootstrap_server_cert.der`` in its working directory;
* it bootstraps over DTLS from Leshan's bootstrap server (BootstrapProbe, behind a
  forwarder on ``coaps://eu.iot.avsystem.cloud:5694``, which /etc/hosts maps to
  127.0.0.1), which provisions a Certificate-mode account at a Leshan demo server;
* after Bootstrap-Finish the provisioned credentials move into the storage
  (``crypto_record_*.dat``), the tutorial persists its Security and Server objects
  (``persistence_objs.bin``: references, not the secrets), and registers over X.509;
* restarted with no Bootstrap-Server any more, it restores both objects, resolves
  the references and registers again over X.509 straight away.

Needs ``ANJ_TUTORIAL_CRYPTO_STORAGE`` (the built tutorial) and UDP 127.0.0.1:5694
free.
"""

import os
import socket
import time

import pytest

import leshan
from test_bootstrap import _cert
from udp_proxy import UdpProxy

TUTORIAL = os.environ.get("ANJ_TUTORIAL_CRYPTO_STORAGE")
HOST = "eu.iot.avsystem.cloud"

pytestmark = pytest.mark.skipif(
    not TUTORIAL, reason="ANJ_TUTORIAL_CRYPTO_STORAGE (the tutorial built with "
                         "vendored-mbedtls) is not set")




def _registered(server, ep, proc, what, other_than=None):
    """The registration of ``ep``: a new one when ``other_than`` is the last one."""
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        reg = server.client(ep)
        if reg is not None and (other_than is None
                                or reg.registration_id != other_than.registration_id):
            return reg
        time.sleep(0.1)
    pytest.fail(f"{what}: no registration over X.509\n{proc.log_text()[-3000:]}")


def test_tutorial_bootstraps_persists_references_and_restarts(tmp_path):
    if not leshan.resolves_to_loopback(HOST):
        pytest.skip(f"{HOST} does not resolve to 127.0.0.1")
    if not leshan.udp_port_free(5694):
        pytest.skip("UDP 127.0.0.1:5694 is in use")
    ep = f"anj-tutorial-crypto-storage-{os.getpid()}"
    pki = tmp_path / "pki"
    pki.mkdir()
    _cert(pki, "ca", "CA")
    # The tutorial's Bootstrap-Server account checks the server certificate with usage
    # 3 (domain-issued) against its host name.
    _cert(pki, "server", HOST, issuer="ca", serial=2)
    _cert(pki, "client", ep, issuer="ca", serial=3)
    device = tmp_path / "device"
    device.mkdir()
    (device / "bootstrap_client_cert.der").write_bytes((pki / "client.der").read_bytes())
    (device / "bootstrap_client_key.der").write_bytes((pki / "client.key.der").read_bytes())
    (device / "bootstrap_server_cert.der").write_bytes((pki / "server.der").read_bytes())
    key = (pki / "client.key.der").read_bytes()

    with leshan.LeshanServer(extra_args=[
            "-cert", str(pki / "server.der"), "-prik", str(pki / "server.key.der"),
            "-truststore", str(pki / "ca.der")]) as dm_server:
        dm_server.add_x509(ep)
        with leshan.BootstrapProbe(ep, dm_server.coaps_uri, ssid=1,
                                   bs_x509=(pki / "server.der", pki / "server.key.der",
                                            pki / "ca.der"),
                                   dm_x509=(pki / "client.der", pki / "client.key.der",
                                            pki / "ca.der", 2)) as bs:
            with UdpProxy(bs.secure_port, listen_port=5694):
                proc = leshan.ClientProcess([TUTORIAL, ep], cwd=device,
                                            log_path=tmp_path / "first.log").start()
                try:
                    bs.wait_for("end", 40, lambda e: e["ep"] == ep)
                    first = _registered(dm_server, ep, proc, "after bootstrap")
                    reply = dm_server.read(ep, "/3/0/3")
                    assert reply.get("success"), reply
                    assert reply["content"]["value"] == "0.1"
                finally:
                    proc.stop()
        log = proc.log_text()
        assert "Persistent objects stored" in log, log[-3000:]
        # The provisioned certificate, key and trust anchor went to the storage; the
        # persisted objects hold references to them, not the private key.
        records = sorted(p.name for p in device.glob("crypto_record_*.dat"))
        assert len(records) == 3, (records, log[-3000:])
        stored = (device / "persistence_objs.bin").read_bytes()
        assert records[0].encode() in stored
        assert key not in stored and key[-32:] not in stored
        assert b"bootstrap_client_key.der" in stored

        # Restart: no Bootstrap-Server now; the restored account registers at once.
        proc = leshan.ClientProcess([TUTORIAL, ep], cwd=device,
                                    log_path=tmp_path / "second.log").start()
        try:
            _registered(dm_server, ep, proc, "after the restart", other_than=first)
            reply = dm_server.read(ep, "/3/0/3")
            assert reply.get("success"), reply
            log = proc.log_text()
            assert "Security Object restored from persistence" in log, log[-3000:]
            assert "Server Object restored from persistence" in log, log[-3000:]
            assert "BOOTSTRAPPING" not in log.upper().replace(" ", "_"), log[-3000:]
        finally:
            proc.stop()
