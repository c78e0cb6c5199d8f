"""CoAP downloader over DTLS: c_examples/coap_download (built with the MbedTLS backend)
against aiocoap's file server on its tinydtls server transport.

aiocoap (PyPI ``aiocoap``) with ``DTLSSocket`` (PyPI, Cython bindings of Eclipse
tinydtls) serves a directory over ``coaps://`` with PSK credentials given in aiocoap's
credentials JSON (``--credentials``; ``AIOCOAP_SERVER_TRANSPORT=tinydtls_server``).
With ``--bind HOST:P`` that transport listens on P + 1. Two implementations that share
no code: MbedTLS 3.6 on our side, tinydtls on theirs.

* a 1 MiB download with PSK given to ``anj_coap_downloader_start`` in an
  ``anj_net_config_t``; byte-exact by SHA-256; throughput printed (``pytest -s``);
* a wrong key: the handshake fails, the download ends FAILED with
  ANJ_COAP_DOWNLOADER_ERR_NETWORK (-5), nothing is written, and the server served
  nothing; an unknown identity likewise;
* ``coaps://`` without credentials is refused by start with
  ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION (-3).

``ANJ_EXAMPLE_COAP_DOWNLOAD_DTLS`` is the path of the example built with
``--features vendored-mbedtls`` (tools/test-all.sh); the tests are skipped without it.
"""

import errno
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import leshan  # free_port

pytest.importorskip("aiocoap")
pytest.importorskip("DTLSSocket")

from test_download import _summary  # noqa: E402

EXAMPLE_VAR = "ANJ_EXAMPLE_COAP_DOWNLOAD_DTLS"
SIZE = 1 << 20
IDENTITY = "anj-rs-downloader"
KEY = bytes.fromhex("5f1c2a9e0b7d4e33a1c6f08e2d94b715")
NETWORK = -5
INVALID_CONFIGURATION = -3


def _example() -> str:
    path = os.environ.get(EXAMPLE_VAR)
    if not path:
        pytest.skip(f"{EXAMPLE_VAR} (path to the example built with DTLS) is not set")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            return e.errno == errno.EADDRINUSE
    return False


class CoapsFileServer:
    """aiocoap-fileserver serving ``root`` over DTLS (PSK) only, on 127.0.0.1."""

    def __init__(self, root: Path, workdir: Path, identity: str = IDENTITY, key: bytes = KEY):
        self.root = root
        self.identity = identity
        self.key = key
        self.log_path = workdir / "coaps-fileserver.log"
        self.cred_path = workdir / "credentials.json"
        # The DTLS transport binds to the given port + 1.
        self.port = leshan.free_port("udp")
        self.proc = None

    def start(self) -> "CoapsFileServer":
        self.cred_path.write_text(json.dumps({
            "coaps://*": {"dtls": {"psk": {"hex": self.key.hex()},
                                   "client-identity": {"ascii": self.identity}}}}))
        env = dict(os.environ, AIOCOAP_SERVER_TRANSPORT="tinydtls_server")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aiocoap.cli.fileserver", "-v",
             "--bind", f"127.0.0.1:{self.port - 1}", "--credentials", str(self.cred_path),
             str(self.root)],
            stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 20
        while not _port_taken(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the coaps file server did not come up; see {self.log_path}")
            time.sleep(0.1)
        return self

    def requests_served(self) -> int:
        return self.log_path.read_text(errors="replace").count("Serving file")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()

    def uri(self, name: str) -> str:
        return f"coaps://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "fw.bin").write_bytes(os.urandom(SIZE))
    server = CoapsFileServer(root, tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def _run(uri: str, out: Path, *opts, timeout: float = 120):
    log = out.with_suffix(".log")
    with open(log, "wb") as err:
        proc = subprocess.run([_example(), uri, str(out), *opts],
                              stdout=subprocess.PIPE, stderr=err, timeout=timeout)
    text = proc.stdout.decode()
    print(text.strip())
    return proc.returncode, _summary(text), log


def _psk(identity: str = IDENTITY, key: bytes = KEY):
    return ["--psk-identity", identity, "--psk-key", key.hex()]


def test_coaps_download_1mib_psk(served, tmp_path):
    out = tmp_path / "out.bin"
    code, s, log = _run(served.uri("fw.bin"), out, *_psk())
    text = log.read_text()
    assert code == 0 and s["result"] == "finished", text
    assert "handshake done" in text, "the transfer went over DTLS"
    assert _sha256(out) == _sha256(served.root / "fw.bin")
    assert s["bytes"] == SIZE and s["blocks"] == SIZE // 1024
    requests = served.requests_served()
    assert requests == s["blocks"], "one request per block"
    print(f"\nCOAPS THROUGHPUT: {s['bytes_per_s'] / 1024:.0f} KiB/s "
          f"({s['bytes']:.0f} B in {s['seconds']:.3f} s, handshake included, "
          f"{s['blocks']:.0f} blocks of 1024 B)")


@pytest.mark.parametrize("creds", [
    pytest.param(_psk(key=bytes(16)), id="wrong-key"),
    pytest.param(_psk(identity="somebody-else"), id="unknown-identity"),
])
def test_coaps_wrong_credentials_fail_cleanly(served, tmp_path, creds):
    out = tmp_path / "out.bin"
    t0 = time.monotonic()
    # The handshake gives up once its retransmission timeout (1, 2, 4 s) would pass
    # 4 s (anj-rs extension; the default ceiling of 60 s takes about 2 minutes).
    code, s, log = _run(served.uri("fw.bin"), out, *creds, "--retry-count", "1",
                        "--dtls-hs-max-ms", "4000", timeout=60)
    text = log.read_text()
    assert code == 1 and s["result"] == "failed", text
    assert s["error"] == NETWORK, text
    assert s["bytes"] == 0 and out.stat().st_size == 0
    assert "handshake done" not in text
    assert served.requests_served() == 0, "no request reached the server"
    assert time.monotonic() - t0 < 30
    # The server is still fine: the right credentials work afterwards.
    code, s, log = _run(served.uri("fw.bin"), tmp_path / "again.bin", *_psk())
    assert code == 0 and s["bytes"] == SIZE, log.read_text()


def test_coaps_without_credentials_is_refused_by_start(served, tmp_path):
    code, s, _ = _run(served.uri("fw.bin"), tmp_path / "out.bin")
    assert code == 1 and s["error"] == INVALID_CONFIGURATION
