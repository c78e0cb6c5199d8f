"""A UDP forwarder between a DTLS client and a server, on 127.0.0.1 only, that
can change its upstream source port mid-session (a simulated NAT rebinding)
and classifies every DTLS record it forwards.

    with UdpProxy(server_port) as proxy:      # the client talks to proxy.port
        ...
        mark = proxy.mark()
        proxy.rebind()                        # new upstream socket, new port
        ...
        stats = proxy.stats(since=mark)       # what went through after `mark`

Records (DTLS 1.2, RFC 6347 4.1; RFC 9146 for tls12_cid) are told apart by
content type: 20 ChangeCipherSpec, 21 alert, 22 handshake, 23 application
data, 25 tls12_cid (protected, with a Connection ID). In epoch 0 the handshake
message type is read (1 ClientHello, 2 ServerHello, 3 HelloVerifyRequest,
11 Certificate, 12 ServerKeyExchange, 14 ServerHelloDone,
16 ClientKeyExchange); the first protected record after a ChangeCipherSpec
is that side's Finished. A tls12_cid record's header holds the CID, whose
length the parser must be told per direction (``cid_len``): the client's
own CID is empty (0), the server's is what it hands out (Leshan: 6 bytes).
"""

import select
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

LOOPBACK = "127.0.0.1"

HANDSHAKE_TYPES = {
    0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest",
    4: "NewSessionTicket", 11: "Certificate", 12: "ServerKeyExchange",
    13: "CertificateRequest", 14: "ServerHelloDone", 15: "CertificateVerify",
    16: "ClientKeyExchange", 20: "Finished",
}

UP, DOWN = "up", "down"  # client -> server, server -> client


@dataclass
class Datagram:
    t: float
    direction: str
    size: int
    #: handshake messages (and "ChangeCipherSpec") it carried, in order
    handshake: list = field(default_factory=list)
    #: protected records that were not a Finished (application data)
    app_records: int = 0
    alerts: int = 0
    data: bytes = b""


@dataclass
class Stats:
    """What went through in a window, per direction."""
    datagrams: dict
    bytes: dict
    handshake_datagrams: dict
    handshake_bytes: dict
    app_bytes: dict
    messages: list          # (direction, name) of every handshake message, in order
    flights: int            # runs of handshake datagrams in one direction

    def count(self, name: str, direction: Optional[str] = None) -> int:
        return sum(1 for d, n in self.messages if n == name and direction in (None, d))

    @property
    def handshake_messages(self) -> int:
        return sum(1 for _, n in self.messages if n != "ChangeCipherSpec")

    def summary(self) -> str:
        names = ", ".join(f"{'C>S' if d == UP else 'S>C'} {n}" for d, n in self.messages) or "-"
        return (f"handshake: {self.flights} flights, {self.handshake_messages} messages "
                f"(+{self.count('ChangeCipherSpec')} ChangeCipherSpec), "
                f"{self.handshake_datagrams[UP]} datagrams / {self.handshake_bytes[UP]} B out, "
                f"{self.handshake_datagrams[DOWN]} datagrams / {self.handshake_bytes[DOWN]} B in; "
                f"total {self.datagrams[UP]} datagrams / {self.bytes[UP]} B out, "
                f"{self.datagrams[DOWN]} datagrams / {self.bytes[DOWN]} B in [{names}]")


