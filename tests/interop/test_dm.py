"""Interop: the data-model C examples against a real Leshan demo server.

Each example binary comes from an environment variable and its tests are
skipped when it is unset:

* ``ANJ_EXAMPLE_SENSOR``          c_examples/sensor          (/3303 Temperature)
* ``ANJ_EXAMPLE_MULTI_INSTANCE``  c_examples/multi_instance  (/3311 Light Control, /16 Portfolio)
* ``ANJ_EXAMPLE_EXTERNAL_DATA``   c_examples/external_data   (/3341 Text Display, /19 Binary container)

The binaries are invoked as ``<binary> <endpoint> <server_uri> [...]``.

The tests form a matrix of LwM2M operation x content format; every test
records its cell (see ``conftest.py``), and the summary is printed at the end
of the session and written to ``tests/interop/.leshan/dm-matrix.txt``.

Leshan 2.0.0-M4's REST API has no Read/Write-Composite and no Discover depth,
so those operations are not covered here (the Rust tests cover them).
"""

from __future__ import annotations

import os
import random
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

import pytest

import leshan

REGISTER_TIMEOUT = 30

#: Formats for requests carrying several resources.
MULTI = ["TLV", "SENML_CBOR", "SENML_JSON"]
#: Formats for a single resource (instance) of a non-opaque type.
SINGLE = MULTI + ["TEXT", "CBOR"]
#: Formats for a single opaque resource (instance).
SINGLE_OPAQUE = MULTI + ["OPAQUE", "CBOR"]


# --------------------------------------------------------------------------
# helpers


def _binary(var: str) -> str:
    path = Path(os.environ[var])
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{var}={path} is not an executable file")
    return str(path.resolve())


def code_of(resp: dict[str, Any]) -> int:
    """The CoAP response code of a Leshan response as an int, e.g. 404."""
    m = re.search(r"\((\d+)\)", str(resp.get("status", "")))
    return int(m.group(1)) if m else -1


def ok(resp: dict[str, Any], client=None) -> dict[str, Any]:
    assert resp.get("success"), f"{resp}{client.diag() if client else ''}"
    return resp


def cell(request, op: str, fmt: Optional[str]) -> None:
    """Record the matrix cell this test stands for (conftest.py collects it)."""
    request.node.user_properties.append(("dm_cell", (op, fmt or "-")))


def _leshan_refused(exc: leshan.LeshanHttpError) -> None:
    """Leshan's REST layer refused to build the request (never reached the client)."""
    pytest.skip(f"Leshan refused the request itself: HTTP {exc.status} {exc.body.strip()[:200]}")


