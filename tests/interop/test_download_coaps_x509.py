"""CoAP downloader and Firmware Update pull over coaps:// with X.509 certificates,
against a CoAP file server on Californium/Scandium (probe/CoapsFileServer.java; the
libraries inside the Leshan demo jar, which share no code with MbedTLS or anj-rs).

The server presents a certificate issued by a test CA and requires a client
certificate issued by the same CA (made at test time with the openssl CLI, as in
test_x509.py); it answers GET /NAME with the file, cut into Block2 blocks by
Californium's block-wise layer.

* c_examples/coap_download (``--cert-*``): 1 MiB byte-exact (SHA-256) with the CA as
  the trust anchor (usage 2) and with the server's own certificate pinned (usage 3);
  the server saw the request from the client certificate's subject;
* a client certificate from another CA: Scandium refuses it, the download fails
  with ANJ_COAP_DOWNLOADER_ERR_NETWORK (-5), nothing is written, no GET reached the
  resource;
* a trust anchor that did not issue the server's certificate: MbedTLS refuses the
  server's chain, the same failure, and the client never sent its certificate;
* c_examples/fw_update_pull (``ANJ_EXAMPLE_DOWNLOAD_CLIENT_CERT`` ...): Leshan (LwM2M
  over coap://) writes the coaps:// Package URI, the client pulls 1 MiB with its
  certificate (state Downloaded, byte-exact); with an untrusted certificate the
  Update Result is Connection Lost (4), state Idle, and no GET reached the server.

``ANJ_EXAMPLE_COAP_DOWNLOAD_DTLS`` and ``ANJ_EXAMPLE_FW_UPDATE_PULL_DTLS`` name the
examples built with ``--features vendored-mbedtls,fota-coaps,certificates``
(tools/test-all.sh); each test is skipped without its example.
"""

import hashlib
import os
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import leshan
from test_download import _summary
from test_fota_pull import (DOWNLOADED, IDLE, RESULT_INITIAL, _diag, _downloaded,  # noqa: F401
                            _failed_result, _ok, _value)
from test_x509 import _make

DOWNLOAD = os.environ.get("ANJ_EXAMPLE_COAP_DOWNLOAD_DTLS")
FW_PULL = os.environ.get("ANJ_EXAMPLE_FW_UPDATE_PULL_DTLS")
SIZE = 1 << 20
NETWORK = -5
CONNECTION_LOST = 4
COAPS = 1
# The client refuses the server's chain, or gets a fatal alert: no retransmission
# cycle to wait for, but keep the handshake short in case a flight is lost.
FAST_FAIL = ["--retry-count", "1", "--dtls-hs-max-ms", "4000"]

pytestmark = pytest.mark.skipif(
    not DOWNLOAD and not FW_PULL,
    reason="ANJ_EXAMPLE_COAP_DOWNLOAD_DTLS / ANJ_EXAMPLE_FW_UPDATE_PULL_DTLS are not set")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    _make(d, "ca", "anj-rs download CA", ca=True)
    _make(d, "server", "localhost", issuer="ca")
    _make(d, "client", "anj-rs-downloader", issuer="ca")
    _make(d, "otherca", "untrusted CA", ca=True)
    _make(d, "rogue", "anj-rs-rogue", issuer="otherca")
    return d


@pytest.fixture
def served(tmp_path, pki):
    root = tmp_path / "root"
    root.mkdir()
    (root / "fw.bin").write_bytes(os.urandom(SIZE))
    with leshan.CoapsFileServer(root, pki / "server.der", pki / "server.key.der",
                                pki / "ca.der") as server:
        server.root = root
        yield server


