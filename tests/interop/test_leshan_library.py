"""Interop: composite operations and LwM2M Send against Leshan's server library.

Leshan 2.0.0-M4's demo REST API has no Read-Composite / Write-Composite and shows no
Send data, so ``probe/LeshanProbe.java`` drives Leshan's own server classes (the same
LeshanServer the demo runs) and prints what it sees as JSON lines (see leshan.py,
:class:`leshan.LeshanProbe`).

* ``ANJ_EXAMPLE_MANDATORY_OBJECTS``: Read-Composite of /3/0/0, /3/0/3 and /1/0/1 in
  SenML CBOR and SenML JSON, Write-Composite of /1/0/1 and /1/0/3, read back.
* ``ANJ_EXAMPLE_SEND``: c_examples/send queues a Send of /3303/0/5700 samples every few
  seconds; Leshan decodes each one.
"""

from __future__ import annotations

import os

import pytest

import leshan

SAWTOOTH = {20.0 + 0.5 * k for k in range(8)}


def _binary(var: str) -> str:
    path = os.environ.get(var)
    if not path:
        pytest.skip(f"{var} (path to the built example) is not set")
    return path


def test_read_and_write_composite(tmp_path):
    binary = _binary("ANJ_EXAMPLE_MANDATORY_OBJECTS")
    with leshan.LeshanProbe() as probe:
        ep = f"anj-composite-{os.getpid()}"
        client = leshan.ClientProcess([binary, ep, probe.coap_uri], log_path=tmp_path / "client.log").start()
        try:
            steps = {}
            for _ in range(4):
                ev = probe.wait_for("composite", 60)
                steps[ev["step"]] = ev
        finally:
            client.stop()
    print(f"\ncomposite: {steps}")
    for fmt in ("read-SENML_CBOR", "read-SENML_JSON"):
        assert steps[fmt]["code"] == "CONTENT(205)", steps[fmt]
        values = steps[fmt]["values"]
        assert values["/1/0/1"] == 60, values
        assert isinstance(values["/3/0/0"], str) and values["/3/0/0"], values
        assert set(values) == {"/3/0/0", "/3/0/3", "/1/0/1"}, values
    assert steps["write"]["code"] == "CHANGED(204)", steps["write"]
    assert steps["read-back"]["values"] == {"/1/0/1": 4321, "/1/0/3": 77}, steps["read-back"]


def test_send_is_decoded_by_leshan(tmp_path):
    binary = _binary("ANJ_EXAMPLE_SEND")
    with leshan.LeshanProbe() as probe:
        ep = f"anj-send-{os.getpid()}"
        client = leshan.ClientProcess([binary, ep, probe.coap_uri], log_path=tmp_path / "client.log").start()
        try:
            sends = [probe.wait_for("send", 30, lambda e: e["ep"] == ep) for _ in range(2)]
        finally:
            client.stop()
    print(f"\nsend: {sends}")
    for s in sends:
        assert s["format"] == "SENML_CBOR", s
        assert set(s["values"]) == {"/3303/0/5700"}, s
        assert s["values"]["/3303/0/5700"] in SAWTOOTH, s
