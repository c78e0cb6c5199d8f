"""Interop: LwM2M Send (POST /dp) against a real Leshan demo server.

The client is ``c_examples/send`` (``ANJ_EXAMPLE_SEND``): once a second it samples
/3303/0/5700 (a sawtooth 20.0, 20.5, ... 23.5 driven by the monotonic clock) with the
wall-clock time, and every 5 samples it queues one Send request in SenML CBOR; the
finished handler prints ``SEND <id> FINISHED <result> <name>``.

Leshan 2.0.0-M4's demo server has no event for a received Send (its event servlet
knows REGISTRATION, UPDATED, DEREGISTRATION, SLEEPING, AWAKE, NOTIFICATION and
COAPLOG only), so everything is checked on the CoAP trace (COAPLOG): the request's
type, code, options and payload as Leshan decoded them, and Leshan's answer. The
SenML CBOR payload is decoded here (RFC 8428 §6, RFC 8949) to check the records.
"""

from __future__ import annotations

import os
import re
import struct
import time

import pytest

import leshan

REGISTER_TIMEOUT = 30
SAWTOOTH = [20.0 + 0.5 * k for k in range(8)]
SAMPLES_PER_SEND = 5
PATH = "/3303/0/5700"


@pytest.fixture(scope="module")
def sender(request, tmp_path_factory):
    binary = os.environ.get("ANJ_EXAMPLE_SEND")
    if not binary:
        pytest.skip("ANJ_EXAMPLE_SEND (path to the built example) is not set")
    server = request.getfixturevalue("leshan_server")
    ep = f"anj-send-{os.getpid()}"
    log = tmp_path_factory.mktemp("send") / "client.log"
    started = time.time()
    proc = leshan.ClientProcess([binary, ep, server.coap_uri], log_path=log).start()
    try:
        server.wait_registered(ep, timeout=REGISTER_TIMEOUT)
        # COAPLOG events reach a stream opened after the registration only.
        with server.events(ep) as trace:
            yield server, ep, proc, trace, started
    finally:
        code = proc.stop()
        print(f"{ep}: exit code {code}; log {log}")


# ---------------------------------------------------------------- a tiny CBOR reader


def _cbor_item(data: bytes, i: int):
    """Decodes the CBOR item at ``data[i:]``: (value, next index); strings of definite
    length only."""
    ib = data[i]
    major, info = ib >> 5, ib & 31
    i += 1
    if major == 7:
        if info == 20:
            return False, i
        if info == 21:
            return True, i
        if info == 22:
            return None, i
        size, fmt = {25: (2, ">e"), 26: (4, ">f"), 27: (8, ">d")}[info]
        return struct.unpack(fmt, data[i:i + size])[0], i + size
    if info == 31 and major in (4, 5):
        # Indefinite length: items up to the "break" byte 0xff.
        items = []
        while data[i] != 0xFF:
            v, i = _cbor_item(data, i)
            items.append(v)
        i += 1
        if major == 4:
            return items, i
        return dict(zip(items[0::2], items[1::2])), i
    if info < 24:
        arg = info
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        arg = int.from_bytes(data[i:i + size], "big")
        i += size
    if major == 0:
        return arg, i
    if major == 1:
        return -1 - arg, i
    if major == 2:
        return data[i:i + arg], i + arg
    if major == 3:
        return data[i:i + arg].decode("utf-8"), i + arg
    if major == 4:
        items = []
        for _ in range(arg):
            v, i = _cbor_item(data, i)
            items.append(v)
        return items, i
    if major == 5:
        m = {}
        for _ in range(arg):
            k, i = _cbor_item(data, i)
            v, i = _cbor_item(data, i)
            m[k] = v
        return m, i
    raise ValueError(f"unsupported CBOR major type {major}")


def senml_cbor_records(payload: bytes) -> list[tuple[str, float, object]]:
    """Resolved SenML records (RFC 8428 §4.6): [(name, time, value)]."""
    pack, end = _cbor_item(payload, 0)
    assert end == len(payload), "trailing bytes after the SenML pack"
    assert isinstance(pack, list), pack
    out = []
    base_name, base_time = "", 0.0
    for rec in pack:
        assert isinstance(rec, dict), rec
        base_name = rec.get(-2, base_name)
        base_time = rec.get(-3, base_time)
        name = base_name + rec.get(0, "")
        t = base_time + rec.get(6, 0)
        value = next((rec[k] for k in (2, 3, 4, 8) if k in rec), None)
        out.append((name, t, value))
    return out


# ---------------------------------------------------------------------- the trace


def _payload(msg: dict) -> bytes:
    text = msg.get("payload", "")
    return bytes.fromhex(text[4:]) if text.startswith("Hex:") else text.encode()


def _is_send(msg: dict) -> bool:
    return (msg.get("incoming") and msg.get("code") == "POST"
            and 'Uri-Path: "dp"' in msg.get("options", ""))


