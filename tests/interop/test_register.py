"""Interop: the project's C example client against a real Leshan demo server.

Runs only when ``ANJ_EXAMPLE_MANDATORY_OBJECTS`` names the built example
binary, invoked as ``<binary> <endpoint_name> <server_uri>``. It must register
with Server (1) and Device (3) objects, answer Read/Write/Execute, follow
lifetime changes with an Update, and de-register on SIGINT.

``ANJ_INTEROP_FORMATS`` (default ``SENML_CBOR,TEXT``) lists the content formats
that must work for reads; the other LwM2M 1.1 formats are still tried and
reported as xfail when they fail.
"""

import contextlib
import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import leshan

BINARY = os.environ.get("ANJ_EXAMPLE_MANDATORY_OBJECTS")

pytestmark = pytest.mark.skipif(
    not BINARY, reason="ANJ_EXAMPLE_MANDATORY_OBJECTS (path to the built example) is not set")

REQUIRED_FORMATS = [f.strip().upper()
                    for f in os.environ.get("ANJ_INTEROP_FORMATS", "SENML_CBOR,TEXT").split(",")
                    if f.strip()]
# Every format Leshan offers a LwM2M 1.1 client; plus anything required.
ALL_FORMATS = list(dict.fromkeys(["TLV", "SENML_CBOR", "SENML_JSON", "TEXT", *REQUIRED_FORMATS]))

REGISTER_TIMEOUT = 30
DEREGISTER_TIMEOUT = 10


def _binary() -> str:
    path = Path(BINARY)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"ANJ_EXAMPLE_MANDATORY_OBJECTS={BINARY} is not an executable file")
    return str(path.resolve())


def _diagnostics(server, proc) -> str:
    tail = "\n".join(proc.log_text().splitlines()[-40:])
    state = "running" if proc.running else f"exited with {proc.returncode}"
    return (f"\n--- client ({state}), log {proc.log_path}:\n{tail}\n"
            f"--- Leshan log: {server.log_path}")


def _start_client(server, ep, log_path):
    proc = leshan.ClientProcess([_binary(), ep, server.coap_uri], log_path=log_path).start()
    try:
        reg = server.wait_registered(ep, timeout=REGISTER_TIMEOUT)
    except (TimeoutError, leshan.LeshanError) as exc:
        proc.stop()
        pytest.fail(f"{ep} did not register: {exc}{_diagnostics(server, proc)}")
    return proc, reg


@pytest.fixture(scope="module")
def client(leshan_server, tmp_path_factory):
    """One registered example client shared by the read/write/update tests."""
    ep = f"anj-interop-{os.getpid()}"
    proc, reg = _start_client(leshan_server, ep, tmp_path_factory.mktemp("client") / "client.log")
    yield SimpleNamespace(ep=ep, proc=proc, reg=reg, server=leshan_server)
    code = proc.stop()
    print(f"example exit code {code}; log {proc.log_path}")


def test_registration(client):
    reg = client.reg
    assert reg.endpoint == client.ep
    assert reg.registration_id
    assert reg.lifetime > 0
    assert "U" in reg.binding
    # The client announces 1.2 when built with ANJ_WITH_LWM2M12 (and falls back to 1.1
    # if the server rejects it); Leshan 2.0.0-M4 accepts the 1.2 registration.
    expected = os.environ.get("ANJ_EXPECT_LWM2M_VERSION")
    assert reg.lwm2m_version in ((expected,) if expected else ("1.1", "1.2")), reg.lwm2m_version
    ids = reg.object_ids()
    assert 1 in ids and 3 in ids, reg.object_links
    # LwM2M 1.1 Core, 6.2.1: the Security object must not be registered.
    assert 0 not in ids, reg.object_links
    assert reg.last_update is not None


def _read_device(server, ep, fmt):
    """Manufacturer (0) and firmware version (3) of /3/0 read in ``fmt``."""
    if fmt == "TEXT":
        # Plain text carries single resources only.
        values = {}
        for rid in (0, 3):
            resp = server.read(ep, f"/3/0/{rid}", fmt=fmt)
            assert resp["success"], resp
            values.update(leshan.resources_of(resp["content"]))
        return values
    resp = server.read(ep, "/3/0", fmt=fmt)
    assert resp["success"], resp
    return leshan.resources_of(resp["content"])


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_read_device(client, fmt):
    try:
        values = _read_device(client.server, client.ep, fmt)
        assert 0 in values and 3 in values, values
        assert isinstance(values[0], str) and isinstance(values[3], str), values
    except (AssertionError, leshan.LeshanError) as exc:
        if fmt in REQUIRED_FORMATS:
            raise
        pytest.xfail(f"optional format {fmt} failed: {exc}")