def _verdicts(server, timeout: float = 10) -> list:
    """The server's client-cert events, once there is one (it prints the verdict
    while the client may already have given up)."""
    deadline = time.monotonic() + timeout
    while not server.events_of("client-cert") and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.events_of("client-cert")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _download(uri: str, out: Path, pki: Path, cert: str = "client", server_cert: str = "ca.der",
              usage: int = 2, extra=(), timeout: float = 120):
    if not DOWNLOAD:
        pytest.skip("ANJ_EXAMPLE_COAP_DOWNLOAD_DTLS (coap_download built with DTLS) is not set")
    log = out.with_suffix(".log")
    with open(log, "wb") as err:
        proc = subprocess.run(
            [DOWNLOAD, uri, str(out), "--cert-client", str(pki / f"{cert}.der"),
             "--cert-key", str(pki / f"{cert}.key.der"), "--cert-server", str(pki / server_cert),
             "--cert-usage", str(usage), *extra],
            stdout=subprocess.PIPE, stderr=err, timeout=timeout)
    text = proc.stdout.decode()
    print(text.strip())
    return proc.returncode, _summary(text), log.read_text(errors="replace")


@pytest.mark.parametrize("usage,server_cert", [
    pytest.param(2, "ca.der", id="usage2-ca-anchor"),
    pytest.param(3, "server.der", id="usage3-pinned-server-cert"),
])
def test_coaps_x509_download_1mib(served, pki, tmp_path, usage, server_cert):
    out = tmp_path / "out.bin"
    code, s, log = _download(served.uri("fw.bin"), out, pki, usage=usage, server_cert=server_cert)
    assert code == 0 and s["result"] == "finished", log[-3000:]
    assert "handshake done" in log and "ECDHE-ECDSA" in log, "the transfer went over DTLS with X.509"
    assert _sha256(out) == _sha256(served.root / "fw.bin")
    assert s["bytes"] == SIZE and s["blocks"] == SIZE // 1024
    certs = _verdicts(served)
    assert [c["ok"] for c in certs] == [True] and certs[0]["subject"] == "CN=anj-rs-downloader"
    gets = served.events_of("get")
    assert gets and all(g["peer"] == "CN=anj-rs-downloader" for g in gets), gets
    print(f"\nCOAPS X.509 THROUGHPUT: {s['bytes_per_s'] / 1024:.0f} KiB/s "
          f"({s['bytes']:.0f} B in {s['seconds']:.3f} s, handshake included)")


def test_coaps_x509_untrusted_client_certificate_fails_cleanly(served, pki, tmp_path):
    out = tmp_path / "out.bin"
    t0 = time.monotonic()
    code, s, log = _download(served.uri("fw.bin"), out, pki, cert="rogue", extra=FAST_FAIL,
                             timeout=60)
    assert code == 1 and s["result"] == "failed", log[-3000:]
    assert s["error"] == NETWORK, log[-3000:]
    assert s["bytes"] == 0 and out.stat().st_size == 0
    assert "handshake done" not in log and "DTLS handshake failed" in log, log[-3000:]
    assert time.monotonic() - t0 < 30
    certs = _verdicts(served)
    assert certs and not any(c["ok"] for c in certs), certs
    assert all(c["subject"] == "CN=anj-rs-rogue" for c in certs)
    assert served.events_of("get") == [], "no request reached the server"
    # The server is still fine: the right certificate works afterwards.
    code, s, log = _download(served.uri("fw.bin"), tmp_path / "again.bin", pki)
    assert code == 0 and s["bytes"] == SIZE, log[-3000:]


def test_coaps_x509_server_certificate_not_matching_fails_cleanly(served, pki, tmp_path):
    out = tmp_path / "out.bin"
    # Usage 2 with a trust anchor that did not issue the server's certificate.
    code, s, log = _download(served.uri("fw.bin"), out, pki, server_cert="otherca.der",
                             extra=FAST_FAIL, timeout=60)
    assert code == 1 and s["result"] == "failed" and s["error"] == NETWORK, log[-3000:]
    assert s["bytes"] == 0 and out.stat().st_size == 0
    assert "server chain rejected" in log and "handshake done" not in log, log[-3000:]
    # The client gave up before sending its certificate; nothing was served.
    assert served.events_of("client-cert") == []
    assert served.events_of("get") == []
    # Usage 3 pinning another certificate (the CA's) is refused the same way.
    code, s, log = _download(served.uri("fw.bin"), tmp_path / "out3.bin", pki, usage=3,
                             server_cert="ca.der", extra=FAST_FAIL, timeout=60)
    assert code == 1 and s["error"] == NETWORK, log[-3000:]
    assert "usage 3: the server's certificate is not the Server Public Key" in log, log[-3000:]
    assert served.events_of("get") == []