class _Client(SimpleNamespace):
    def diag(self) -> str:
        tail = "\n".join(self.proc.log_text().splitlines()[-30:])
        state = "running" if self.proc.running else f"exited with {self.proc.returncode}"
        return f"\n--- client ({state}), log {self.proc.log_path}:\n{tail}"

    def log(self) -> str:
        return self.proc.log_text()

    def wait_log(self, needle: str, start: int = 0, timeout: float = 3) -> bool:
        """Wait until ``needle`` shows up in the client's log after offset ``start``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log()[start:]:
                return True
            time.sleep(0.05)
        return False


def _start(request, tmp_path_factory, var: str, name: str, extra=()):
    if not os.environ.get(var):
        pytest.skip(f"{var} (path to the built example) is not set")
    # Only now: a module whose examples are all unset starts no Leshan at all.
    leshan_server = request.getfixturevalue("leshan_server")
    ep = f"anj-dm-{name}-{os.getpid()}"
    log = tmp_path_factory.mktemp(name) / "client.log"
    proc = leshan.ClientProcess([_binary(var), ep, leshan_server.coap_uri, *extra],
                                log_path=log).start()
    client = _Client(ep=ep, proc=proc, server=leshan_server)
    try:
        client.reg = leshan_server.wait_registered(ep, timeout=REGISTER_TIMEOUT)
    except (TimeoutError, leshan.LeshanError) as exc:
        proc.stop()
        pytest.fail(f"{ep} did not register: {exc}{client.diag()}")
    # A CoAP trace of this client for the whole module (see read_resource_instance).
    client.trace = leshan_server.events(ep)
    time.sleep(0.2)
    return client


def _stop(client) -> None:
    """SIGINT: the example must de-register (not just vanish) and exit with 0."""
    client.trace.close()
    code = client.proc.stop()
    print(f"{client.ep}: exit code {code}; log {client.proc.log_path}")
    assert code == 0 and not client.proc.killed, f"example exited with {code}{client.diag()}"
    assert client.server.client(client.ep) is None, f"{client.ep} still registered{client.diag()}"


@pytest.fixture(scope="module")
def sensor(request, tmp_path_factory):
    client = _start(request, tmp_path_factory, "ANJ_EXAMPLE_SENSOR", "sensor")
    yield client
    _stop(client)


@pytest.fixture(scope="module")
def multi(request, tmp_path_factory):
    client = _start(request, tmp_path_factory, "ANJ_EXAMPLE_MULTI_INSTANCE", "multi")
    yield client
    _stop(client)


BLOB_SIZE = 4500


@pytest.fixture(scope="module")
def external(request, tmp_path_factory):
    blob_dir = tmp_path_factory.mktemp("blob")
    blob = random.Random(1234).randbytes(BLOB_SIZE)
    path = blob_dir / "blob.bin"
    path.write_bytes(blob)
    client = _start(request, tmp_path_factory, "ANJ_EXAMPLE_EXTERNAL_DATA", "external",
                    extra=[str(path)])
    client.blob = blob
    yield client
    _stop(client)


def values_of(resp: dict[str, Any]) -> dict[int, Any]:
    return leshan.resources_of(resp["content"])


def instances_of(resp: dict[str, Any]) -> dict[int, dict[int, Any]]:
    content = resp["content"]
    return {int(inst["id"]): leshan.resources_of(inst) for inst in content.get("instances", [])}


def single_value(resp: dict[str, Any]) -> Any:
    content = resp["content"]
    assert "value" in content, content
    return content["value"]


def links_of(resp: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {link["url"]: dict(link.get("attributes") or {}) for link in resp.get("objectLinks", [])}


def read_resource_instance(client, path: str, fmt: str, timeout: float = 5) -> bytes:
    """Read a resource instance; return the raw payload(s) the client sent.

    Leshan 2.0.0-M4's REST layer serialises a resource-instance node without
    its value (``{"id": n}``), so the value is taken from the CoAP trace
    (COAPLOG events: ``Hex:...`` for binary payloads, text otherwise). Block-wise
    responses are concatenated in order.
    """
    seen = len(client.trace.coap_log())
    resp = ok(client.server.read(client.ep, path, fmt=fmt, timeout=timeout), client)
    riid = int(path.strip("/").split("/")[-1])
    assert resp["content"].get("id") == riid, resp
    time.sleep(0.3)  # the trace may lag behind the REST answer
    payload = b""
    for msg in client.trace.coap_log()[seen:]:
        if msg.get("incoming") and str(msg.get("code", "")).startswith("2.05"):
            text = msg.get("payload", "")
            payload += bytes.fromhex(text[4:]) if text.startswith("Hex:") else text.encode()
    return payload


def encodings_of(value: bytes) -> list[bytes]:
    """Ways a value may appear inside a payload: raw, base64 (TEXT, SenML JSON)."""
    import base64
    return [value, base64.b64encode(value), base64.b64encode(value).rstrip(b"="),
            base64.urlsafe_b64encode(value).rstrip(b"=")]


def raw_create(server, ep: str, path: str, node: dict[str, Any], fmt: Optional[str]) -> dict[str, Any]:
    """Create with an arbitrary instance node (the harness helper takes single values only)."""
    import json
    return server._op("POST", ep, path, query={"format": fmt},
                      body=json.dumps(node).encode(), content_type="application/json")


# ==========================================================================
# c_examples/sensor: /3303/0


SENSOR_READABLE = {5601, 5602, 5603, 5604, 5700, 5701, 5750}


@pytest.mark.parametrize("fmt", MULTI)
def test_sensor_read_object(sensor, request, fmt):
    cell(request, "Read object", fmt)
    resp = ok(sensor.server.read(sensor.ep, "/3303", fmt=fmt), sensor)
    insts = instances_of(resp)
    assert set(insts) == {0}
    assert set(insts[0]) == SENSOR_READABLE, insts


@pytest.mark.parametrize("fmt", MULTI)
def test_sensor_read_instance(sensor, request, fmt):
    cell(request, "Read instance", fmt)
    vals = values_of(ok(sensor.server.read(sensor.ep, "/3303/0", fmt=fmt), sensor))
    assert set(vals) == SENSOR_READABLE, vals
    assert vals[5603] == -40.0 and vals[5604] == 85.0
    assert vals[5701] == "Cel"
    assert 20.0 <= vals[5700] <= 23.5
    assert vals[5601] <= vals[5700] <= vals[5602]


@pytest.mark.parametrize("fmt", SINGLE)
def test_sensor_read_resource(sensor, request, fmt):
    cell(request, "Read resource", fmt)
    value = single_value(ok(sensor.server.read(sensor.ep, "/3303/0/5700", fmt=fmt), sensor))
    assert 20.0 <= value <= 23.5 and value * 2 == int(value * 2)
    assert single_value(ok(sensor.server.read(sensor.ep, "/3303/0/5701", fmt=fmt))) == "Cel"


@pytest.mark.parametrize("fmt", SINGLE)
def test_sensor_write_replace_resource(sensor, request, fmt):
    cell(request, "Write-Replace resource", fmt)
    new = f"fridge {fmt.lower()}"
    ok(sensor.server.write(sensor.ep, "/3303/0/5750", new, fmt=fmt), sensor)
    assert single_value(ok(sensor.server.read(sensor.ep, "/3303/0/5750"))) == new


@pytest.mark.parametrize("fmt", MULTI)
def test_sensor_write_partial_instance(sensor, request, fmt):
    cell(request, "Write-Partial instance", fmt)
    new = f"cellar {fmt.lower()}"
    ok(sensor.server.write_instance(sensor.ep, "/3303/0", {5750: new}, fmt=fmt, replace=False),
       sensor)
    assert single_value(ok(sensor.server.read(sensor.ep, "/3303/0/5750"))) == new


@pytest.mark.parametrize("fmt", MULTI)
def test_sensor_write_replace_instance(sensor, request, fmt):
    cell(request, "Write-Replace instance", fmt)
    new = f"oven {fmt.lower()}"
    ok(sensor.server.write_instance(sensor.ep, "/3303/0", {5750: new}, fmt=fmt, replace=True),
       sensor)
    assert single_value(ok(sensor.server.read(sensor.ep, "/3303/0/5750"))) == new


def test_sensor_execute_with_arguments(sensor, request):
    cell(request, "Execute (args)", None)
    start = len(sensor.log())
    ok(sensor.server.execute(sensor.ep, "/3303/0/5605", "0='reset',3"), sensor)
    assert sensor.wait_log("EXECUTE /3303/0/5605 ARGS '0='reset',3'", start), sensor.diag()
    vals = values_of(ok(sensor.server.read(sensor.ep, "/3303/0")))
    # Right after the reset min == max; the value moves by 0.5 once a second.
    assert vals[5602] - vals[5601] <= 0.5, vals


def test_sensor_execute_without_arguments(sensor, request):
    cell(request, "Execute (no args)", None)
    start = len(sensor.log())
    ok(sensor.server.execute(sensor.ep, "/3303/0/5605"), sensor)
    assert sensor.wait_log("EXECUTE /3303/0/5605 ARGS ''", start), sensor.diag()


def test_sensor_execute_malformed_arguments(sensor, request):
    cell(request, "Execute bad args -> 400", None)
    resp = sensor.server.execute(sensor.ep, "/3303/0/5605", "0=unquoted")
    assert code_of(resp) == 400, resp


@pytest.mark.parametrize("path", ["/3303", "/3303/0", "/3303/0/5700"])
def test_sensor_discover(sensor, request, path):
    cell(request, f"Discover {'/o/i/r'[:2 * len(path.strip('/').split('/'))]}", None)
    links = links_of(ok(sensor.server.discover(sensor.ep, path), sensor))
    if path == "/3303/0/5700":
        assert "/3303/0/5700" in links, links
    else:
        assert "/3303/0" in links, links
        assert {f"/3303/0/{r}" for r in (5601, 5605, 5700, 5750)} <= set(links), links
    if path == "/3303":
        assert links["/3303"].get("ver") == "1.1", links


def test_sensor_write_attributes(sensor, request):
    cell(request, "Write-Attributes", None)
    ok(sensor.server.write_attributes(sensor.ep, "/3303/0/5700", pmin=2, pmax=30, gt=22.5),
       sensor)
    links = links_of(ok(sensor.server.discover(sensor.ep, "/3303/0/5700")))
    attrs = links.get("/3303/0/5700", {})
    assert str(attrs.get("pmin")) == "2" and str(attrs.get("pmax")) == "30", links
    assert float(attrs.get("gt")) == 22.5, links
    # Instance-level attributes show up on the instance.
    ok(sensor.server.write_attributes(sensor.ep, "/3303/0", pmax=60))
    links = links_of(ok(sensor.server.discover(sensor.ep, "/3303/0")))
    assert str(links.get("/3303/0", {}).get("pmax")) == "60", links


def test_sensor_missing_instance_is_404(sensor, request):
    cell(request, "Read missing inst -> 404", None)
    resp = sensor.server.read(sensor.ep, "/3303/7")
    assert code_of(resp) == 404, resp


def test_sensor_write_read_only_is_405(sensor, request):
    cell(request, "Write R resource -> 405", None)
    resp = sensor.server.write(sensor.ep, "/3303/0/5700", 30.5, fmt="TLV")
    assert code_of(resp) == 405, resp


def test_sensor_execute_readable_is_405(sensor, request):
    cell(request, "Execute R resource -> 405", None)
    resp = sensor.server.execute(sensor.ep, "/3303/0/5700")
    assert code_of(resp) == 405, resp


@pytest.mark.parametrize("fmt", ["TEXT", "SENML_CBOR"])
def test_sensor_failed_validation_keeps_value(sensor, request, fmt):
    cell(request, "Validation fail -> 400, rollback", fmt)
    ok(sensor.server.write(sensor.ep, "/3303/0/5750", "kept"), sensor)
    start = len(sensor.log())
    resp = sensor.server.write(sensor.ep, "/3303/0/5750", "", fmt=fmt)
    assert code_of(resp) == 400, resp
    assert sensor.wait_log("TRANSACTION /3303 FAILURE", start), sensor.diag()
    assert single_value(ok(sensor.server.read(sensor.ep, "/3303/0/5750"))) == "kept"


def test_sensor_replace_instance_without_required_value_fails(sensor, request):
    """Write-Replace resets the instance first; without 5750 validation fails and
    the reset is rolled back."""
    cell(request, "Validation fail -> 400, rollback", "TLV (replace inst)")
    ok(sensor.server.write(sensor.ep, "/3303/0/5750", "still here"), sensor)
    resp = sensor.server.write_instance(sensor.ep, "/3303/0", {}, fmt="TLV", replace=True)
    assert code_of(resp) == 400, resp
    assert single_value(ok(sensor.server.read(sensor.ep, "/3303/0/5750"))) == "still here"


def test_sensor_too_long_string_is_400(sensor, request):
    cell(request, "Write too long -> 400", "TEXT")
    ok(sensor.server.write(sensor.ep, "/3303/0/5750", "short"), sensor)
    resp = sensor.server.write(sensor.ep, "/3303/0/5750", "x" * 40, fmt="TEXT")
    assert code_of(resp) == 400, resp
    assert single_value(ok(sensor.server.read(sensor.ep, "/3303/0/5750"))) == "short"


def test_security_object_is_401(sensor, request):
    cell(request, "Read /0 -> 401", None)
    resp = sensor.server.read(sensor.ep, "/0")
    assert code_of(resp) == 401, resp
    resp = sensor.server.read(sensor.ep, "/0/0/0", fmt="TEXT")
    assert code_of(resp) == 401, resp


# ==========================================================================
# c_examples/multi_instance: /3311 (static instances), /16 (dynamic)


LIGHT_READABLE = {5706, 5750, 5805, 5850, 5851, 5852}


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_read_static_object(multi, request, fmt):
    cell(request, "Read object", fmt)
    insts = instances_of(ok(multi.server.read(multi.ep, "/3311", fmt=fmt), multi))
    assert set(insts) == {0, 1, 2}, insts
    for vals in insts.values():
        assert set(vals) == LIGHT_READABLE, vals


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_write_partial_static_instance(multi, request, fmt):
    cell(request, "Write-Partial instance", fmt)
    before = values_of(ok(multi.server.read(multi.ep, "/3311/1"), multi))
    dim = 10 + MULTI.index(fmt)
    ok(multi.server.write_instance(multi.ep, "/3311/1", {5850: True, 5851: dim}, fmt=fmt,
                                   replace=False), multi)
    after = values_of(ok(multi.server.read(multi.ep, "/3311/1")))
    assert after[5850] is True and after[5851] == dim, after
    assert after[5706] == before[5706], (before, after)  # untouched


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_write_replace_static_instance(multi, request, fmt):
    cell(request, "Write-Replace instance", fmt)
    ok(multi.server.write(multi.ep, "/3311/2/5750", "to be cleared"), multi)
    colour = f"green {fmt.lower()}"
    ok(multi.server.write_instance(multi.ep, "/3311/2", {5706: colour, 5850: False, 5851: 5},
                                   fmt=fmt, replace=True), multi)
    after = values_of(ok(multi.server.read(multi.ep, "/3311/2")))
    assert after[5706] == colour and after[5850] is False and after[5851] == 5, after
    assert after[5750] == "", after  # not in the request: reset


@pytest.mark.parametrize("fmt", SINGLE)
def test_multi_write_replace_resource(multi, request, fmt):
    cell(request, "Write-Replace resource", fmt)
    ok(multi.server.write(multi.ep, "/3311/0/5851", 42, fmt=fmt), multi)
    assert single_value(ok(multi.server.read(multi.ep, "/3311/0/5851", fmt=fmt))) == 42
    ok(multi.server.write(multi.ep, "/3311/0/5850", True, fmt=fmt), multi)
    assert single_value(ok(multi.server.read(multi.ep, "/3311/0/5850", fmt=fmt))) is True


def test_multi_failed_validation_keeps_value(multi, request):
    cell(request, "Validation fail -> 400, rollback", "TLV (int)")
    ok(multi.server.write(multi.ep, "/3311/0/5851", 33), multi)
    start = len(multi.log())
    resp = multi.server.write_instance(multi.ep, "/3311/0", {5706: "ignored", 5851: 150},
                                       fmt="TLV", replace=False)
    assert code_of(resp) == 400, resp
    assert multi.wait_log("TRANSACTION /3311 FAILURE", start), multi.diag()
    vals = values_of(ok(multi.server.read(multi.ep, "/3311/0")))
    assert vals[5851] == 33 and vals[5706] != "ignored", vals


def test_multi_static_object_missing_instance_is_404(multi, request):
    cell(request, "Read missing inst -> 404", None)
    assert code_of(multi.server.read(multi.ep, "/3311/3")) == 404


def test_multi_static_object_has_no_create(multi, request):
    """/3311 is full (3 of 3 instances): like Anjay Lite, the capacity check comes
    before the missing inst_create handler, and a full object answers 5.00."""
    cell(request, "Create on full static object -> 500", None)
    resp = multi.server.create(multi.ep, "/3311", {5850: True}, iid=5, fmt="TLV")
    assert code_of(resp) == 500, resp
    assert code_of(multi.server.read(multi.ep, "/3311/5")) == 404


def test_multi_static_object_has_no_delete(multi, request):
    cell(request, "Delete on static object -> 405", None)
    resp = multi.server.delete(multi.ep, "/3311/0")
    assert code_of(resp) == 405, resp
    ok(multi.server.read(multi.ep, "/3311/0"))


# -- /16 Portfolio ---------------------------------------------------------


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_read_dynamic_object(multi, request, fmt):
    cell(request, "Read object (multi-inst res)", fmt)
    insts = instances_of(ok(multi.server.read(multi.ep, "/16", fmt=fmt), multi))
    assert 0 in insts, insts
    assert insts[0][2] == {0: "deadbeef", 1: "010203"}, insts[0]
    assert isinstance(insts[0][0], dict), insts[0]


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_read_multi_instance_resource(multi, request, fmt):
    cell(request, "Read multi-inst resource", fmt)
    resp = ok(multi.server.read(multi.ep, "/16/0/2", fmt=fmt), multi)
    assert resp["content"].get("values") == {"0": "deadbeef", "1": "010203"}, resp


@pytest.mark.parametrize("fmt", SINGLE_OPAQUE)
def test_multi_read_resource_instance_opaque(multi, request, fmt):
    cell(request, "Read resource instance", fmt)
    payload = read_resource_instance(multi, "/16/0/2/1", fmt)
    assert any(e in payload for e in encodings_of(bytes([1, 2, 3]))), payload


@pytest.mark.parametrize("fmt", SINGLE)
def test_multi_read_resource_instance_string(multi, request, fmt):
    cell(request, "Read resource instance", f"{fmt} (string)")
    ok(multi.server.write(multi.ep, "/16/0/0", {0: "host-a", 1: "user-a"}, fmt="TLV"), multi)
    payload = read_resource_instance(multi, "/16/0/0/1", fmt)
    assert b"user-a" in payload and b"host-a" not in payload, payload


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_write_replace_multi_instance_resource(multi, request, fmt):
    cell(request, "Write-Replace multi-inst res", fmt)
    ok(multi.server.write(multi.ep, "/16/0/0", {0: "a", 1: "b", 2: "c"}, fmt="TLV"), multi)
    ok(multi.server.write(multi.ep, "/16/0/0", {1: f"x-{fmt}", 3: "y"}, fmt=fmt, replace=True),
       multi)
    resp = ok(multi.server.read(multi.ep, "/16/0/0"))
    assert resp["content"].get("values") == {"1": f"x-{fmt}", "3": "y"}, resp


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_write_partial_multi_instance_resource(multi, request, fmt):
    cell(request, "Write-Partial multi-inst res", fmt)
    ok(multi.server.write(multi.ep, "/16/0/0", {0: "a", 1: "b"}, fmt="TLV"), multi)
    try:
        resp = multi.server.write(multi.ep, "/16/0/0", {1: "B", 2: "c"}, fmt=fmt, replace=False)
    except leshan.LeshanHttpError as exc:
        _leshan_refused(exc)
    ok(resp, multi)
    resp = ok(multi.server.read(multi.ep, "/16/0/0"))
    assert resp["content"].get("values") == {"0": "a", "1": "B", "2": "c"}, resp


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_write_partial_instance_with_multi_res(multi, request, fmt):
    cell(request, "Write-Partial inst (multi-inst res)", fmt)
    ok(multi.server.write(multi.ep, "/16/0/0", {0: "a"}, fmt="TLV"), multi)
    ok(multi.server.write_instance(multi.ep, "/16/0", {0: {0: "p", 3: "q"}}, fmt=fmt,
                                   replace=False), multi)
    resp = ok(multi.server.read(multi.ep, "/16/0/0"))
    # Partial update of an instance replaces each multi-instance resource it carries.
    assert resp["content"].get("values") == {"0": "p", "3": "q"}, resp


def test_multi_write_too_many_resource_instances(multi, request):
    cell(request, "Write > max res insts -> error, rollback", "TLV")
    ok(multi.server.write(multi.ep, "/16/0/0", {0: "keep"}, fmt="TLV"), multi)
    resp = multi.server.write(multi.ep, "/16/0/0", {i: f"v{i}" for i in range(6)}, fmt="TLV")
    assert not resp["success"] and 400 <= code_of(resp) < 600, resp
    resp = ok(multi.server.read(multi.ep, "/16/0/0"))
    assert resp["content"].get("values") == {"0": "keep"}, resp


def test_multi_write_empty_identity_rolls_back(multi, request):
    cell(request, "Validation fail -> 400, rollback", "SENML_CBOR (multi-inst res)")
    ok(multi.server.write(multi.ep, "/16/0/0", {0: "keep"}, fmt="TLV"), multi)
    resp = multi.server.write(multi.ep, "/16/0/0", {0: "new", 1: ""}, fmt="SENML_CBOR")
    assert code_of(resp) == 400, resp
    resp = ok(multi.server.read(multi.ep, "/16/0/0"))
    assert resp["content"].get("values") == {"0": "keep"}, resp


def test_multi_write_read_only_multi_res_is_405(multi, request):
    cell(request, "Write R resource -> 405", "TLV (multi-inst res)")
    resp = multi.server.write(multi.ep, "/16/0/2", {0: "00"}, fmt="TLV")
    assert code_of(resp) == 405, resp


_CREATE_IID = {"TLV": 1, "SENML_CBOR": 2, "SENML_JSON": 3}


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_create_with_iid_and_delete(multi, request, fmt):
    cell(request, "Create (IID) + Delete", fmt)
    iid = _CREATE_IID[fmt]
    start = len(multi.log())
    node = {"id": iid, "resources": [{"id": 0, "values": {"0": f"id-{fmt}", "4": "second"}}]}
    resp = ok(raw_create(multi.server, multi.ep, "/16", node, fmt), multi)
    assert code_of(resp) == 201, resp
    assert multi.wait_log(f"CREATED /16/{iid}", start)
    got = ok(multi.server.read(multi.ep, f"/16/{iid}/0"))
    assert got["content"].get("values") == {"0": f"id-{fmt}", "4": "second"}, got
    ok(multi.server.delete(multi.ep, f"/16/{iid}"), multi)
    assert code_of(multi.server.read(multi.ep, f"/16/{iid}")) == 404


@pytest.mark.parametrize("fmt", MULTI)
def test_multi_create_without_iid(multi, request, fmt):
    cell(request, "Create (no IID)", fmt)
    node = {"resources": [{"id": 0, "values": {"0": "auto"}}]}
    try:
        resp = ok(raw_create(multi.server, multi.ep, "/16", node, fmt), multi)
    except leshan.LeshanHttpError as exc:
        _leshan_refused(exc)
    location = resp.get("location", "")
    m = re.fullmatch(r"/?16/(\d+)", location.strip())
    assert m, resp
    iid = int(m.group(1))
    try:
        got = ok(multi.server.read(multi.ep, f"/16/{iid}/0"))
        assert got["content"].get("values") == {"0": "auto"}, got
    finally:
        ok(multi.server.delete(multi.ep, f"/16/{iid}"))


def test_multi_create_empty_instance(multi, request):
    cell(request, "Create (IID)", "TLV (no resources)")
    resp = ok(raw_create(multi.server, multi.ep, "/16", {"id": 9, "resources": []}, "TLV"), multi)
    try:
        vals = values_of(ok(multi.server.read(multi.ep, "/16/9")))
        assert vals.get(3) == 0, vals
    finally:
        ok(multi.server.delete(multi.ep, "/16/9"))


def test_multi_create_existing_iid_fails(multi, request):
    cell(request, "Create existing IID -> 400", "TLV")
    node = {"id": 0, "resources": [{"id": 0, "values": {"0": "dup"}}]}
    resp = raw_create(multi.server, multi.ep, "/16", node, "TLV")
    assert code_of(resp) == 400, resp


def test_multi_create_failing_validation_rolls_back(multi, request):
    cell(request, "Validation fail -> 400, rollback", "TLV (create)")
    node = {"id": 7, "resources": [{"id": 0, "values": {"0": ""}}]}
    resp = raw_create(multi.server, multi.ep, "/16", node, "TLV")
    assert code_of(resp) == 400, resp
    assert code_of(multi.server.read(multi.ep, "/16/7")) == 404


def test_multi_create_beyond_capacity(multi, request):
    cell(request, "Create beyond max insts -> error", "TLV")
    made = []
    try:
        for iid in (11, 12, 13):
            ok(raw_create(multi.server, multi.ep, "/16", {"id": iid, "resources": []}, "TLV"),
               multi)
            made.append(iid)
        resp = raw_create(multi.server, multi.ep, "/16", {"id": 14, "resources": []}, "TLV")
        assert not resp["success"] and 400 <= code_of(resp) < 600, resp
        insts = instances_of(ok(multi.server.read(multi.ep, "/16")))
        assert sorted(insts) == [0, 11, 12, 13], insts
    finally:
        for iid in made:
            multi.server.delete(multi.ep, f"/16/{iid}")


def test_multi_delete_missing_instance_is_404(multi, request):
    cell(request, "Delete missing inst -> 404", None)
    assert code_of(multi.server.delete(multi.ep, "/16/3")) == 404


def test_multi_instances_stay_sorted(multi, request):
    cell(request, "Create order / Read object", "SENML_JSON")
    for iid in (3, 1, 2):
        ok(raw_create(multi.server, multi.ep, "/16", {"id": iid, "resources": []}, "TLV"), multi)
    try:
        resp = ok(multi.server.read(multi.ep, "/16", fmt="SENML_JSON"))
        ids = [int(i["id"]) for i in resp["content"]["instances"]]
        assert ids == [0, 1, 2, 3], ids
        ok(multi.server.delete(multi.ep, "/16/2"))
        resp = ok(multi.server.read(multi.ep, "/16", fmt="TLV"))
        assert [int(i["id"]) for i in resp["content"]["instances"]] == [0, 1, 3]
    finally:
        for iid in (1, 2, 3):
            multi.server.delete(multi.ep, f"/16/{iid}")


def test_multi_execute_with_arguments(multi, request):
    cell(request, "Execute (args)", None)
    start = len(multi.log())
    ok(multi.server.execute(multi.ep, "/16/0/1", "5,6='x-y'"), multi)
    assert multi.wait_log("EXECUTE /16/0/1 ARGS '5,6='x-y''", start), multi.diag()
    assert single_value(ok(multi.server.read(multi.ep, "/16/0/3"))) == 1


@pytest.mark.parametrize("path", ["/16", "/16/0", "/16/0/0"])
def test_multi_discover(multi, request, path):
    cell(request, f"Discover {'/o/i/r'[:2 * len(path.strip('/').split('/'))]}", "(multi-inst)")
    ok(multi.server.write(multi.ep, "/16/0/0", {0: "a", 2: "b"}, fmt="TLV"), multi)
    links = links_of(ok(multi.server.discover(multi.ep, path), multi))
    if path == "/16/0/0":
        # Discover on a resource lists its instances too (LwM2M 1.1 Core 5.4.2).
        assert {"/16/0/0", "/16/0/0/0", "/16/0/0/2"} <= set(links), links
    else:
        assert "/16/0/0" in links, links
        assert str(links["/16/0/0"].get("dim")) == "2", links
        assert str(links["/16/0/2"].get("dim")) == "2", links


def test_multi_write_attributes_resource_instance(multi, request):
    cell(request, "Write-Attributes", "(static instance)")
    ok(multi.server.write_attributes(multi.ep, "/3311/1/5851", pmin=1, lt=10, gt=90, st=5),
       multi)
    links = links_of(ok(multi.server.discover(multi.ep, "/3311/1")))
    attrs = links.get("/3311/1/5851", {})
    assert str(attrs.get("pmin")) == "1" and float(attrs.get("lt")) == 10, links
    assert float(attrs.get("gt")) == 90 and float(attrs.get("st")) == 5, links


def test_multi_write_attributes_invalid_is_400(multi, request):
    cell(request, "Write-Attributes invalid -> 400", None)
    # lt must be below gt (LwM2M 1.1 Core 5.1.2).
    resp = multi.server.write_attributes(multi.ep, "/3311/1/5851", lt=50, gt=10)
    assert code_of(resp) == 400, resp


# ==========================================================================
# c_examples/external_data: /3341/0/5527 (external string), /19/0/0 (external bytes)


def _expected_text() -> str:
    lines = []
    for line in range(80):
        lines.append(f"{line:04d} " + "".join(chr(ord("a") + (line + c) % 26) for c in range(58)))
    return "\n".join(lines) + "\n"


def _opaque(value: Any) -> bytes:
    assert isinstance(value, str), value
    return bytes.fromhex(value)


def _open_close_balanced(client) -> None:
    log = client.log()
    opens = log.count("EXTERNAL OPEN ")
    closes = log.count("EXTERNAL CLOSE ")
    assert opens == closes and "FAILED" not in log, (opens, closes)


@pytest.mark.parametrize("fmt", SINGLE)
def test_external_string_read(external, request, fmt):
    cell(request, "Read external string (5 KiB)", fmt)
    value = single_value(ok(external.server.read(external.ep, "/3341/0/5527", fmt=fmt,
                                                 timeout=20), external))
    expected = _expected_text()
    assert len(value) == len(expected) and value == expected
    _open_close_balanced(external)


@pytest.mark.parametrize("fmt", MULTI)
def test_external_read_instance(external, request, fmt):
    cell(request, "Read instance (external)", fmt)
    vals = values_of(ok(external.server.read(external.ep, "/3341/0", fmt=fmt, timeout=20),
                        external))
    assert vals[5527] == _expected_text() and vals[5545] == 63 and vals[5546] == 79, \
        {k: (v if k != 5527 else len(v)) for k, v in vals.items()}


@pytest.mark.parametrize("fmt", SINGLE_OPAQUE)
def test_external_bytes_from_file(external, request, fmt):
    cell(request, "Read external bytes (file 4.5 KiB)", fmt)
    payload = read_resource_instance(external, "/19/0/0/0", fmt, timeout=20)
    assert any(e in payload for e in encodings_of(external.blob)), \
        f"{len(payload)} bytes: {payload[:80]!r}..."
    _open_close_balanced(external)


@pytest.mark.parametrize("fmt", MULTI)
def test_external_bytes_resource(external, request, fmt):
    cell(request, "Read multi-inst res (external)", fmt)
    resp = ok(external.server.read(external.ep, "/19/0/0", fmt=fmt, timeout=20), external)
    values = resp["content"].get("values") or {}
    assert _opaque(values.get("0")) == external.blob
    assert _opaque(values.get("1")) == bytes(0xf0 - i for i in range(16))


def test_external_small_bytes(external, request):
    cell(request, "Read external bytes (16 B)", "OPAQUE")
    payload = read_resource_instance(external, "/19/0/0/1", "OPAQUE")
    assert payload == bytes(0xf0 - i for i in range(16)), payload


def test_external_write_read_only_is_405(external, request):
    cell(request, "Write R resource -> 405", "TEXT (beside external)")
    # 5545 Max X Coordinate is read-only (5527 Text is writable: see the block-wise test).
    resp = external.server.write(external.ep, "/3341/0/5545", 5, fmt="TEXT")
    assert code_of(resp) == 405, resp


def test_external_plain_string_still_writable(external, request):
    cell(request, "Write-Replace resource", "TEXT (beside external)")
    ok(external.server.write(external.ep, "/3341/0/5750", "tail -f", fmt="TEXT"), external)
    assert single_value(ok(external.server.read(external.ep, "/3341/0/5750"))) == "tail -f"


def test_blockwise_write_and_read_back(external, request):
    """A 6000-character text written by Leshan to /3341/0/5527 goes block-wise (RFC 7959
    Block1: Leshan's CoAP stack splits it), reaches the handler in chunks
    (anj_dm_write_string_chunked), and read back block-wise (Block2) it is the same."""
    cell(request, "Block-wise write 6000 B, read back", "TEXT")
    rnd = random.Random(6000)
    text = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(6000))
    srv, ep = external.server, external.ep
    ok(srv.write(ep, "/3341/0/5527", text, fmt="TEXT", timeout=30), external)
    for fmt in ("TEXT", "SENML_CBOR", "TLV"):
        back = single_value(ok(srv.read(ep, "/3341/0/5527", fmt=fmt, timeout=30), external))
        assert back == text, fmt
