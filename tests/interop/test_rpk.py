"""Interop over DTLS with raw public keys (RFC 7250, LwM2M Security Mode 1): the
certificates example client (c_examples/certificates with ``ANJ_EXAMPLE_RPK=1``)
on the tinydtls backend of ``ANJ_WITH_RPK`` against a Leshan demo server started
with its own raw key pair (``-pubk``, ``-prik``). Leshan's security store knows the
client's public key (REST ``rpk`` security info); the client's Security object holds
Leshan's public key in /0/0/4. Keys are secp256r1, made at test time with the
``openssl`` command-line tool.

* registration, then a Read of /3/0;
* a client key other than the one Leshan has for the endpoint: Register is refused
  (4.03; Scandium completes the handshake with any key, Leshan checks it after);
* a server key other than /0/0/4: the client aborts the handshake;
* Leshan's bootstrap server provisions an RPK account, which c_examples/bootstrap
  (``ANJ_EXAMPLE_BOOTSTRAP_DTLS``) registers with.

Runs only when ``ANJ_EXAMPLE_CERTIFICATES_RPK`` names the example built with
``vendored-tinydtls`` (tools/test-all.sh).
"""

import os
import subprocess
import time

import pytest

import leshan

BINARY = os.environ.get("ANJ_EXAMPLE_CERTIFICATES_RPK")

pytestmark = pytest.mark.skipif(
    not BINARY,
    reason="ANJ_EXAMPLE_CERTIFICATES_RPK (c_examples/certificates built with "
           "vendored-tinydtls) is not set")

EP = f"anj-rpk-{os.getpid()}"
ROGUE_EP = f"anj-rpk-rogue-{os.getpid()}"