@pytest.mark.parametrize("fmt", [None, *[f for f in REQUIRED_FORMATS if f in ("TLV", "SENML_CBOR",
                                                                            "SENML_JSON", "TEXT")]])
def test_write_lifetime_and_read_back(client, fmt):
    server, ep = client.server, client.ep
    new = 120 + ALL_FORMATS.index(fmt) + 1 if fmt else 120
    resp = server.write(ep, "/1/0/1", new, fmt=fmt)
    assert resp["success"], f"{resp}{_diagnostics(server, client.proc)}"
    back = server.read(ep, "/1/0/1")
    assert back["success"], back
    assert back["content"]["value"] == new


def test_read_without_format_is_answered_in_lwm2m_cbor(client):
    """A Read without Accept is answered in LwM2M CBOR (11544), a single resource too, as
    Anjay Lite 3.0.0 does when built with ANJ_WITH_LWM2M_CBOR (the CMake default).
    Leshan 2.0.0-M4 has no LwM2M CBOR decoder, so it reports the answer as undecodable;
    the other tests name a format (leshan.UNNAMED_FORMAT when they do not care)."""
    server, ep = client.server, client.ep
    with server.events(ep) as trace:
        with pytest.raises(leshan.LeshanHttpError) as err:
            server.read(ep, "/1/0/1", fmt=leshan.NO_FORMAT)
        assert err.value.status == 500 and "Unable to decode" in err.value.body, err.value
        deadline = time.monotonic() + 5
        answers = []
        while not answers and time.monotonic() < deadline:
            answers = [m for m in trace.coap_log()
                       if m.get("incoming") and m.get("code") == "2.05"]
            time.sleep(0.1)
        assert answers, trace.coap_log()[-4:]
        assert "11544" in answers[-1]["options"], answers[-1]
    # The same value in SenML CBOR, which Leshan decodes.
    assert server.read(ep, "/1/0/1", fmt="SENML_CBOR")["success"]


def test_update_after_short_lifetime(client):
    """A shorter lifetime must be followed by an Update carrying it, well
    before the registration would expire (LwM2M 1.1 Core, 6.2.2)."""
    server, ep = client.server, client.ep
    before = server.client(ep)
    assert before is not None
    time.sleep(1.1)  # lastUpdate has one-second resolution
    with server.events(ep) as events:
        assert server.write(ep, "/1/0/1", 20)["success"]
        upd = events.wait_for("UPDATED", timeout=20)
    assert upd.data["registration"]["registrationId"] == before.registration_id
    after = server.wait_update(ep, before, timeout=5)
    # The Update right after the write carries lt=20; a later periodic one may
    # omit it, but the server keeps the lifetime.
    deadline = time.monotonic() + 20
    while after.lifetime != 20 and time.monotonic() < deadline:
        time.sleep(0.5)
        after = server.client(ep)
    assert after.lifetime == 20
    # ... and keeps updating before the 20 s lifetime runs out.
    with server.events(ep) as events:
        events.wait_for("UPDATED", timeout=25)
    assert server.client(ep).registration_id == before.registration_id


def test_registration_update_trigger(client):
    server, ep = client.server, client.ep
    with server.events(ep) as events:
        t0 = time.monotonic()
        resp = server.execute(ep, "/1/0/8")
        assert resp["success"], resp
        upd = events.wait_for("UPDATED", timeout=10)
    assert upd.received - t0 < 5


def test_deregister_on_sigint(leshan_server, tmp_path):
    server = leshan_server
    ep = f"anj-interop-dereg-{os.getpid()}"
    proc, reg = _start_client(server, ep, tmp_path / "client.log")
    try:
        # A stream opened after registration traces the client's CoAP messages.
        with server.events(ep) as trace:
            proc.send_signal(signal.SIGINT)
            t0 = time.monotonic()
            try:
                server.wait_deregistered(ep, timeout=DEREGISTER_TIMEOUT)
            except TimeoutError as exc:
                pytest.fail(f"{exc}{_diagnostics(server, proc)}")
            took = time.monotonic() - t0
            with contextlib.suppress(TimeoutError):
                trace.wait_for("DEREGISTRATION", timeout=2)
            time.sleep(0.2)
            deletes = [m for m in trace.coap_log()
                       if m.get("incoming") and m.get("code") == "DELETE"]
        # De-registered (a CoAP DELETE of its /rd/ location), not expired.
        assert took < reg.lifetime
        assert any(reg.registration_id in m.get("options", "") for m in deletes), \
            f"no De-register seen: {trace.coap_log()[-5:]}"
        assert proc.wait(DEREGISTER_TIMEOUT) is not None, "client did not exit after SIGINT"
    finally:
        code = proc.stop()
        print(f"example exit code {code}; log {proc.log_path}")
    assert not proc.killed
