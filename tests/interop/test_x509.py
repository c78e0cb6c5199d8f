"""Interop over DTLS with X.509 certificates: the certificates example client
(c_examples/certificates) against a Leshan demo server started with its own
certificate, key and trust store (``-cert``, ``-prik``, ``-truststore``). The
certificates are made at test time with the ``openssl`` command-line tool: a CA,
the server's certificate (CN localhost), a client certificate whose CN is the
endpoint name, and a second CA that Leshan does not trust.

Runs only when ``ANJ_EXAMPLE_CERTIFICATES`` names the example binary built with
the MbedTLS backend (CMake with ``-DANJ_RS_CARGO_FLAGS=--features;vendored-mbedtls``).
"""

import os
import subprocess
import time

import pytest

import leshan

BINARY = os.environ.get("ANJ_EXAMPLE_CERTIFICATES")

pytestmark = pytest.mark.skipif(
    not BINARY,
    reason="ANJ_EXAMPLE_CERTIFICATES (c_examples/certificates built with vendored-mbedtls) is not set")


def _openssl(cwd, *args):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make(cwd, name, cn, issuer=None, ca=False):
    """EC P-256 key and certificate: name.pem, name.der, name.key.der (PKCS#8)."""
    _openssl(cwd, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key")
    exts = (["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"]
            if ca else ["basicConstraints=CA:FALSE", f"subjectAltName=DNS:{cn}"])
    if issuer is None:
        args = ["req", "-x509", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}",
                "-days", "30", "-out", f"{name}.pem"]
        for e in exts:
            args += ["-addext", e]
        _openssl(cwd, *args)
    else:
        (cwd / f"{name}.ext").write_text("\n".join(exts) + "\n")
        _openssl(cwd, "req", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}",
                 "-out", f"{name}.csr")
        _openssl(cwd, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem",
                 "-CAkey", f"{issuer}.key", "-CAcreateserial", "-days", "30",
                 "-extfile", f"{name}.ext", "-out", f"{name}.pem")
    _openssl(cwd, "x509", "-in", f"{name}.pem", "-outform", "DER", "-out", f"{name}.der")
    _openssl(cwd, "pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.key", "-outform", "DER",
             "-out", f"{name}.key.der")