def _openssl(cwd, *args):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _key_pair(cwd, name):
    """name.key.der (PKCS#8) and name.pub.der (SubjectPublicKeyInfo), P-256."""
    _openssl(cwd, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.pem")
    _openssl(cwd, "pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.pem", "-outform", "DER",
             "-out", f"{name}.key.der")
    _openssl(cwd, "ec", "-in", f"{name}.pem", "-pubout", "-outform", "DER",
             "-out", f"{name}.pub.der")


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("rpk")
    for name in ("server", "client", "rogue", "other_server"):
        _key_pair(d, name)
    return d


@pytest.fixture(scope="module")
def rpk_server(keys):
    with leshan.LeshanServer(extra_args=[
            "-pubk", str(keys / "server.pub.der"),
            "-prik", str(keys / "server.key.der")]) as server:
        yield server


def _client(server, keys, ep, log_path, client="client", server_key="server"):
    env = dict(os.environ,
               ANJ_EXAMPLE_RPK="1",
               ANJ_EXAMPLE_CLIENT_CERT=str(keys / f"{client}.pub.der"),
               ANJ_EXAMPLE_CLIENT_KEY=str(keys / f"{client}.key.der"),
               ANJ_EXAMPLE_SERVER_CERT=str(keys / f"{server_key}.pub.der"))
    return leshan.ClientProcess([BINARY, ep, server.coaps_uri], log_path=log_path,
                                env=env).start()


def _never_registers(server, proc, ep, seconds=8):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.client(ep) is None, "registered with wrong credentials"
        time.sleep(0.25)
    return proc.log_text()


def test_rpk_register_and_read(rpk_server, keys, tmp_path):
    rpk_server.add_rpk(EP, (keys / "client.pub.der").read_bytes())
    proc = _client(rpk_server, keys, EP, tmp_path / "client.log")
    try:
        try:
            reg = rpk_server.wait_registered(EP, timeout=30)
        except (TimeoutError, leshan.LeshanError) as exc:
            pytest.fail(f"{EP} did not register over coaps with RPK: {exc}\n"
                        f"{proc.log_text()[-3000:]}")
        assert reg.endpoint == EP
        log = proc.log_text()
        assert "RPK handshake done" in log, log[-2000:]
        # Leshan saw the client's raw public key (and no certificate or PSK identity).
        device = rpk_server.read(EP, "/3/0")
        assert device.get("success"), device
        assert leshan.resources_of(device["content"])[0] == "anj-rs"
        # /0/0/2 is not readable by the server; the mode is what the handshake proved.
    finally:
        proc.stop()
        try:
            rpk_server.wait_deregistered(EP, timeout=10)
        except (TimeoutError, leshan.LeshanError):
            pass
        rpk_server.remove_security(EP)


def test_unknown_client_key_is_rejected(rpk_server, keys, tmp_path):
    # Leshan expects client.pub.der for this endpoint; the client holds rogue's pair.
    rpk_server.add_rpk(ROGUE_EP, (keys / "client.pub.der").read_bytes())
    proc = _client(rpk_server, keys, ROGUE_EP, tmp_path / "client.log", client="rogue")
    try:
        log = _never_registers(rpk_server, proc, ROGUE_EP)
        # Scandium accepts any well-formed key in the handshake; Leshan's security
        # check then finds it is not the endpoint's and answers Register 4.03.
        assert "registration rejected (4.03)" in log, log[-2000:]
        assert "STATUS REGISTERED" not in log
    finally:
        proc.stop()
        rpk_server.remove_security(ROGUE_EP)


def test_server_key_not_matching_is_rejected(rpk_server, keys, tmp_path):
    rpk_server.add_rpk(EP, (keys / "client.pub.der").read_bytes())
    proc = _client(rpk_server, keys, EP, tmp_path / "client.log", server_key="other_server")
    try:
        log = _never_registers(rpk_server, proc, EP)
        assert "RPK handshake done" not in log, "a handshake completed"
        assert "presented a public key other than /0/x/4" in log, log[-2000:]
        assert "DTLS handshake failed" in log, log[-2000:]
    finally:
        proc.stop()
        rpk_server.remove_security(EP)


BOOTSTRAP = os.environ.get("ANJ_EXAMPLE_BOOTSTRAP_DTLS")


@pytest.mark.skipif(not BOOTSTRAP, reason="ANJ_EXAMPLE_BOOTSTRAP_DTLS is not set")
def test_rpk_account_from_leshan_bootstrap_server_registers(rpk_server, keys, tmp_path):
    """Leshan's bootstrap server provisions an RPK account (/0/1/2 = 1 with the three
    keys) at the Leshan server started with -pubk/-prik; c_examples/bootstrap, built with
    vendored-tinydtls, registers there with it after Bootstrap-Finish."""
    ep = f"anj-rpk-bs-{os.getpid()}"
    rpk_server.add_rpk(ep, (keys / "client.pub.der").read_bytes())
    with leshan.BootstrapProbe(ep, rpk_server.coaps_uri, ssid=4,
                               dm_rpk=(keys / "client.pub.der", keys / "client.key.der",
                                       keys / "server.pub.der")) as bs:
        proc = leshan.ClientProcess([BOOTSTRAP, ep, bs.coap_uri],
                                    log_path=tmp_path / "client.log").start()
        try:
            try:
                bs.wait_for("end", 30, lambda e: e["ep"] == ep)
                rpk_server.wait_registered(ep, timeout=30)
            except (TimeoutError, leshan.LeshanError) as exc:
                pytest.fail(f"no RPK registration after bootstrap: {exc}\n"
                            f"{proc.log_text()[-3000:]}")
            device = rpk_server.read(ep, "/3/0")
            assert device.get("success"), device
            log = proc.log_text()
            assert log.index("STATUS BOOTSTRAPPED") < log.index("RPK handshake done") \
                < log.index("STATUS REGISTERED"), log[-3000:]
        finally:
            code = proc.stop()
            rpk_server.remove_security(ep)
            assert code == 0, f"exit status {code}\n{proc.log_text()[-2000:]}"
