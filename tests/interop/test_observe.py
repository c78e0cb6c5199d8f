"""Interop: Observe / Notify / Cancel against a real Leshan demo server.

The client is ``c_examples/sensor`` (``ANJ_EXAMPLE_SENSOR``): /3303/0/5700 moves
along a sawtooth 20.0, 20.5, ... 23.5 in steps of 0.5, one step per second, and
reports each change with ``anj_core_data_model_changed``; /3303/0/5701 ("Cel")
never changes. Leshan sets the attributes with Write-Attributes, observes, and
every notification it receives arrives here as a NOTIFICATION event, stamped on
arrival. The measured intervals are printed (``pytest -s``) for the closing note.
"""

from __future__ import annotations

import os
import time

import pytest

import leshan

REGISTER_TIMEOUT = 30
SAWTOOTH = {20.0 + 0.5 * k for k in range(8)}


@pytest.fixture(scope="module")
def sensor(request, tmp_path_factory):
    binary = os.environ.get("ANJ_EXAMPLE_SENSOR")
    if not binary:
        pytest.skip("ANJ_EXAMPLE_SENSOR (path to the built example) is not set")
    server = request.getfixturevalue("leshan_server")
    ep = f"anj-observe-{os.getpid()}"
    log = tmp_path_factory.mktemp("observe") / "client.log"
    proc = leshan.ClientProcess([binary, ep, server.coap_uri], log_path=log).start()
    try:
        server.wait_registered(ep, timeout=REGISTER_TIMEOUT)
        yield server, ep, proc
    finally:
        code = proc.stop()
        print(f"{ep}: exit code {code}; log {log}")


def _value(event) -> float | str | None:
    """The single value carried by a NOTIFICATION event."""
    val = event.data.get("val", {}) if isinstance(event.data, dict) else {}
    if "value" in val:
        return val["value"]
    return None


def _collect(stream, path: str, seconds: float):
    """NOTIFICATION events for ``path`` during ``seconds``: [(arrival, value)]."""
    out = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ev = stream.get(left)
        if ev is None:
            continue
        if ev.kind == "NOTIFICATION" and isinstance(ev.data, dict) and ev.data.get("res") == path:
            out.append((ev.received, _value(ev)))
    return out


def _intervals(notes):
    return [b[0] - a[0] for a, b in zip(notes, notes[1:])]


def _observe(server, ep, path, fmt="SENML_CBOR"):
    resp = server.observe(ep, path, fmt=fmt)
    assert resp.get("success"), resp


def _cancel(server, ep, path, stream):
    # Leshan 2.0.0-M4 cancels passively: it forgets the observation and answers the
    # next notification with RST, which must end it on the client.
    server.cancel_observe(ep, path)
    time.sleep(0.2)


@pytest.mark.parametrize("pmin", [1, 2])
def test_pmin_pmax_timing_on_a_changing_value(sensor, pmin):
    server, ep, _ = sensor
    path = "/3303/0/5700"
    assert server.write_attributes(ep, path, pmin=pmin, pmax=3).get("success")
    with server.events(ep) as stream:
        _observe(server, ep, path)
        notes = _collect(stream, path, 12)
        _cancel(server, ep, path, stream)
    gaps = _intervals(notes)
    print(f"\npmin={pmin} pmax=3, value changing every 1 s: {len(notes)} notifications, "
          f"intervals {[round(g, 2) for g in gaps]}")
    assert len(notes) >= 4, notes
    # Never sooner than pmin (the arrival times jitter by a few ms).
    assert min(gaps) >= pmin - 0.15, gaps
    # The value changes every second, so each one goes out as soon as pmin allows (and
    # always before pmax).
    assert max(gaps) <= pmin + 0.3, gaps
    assert all(v in SAWTOOTH for _, v in notes), notes


def test_pmax_on_a_constant_value(sensor):
    server, ep, _ = sensor
    path = "/3303/0/5701"
    assert server.write_attributes(ep, path, pmin=1, pmax=3).get("success")
    with server.events(ep) as stream:
        _observe(server, ep, path, fmt="TEXT")
        notes = _collect(stream, path, 10.5)
        _cancel(server, ep, path, stream)
    gaps = _intervals(notes)
    print(f"\npmin=1 pmax=3, constant value: intervals {[round(g, 2) for g in gaps]}")
    assert len(notes) >= 3, notes
    assert all(abs(g - 3) <= 0.3 for g in gaps), gaps
    assert all(v == "Cel" for _, v in notes), notes


def test_step_attribute(sensor):
    server, ep, _ = sensor
    path = "/3303/0/5700"
    assert server.write_attributes(ep, path, pmin=0, pmax=60, st=1.5).get("success")
    with server.events(ep) as stream:
        first = server.observe(ep, path, fmt="SENML_CBOR")
        assert first.get("success"), first
        last = first["content"]["value"]
        notes = _collect(stream, path, 10)
        _cancel(server, ep, path, stream)
    values = [v for _, v in notes]
    print(f"\nst=1.5 from {last}: notified {values}")
    assert values, "a sawtooth of amplitude 3.5 must move by 1.5 within 10 s"
    for v in values:
        assert abs(v - last) >= 1.5 - 1e-9, (last, v, values)
        last = v
    # Without st, this value would have been notified every second.
    assert len(values) < 10


@pytest.mark.parametrize("attr,threshold", [("gt", 22.2), ("lt", 21.2)])
def test_threshold_crossings(sensor, attr, threshold):
    server, ep, _ = sensor
    path = "/3303/0/5700"
    # Reset st from the previous test, set the threshold.
    server.write_attributes(ep, path, st="")
    assert server.write_attributes(ep, path, pmin=0, pmax=60, **{attr: threshold}).get("success")
    with server.events(ep) as stream:
        first = server.observe(ep, path, fmt="SENML_CBOR")
        assert first.get("success"), first
        prev = first["content"]["value"]
        notes = _collect(stream, path, 10)
        _cancel(server, ep, path, stream)
    server.write_attributes(ep, path, **{attr: ""})
    values = [v for _, v in notes]
    print(f"\n{attr}={threshold} from {prev}: notified {values}")
    assert values, "the sawtooth crosses the threshold within 8 s"
    for v in values:
        assert (prev > threshold) != (v > threshold), (prev, v, values)
        prev = v


def test_cancel_stops_notifications(sensor):
    server, ep, _ = sensor
    path = "/3303/0/5700"
    server.write_attributes(ep, path, pmin=1, pmax=2)
    with server.events(ep) as stream, server.events(ep) as trace:
        _observe(server, ep, path)
        assert _collect(stream, path, 3), "notifications before the cancel"
        server.cancel_observe(ep, path)
        cancelled = time.monotonic()
        # Leshan answers the next notification with RST; after it nothing more comes.
        time.sleep(6)
        log = trace.coap_log()
        late = [e for e in stream.history
                if e.kind == "NOTIFICATION" and e.received > cancelled + 2.5]
    resets = [m for m in log if not m.get("incoming") and m.get("type") == "RST"]
    contents = [m for m in log if m.get("incoming") and m.get("code") == "2.05"]
    print(f"\ncancel: {len(contents)} notifications traced, {len(resets)} RST from Leshan, "
          f"{len(late)} notifications later than 2.5 s after the cancel")
    assert contents, "the trace saw the notifications"
    assert resets, f"Leshan never reset a notification: {log[-4:]}"
    assert not late, late
