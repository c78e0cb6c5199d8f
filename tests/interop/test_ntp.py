"""NTP interop: c_examples/ntp_sync (anj/ntp.h) against chronyd.

chronyd (Debian ``chrony``, an independent NTP implementation) serves time on 127.0.0.1
and a free UDP port (``port``/``bindaddress`` directives), without touching the system
clock (``-x``) and from its local clock (``local stratum 8``), so the time it hands out
is this machine's. The example synchronizes once and prints the time it got next to the
system clock at that moment; they must agree closely.

* straight against chronyd;
* with a dead primary server (a bound socket that never answers) and chronyd as the
  backup: the primary's attempts time out, then the backup answers;
* with both servers dead: every attempt times out, as many as configured per server,
  each after the configured response timeout.

``ANJ_EXAMPLE_NTP_SYNC`` is the path of the built example; the tests are skipped when
it is unset (tools/test-all.sh sets it), and when chronyd is not installed.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

import leshan  # free_port

EXAMPLE_VAR = "ANJ_EXAMPLE_NTP_SYNC"


def _example() -> str:
    path = os.environ.get(EXAMPLE_VAR)
    if not path:
        pytest.skip(f"{EXAMPLE_VAR} (path to the built example) is not set")
    return path


def _chronyd() -> str:
    path = shutil.which("chronyd") or ("/usr/sbin/chronyd" if os.access("/usr/sbin/chronyd", os.X_OK) else None)
    if not path:
        pytest.skip("chronyd is not installed (Debian package chrony)")
    return path


class Chrony:
    def __init__(self, tmp: Path):
        self.port = leshan.free_port("udp")
        self.dir = tmp
        conf = tmp / "chrony.conf"
        conf.write_text(
            f"port {self.port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\n"
            "local stratum 8\ncmdport 0\n"
            f"pidfile {tmp}/chronyd.pid\ndriftfile {tmp}/drift\n")
        self.log = open(tmp / "chronyd.log", "ab")
        args = [_chronyd(), "-x", "-d", "-f", str(conf)]
        if os.geteuid() == 0:
            args += ["-u", "root"]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        req = bytes([0x23]) + bytes(39) + (1234).to_bytes(8, "big")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"chronyd exited; see {self.dir}/chronyd.log")
                s.sendto(req, ("127.0.0.1", self.port))
                try:
                    if len(s.recv(100)) >= 48:
                        return
                except (socket.timeout, ConnectionRefusedError):
                    pass
        raise RuntimeError("chronyd did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


class Silent:
    """A bound UDP socket that reads requests and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def requests(self) -> list:
        out = []
        while True:
            try:
                out.append(self.sock.recv(100))
            except BlockingIOError:
                return out

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def chrony(tmp_path):
    c = Chrony(tmp_path)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def silent():
    s = Silent()
    try:
        yield s
    finally:
        s.close()


def _run(*args, timeout=30):
    t0 = time.monotonic()
    p = subprocess.run([_example(), *args], capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    line = [l for l in p.stdout.splitlines() if l.startswith("ntp_sync:")]
    assert line, f"no result line; rc={p.returncode} stderr={p.stderr[-2000:]}"
    fields = dict(kv.split("=", 1) for kv in line[-1].split()[1:])
    return p.returncode, fields, elapsed


def _check_time(fields):
    assert fields["result"] == "ok"
    skew = abs(int(fields["time_us"]) - int(fields["local_us"]))
    # Same clock on both sides: only the exchange's timing separates them.
    assert skew < 200_000, f"synchronized time off by {skew} us"


def test_sync(chrony):
    _example()
    rc, f, _ = _run(chrony.address)
    assert rc == 0
    _check_time(f)
    assert f["events"] == "INITIAL,IN_PROGRESS,OK"


def test_backup_after_primary_times_out(chrony, silent):
    rc, f, elapsed = _run(silent.address, chrony.address, "2", "300")
    assert rc == 0
    _check_time(f)
    reqs = silent.requests()
    assert len(reqs) == 2, "two attempts on the primary"
    for r in reqs:
        assert len(r) == 48 and r[0] == 0x23 and r[1:40] == bytes(39)
    assert reqs[0][40:] != reqs[1][40:], "each request carries a fresh nonce"
    assert elapsed >= 0.6


def test_all_attempts_time_out(silent):
    other = Silent()
    try:
        rc, f, elapsed = _run(silent.address, other.address, "3", "200")
        assert rc == 1 and f["result"] == "error"
        assert f["events"] == "INITIAL,IN_PROGRESS,ERROR"
        assert len(silent.requests()) == 3 and len(other.requests()) == 3
        assert 1.2 <= elapsed < 10
    finally:
        other.close()