class UdpProxy:
    def __init__(self, server_port: int, server_host: str = LOOPBACK, cid_len: Optional[dict] = None,
                 listen_port: int = 0):
        if server_host != LOOPBACK:
            raise ValueError("the proxy only forwards to 127.0.0.1")
        self.server = (server_host, server_port)
        self.cid_len = {UP: 6, DOWN: 0, **(cid_len or {})}
        self.client_addr: Optional[tuple] = None
        self._lock = threading.Lock()
        self._log: list[Datagram] = []
        self._after_ccs = {UP: False, DOWN: False}
        self._down = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._down.bind((LOOPBACK, listen_port))
        self.port = self._down.getsockname()[1]
        self._up = self._new_upstream()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        #: when set, datagrams are dropped instead of forwarded
        self.blackhole = False

    @staticmethod
    def _new_upstream() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((LOOPBACK, 0))
        return s

    @property
    def upstream_port(self) -> int:
        return self._up.getsockname()[1]

    def start(self) -> "UdpProxy":
        self._thread = threading.Thread(target=self._run, daemon=True, name="udp-proxy")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        self._down.close()
        self._up.close()

    def __enter__(self) -> "UdpProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def rebind(self) -> int:
        """Forward from a new upstream socket (a new source port) from now on and
        close the old one: what the server sent to the old port is lost, as with a
        NAT whose mapping changed. Returns the new port."""
        with self._lock:
            old, self._up = self._up, self._new_upstream()
        old.close()
        return self.upstream_port

    def mark(self) -> int:
        with self._lock:
            return len(self._log)

    def stats(self, since: int = 0, until: Optional[int] = None) -> Stats:
        with self._lock:
            log = self._log[since:until]
        zero = lambda: {UP: 0, DOWN: 0}  # noqa: E731
        st = Stats(zero(), zero(), zero(), zero(), zero(), [], 0)
        last_dir = None
        for d in log:
            st.datagrams[d.direction] += 1
            st.bytes[d.direction] += d.size
            if d.handshake:
                st.handshake_datagrams[d.direction] += 1
                st.handshake_bytes[d.direction] += d.size
                st.messages.extend((d.direction, n) for n in d.handshake)
                if d.direction != last_dir:
                    st.flights += 1
                    last_dir = d.direction
            else:
                st.app_bytes[d.direction] += d.size
        return st

    def wait_for(self, predicate, timeout: float, since: int = 0) -> Stats:
        """Waits until ``predicate(stats(since))`` holds; returns those stats."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.stats(since)
            if predicate(st):
                return st
            if time.monotonic() >= deadline:
                raise TimeoutError(f"proxy: condition not met in {timeout}s; {st.summary()}")
            time.sleep(0.05)

    # ------------------------------------------------------------------

    def _classify(self, direction: str, data: bytes) -> Datagram:
        dg = Datagram(time.monotonic(), direction, len(data), data=data)
        pos = 0
        while pos + 13 <= len(data):
            ctype = data[pos]
            epoch = int.from_bytes(data[pos + 3:pos + 5], "big")
            if ctype == 25:
                cid = self.cid_len[direction]
                hdr = 11 + cid + 2
                if pos + hdr > len(data):
                    break
                length = int.from_bytes(data[pos + 11 + cid:pos + hdr], "big")
            else:
                hdr = 13
                length = int.from_bytes(data[pos + 11:pos + 13], "big")
            body = data[pos + hdr:pos + hdr + length]
            if ctype == 20:
                dg.handshake.append("ChangeCipherSpec")
                self._after_ccs[direction] = True
            elif ctype == 21:
                dg.alerts += 1
            elif ctype == 22 and epoch == 0 and body:
                if body[0] == 1:
                    # a new handshake: nothing is protected in this direction yet
                    self._after_ccs = {UP: False, DOWN: False}
                dg.handshake.append(HANDSHAKE_TYPES.get(body[0], f"type{body[0]}"))
            elif ctype in (22, 23, 25):
                if self._after_ccs[direction]:
                    dg.handshake.append("Finished")
                    self._after_ccs[direction] = False
                else:
                    dg.app_records += 1
            pos += hdr + length
        return dg

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                up = self._up
            try:
                ready, _, _ = select.select([self._down, up], [], [], 0.05)
            except (OSError, ValueError):
                continue  # the upstream socket was replaced
            for s in ready:
                try:
                    data, addr = s.recvfrom(65535)
                except OSError:
                    continue
                if s is self._down:
                    self.client_addr = addr
                    direction = UP
                elif addr == self.server:
                    direction = DOWN
                else:
                    continue
                with self._lock:
                    self._log.append(self._classify(direction, data))
                    up_now = self._up
                if self.blackhole:
                    continue
                try:
                    if direction == UP:
                        up_now.sendto(data, self.server)
                    elif self.client_addr:
                        self._down.sendto(data, self.client_addr)
                except OSError:
                    pass