@pytest.fixture
def fota(leshan_server, tmp_path, endpoint_name, pki):
    if not FW_PULL:
        pytest.skip("ANJ_EXAMPLE_FW_UPDATE_PULL_DTLS (fw_update_pull built with DTLS) is not set")
    started = []

    def run(cert: str, *opts: str):
        image_file = tmp_path / "image.bin"
        env = dict(os.environ,
                   ANJ_EXAMPLE_DOWNLOAD_CLIENT_CERT=str(pki / f"{cert}.der"),
                   ANJ_EXAMPLE_DOWNLOAD_CLIENT_KEY=str(pki / f"{cert}.key.der"),
                   ANJ_EXAMPLE_DOWNLOAD_SERVER_CERT=str(pki / "ca.der"),
                   ANJ_EXAMPLE_DOWNLOAD_CERT_USAGE="2")
        env.pop("ANJ_EXAMPLE_DOWNLOAD_PSK_IDENTITY", None)
        env.pop("ANJ_EXAMPLE_DOWNLOAD_PSK_KEY", None)
        proc = leshan.ClientProcess(
            [FW_PULL, endpoint_name, leshan_server.coap_uri, str(image_file), *opts],
            log_path=tmp_path / "client.log", env=env).start()
        c = SimpleNamespace(ep=endpoint_name, proc=proc, server=leshan_server,
                            image_file=image_file)
        started.append(c)
        try:
            c.reg = leshan_server.wait_registered(endpoint_name, timeout=30)
        except (TimeoutError, leshan.LeshanError) as exc:
            pytest.fail(f"{endpoint_name} did not register: {exc}{_diag(c)}")
        return c

    yield run
    for c in started:
        c.proc.stop()


def test_fota_pull_coaps_x509_1mib(served, fota):
    c = fota("client")
    proto = _ok(c.server.read(c.ep, "/5/0/8"), c)["content"]
    assert COAPS in [int(v) for v in proto["values"].values()], proto
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    d = _downloaded(c)
    assert d["bytes"] == SIZE
    assert _sha256(c.image_file) == _sha256(served.root / "fw.bin")
    assert _value(c, "/5/0/3") == DOWNLOADED and _value(c, "/5/0/5") == RESULT_INITIAL
    log = c.proc.log_text()
    assert "download credentials: X.509, usage 2" in log
    assert "handshake done" in log and "ECDHE-ECDSA" in log, log[-2000:]
    gets = served.events_of("get")
    assert gets and all(g["peer"] == "CN=anj-rs-downloader" for g in gets), gets
    print(f"\nFOTA COAPS X.509 PULL: {SIZE} B in {d['seconds']:.3f} s, {d['blocks']} blocks")


def test_fota_pull_coaps_x509_untrusted_client_is_connection_lost(served, fota):
    c = fota("rogue", "retry_count=1", "dtls_hs_max_ms=4000")
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    _failed_result(c, CONNECTION_LOST, timeout=60)
    assert _value(c, "/5/0/3") == IDLE
    log = c.proc.log_text()
    assert "DTLS handshake failed" in log and "handshake done" not in log, log[-2000:]
    certs = _verdicts(served)
    assert certs and not any(c["ok"] for c in certs), certs
    assert served.events_of("get") == []
    assert not c.image_file.exists() or c.image_file.stat().st_size == 0