def _make_dated(cwd, name, cn, issuer, start, end):
    """An end-entity certificate issued by ``issuer``, valid only from ``start`` to
    ``end`` (YYYYMMDDHHMMSSZ): ``openssl ca``, as OpenSSL 3.0's ``x509`` cannot set
    both dates."""
    _openssl(cwd, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key")
    (cwd / f"{name}.ext").write_text(f"basicConstraints=CA:FALSE\nsubjectAltName=DNS:{cn}\n")
    _openssl(cwd, "req", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}", "-out", f"{name}.csr")
    (cwd / f"{name}.cnf").write_text(
        f"[ca]\ndefault_ca = d\n[d]\ndatabase = {name}.index\nnew_certs_dir = .\n"
        f"serial = {name}.serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n"
        "[p]\ncommonName = supplied\n")
    (cwd / f"{name}.index").write_text("")
    (cwd / f"{name}.serial").write_text("2000\n")
    _openssl(cwd, "ca", "-batch", "-notext", "-config", f"{name}.cnf", "-cert", f"{issuer}.pem",
             "-keyfile", f"{issuer}.key", "-in", f"{name}.csr", "-startdate", start,
             "-enddate", end, "-extfile", f"{name}.ext", "-out", f"{name}.pem")
    _openssl(cwd, "x509", "-in", f"{name}.pem", "-outform", "DER", "-out", f"{name}.der")
    _openssl(cwd, "pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.key", "-outform", "DER",
             "-out", f"{name}.key.der")


EP = f"anj-x509-{os.getpid()}"
ROGUE_EP = f"anj-x509-rogue-{os.getpid()}"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    _make(d, "ca", "anj-rs interop CA", ca=True)
    _make(d, "server", "localhost", issuer="ca")
    _make(d, "client", EP, issuer="ca")
    _make(d, "otherca", "untrusted CA", ca=True)
    _make(d, "rogue", ROGUE_EP, issuer="otherca")
    # Leshan's certificate from the trusted CA, with its name, outside its validity.
    _make_dated(d, "server_expired", "localhost", "ca", "20000101000000Z", "20010101000000Z")
    _make_dated(d, "server_future", "localhost", "ca", "20900101000000Z", "20910101000000Z")
    return d


@pytest.fixture(scope="module")
def x509_server(pki):
    with leshan.LeshanServer(extra_args=[
            "-cert", str(pki / "server.der"),
            "-prik", str(pki / "server.key.der"),
            "-truststore", str(pki / "ca.der")]) as server:
        yield server


def _client(server, pki, ep, log_path, cert="client", server_cert="server.der", usage=3,
            trust_store=None):
    env = dict(os.environ,
               ANJ_EXAMPLE_CLIENT_CERT=str(pki / f"{cert}.der"),
               ANJ_EXAMPLE_CLIENT_KEY=str(pki / f"{cert}.key.der"),
               ANJ_EXAMPLE_SERVER_CERT=str(pki / server_cert),
               ANJ_EXAMPLE_CERT_USAGE=str(usage))
    if trust_store:
        env["ANJ_EXAMPLE_TRUST_STORE"] = str(pki / trust_store)
    return leshan.ClientProcess([BINARY, ep, server.coaps_uri], log_path=log_path,
                                env=env).start()


def _register_and_read(server, proc, ep):
    try:
        reg = server.wait_registered(ep, timeout=30)
    except (TimeoutError, leshan.LeshanError) as exc:
        pytest.fail(f"{ep} did not register over coaps with X.509: {exc}\n"
                    f"{proc.log_text()[-3000:]}")
    assert reg.endpoint == ep
    log = proc.log_text()
    assert "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8" in log, log[-2000:]
    device = server.read(ep, "/3/0")
    assert device.get("success"), device
    assert leshan.resources_of(device["content"])[0] == "anj-rs"


@pytest.mark.parametrize("usage,server_cert,trust_store", [
    (3, "server.der", None),   # domain-issued: /0/x/4 is the server's own certificate
    (2, "ca.der", None),       # trust anchor assertion: /0/x/4 is the CA
    (1, "server.der", "ca.der"),  # service certificate constraint, with the trust store
    (0, "ca.der", "ca.der"),   # CA constraint, with the trust store
])
def test_x509_register_and_read(x509_server, pki, tmp_path, usage, server_cert, trust_store):
    x509_server.add_x509(EP)
    proc = _client(x509_server, pki, EP, tmp_path / "client.log", usage=usage,
                   server_cert=server_cert, trust_store=trust_store)
    try:
        _register_and_read(x509_server, proc, EP)
        log = proc.log_text()
        assert f"usage={usage}" in log  # anj_security_get_cert_info saw /0/0/15
        assert f"trust_store={1 if trust_store else 0}" in log
    finally:
        proc.stop()
        try:
            x509_server.wait_deregistered(EP, timeout=10)
        except (TimeoutError, leshan.LeshanError):
            pass
        x509_server.remove_security(EP)


def _never_registers(server, proc, ep, seconds=8):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.client(ep) is None, "registered with wrong credentials"
        time.sleep(0.25)
    log = proc.log_text()
    assert "handshake done" not in log, "a handshake completed"
    return log


def test_untrusted_client_certificate_is_rejected(x509_server, pki, tmp_path):
    x509_server.add_x509(ROGUE_EP)
    proc = _client(x509_server, pki, ROGUE_EP, tmp_path / "client.log", cert="rogue")
    try:
        log = _never_registers(x509_server, proc, ROGUE_EP)
        assert "DTLS handshake failed" in log, log[-2000:]
    finally:
        proc.stop()
        x509_server.remove_security(ROGUE_EP)


def test_server_certificate_not_matching_is_rejected(x509_server, pki, tmp_path):
    x509_server.add_x509(EP)
    # Usage 2 with a trust anchor that did not issue Leshan's certificate.
    proc = _client(x509_server, pki, EP, tmp_path / "client.log", usage=2,
                   server_cert="otherca.der")
    try:
        log = _never_registers(x509_server, proc, EP)
        assert "server chain rejected" in log, log[-2000:]
        assert "STATUS FAILURE" in log or "DTLS handshake failed" in log
    finally:
        proc.stop()
        x509_server.remove_security(EP)


@pytest.mark.parametrize("which,why", [("expired", "expired"), ("future", "not valid yet")])
def test_server_certificate_outside_its_validity_is_rejected(pki, tmp_path, which, why):
    """Leshan presents a certificate of the trusted CA, with the right name, that
    expired in 2001 or is valid only from 2090: the client refuses it (checked against
    anj_time_real_now) whether /0/x/4 pins it (usage 3) or is the CA (usage 2)."""
    name = f"server_{which}"
    with leshan.LeshanServer(extra_args=[
            "-cert", str(pki / f"{name}.der"),
            "-prik", str(pki / f"{name}.key.der"),
            "-truststore", str(pki / "ca.der")]) as server:
        server.add_x509(EP)
        for usage, server_cert in [(3, f"{name}.der"), (2, "ca.der")]:
            proc = _client(server, pki, EP, tmp_path / f"client-{usage}.log", usage=usage,
                           server_cert=server_cert)
            try:
                log = _never_registers(server, proc, EP)
                assert f"server certificate {why} at anj_time_real_now" in log, log[-2000:]
                assert "server chain rejected at depth 0" in log, log[-2000:]
            finally:
                proc.stop()
