"""Interop of the Bootstrap interface: the C example ``c_examples/bootstrap`` (which
knows only its Bootstrap-Server) against a Bootstrap-Server built on Leshan's bootstrap
server library (``probe/BootstrapProbe.java``), which provisions an account at the
Leshan demo server of the fixtures; the client must then register there.

Runs only when ``ANJ_EXAMPLE_BOOTSTRAP`` names the example binary; the PSK test needs
``ANJ_EXAMPLE_BOOTSTRAP_DTLS``, the example built with a DTLS backend (cargo feature
``vendored-mbedtls``).
"""

import os
import time

import pytest

import leshan

BINARY = os.environ.get("ANJ_EXAMPLE_BOOTSTRAP")
BINARY_DTLS = os.environ.get("ANJ_EXAMPLE_BOOTSTRAP_DTLS")

KEY = bytes.fromhex("0102030405060708090a0b0c0d0e0f10")


def _wait_status(proc, status, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if f"STATUS {status}" in proc.log_text():
            return True
        time.sleep(0.1)
    return False


def _bootstrap_and_register(binary, leshan_server, endpoint_name, dm_uri, tmp_path, psk=None):
    with leshan.BootstrapProbe(endpoint_name, dm_uri, ssid=3, psk=psk) as bs:
        proc = leshan.ClientProcess([binary, endpoint_name, bs.coap_uri],
                                    log_path=tmp_path / "client.log").start()
        try:
            bs.wait_for("initiated", 20, lambda e: e["ep"] == endpoint_name)
            try:
                bs.wait_for("end", 30, lambda e: e["ep"] == endpoint_name)
            except TimeoutError as exc:
                pytest.fail(f"bootstrap did not finish: {exc}\n{proc.log_text()[-3000:]}")
            kinds = [(e["kind"], e["path"], e["success"]) for e in bs.history
                     if e["event"] == "response"]
            # Bootstrap-Delete of /0 and /1, Bootstrap-Write of /1/0 and /0/1, Finish.
            assert ("BootstrapDeleteRequest", "/0", True) in kinds, kinds
            assert ("BootstrapDeleteRequest", "/1", True) in kinds, kinds
            assert ("BootstrapWriteRequest", "/0/1", True) in kinds, kinds
            assert ("BootstrapWriteRequest", "/1/0", True) in kinds, kinds
            assert any(k[0] == "BootstrapFinishRequest" and k[2] for k in kinds), kinds
            try:
                reg = leshan_server.wait_registered(endpoint_name, timeout=30)
            except (TimeoutError, leshan.LeshanError) as exc:
                pytest.fail(f"{endpoint_name} did not register: {exc}\n{proc.log_text()[-3000:]}")
            assert reg.lifetime == 300
            device = leshan_server.read(endpoint_name, "/3/0")
            assert device.get("success"), device
            assert leshan.resources_of(device["content"])[0] == "anj-rs"
            server = leshan_server.read(endpoint_name, "/1/0")
            assert server.get("success"), server
            assert leshan.resources_of(server["content"])[0] == 3  # the provisioned SSID
            log = proc.log_text()
            for s in ("BOOTSTRAPPING", "BOOTSTRAPPED", "REGISTERING", "REGISTERED"):
                assert f"STATUS {s}" in log, log[-2000:]
            assert log.index("STATUS BOOTSTRAPPED") < log.index("STATUS REGISTERED")
            return proc
        finally:
            code = proc.stop()
            assert code == 0, f"exit status {code}\n{proc.log_text()[-2000:]}"


@pytest.mark.skipif(not BINARY, reason="ANJ_EXAMPLE_BOOTSTRAP is not set")
def test_nosec_bootstrap_then_register(leshan_server, endpoint_name, tmp_path):
    _bootstrap_and_register(BINARY, leshan_server, endpoint_name, leshan_server.coap_uri, tmp_path)


@pytest.mark.skipif(not BINARY_DTLS, reason="ANJ_EXAMPLE_BOOTSTRAP_DTLS is not set")
def test_psk_account_from_bootstrap_registers_over_coaps(leshan_server, endpoint_name, tmp_path):
    identity = f"{endpoint_name}-id"
    leshan_server.add_psk(endpoint_name, identity, KEY)
    try:
        proc = _bootstrap_and_register(BINARY_DTLS, leshan_server, endpoint_name,
                                       leshan_server.coaps_uri, tmp_path, psk=(identity, KEY))
        assert "TLS-PSK-WITH-AES-128-CCM-8" in proc.log_text()
    finally:
        leshan_server.remove_security(endpoint_name)


@pytest.mark.skipif(not BINARY, reason="ANJ_EXAMPLE_BOOTSTRAP is not set")
def test_unknown_endpoint_fails_bootstrap(leshan_server, endpoint_name, tmp_path):
    """The Bootstrap-Server has no configuration for this endpoint: the Bootstrap-Request
    is rejected, the client retries (3 times, 2 + 4 + 8 s) and ends in FAILURE."""
    with leshan.BootstrapProbe("someone-else", leshan_server.coap_uri) as bs:
        proc = leshan.ClientProcess([BINARY, endpoint_name, bs.coap_uri],
                                    log_path=tmp_path / "client.log").start()
        try:
            assert _wait_status(proc, "FAILURE", 30), proc.log_text()[-2000:]
            assert proc.wait(10) == 1
            assert leshan_server.client(endpoint_name) is None
            assert proc.log_text().count("Bootstrap-Request rejected") == 4, proc.log_text()[-3000:]
        finally:
            proc.stop()


@pytest.mark.skipif(not BINARY, reason="ANJ_EXAMPLE_BOOTSTRAP is not set")
@pytest.mark.parametrize("fmt", ["TLV", "SENML_CBOR", "SENML_JSON"])
def test_scripted_session_discover_multi_instance_write_read(leshan_server, endpoint_name,
                                                             tmp_path, fmt):
    """Leshan's Bootstrap-Discover parses our links and finds the Bootstrap-Server
    account; one Bootstrap-Write of /0 carries two instances (the account, changed, and
    a new one: Anjay Lite takes one instance per message); Bootstrap-Read of /1."""
    with leshan.BootstrapProbe(endpoint_name, leshan_server.coap_uri, ssid=5, script=fmt) as bs:
        proc = leshan.ClientProcess([BINARY, endpoint_name, bs.coap_uri],
                                    log_path=tmp_path / "client.log").start()
        try:
            try:
                bs.wait_for("end", 30, lambda e: e["ep"] == endpoint_name)
            except TimeoutError as exc:
                pytest.fail(f"bootstrap did not finish: {exc}\n{proc.log_text()[-3000:]}")
            responses = [(e["kind"], e["path"], e["success"]) for e in bs.history
                         if e["event"] == "response"]
            assert ("BootstrapWriteRequest", "/0", True) in responses, responses
            discovered = [e["links"] for e in bs.history if e["event"] == "discover"]
            assert len(discovered) == 2, bs.history
            before, after = discovered
            assert before[0].startswith("</>") and "lwm2m" in before[0], before
            assert "</0/0>" in before and "</3/0>" in before, before
            uri = leshan_server.coap_uri
            assert any(l.startswith("</0/1>") and "ssid=5" in l and uri in l for l in after), after
            assert any(l.startswith("</1/0>") and "ssid=5" in l for l in after), after
            assert "</0/0>" in after, after  # the Bootstrap-Server account: no ssid, no uri
            read = [e["content"] for e in bs.history if e["event"] == "read"]
            assert read and "300" in read[0], bs.history
            reg = leshan_server.wait_registered(endpoint_name, timeout=30)
            assert reg.lifetime == 300
            assert leshan_server.read(endpoint_name, "/1/0/0").get("success")
        finally:
            assert proc.stop() == 0, proc.log_text()[-2000:]


@pytest.mark.skipif(not BINARY_DTLS, reason="ANJ_EXAMPLE_BOOTSTRAP_DTLS is not set")
def test_psk_bootstrap_server_account(leshan_server, endpoint_name, tmp_path):
    """The Bootstrap-Server account itself is coaps:// with a PSK (find_psk of the
    bootstrap account); it provisions a NoSec account at the demo server."""
    identity = f"{endpoint_name}-bs"
    with leshan.BootstrapProbe(endpoint_name, leshan_server.coap_uri, ssid=4,
                               bs_psk=(identity, KEY)) as bs:
        env = dict(os.environ, ANJ_EXAMPLE_BS_PSK_IDENTITY=identity,
                   ANJ_EXAMPLE_BS_PSK_KEY=KEY.hex())
        proc = leshan.ClientProcess([BINARY_DTLS, endpoint_name, bs.coaps_uri],
                                    log_path=tmp_path / "client.log", env=env).start()
        try:
            try:
                bs.wait_for("end", 30, lambda e: e["ep"] == endpoint_name)
            except TimeoutError as exc:
                pytest.fail(f"bootstrap did not finish: {exc}\n{proc.log_text()[-3000:]}")
            leshan_server.wait_registered(endpoint_name, timeout=30)
            log = proc.log_text()
            assert "TLS-PSK-WITH-AES-128-CCM-8" in log
            assert log.index("TLS-PSK-WITH-AES-128-CCM-8") < log.index("STATUS BOOTSTRAPPED")
        finally:
            assert proc.stop() == 0, proc.log_text()[-2000:]


@pytest.mark.skipif(not BINARY_DTLS, reason="ANJ_EXAMPLE_BOOTSTRAP_DTLS is not set")
def test_provisioned_psk_account_connects_with_its_own_identity(leshan_server, endpoint_name,
                                                              tmp_path):
    """Issue 12, bug 1: both accounts are coaps:// with PSKs of their own. The account
    the Bootstrap-Server provisions registers with its identity; the Bootstrap-Server's
    identity never reaches the LwM2M Server (every datagram to it goes through a proxy
    that keeps them: a PSK ClientKeyExchange carries the identity in clear)."""
    from udp_proxy import UP, UdpProxy

    bs_identity = f"{endpoint_name}-bs"
    dm_identity = f"{endpoint_name}-dm"
    dm_key = bytes(b ^ 0x5A for b in KEY)
    leshan_server.add_psk(endpoint_name, dm_identity, dm_key)
    with UdpProxy(leshan_server.coaps_port) as proxy, \
            leshan.BootstrapProbe(endpoint_name, f"coaps://127.0.0.1:{proxy.port}", ssid=3,
                                  psk=(dm_identity, dm_key),
                                  bs_psk=(bs_identity, KEY)) as bs:
        env = dict(os.environ, ANJ_EXAMPLE_BS_PSK_IDENTITY=bs_identity,
                   ANJ_EXAMPLE_BS_PSK_KEY=KEY.hex())
        proc = leshan.ClientProcess([BINARY_DTLS, endpoint_name, bs.coaps_uri],
                                    log_path=tmp_path / "client.log", env=env).start()
        try:
            try:
                bs.wait_for("end", 30, lambda e: e["ep"] == endpoint_name)
                leshan_server.wait_registered(endpoint_name, timeout=30)
            except (TimeoutError, leshan.LeshanError) as exc:
                pytest.fail(f"bootstrap or registration failed: {exc}\n{proc.log_text()[-3000:]}")
            to_server = [d.data for d in proxy._log if d.direction == UP]
            assert any(dm_identity.encode() in d for d in to_server), "no ClientKeyExchange"
            assert not any(bs_identity.encode() in d for d in to_server)
            assert _wait_status(proc, "REGISTERED", 10), proc.log_text()[-2000:]
        finally:
            assert proc.stop() == 0, proc.log_text()[-2000:]


@pytest.mark.skipif(not BINARY_DTLS, reason="ANJ_EXAMPLE_BOOTSTRAP_DTLS is not set")
def test_wrong_bootstrap_psk_is_rejected(leshan_server, endpoint_name, tmp_path):
    identity = f"{endpoint_name}-bs"
    with leshan.BootstrapProbe(endpoint_name, leshan_server.coap_uri, bs_psk=(identity, KEY)) as bs:
        env = dict(os.environ, ANJ_EXAMPLE_BS_PSK_IDENTITY=identity,
                   ANJ_EXAMPLE_BS_PSK_KEY=bytes(b ^ 0xFF for b in KEY).hex())
        proc = leshan.ClientProcess([BINARY_DTLS, endpoint_name, bs.coaps_uri, "0"],
                                    log_path=tmp_path / "client.log", env=env).start()
        try:
            time.sleep(6)
            assert not any(e["event"] == "initiated" for e in bs.history), bs.history
            assert "STATUS BOOTSTRAPPED" not in proc.log_text()
            assert leshan_server.client(endpoint_name) is None
        finally:
            proc.stop()


TUTORIAL = os.environ.get("ANJ_TUTORIAL_AT_BOOTSTRAP")


@pytest.mark.skipif(not TUTORIAL, reason="ANJ_TUTORIAL_AT_BOOTSTRAP (Anjay Lite's AT-Bootstrap "
                    "tutorial built by tools/check-tutorial.sh) is not set")
def test_anjay_lite_at_bootstrap_tutorial(leshan_server, endpoint_name, tmp_path):
    """Anjay Lite's tutorial, unchanged: its Bootstrap-Server is
    coap://eu.iot.avsystem.cloud:5693, which /etc/hosts must map to 127.0.0.1."""
    if not leshan.resolves_to_loopback("eu.iot.avsystem.cloud"):
        pytest.skip("eu.iot.avsystem.cloud does not resolve to 127.0.0.1")
    probe = leshan.BootstrapProbe(endpoint_name, leshan_server.coap_uri)
    probe.port = 5693
    probe.args[0] = "5693"
    with probe as bs:
        proc = leshan.ClientProcess([TUTORIAL, endpoint_name], log_path=tmp_path / "client.log").start()
        try:
            bs.wait_for("end", 30, lambda e: e["ep"] == endpoint_name)
            leshan_server.wait_registered(endpoint_name, timeout=30)
            device = leshan_server.read(endpoint_name, "/3/0")
            assert device.get("success"), device
            assert leshan.resources_of(device["content"])[3] == "0.1"  # its firmware version
        finally:
            proc.stop()


def _openssl(cwd, *args):
    import subprocess
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _cert(d, name, cn, issuer=None, serial=1):
    """EC P-256 key and certificate: name.der, name.key.der (PKCS#8), with the usual
    extensions (key identifiers; a leaf also has subjectAltName and key usages)."""
    _openssl(d, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key")
    if issuer is None:
        _openssl(d, "req", "-x509", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}",
                 "-days", "30", "-set_serial", str(serial),
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-out", f"{name}.pem")
    else:
        (d / "leaf.ext").write_text(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth,clientAuth\nsubjectKeyIdentifier=hash\n"
            f"authorityKeyIdentifier=keyid\nsubjectAltName=DNS:{cn}\n")
        _openssl(d, "req", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}", "-out", f"{name}.csr")
        _openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey",
                 f"{issuer}.key", "-set_serial", str(serial), "-days", "30", "-extfile", "leaf.ext",
                 "-out", f"{name}.pem")
    _openssl(d, "x509", "-in", f"{name}.pem", "-outform", "DER", "-out", f"{name}.der")
    _openssl(d, "pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.key", "-outform", "DER",
             "-out", f"{name}.key.der")


def _x509_pki(d, endpoint):
    """A CA, the servers' certificate, the client's (CN = the endpoint name, which
    Leshan checks), and a client certificate from a CA the servers do not trust."""
    _cert(d, "ca", "CA")
    _cert(d, "server", "localhost", issuer="ca", serial=2)
    _cert(d, "client", endpoint, issuer="ca", serial=3)
    _cert(d, "otherca", "CA2")
    _cert(d, "rogue", endpoint, issuer="otherca", serial=2)
    return d


def _x509_client(bs, pki, endpoint_name, tmp_path, cert="client", server_cert="ca.der", usage=2):
    env = dict(os.environ,
               ANJ_EXAMPLE_BS_CLIENT_CERT=str(pki / f"{cert}.der"),
               ANJ_EXAMPLE_BS_CLIENT_KEY=str(pki / f"{cert}.key.der"),
               ANJ_EXAMPLE_BS_SERVER_CERT=str(pki / server_cert),
               ANJ_EXAMPLE_BS_CERT_USAGE=str(usage))
    return leshan.ClientProcess([BINARY_DTLS, endpoint_name, bs.coaps_uri, "0"],
                                log_path=tmp_path / "client.log", env=env).start()


@pytest.mark.skipif(not BINARY_DTLS, reason="ANJ_EXAMPLE_BOOTSTRAP_DTLS is not set")
@pytest.mark.parametrize("usage,server_cert", [
    pytest.param(2, "ca.der", id="usage2-ca-anchor"),
    pytest.param(3, "server.der", id="usage3-pinned-server-cert"),
])
def test_x509_bootstrap_server_account(leshan_server, endpoint_name, tmp_path, usage, server_cert):
    """The Bootstrap-Server account itself is coaps:// in Certificate mode (/0/x/2 = 2):
    Leshan's bootstrap server presents its certificate and requires the client's; it
    provisions a NoSec account at the demo server, where the client registers."""
    pki = _x509_pki(tmp_path, endpoint_name)
    with leshan.BootstrapProbe(endpoint_name, leshan_server.coap_uri, ssid=6,
                               bs_x509=(pki / "server.der", pki / "server.key.der",
                                        pki / "ca.der")) as bs:
        proc = _x509_client(bs, pki, endpoint_name, tmp_path, usage=usage, server_cert=server_cert)
        try:
            try:
                bs.wait_for("end", 30, lambda e: e["ep"] == endpoint_name)
            except TimeoutError as exc:
                pytest.fail(f"bootstrap did not finish: {exc}\n{proc.log_text()[-3000:]}")
            kinds = [(e["kind"], e["path"], e["success"]) for e in bs.history
                     if e["event"] == "response"]
            assert ("BootstrapWriteRequest", "/0/1", True) in kinds, kinds
            assert ("BootstrapWriteRequest", "/1/0", True) in kinds, kinds
            reg = leshan_server.wait_registered(endpoint_name, timeout=30)
            assert reg.lifetime == 300
            server = leshan_server.read(endpoint_name, "/1/0")
            assert server.get("success"), server
            assert leshan.resources_of(server["content"])[0] == 6  # the provisioned SSID
            log = proc.log_text()
            suite = "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8"
            assert suite in log, log[-3000:]
            assert log.index(suite) < log.index("STATUS BOOTSTRAPPED") < log.index("STATUS REGISTERED")
        finally:
            code = proc.stop()
            assert code == 0, f"exit status {code}\n{proc.log_text()[-2000:]}"


@pytest.mark.skipif(not BINARY_DTLS, reason="ANJ_EXAMPLE_BOOTSTRAP_DTLS is not set")
@pytest.mark.parametrize("cert,server_cert,client_log", [
    # A client certificate from a CA Leshan does not trust: the server ends the handshake.
    pytest.param("rogue", "ca.der", "DTLS handshake failed", id="untrusted-client-cert"),
    # A trust anchor that did not issue the server's certificate: the client refuses it.
    pytest.param("client", "otherca.der", "server chain rejected", id="server-cert-not-matching"),
])
def test_x509_bootstrap_with_wrong_certificates_is_rejected(leshan_server, endpoint_name, tmp_path,
                                                             cert, server_cert, client_log):
    pki = _x509_pki(tmp_path, endpoint_name)
    with leshan.BootstrapProbe(endpoint_name, leshan_server.coap_uri,
                               bs_x509=(pki / "server.der", pki / "server.key.der",
                                        pki / "ca.der")) as bs:
        proc = _x509_client(bs, pki, endpoint_name, tmp_path, cert=cert, server_cert=server_cert)
        try:
            time.sleep(6)
            log = proc.log_text()
            assert client_log in log, log[-3000:]
            assert "handshake done" not in log, log[-3000:]
            assert not any(e["event"] == "initiated" for e in bs.history), bs.history
            assert "STATUS BOOTSTRAPPED" not in log
            assert leshan_server.client(endpoint_name) is None
        finally:
            proc.stop()


@pytest.mark.skipif(not BINARY_DTLS, reason="ANJ_EXAMPLE_BOOTSTRAP_DTLS is not set")
def test_x509_bootstrap_provisions_x509_account(tmp_path):
    """X.509 end to end: the Bootstrap-Server account is in Certificate mode, and it
    provisions a Certificate-mode account (client certificate, private key, the CA as
    trust anchor with usage 2) at a Leshan demo server started with its certificate
    and trust store; the client registers there over DTLS with that account."""
    # The Bootstrap-Write of /0/1 (two certificates of about 500 bytes and a key) is
    # larger than Leshan's 1024-byte messages: it comes block-wise, certificates cut
    # by block boundaries.
    endpoint_name = f"anj-rs-x509-bootstrap-provisioned-{os.getpid()}"
    pki = _x509_pki(tmp_path, endpoint_name)
    with leshan.LeshanServer(extra_args=[
            "-cert", str(pki / "server.der"), "-prik", str(pki / "server.key.der"),
            "-truststore", str(pki / "ca.der")]) as dm_server:
        dm_server.add_x509(endpoint_name)
        with leshan.BootstrapProbe(endpoint_name, dm_server.coaps_uri, ssid=7,
                                   bs_x509=(pki / "server.der", pki / "server.key.der",
                                            pki / "ca.der"),
                                   dm_x509=(pki / "client.der", pki / "client.key.der",
                                            pki / "ca.der", 2)) as bs:
            proc = _x509_client(bs, pki, endpoint_name, tmp_path, usage=3,
                                server_cert="server.der")
            try:
                try:
                    bs.wait_for("end", 30, lambda e: e["ep"] == endpoint_name)
                except TimeoutError as exc:
                    pytest.fail(f"bootstrap did not finish: {exc}\n{proc.log_text()[-3000:]}")
                try:
                    dm_server.wait_registered(endpoint_name, timeout=30)
                except (TimeoutError, leshan.LeshanError) as exc:
                    pytest.fail(f"no registration over X.509: {exc}\n{proc.log_text()[-3000:]}")
                device = dm_server.read(endpoint_name, "/3/0")
                assert device.get("success"), device
                assert leshan.resources_of(device["content"])[0] == "anj-rs"
                log = proc.log_text()
                # Two full ECDHE-ECDSA handshakes: the Bootstrap-Server's, then the
                # provisioned account's, after Bootstrap-Finish.
                done = [i for i in range(len(log)) if log.startswith("handshake done", i)]
                assert len(done) >= 2, log[-3000:]
                assert done[0] < log.index("STATUS BOOTSTRAPPED") < done[-1] \
                    < log.index("STATUS REGISTERED"), log[-3000:]
                assert log.count("TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8") >= 2, log[-3000:]
                # The account's Security instance came block-wise.
                assert "Bootstrap-Write block 1 (" in log, log[-3000:]
                assert ", the last" in log, log[-3000:]
            finally:
                code = proc.stop()
                assert code == 0, f"exit status {code}\n{proc.log_text()[-2000:]}"