def _sends_and_answers(trace, count: int, timeout: float):
    """Waits for ``count`` Send requests that Leshan answered; [(request, answer)]."""
    deadline = time.monotonic() + timeout
    while True:
        log = trace.coap_log()
        pairs = []
        for req in (m for m in log if _is_send(m)):
            answer = next((m for m in log if not m.get("incoming")
                           and m.get("mId") == req.get("mId")
                           and m.get("token") == req.get("token")), None)
            if answer is not None:
                pairs.append((req, answer))
        if len(pairs) >= count or time.monotonic() > deadline:
            return pairs
        time.sleep(0.2)


def test_send_arrives_as_senml_cbor_post_dp_and_leshan_answers_2_04(sender):
    server, ep, proc, trace, started = sender
    # One request every 5 s: the first within ~5-10 s of registering.
    pairs = _sends_and_answers(trace, 2, timeout=25)
    assert len(pairs) >= 2, trace.coap_log()[-6:]
    previous = None
    for req, answer in pairs:
        assert req["type"] == "CON", req
        assert "Content-Format: \"application/senml+cbor\"" in req["options"], req
        # The path is /dp, nothing more.
        assert re.findall(r'Uri-Path: "([^"]*)"', req["options"]) == ["dp"], req
        assert answer["type"] == "ACK" and answer["code"] == "2.04", answer

        records = senml_cbor_records(_payload(req))
        assert len(records) == SAMPLES_PER_SEND, records
        names = {name for name, _, _ in records}
        assert names == {PATH}, records
        times = [t for _, t, _ in records]
        values = [v for _, _, v in records]
        # Real (wall-clock) timestamps of this run.
        assert started - 2 <= times[0] and times[-1] <= time.time() + 2, (started, times)
        assert all(v in SAWTOOTH for v in values), values
        # One sample per second of the monotonic clock (a busy machine may skip one):
        # the sawtooth moves on by one step per second, the timestamps by as many
        # seconds (the very first sample is taken wherever in its second the client
        # started), and the next request continues the series.
        if previous is not None:
            times, values = [previous[0]] + times, [previous[1]] + values
        for (t0, v0), (t1, v1) in zip(zip(times, values), zip(times[1:], values[1:])):
            steps = (SAWTOOTH.index(v1) - SAWTOOTH.index(v0)) % 8
            assert steps in (1, 2), (times, values)
            assert steps - 1 < t1 - t0 < steps + 0.5, (times, values)
        previous = (times[-1], values[-1])

    # The finished handler saw each acknowledged request succeed.
    time.sleep(0.3)
    finished = re.findall(r"SEND (\d+) FINISHED (-?\d+) (\w+)", proc.log_text())
    assert len(finished) >= len(pairs), proc.log_text()[-2000:]
    assert all(code == "0" and name == "SUCCESS" for _, code, name in finished), finished
    print(f"{ep}: {len(pairs)} Send requests answered 2.04; "
          f"first records: {senml_cbor_records(_payload(pairs[0][0]))}")


def test_lwm2m_cbor_send_refused_by_leshan_is_reported_rejected(leshan_server, tmp_path):
    """Leshan 2.0.0-M4 has no LwM2M CBOR (11544) decoder: it answers the Send with
    4.00, which the finished handler must get as ANJ_SEND_ERR_REJECTED."""
    binary = os.environ.get("ANJ_EXAMPLE_SEND")
    if not binary:
        pytest.skip("ANJ_EXAMPLE_SEND (path to the built example) is not set")
    server = leshan_server
    ep = f"anj-send-lwm2m-cbor-{os.getpid()}"
    log = tmp_path / "client.log"
    with leshan.ClientProcess([binary, ep, server.coap_uri, "300", "lwm2m-cbor"],
                              log_path=log) as proc:
        server.wait_registered(ep, timeout=REGISTER_TIMEOUT)
        with server.events(ep) as trace:
            pairs = _sends_and_answers(trace, 1, timeout=25)
            assert pairs, trace.coap_log()[-6:]
            req, answer = pairs[0]
            assert req["type"] == "CON" and "11544" in req["options"], req
            # One record (the latest sample): {/3303: {0: {5700: value}}} in LwM2M CBOR.
            node, end = _cbor_item(_payload(req), 0)
            assert end == len(_payload(req))
            value = node[3303][0][5700]
            assert value in SAWTOOTH, node
            assert answer["type"] == "ACK" and answer["code"] == "4.00", answer
            deadline = time.monotonic() + 3
            while "FINISHED" not in proc.log_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            finished = re.findall(r"SEND (\d+) FINISHED (-?\d+) (\w+)", proc.log_text())
            assert finished and finished[0][1:] == ("-3", "REJECTED"), proc.log_text()[-2000:]
