"""Firmware update pull over coaps://: c_examples/fw_update_pull built with the MbedTLS
backend and ANJ_FOTA_WITH_COAPS, against Leshan (LwM2M over coap://) and aiocoap's
file server on tinydtls (PSK, see test_download_coaps.py).

The example gives the downloader an ``anj_net_config_t`` with the PSK of
``ANJ_EXAMPLE_DOWNLOAD_PSK_IDENTITY`` / ``ANJ_EXAMPLE_DOWNLOAD_PSK_KEY``.

* /5/0/8 (Protocol Support) lists CoAPS (1);
* Leshan writes a ``coaps://`` Package URI, the client pulls 1 MiB over DTLS
  while it keeps answering Leshan; the image is byte-exact (SHA-256) and the state
  is Downloaded;
* with a wrong key the download fails and Leshan reads Update Result Connection
  Lost (4), state Idle.

``ANJ_EXAMPLE_FW_UPDATE_PULL_DTLS`` names the example (tools/test-all.sh).
"""

import hashlib
import os
import time
from types import SimpleNamespace

import pytest

import leshan

pytest.importorskip("aiocoap")
pytest.importorskip("DTLSSocket")

import test_download_coaps as coaps  # noqa: E402
from test_fota_pull import (DOWNLOADED, IDLE, RESULT_INITIAL, _diag, _downloaded,  # noqa: E402
                            _failed_result, _ok, _value)

BINARY = os.environ.get("ANJ_EXAMPLE_FW_UPDATE_PULL_DTLS")
SIZE = 1 << 20
CONNECTION_LOST = 4
COAPS = 1

pytestmark = pytest.mark.skipif(
    not BINARY, reason="ANJ_EXAMPLE_FW_UPDATE_PULL_DTLS (the example built with DTLS) is not set")


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "fw.bin").write_bytes(os.urandom(SIZE))
    server = coaps.CoapsFileServer(root, tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start(leshan_server, tmp_path, endpoint_name):
    started = []

    def run(key: bytes, *opts: str):
        image_file = tmp_path / "image.bin"
        env = dict(os.environ, ANJ_EXAMPLE_DOWNLOAD_PSK_IDENTITY=coaps.IDENTITY,
                   ANJ_EXAMPLE_DOWNLOAD_PSK_KEY=key.hex())
        proc = leshan.ClientProcess(
            [BINARY, endpoint_name, leshan_server.coap_uri, str(image_file), *opts],
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


def test_coaps_pull_1mib(served, start):
    c = start(coaps.KEY)
    proto = _ok(c.server.read(c.ep, "/5/0/8"), c)["content"]
    assert COAPS in [int(v) for v in proto["values"].values()], proto
    t0 = time.monotonic()
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    d = _downloaded(c)
    assert d["bytes"] == SIZE
    assert hashlib.sha256(c.image_file.read_bytes()).digest() == \
        hashlib.sha256((served.root / "fw.bin").read_bytes()).digest()
    assert _value(c, "/5/0/3") == DOWNLOADED and _value(c, "/5/0/5") == RESULT_INITIAL
    assert "handshake done" in c.proc.log_text()
    print(f"\nFOTA COAPS PULL: {SIZE} B in {d['seconds']:.3f} s "
          f"({SIZE / d['seconds'] / 1024:.0f} KiB/s), {d['blocks']} blocks, "
          f"{time.monotonic() - t0:.2f} s from the Package URI write")


def test_coaps_pull_wrong_key_is_connection_lost(served, start):
    c = start(bytes(16), "retry_count=1", "dtls_hs_max_ms=4000")
    _ok(c.server.write(c.ep, "/5/0/1", served.uri("fw.bin"), fmt="TEXT"), c)
    # The handshake gives up after its 1, 2 and 4 s retransmissions (dtls_hs_max_ms).
    _failed_result(c, CONNECTION_LOST, timeout=60)
    assert _value(c, "/5/0/3") == IDLE
    assert served.requests_served() == 0
