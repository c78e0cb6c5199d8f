"""Interop: the std Rust example (examples/rust-client, on anj-core's Rust ``Client``)
against Leshan.

The example registers over a ``std::net::UdpSocket`` link (NoSec) with Security /0,
Server /1, Device /3, Firmware Update /5 and its own Temperature object /3303 (Sensor
Value 5700 on a sawtooth 20.0, 20.5, ... 23.5, one step per second; Units 5701 "Cel";
Application Type 5750, writable). It is invoked as
``<binary> <endpoint> <server_uri> <image_file> <installed_file>``.

The binary is ``ANJ_EXAMPLE_RUST_CLIENT`` when set; otherwise the test builds it with
``cargo build --release`` in examples/rust-client (its own workspace).

Checked through Leshan's REST API: the registration (objects), Read and Write of
/3303, Observe of /3303/0/5700 with notifications as the value changes, and a
Firmware Update pull: Leshan writes a ``coap://`` Package URI of a file served by
aiocoap's file server (as in test_fota_pull.py), the example downloads it into its
image file, Leshan executes Update, and Update Result reaches 1 (Success).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

import leshan

ROOT = Path(__file__).resolve().parents[2]
CRATE = ROOT / "examples" / "rust-client"
REGISTER_TIMEOUT = 30
SAWTOOTH = {20.0 + 0.5 * k for k in range(8)}
IDLE, DOWNLOADING, DOWNLOADED = 0, 1, 2
RESULT_SUCCESS = 1
IMAGE_SIZE = 64 * 1024

@pytest.fixture(scope="module")
def binary() -> Path:
    given = os.environ.get("ANJ_EXAMPLE_RUST_CLIENT")
    if given:
        path = Path(given)
    else:
        build = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=CRATE,
                               capture_output=True, text=True, timeout=1800)
        assert build.returncode == 0, f"cargo build failed:\n{build.stderr[-4000:]}"
        path = CRATE / "target" / "release" / "anj-rust-client"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is not an executable file")
    return path


@pytest.fixture
def client(binary, leshan_server, tmp_path, endpoint_name):
    """The example, registered; stopped (SIGINT: de-register, exit 0) at the end."""
    image, installed = tmp_path / "image.bin", tmp_path / "installed.bin"
    proc = leshan.ClientProcess(
        [str(binary), endpoint_name, leshan_server.coap_uri, str(image), str(installed)],
        log_path=tmp_path / "client.log").start()
    c = SimpleNamespace(ep=endpoint_name, proc=proc, server=leshan_server, image=image,
                        installed=installed)
    try:
        c.reg = leshan_server.wait_registered(endpoint_name, timeout=REGISTER_TIMEOUT)
    except (TimeoutError, leshan.LeshanError) as exc:
        proc.stop()
        pytest.fail(f"{endpoint_name} did not register: {exc}{_diag(c)}")
    yield c
    code = proc.stop()
    assert code == 0 and not proc.killed, f"example exited with {code}{_diag(c)}"
    assert leshan_server.client(endpoint_name) is None, f"still registered{_diag(c)}"


@pytest.fixture
def served(tmp_path):
    pytest.importorskip("aiocoap")
    from test_download import FileServer

    root = tmp_path / "root"
    root.mkdir()
    (root / "fw.bin").write_bytes(os.urandom(IMAGE_SIZE))
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


def _value(c, path: str, fmt: str = "TEXT"):
    return _ok(c.server.read(c.ep, path, fmt=fmt), c)["content"]["value"]


def _wait_value(c, path: str, want, timeout: float):
    deadline = time.monotonic() + timeout
    while (got := _value(c, path)) != want:
        assert time.monotonic() < deadline, f"{path} is {got}, not {want}{_diag(c)}"
        time.sleep(0.1)


def test_registers_with_its_objects(client):
    ids = client.reg.object_ids()
    for oid in (1, 3, 5, 3303):
        assert oid in ids, client.reg.object_links
    assert 0 not in ids, client.reg.object_links
    assert "U" in client.reg.binding
    assert _value(client, "/3/0/0") == "anj-rs"
    assert _value(client, "/3/0/3") == "1.0.0"


def test_read_and_write_the_custom_object(client):
    assert _value(client, "/3303/0/5700") in SAWTOOTH
    assert _value(client, "/3303/0/5701") == "Cel"
    assert _value(client, "/3303/0/5750") == "room"
    instance = _ok(client.server.read(client.ep, "/3303/0", fmt="SENML_CBOR"), client)
    res = leshan.resources_of(instance["content"])
    assert res[5701] == "Cel" and res[5700] in SAWTOOTH, res

    _ok(client.server.write(client.ep, "/3303/0/5750", "boiler", fmt="TEXT"), client)
    assert _value(client, "/3303/0/5750") == "boiler"
    _ok(client.server.write(client.ep, "/3303/0/5750", "outdoor", fmt="SENML_CBOR"), client)
    assert _value(client, "/3303/0/5750", fmt="SENML_CBOR") == "outdoor"
    # Sensor Value is read-only: 4.05, and nothing changed.
    resp = client.server.write(client.ep, "/3303/0/5700", 1.5, fmt="TEXT")
    assert not resp.get("success"), resp
    assert _value(client, "/3303/0/5750") == "outdoor"


def test_observe_notifies_after_a_change(client):
    path = "/3303/0/5700"
    _ok(client.server.write_attributes(client.ep, path, pmin=0, pmax=60), client)
    with client.server.events(client.ep) as stream:
        first = _ok(client.server.observe(client.ep, path, fmt="SENML_CBOR"), client)
        assert first["content"]["value"] in SAWTOOTH
        notes = []
        end = time.monotonic() + 4.5
        while (left := end - time.monotonic()) > 0:
            ev = stream.get(left)
            if (ev is not None and ev.kind == "NOTIFICATION" and isinstance(ev.data, dict)
                    and ev.data.get("res") == path):
                notes.append(ev.data.get("val", {}).get("value"))
        client.server.cancel_observe(client.ep, path)
    # The value steps every second and pmax is far: each notification is a change.
    assert len(notes) >= 3, f"{notes}{_diag(client)}"
    assert all(v in SAWTOOTH for v in notes), notes
    assert all(a != b for a, b in zip([first["content"]["value"], *notes], notes)), notes


def test_fw_pull_reaches_update_result_1(client, served):
    c = client
    image = (served.root / "fw.bin").read_bytes()
    assert _value(c, "/5/0/3") == IDLE and _value(c, "/5/0/5") == 0
    uri = served.uri("fw.bin")
    _ok(c.server.write(c.ep, "/5/0/1", uri, fmt="TEXT"), c)
    assert _value(c, "/5/0/1") == uri
    _wait_value(c, "/5/0/3", DOWNLOADED, timeout=60)
    assert hashlib.sha256(c.image.read_bytes()).digest() == hashlib.sha256(image).digest()
    version = f"crc32-{zlib.crc32(image):08x}"
    assert _value(c, "/5/0/6") == "fw.bin"
    assert _value(c, "/5/0/7") == version
    assert f"FW DOWNLOADED {IMAGE_SIZE} {version}" in c.proc.log_text(), _diag(c)

    _ok(c.server.execute(c.ep, "/5/0/2"), c)
    _wait_value(c, "/5/0/5", RESULT_SUCCESS, timeout=20)
    assert _value(c, "/5/0/3") == IDLE
    assert c.installed.read_bytes() == image
    assert f"FW UPDATED {version}" in c.proc.log_text(), _diag(c)
