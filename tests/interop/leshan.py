"""Drive an Eclipse Leshan demo server for LwM2M interoperability tests.

Standard library only. The library

* installs the Leshan demo server jar from Maven Central through ``mvn``
  (:func:`ensure_leshan_jar`), cached under ``tests/interop/.leshan/``;
* starts it on free loopback ports (:class:`LeshanServer`), never on any other
  interface, and talks to it through the REST API its web UI uses;
* runs an LwM2M client command line in the background (:class:`ClientProcess`);
* builds a tiny client on Leshan's own client library for the harness
  self-check (:func:`ensure_selfcheck_client`).

Why Leshan 2.0.0-M4: among the 2.x demo servers, ``leshan-server-demo`` 2.0.0-M4
(classifier ``jar-with-dependencies``) is the only one published on Maven
Central. Later milestones renamed the artifact to ``leshan-demo-server`` and
ship it only from Eclipse's own repository, which CI cannot reach. Under
Java 17 its JSON layer (Gson) needs ``--add-opens java.base/java.util`` (see
:data:`JAVA_OPTS`); without it every REST call that serialises a registration
fails with HTTP 500.

REST shapes of this version (``leshan-server-demo`` ClientServlet):

* ``GET  /api/clients`` -> ``[Registration, ...]``
* ``GET  /api/clients/{ep}`` -> ``Registration`` (HTTP 400 + text if unknown)
* ``GET  /api/clients/{ep}/{path}?format=F&timeout=S`` -> Read
* ``GET  /api/clients/{ep}/{path}/discover`` -> Discover
* ``PUT  /api/clients/{ep}/{path}?format=F&replace=B`` with a JSON node -> Write
* ``PUT  /api/clients/{ep}/{path}/attributes?pmin=..`` -> Write-Attributes
* ``POST /api/clients/{ep}/{o}/{i}/{r}`` text body = arguments -> Execute
* ``POST /api/clients/{ep}/{o}[/{i}]`` JSON instance -> Create
* ``POST /api/clients/{ep}/{path}/observe?format=F`` -> Observe
* ``DELETE /api/clients/{ep}/{path}/observe`` -> cancel observations (local)
* ``DELETE /api/clients/{ep}/{path}`` -> Delete
* ``GET  /api/event?ep={ep}`` with ``Accept: text/event-stream`` -> SSE with
  events REGISTRATION, UPDATED, DEREGISTRATION, NOTIFICATION, COAPLOG,
  SLEEPING, AWAKE.

Registration JSON: ``endpoint, registrationId, registrationDate, lastUpdate``
(``yyyy-MM-ddTHH:mm:ssZ``, one-second resolution), ``address, smsNumber,
lwM2mVersion, lifetime, bindingMode, rootPath, objectLinks`` (list of
``{"url": "/3/0", "attributes": {...}}``), ``secure,
additionalRegistrationAttributes, queuemode`` and ``sleeping`` in queue mode.

Response JSON: ``status`` (e.g. ``"CONTENT(205)"``), ``valid``, ``success``,
``failure``, optional ``errormessage``, and ``content`` (Read/Observe: a node),
``objectLinks`` (Discover) or ``location`` (Create). A node is
``{"id": n, "instances": [...]}`` (object), ``{"id": n, "resources": [...]}``
(instance), ``{"id": n, "value": v}`` (single resource, opaque as hex) or
``{"id": n, "values": {"0": v, ...}}`` (multiple-instance resource). The
server answers HTTP 504 ``Request timeout`` when the client does not answer.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import fcntl
import http.client
import json
import math
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

LESHAN_GROUP = "org.eclipse.leshan"
LESHAN_VERSION = os.environ.get("ANJ_LESHAN_VERSION", "2.0.0-M4")
SERVER_ARTIFACT = "leshan-server-demo"
SERVER_CLASSIFIER = "jar-with-dependencies"

#: Pinned so that installs are reproducible and do not depend on what a
#: machine's Maven happens to resolve as "latest".
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

INTEROP_DIR = Path(__file__).resolve().parent
CACHE_DIR = Path(os.environ.get("ANJ_LESHAN_CACHE", INTEROP_DIR / ".leshan"))
SELFCHECK_SRC_DIR = INTEROP_DIR / "selfcheck_client"

#: JVM options for Leshan 2.0.0-M4 on Java 17 (Gson reflects into java.util).
JAVA_OPTS = [
    "-Xmx256m",
    "--add-opens", "java.base/java.util=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
]

LOOPBACK = "127.0.0.1"
DEFAULT_REQUEST_TIMEOUT = 5  # seconds; Leshan's own default for REST requests

#: Content formats the demo server accepts in ``?format=`` (ContentFormat
#: names). TLV, SENML_JSON, SENML_CBOR and TEXT are the LwM2M 1.1 ones.
FORMATS = ("TLV", "SENML_CBOR", "SENML_JSON", "TEXT", "JSON", "CBOR", "OPAQUE")

#: The format :meth:`LeshanServer.read` and :meth:`LeshanServer.observe` ask for when the
#: test names none. Without Accept the client answers in LwM2M CBOR (11544), as Anjay Lite
#: 3.0.0 does when built with it, and Leshan 2.0.0-M4 has no LwM2M CBOR decoder; tests that
#: are about the value, not the format, therefore ask for SenML CBOR. ``NO_FORMAT`` sends
#: the request without Accept all the same.
UNNAMED_FORMAT = "SENML_CBOR"
NO_FORMAT = ""


def _accept(fmt: Optional[str]) -> Optional[str]:
    """The ``?format=`` of a Read or Observe for the test's ``fmt`` (see UNNAMED_FORMAT)."""
    if fmt is None:
        return UNNAMED_FORMAT
    return fmt or None


class LeshanError(RuntimeError):
    """The harness could not do what was asked (install, start, REST call)."""


class LeshanHttpError(LeshanError):
    """The REST API answered with a non-2xx HTTP status."""

    def __init__(self, method: str, url: str, status: int, body: str):
        super().__init__(f"{method} {url} -> HTTP {status}: {body.strip()[:500]}")
        self.method = method
        self.url = url
        self.status = status
        self.body = body


# --------------------------------------------------------------------------
# installation


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise LeshanError(f"'{name}' not found on PATH: {hint}")
    return path


def _mvn(args: Sequence[str], what: str, cwd: Optional[Path] = None) -> None:
    mvn = _require_tool("mvn", "install Maven (Debian: apt-get install maven default-jdk-headless)")
    cmd = [mvn, "-B", "-q", "--strict-checksums", *args]
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise LeshanError(
            f"could not {what}: `{' '.join(cmd)}` exited with {proc.returncode}\n{_tail(proc.stdout)}")


@contextlib.contextmanager
def _cache_lock() -> Iterator[None]:
    """Serialise installs between concurrent test processes."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def server_jar_path() -> Path:
    """Where :func:`ensure_leshan_jar` keeps the jar (it may not exist yet)."""
    override = os.environ.get("ANJ_LESHAN_JAR")
    if override:
        return Path(override)
    return CACHE_DIR / f"{SERVER_ARTIFACT}-{LESHAN_VERSION}-{SERVER_CLASSIFIER}.jar"


def ensure_leshan_jar() -> Path:
    """Return the Leshan demo server jar, installing it with ``mvn`` if missing.

    Idempotent. ``ANJ_LESHAN_JAR`` points at an existing jar to skip the
    install. Raises :class:`LeshanError` with Maven's output when it fails.
    """
    target = server_jar_path()
    if os.environ.get("ANJ_LESHAN_JAR"):
        if not zipfile.is_zipfile(target):
            raise LeshanError(f"ANJ_LESHAN_JAR={target} is not a jar")
        return target
    if zipfile.is_zipfile(target):
        return target
    with _cache_lock():
        if zipfile.is_zipfile(target):
            return target
        staging = Path(tempfile.mkdtemp(prefix="mvn-", dir=CACHE_DIR))
        try:
            artifact = f"{LESHAN_GROUP}:{SERVER_ARTIFACT}:{LESHAN_VERSION}:jar:{SERVER_CLASSIFIER}"
            # `copy` resolves through ~/.m2 (so a warm local repository is
            # reused) and needs no project file.
            _mvn([f"{DEPENDENCY_PLUGIN}:copy", f"-Dartifact={artifact}",
                  f"-DoutputDirectory={staging}"],
                 f"install {artifact} from Maven Central", cwd=staging)
            got = staging / target.name
            if not zipfile.is_zipfile(got):
                raise LeshanError(f"Maven did not produce a valid {got.name}")
            os.replace(got, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def ensure_selfcheck_client() -> list[str]:
    """Build the Leshan-library client used by the self-check; return its command prefix.

    The caller appends ``<endpoint> <server-uri> [lifetime]``. Leshan's own demo
    client is not on Maven Central, so ``selfcheck_client/SelfCheckClient.java``
    stands in for it, built with ``javac`` against ``leshan-client-cf``.
    """
    javac = _require_tool("javac", "install a JDK (Debian: apt-get install default-jdk-headless)")
    java = _require_tool("java", "install a JDK (Debian: apt-get install default-jdk-headless)")
    out = CACHE_DIR / f"selfcheck-client-{LESHAN_VERSION}"
    classes = out / "classes"
    cp_file = out / "classpath.txt"
    src = SELFCHECK_SRC_DIR / "SelfCheckClient.java"
    pom = SELFCHECK_SRC_DIR / "pom.xml"
    stamp = out / "built.stamp"

    def fresh() -> bool:
        if not (stamp.exists() and cp_file.exists()):
            return False
        built = stamp.stat().st_mtime
        if src.stat().st_mtime > built or pom.stat().st_mtime > built:
            return False
        return all(Path(p).exists() for p in cp_file.read_text().strip().split(os.pathsep) if p)

    with _cache_lock():
        if not fresh():
            shutil.rmtree(out, ignore_errors=True)
            classes.mkdir(parents=True)
            _mvn(["-f", str(pom), f"-Dleshan.version={LESHAN_VERSION}",
                  f"{DEPENDENCY_PLUGIN}:build-classpath", f"-Dmdep.outputFile={cp_file}"],
                 "resolve the Leshan client library")
            classpath = cp_file.read_text().strip()
            proc = subprocess.run([javac, "-nowarn", "-cp", classpath, "-d", str(classes), str(src)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if proc.returncode != 0:
                raise LeshanError(f"javac failed for {src}:\n{_tail(proc.stdout)}")
            stamp.write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    classpath = cp_file.read_text().strip()
    return [java, "-Xmx128m", "-cp", f"{classes}{os.pathsep}{classpath}", "SelfCheckClient"]


PROBE_SRC = INTEROP_DIR / "probe" / "LeshanProbe.java"


def ensure_probe() -> list[str]:
    """Build ``probe/LeshanProbe.java`` (a scripted server on Leshan's server library,
    for Read/Write-Composite and Send, which the demo's REST API lacks); return its
    command prefix. The caller appends the CoAP port."""
    javac = _require_tool("javac", "install a JDK (Debian: apt-get install default-jdk-headless)")
    java = _require_tool("java", "install a JDK (Debian: apt-get install default-jdk-headless)")
    jar = ensure_leshan_jar()
    out = CACHE_DIR / f"probe-{LESHAN_VERSION}"
    stamp = out / "built.stamp"
    with _cache_lock():
        if not (stamp.exists() and stamp.stat().st_mtime >= PROBE_SRC.stat().st_mtime):
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            proc = subprocess.run([javac, "-nowarn", "-cp", str(jar), "-d", str(out), str(PROBE_SRC)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if proc.returncode != 0:
                raise LeshanError(f"javac failed for {PROBE_SRC}:\n{_tail(proc.stdout)}")
            stamp.write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    return [java, *JAVA_OPTS, "-cp", f"{out}{os.pathsep}{jar}", "LeshanProbe"]


class LeshanProbe:
    """``LeshanProbe`` on a free 127.0.0.1 port; its JSON-line events are collected."""

    def __init__(self) -> None:
        self.port = free_port("udp")
        self.events: "queue.Queue[dict[str, Any]]" = queue.Queue()
        self.history: list[dict[str, Any]] = []
        self.proc: Optional[subprocess.Popen] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def coap_uri(self) -> str:
        return f"coap://{LOOPBACK}:{self.port}"

    def __enter__(self) -> "LeshanProbe":
        self.proc = subprocess.Popen([*ensure_probe(), str(self.port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self._thread = threading.Thread(target=self._read, daemon=True, name="leshan-probe")
        self._thread.start()
        self.wait_for("started", 60)
        return self

    def _read(self) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("{"):
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                self.history.append(ev)
                self.events.put(ev)

    def wait_for(self, event: str, timeout: float, predicate=None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                break
            if ev.get("event") == event and (predicate is None or predicate(ev)):
                return ev
        raise TimeoutError(f"no {event} event from LeshanProbe within {timeout}s; saw {self.history[-5:]}")

    def __exit__(self, *exc: object) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


BOOTSTRAP_PROBE_SRC = INTEROP_DIR / "probe" / "BootstrapProbe.java"


def ensure_bootstrap_probe() -> list[str]:
    """Build ``probe/BootstrapProbe.java`` (a Bootstrap-Server on Leshan's bootstrap
    server library, which the demo jar also carries); return its command prefix. The
    caller appends PORT ENDPOINT DM_URI SSID [PSK_IDENTITY PSK_KEY_HEX]."""
    javac = _require_tool("javac", "install a JDK (Debian: apt-get install default-jdk-headless)")
    java = _require_tool("java", "install a JDK (Debian: apt-get install default-jdk-headless)")
    jar = ensure_leshan_jar()
    out = CACHE_DIR / f"bootstrap-probe-{LESHAN_VERSION}"
    stamp = out / "built.stamp"
    with _cache_lock():
        if not (stamp.exists() and stamp.stat().st_mtime >= BOOTSTRAP_PROBE_SRC.stat().st_mtime):
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            proc = subprocess.run([javac, "-nowarn", "-cp", str(jar), "-d", str(out),
                                   str(BOOTSTRAP_PROBE_SRC)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if proc.returncode != 0:
                raise LeshanError(f"javac failed for {BOOTSTRAP_PROBE_SRC}:\n{_tail(proc.stdout)}")
            stamp.write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    return [java, *JAVA_OPTS, "-cp", f"{out}{os.pathsep}{jar}", "BootstrapProbe"]


class BootstrapProbe(LeshanProbe):
    """``BootstrapProbe`` on a free 127.0.0.1 port, provisioning ``endpoint`` with an
    account at ``dm_uri`` (PSK when ``psk`` = (identity, key) is given)."""

    def __init__(self, endpoint: str, dm_uri: str, ssid: int = 1,
                 psk: Optional[tuple[str, bytes]] = None, script: Optional[str] = None,
                 bs_psk: Optional[tuple[str, bytes]] = None,
                 bs_x509: Optional[tuple[Path, Path, Path]] = None,
                 dm_x509: Optional[tuple[Path, Path, Path, int]] = None,
                 dm_rpk: Optional[tuple[Path, Path, Path]] = None) -> None:
        """``script``: a Leshan content format name (TLV, SENML_CBOR, ...) runs the
        probe's scripted session (Discover, Delete, multi-instance Write of /0, ...)
        with that format instead of the configuration's. ``bs_psk`` = (identity, key):
        also listen on ``coaps_uri``, where ``endpoint`` must use that PSK. ``bs_x509`` =
        (server certificate, its PKCS#8 key, trusted CA), DER files: listen on
        ``coaps_uri`` with that certificate; ``endpoint`` must present a certificate
        from that CA whose CN is the endpoint name. ``dm_x509`` = (client certificate,
        its key, server certificate or trust anchor, usage): the provisioned account
        is in Certificate mode. ``dm_rpk`` = (client public key, its private key, server
        public key), DER files: the provisioned account is in RPK mode."""
        super().__init__()
        self.args = [str(self.port), endpoint, dm_uri, str(ssid)]
        if psk is not None:
            self.args += [psk[0], psk[1].hex()]
        self.env = dict(os.environ)
        if script:
            self.env["BOOTSTRAP_PROBE_SCRIPT"] = script
        if dm_x509 is not None:
            self.env["BOOTSTRAP_PROBE_DM_X509"] = ",".join(str(p) for p in dm_x509)
        if dm_rpk is not None:
            self.env["BOOTSTRAP_PROBE_DM_RPK"] = ",".join(str(p) for p in dm_rpk)
        self.secure_port: Optional[int] = None
        if bs_psk is not None:
            self.secure_port = free_port("udp", exclude=[self.port])
            self.env["BOOTSTRAP_PROBE_SECURE_PORT"] = str(self.secure_port)
            self.env["BOOTSTRAP_PROBE_BS_PSK"] = f"{bs_psk[0]}:{bs_psk[1].hex()}"
        elif bs_x509 is not None:
            self.secure_port = free_port("udp", exclude=[self.port])
            self.env["BOOTSTRAP_PROBE_SECURE_PORT"] = str(self.secure_port)
            self.env["BOOTSTRAP_PROBE_BS_X509"] = ",".join(str(p) for p in bs_x509)

    @property
    def coaps_uri(self) -> str:
        return f"coaps://{LOOPBACK}:{self.secure_port}"

    def __enter__(self) -> "BootstrapProbe":
        self.proc = subprocess.Popen([*ensure_bootstrap_probe(), *self.args], env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._thread = threading.Thread(target=self._read, daemon=True, name="bootstrap-probe")
        self._thread.start()
        self.wait_for("started", 60)
        return self


COAPS_FILE_SERVER_SRC = INTEROP_DIR / "probe" / "CoapsFileServer.java"


def ensure_coaps_file_server() -> list[str]:
    """Build ``probe/CoapsFileServer.java`` (a CoAP file server over DTLS with X.509
    certificates on Californium/Scandium, which the demo jar carries); return its
    command prefix. The caller appends PORT ROOT_DIR SERVER_CERT_DER SERVER_KEY_DER
    TRUSTED_CA_DER."""
    javac = _require_tool("javac", "install a JDK (Debian: apt-get install default-jdk-headless)")
    java = _require_tool("java", "install a JDK (Debian: apt-get install default-jdk-headless)")
    jar = ensure_leshan_jar()
    out = CACHE_DIR / f"coaps-file-server-{LESHAN_VERSION}"
    stamp = out / "built.stamp"
    with _cache_lock():
        if not (stamp.exists() and stamp.stat().st_mtime >= COAPS_FILE_SERVER_SRC.stat().st_mtime):
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            proc = subprocess.run([javac, "-nowarn", "-cp", str(jar), "-d", str(out),
                                   str(COAPS_FILE_SERVER_SRC)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if proc.returncode != 0:
                raise LeshanError(f"javac failed for {COAPS_FILE_SERVER_SRC}:\n{_tail(proc.stdout)}")
            stamp.write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    return [java, *JAVA_OPTS, "-cp", f"{out}{os.pathsep}{jar}", "CoapsFileServer"]


class CoapsFileServer(LeshanProbe):
    """``CoapsFileServer`` serving ``root`` over coaps:// with X.509 on a free
    127.0.0.1 port: it presents ``server_cert`` (``server_key``: PKCS#8 DER) and
    requires a client certificate issued by ``ca`` (all DER files). Its JSON-line
    events (``client-cert``, ``get``) are collected in ``history``."""

    def __init__(self, root: Path, server_cert: Path, server_key: Path, ca: Path) -> None:
        super().__init__()
        self.args = [str(self.port), str(root), str(server_cert), str(server_key), str(ca)]

    @property
    def coaps_uri(self) -> str:
        return f"coaps://{LOOPBACK}:{self.port}"

    def uri(self, name: str) -> str:
        return f"{self.coaps_uri}/{name}"

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [ev for ev in list(self.history) if ev.get("event") == kind]

    def __enter__(self) -> "CoapsFileServer":
        self.proc = subprocess.Popen([*ensure_coaps_file_server(), *self.args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._thread = threading.Thread(target=self._read, daemon=True, name="coaps-file-server")
        self._thread.start()
        self.wait_for("started", 60)
        return self


# --------------------------------------------------------------------------
# helpers


def resolves_to_loopback(host: str) -> bool:
    """Whether ``host`` resolves to 127.0.0.1 here (an /etc/hosts entry for the tutorials'
    hard-coded server names); False when it does not resolve at all (no network)."""
    try:
        return socket.gethostbyname(host) == LOOPBACK
    except OSError:
        return False


def udp_port_free(port: int) -> bool:
    """Whether UDP ``port`` on 127.0.0.1 can be bound now (the tutorials' fixed ports)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((LOOPBACK, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(kind: str = "udp", exclude: Sequence[int] = ()) -> int:
    """A port currently free on 127.0.0.1 for ``kind`` ('udp' or 'tcp')."""
    sock_type = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    for _ in range(50):
        with socket.socket(socket.AF_INET, sock_type) as s:
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
        if port not in exclude:
            return port
    raise LeshanError("no free loopback port found")


def _parse_time(text: Optional[str]) -> Optional[_dt.datetime]:
    if not text:
        return None
    try:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass
class Registration:
    """A client's registration as the demo server reports it."""

    endpoint: str
    registration_id: str
    lifetime: int
    binding: str
    lwm2m_version: str
    object_links: list[str]
    object_link_attributes: dict[str, dict[str, str]]
    registration_date: Optional[_dt.datetime]
    last_update: Optional[_dt.datetime]
    last_update_text: str
    address: str
    queue_mode: bool
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Registration":
        links = data.get("objectLinks") or []
        return cls(
            endpoint=data.get("endpoint", ""),
            registration_id=data.get("registrationId", ""),
            lifetime=int(data.get("lifetime") or 0),
            binding=data.get("bindingMode", ""),
            lwm2m_version=data.get("lwM2mVersion", ""),
            object_links=[link.get("url", "") for link in links],
            object_link_attributes={link.get("url", ""): dict(link.get("attributes") or {})
                                    for link in links},
            registration_date=_parse_time(data.get("registrationDate")),
            last_update=_parse_time(data.get("lastUpdate")),
            last_update_text=data.get("lastUpdate", ""),
            address=data.get("address", ""),
            queue_mode=bool(data.get("queuemode")),
            raw=data,
        )

    def object_ids(self) -> set[int]:
        """Object IDs announced in the registration (``</3>`` or ``</3/0>``)."""
        ids = set()
        root = (self.raw.get("rootPath") or "/").rstrip("/")
        for url in self.object_links:
            if root and url.startswith(root):
                url = url[len(root):]
            parts = [p for p in url.split("/") if p]
            if parts and parts[0].isdigit():
                ids.add(int(parts[0]))
        return ids

    def has_object(self, oid: int) -> bool:
        return oid in self.object_ids()


def resources_of(content: dict[str, Any]) -> dict[int, Any]:
    """Map resource ID -> value (or {riid: value}) from an instance/resource node."""
    if "resources" in content:
        nodes = content["resources"]
    elif "instances" in content:
        nodes = [r for inst in content["instances"] for r in inst.get("resources", [])]
    else:
        nodes = [content]
    out: dict[int, Any] = {}
    for node in nodes:
        if "value" in node:
            out[int(node["id"])] = node["value"]
        elif "values" in node:
            out[int(node["id"])] = {int(k): v for k, v in node["values"].items()}
    return out


# --------------------------------------------------------------------------
# server-sent events


@dataclass
class Event:
    """One event from ``/api/event``; ``received`` is ``time.monotonic()``."""

    kind: str
    data: Any
    received: float
    wall: float


class EventStream:
    """Background reader of the demo server's server-sent event stream.

    Use as a context manager; ``get``/``wait_for`` pop events in order of
    arrival, ``history`` keeps every event seen.
    """

    #: The servlet flushes its response headers slightly before it adds the
    #: listener, so wait this long after connecting before relying on it.
    SETTLE = 0.3

    def __init__(self, host: str, port: int, ep: Optional[str] = None):
        self.host, self.port, self.ep = host, port, ep
        self.history: list[Event] = []
        self._queue: "queue.Queue[Optional[Event]]" = queue.Queue()
        self._conn: Optional[http.client.HTTPConnection] = None
        self._sock: Optional[socket.socket] = None
        self._thread: Optional[threading.Thread] = None
        self._closed = threading.Event()
        self.error: Optional[BaseException] = None

    def open(self) -> "EventStream":
        query = "?" + urllib.parse.urlencode({"ep": self.ep}) if self.ep else ""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        conn.request("GET", "/api/event" + query, headers={"Accept": "text/event-stream"})
        resp = conn.getresponse()
        if resp.status != 200:
            body = resp.read().decode("utf-8", "replace")
            conn.close()
            raise LeshanHttpError("GET", "/api/event" + query, resp.status, body)
        self._conn = conn
        self._sock = conn.sock
        if self._sock is not None:
            # Events may be minutes apart; closing the socket ends the read.
            self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._run, args=(resp,), daemon=True,
                                        name=f"leshan-events-{self.ep}")
        self._thread.start()
        time.sleep(self.SETTLE)
        return self

    def _run(self, resp: http.client.HTTPResponse) -> None:
        kind, data_lines = None, []
        try:
            while not self._closed.is_set():
                raw = resp.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line == "":
                    if data_lines or kind:
                        text = "\n".join(data_lines)
                        try:
                            data: Any = json.loads(text)
                        except ValueError:
                            data = text
                        ev = Event(kind or "message", data, time.monotonic(), time.time())
                        self.history.append(ev)
                        self._queue.put(ev)
                    kind, data_lines = None, []
                elif line.startswith(":"):
                    continue
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        kind = value
                    elif name == "data":
                        data_lines.append(value)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if not self._closed.is_set():
                self.error = exc
        finally:
            self._queue.put(None)

    def get(self, timeout: float) -> Optional[Event]:
        """Next event, or None on timeout / end of stream."""
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def wait_for(self, kind: str, timeout: float, predicate=None) -> Event:
        """Pop events until one of ``kind`` (matching ``predicate``) arrives."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ev = self.get(left)
            if ev is None:
                if self._closed.is_set() or (self._thread and not self._thread.is_alive()):
                    break
                continue
            if ev.kind == kind and (predicate is None or predicate(ev)):
                return ev
        raise TimeoutError(f"no {kind} event for ep={self.ep} within {timeout}s"
                           + (f" (stream error: {self.error})" if self.error else ""))

    def coap_log(self) -> list[dict[str, Any]]:
        """COAPLOG entries seen so far (``incoming`` is from the client's view of the server)."""
        return [e.data for e in self.history if e.kind == "COAPLOG" and isinstance(e.data, dict)]

    def close(self) -> None:
        self._closed.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "EventStream":
        return self if self._thread else self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------
# REST client (usable on its own, e.g. against a server from tools/leshan.sh)


class LeshanRest:
    """Thin wrapper over the demo server's REST API at ``http://host:port``."""

    def __init__(self, host: str, web_port: int):
        self.web_host = host
        self.web_port = web_port

    @property
    def web_url(self) -> str:
        return f"http://{self.web_host}:{self.web_port}"

    # raw HTTP -------------------------------------------------------------

    def _request(self, method: str, path: str, query: Optional[dict[str, Any]] = None,
                 body: Optional[bytes] = None, content_type: Optional[str] = None,
                 http_timeout: float = 30) -> tuple[int, str]:
        url = self.web_url + path
        q = {k: v for k, v in (query or {}).items() if v is not None}
        if q:
            url += "?" + urllib.parse.urlencode(q)
        req = urllib.request.Request(url, data=body, method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=http_timeout) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            raise LeshanHttpError(method, url, exc.code, text) from None
        except (urllib.error.URLError, OSError) as exc:
            raise LeshanError(f"{method} {url} failed: {exc}") from None

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        _, text = self._request(method, path, **kw)
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            raise LeshanError(f"{method} {path}: not JSON: {text[:300]}") from None

    @staticmethod
    def _target(ep: str, path: str) -> str:
        path = "/" + path.strip("/")
        return f"/api/clients/{urllib.parse.quote(ep, safe='')}{path}"

    def _op(self, method: str, ep: str, path: str, suffix: str = "", timeout: float = DEFAULT_REQUEST_TIMEOUT,
            query: Optional[dict[str, Any]] = None, **kw: Any) -> dict[str, Any]:
        q = dict(query or {})
        # Leshan parses whole seconds (a fraction would fall back to 5 s).
        q["timeout"] = max(1, math.ceil(timeout))
        return self._json(method, self._target(ep, path) + suffix, query=q,
                          http_timeout=timeout + 10, **kw)

    # registrations ---------------------------------------------------------

    def clients(self) -> list[Registration]:
        return [Registration.from_json(r) for r in self._json("GET", "/api/clients")]

    def client(self, ep: str) -> Optional[Registration]:
        """The registration of ``ep``, or None when it is not registered."""
        try:
            data = self._json("GET", f"/api/clients/{urllib.parse.quote(ep, safe='')}")
        except LeshanHttpError as exc:
            if exc.status in (400, 404):
                return None
            raise
        return Registration.from_json(data)

    registration = client

    def wait_registered(self, ep: str, timeout: float = 30, poll: float = 0.1) -> Registration:
        deadline = time.monotonic() + timeout
        while True:
            reg = self.client(ep)
            if reg is not None:
                return reg
            self._check_alive()
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{ep} did not register within {timeout}s")
            time.sleep(poll)

    def wait_deregistered(self, ep: str, timeout: float = 10, poll: float = 0.1) -> None:
        deadline = time.monotonic() + timeout
        while self.client(ep) is not None:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{ep} still registered after {timeout}s")
            time.sleep(poll)

    def wait_update(self, ep: str, since: Registration, timeout: float = 60,
                    poll: float = 0.2) -> Registration:
        """Wait until ``lastUpdate`` differs from ``since`` (one-second resolution:
        use :meth:`events` for sub-second timing) or the registration changes."""
        deadline = time.monotonic() + timeout
        while True:
            reg = self.client(ep)
            if reg is None:
                raise LeshanError(f"{ep} is no longer registered while waiting for an update")
            if reg.registration_id != since.registration_id:
                raise LeshanError(f"{ep} registered again instead of updating")
            if reg.last_update_text != since.last_update_text:
                return reg
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{ep} sent no update within {timeout}s")
            time.sleep(poll)

    def _check_alive(self) -> None:
        """Hook for subclasses that own the server process."""

    # device management ----------------------------------------------------

    # security (the demo server's /api/security servlet) -------------------

    def add_psk(self, ep: str, identity: str, key: bytes) -> None:
        """Let ``ep`` in over coaps:// with this PSK identity and key."""
        body = json.dumps({"endpoint": ep,
                           "psk": {"identity": identity, "key": key.hex()}}).encode()
        self._request("PUT", "/api/security/clients", body=body,
                      content_type="application/json")

    def add_x509(self, ep: str) -> None:
        """Let ``ep`` in over coaps:// with an X.509 certificate (Leshan checks that
        the certificate's CN is the endpoint name and, with ``-truststore``, its
        chain)."""
        body = json.dumps({"endpoint": ep, "x509": True}).encode()
        self._request("PUT", "/api/security/clients", body=body,
                      content_type="application/json")

    def add_rpk(self, ep: str, public_key_der: bytes) -> None:
        """Let ``ep`` in over coaps:// with this raw public key (SubjectPublicKeyInfo,
        DER)."""
        body = json.dumps({"endpoint": ep, "rpk": {"key": public_key_der.hex()}}).encode()
        self._request("PUT", "/api/security/clients", body=body,
                      content_type="application/json")

    def remove_security(self, ep: str) -> None:
        self._request("DELETE", f"/api/security/clients/{urllib.parse.quote(ep)}")

    def security_infos(self) -> list[dict[str, Any]]:
        return self._json("GET", "/api/security/clients")

    def read(self, ep: str, path: str, fmt: Optional[str] = None,
             timeout: float = DEFAULT_REQUEST_TIMEOUT) -> dict[str, Any]:
        """Read ``path``; returns the response JSON (``content`` holds the node)."""
        return self._op("GET", ep, path, timeout=timeout, query={"format": _accept(fmt)})

    def write(self, ep: str, path: str, value: Any, fmt: Optional[str] = None,
              replace: bool = True, timeout: float = DEFAULT_REQUEST_TIMEOUT) -> dict[str, Any]:
        """Write one resource (``/o/i/r``). A dict value writes a multiple-instance
        resource ``{riid: value}``; opaque values are given as hex strings."""
        rid = int(path.strip("/").split("/")[-1])
        node: dict[str, Any] = {"id": rid}
        if isinstance(value, dict):
            node["values"] = {str(k): v for k, v in value.items()}
        else:
            node["value"] = value
        return self._op("PUT", ep, path, timeout=timeout,
                        query={"format": fmt, "replace": "true" if replace else "false"},
                        body=json.dumps(node).encode(), content_type="application/json")

    def write_instance(self, ep: str, path: str, resources: dict[int, Any], fmt: Optional[str] = None,
                       replace: bool = True, timeout: float = DEFAULT_REQUEST_TIMEOUT) -> dict[str, Any]:
        """Write several resources of instance ``/o/i`` (Replace or partial Update)."""
        iid = int(path.strip("/").split("/")[-1])
        node = {"id": iid, "resources": [
            {"id": int(k), **({"values": {str(a): b for a, b in v.items()}} if isinstance(v, dict)
                              else {"value": v})}
            for k, v in resources.items()]}
        return self._op("PUT", ep, path, timeout=timeout,
                        query={"format": fmt, "replace": "true" if replace else "false"},
                        body=json.dumps(node).encode(), content_type="application/json")

    def execute(self, ep: str, path: str, args: Optional[str] = None,
                timeout: float = DEFAULT_REQUEST_TIMEOUT) -> dict[str, Any]:
        """Execute resource ``/o/i/r`` with optional argument text (e.g. ``"0='a',1"``)."""
        if len([p for p in path.split("/") if p]) != 3:
            raise ValueError("execute needs an /object/instance/resource path")
        return self._op("POST", ep, path, timeout=timeout,
                        body=(args or "").encode(), content_type="text/plain")

    def discover(self, ep: str, path: str, timeout: float = DEFAULT_REQUEST_TIMEOUT) -> dict[str, Any]:
        """Discover; the response has ``objectLinks`` like the registration."""
        return self._op("GET", ep, path, suffix="/discover", timeout=timeout)

    def create(self, ep: str, path: str, resources: dict[int, Any], iid: Optional[int] = None,
               fmt: Optional[str] = None, timeout: float = DEFAULT_REQUEST_TIMEOUT) -> dict[str, Any]:
        node: dict[str, Any] = {"resources": [{"id": int(k), "value": v} for k, v in resources.items()]}
        if iid is not None:
            node["id"] = iid
        return self._op("POST", ep, path, timeout=timeout, query={"format": fmt},
                        body=json.dumps(node).encode(), content_type="application/json")

    def delete(self, ep: str, path: str, timeout: float = DEFAULT_REQUEST_TIMEOUT) -> dict[str, Any]:
        return self._op("DELETE", ep, path, timeout=timeout)

    def observe(self, ep: str, path: str, fmt: Optional[str] = None,
                timeout: float = DEFAULT_REQUEST_TIMEOUT) -> dict[str, Any]:
        """Start observing ``path``; notifications arrive as NOTIFICATION events."""
        return self._op("POST", ep, path, suffix="/observe", timeout=timeout,
                        query={"format": _accept(fmt)})

    def cancel_observe(self, ep: str, path: str) -> None:
        """Forget observations of ``path`` (passive cancel: the server just drops them)."""
        self._request("DELETE", self._target(ep, path) + "/observe")

    def write_attributes(self, ep: str, path: str, timeout: float = DEFAULT_REQUEST_TIMEOUT,
                         **attributes: Any) -> dict[str, Any]:
        """Write-Attributes, e.g. ``write_attributes(ep, "/3/0/13", pmin=1, pmax=5)``."""
        # The servlet parses the whole query string as attributes, so the
        # request timeout cannot be passed and Leshan's 5 s default applies.
        return self._json("PUT", self._target(ep, path) + "/attributes", query=dict(attributes),
                          http_timeout=timeout + 10)

    def events(self, ep: Optional[str] = None) -> EventStream:
        """Open the server-sent event stream (for ``ep`` only, or all clients).

        REGISTRATION/UPDATED/DEREGISTRATION/NOTIFICATION events flow whenever
        the stream is open. COAPLOG events (every CoAP message, with a
        millisecond ``timestamp``) only reach a stream for ``ep`` opened
        *after* ``ep`` registered, from the address it registered with:
        open a second stream after :meth:`wait_registered` to trace messages.
        """
        return EventStream(self.web_host, self.web_port, ep).open()


# --------------------------------------------------------------------------
# server process


def _server_command(jar: Path, coap_port: int, coaps_port: int, web_port: int,
                    extra: Sequence[str] = ()) -> list[str]:
    java = _require_tool("java", "install a JDK (Debian: apt-get install default-jdk-headless)")
    return [java, *JAVA_OPTS, "-jar", str(jar),
            "-lh", LOOPBACK, "-lp", str(coap_port),
            "-slh", LOOPBACK, "-slp", str(coaps_port),
            "-wh", LOOPBACK, "-wp", str(web_port), *extra]


def _new_run_dir(prefix: str) -> Path:
    runs = CACHE_DIR / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    # The demo writes Californium.properties into its working directory and
    # loads it on the next start, so each run gets its own directory.
    old = sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime)
    for stale in old[:-20]:
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-", dir=runs))


class LeshanServer(LeshanRest):
    """A Leshan demo server on free 127.0.0.1 ports, for the duration of a ``with``.

    ``coap_port``/``web_port``/``coaps_port`` may be fixed; otherwise free
    ports are picked (and re-picked if another process grabs one first).
    ``log_path`` stays on disk after :meth:`stop` for debugging.
    ``californium`` overrides entries of the ``Californium.properties`` the demo
    reads at start-up (e.g. ``{"PREFERRED_BLOCK_SIZE": 1024}``: the block size of
    the block-wise requests it sends).
    ``cid`` is the demo's ``-cid`` option (DTLS Connection ID, RFC 9146): ``"off"``,
    ``"on"`` (6-byte CIDs) or a CID length; ``None`` keeps the demo's default
    (2.0.0-M4: on).
    """

    def __init__(self, coap_port: Optional[int] = None, web_port: Optional[int] = None,
                 coaps_port: Optional[int] = None, startup_timeout: float = 90,
                 californium: Optional[dict[str, Any]] = None, cid: Optional[str] = None,
                 extra_args: Sequence[str] = ()):
        super().__init__(LOOPBACK, 0)
        self.californium = dict(californium or {})
        self.cid = cid
        # More demo options, e.g. ["-cert", ..., "-prik", ..., "-truststore", ...]
        # for its X.509 credentials.
        self.extra_args = list(extra_args)
        self._want = (coap_port, web_port, coaps_port)
        self.coap_port = 0
        self.coaps_port = 0
        self.startup_timeout = startup_timeout
        self.proc: Optional[subprocess.Popen] = None
        self.run_dir: Optional[Path] = None
        self.log_path: Optional[Path] = None
        self.jar: Optional[Path] = None

    @property
    def coap_uri(self) -> str:
        return f"coap://{LOOPBACK}:{self.coap_port}"

    @property
    def coaps_uri(self) -> str:
        return f"coaps://{LOOPBACK}:{self.coaps_port}"

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def log_text(self) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return ""

    def start(self) -> "LeshanServer":
        self.jar = ensure_leshan_jar()
        attempts = 1 if all(self._want) else 3
        last: Optional[Exception] = None
        for _ in range(attempts):
            coap = self._want[0] or free_port("udp")
            coaps = self._want[2] or free_port("udp", exclude=[coap])
            web = self._want[1] or free_port("tcp")
            try:
                self._launch(coap, coaps, web)
                return self
            except LeshanError as exc:
                last = exc
                self.stop()
        raise last if last else LeshanError("Leshan did not start")

    def _launch(self, coap: int, coaps: int, web: int) -> None:
        self.coap_port, self.coaps_port, self.web_port = coap, coaps, web
        self.run_dir = _new_run_dir("server")
        self.log_path = self.run_dir / "leshan-server.log"
        if self.californium:
            # Read by the demo on start-up; entries not given keep their defaults.
            (self.run_dir / "Californium.properties").write_text(
                "".join(f"{k}={v}\n" for k, v in self.californium.items()))
        extra = ["-cid", str(self.cid)] if self.cid is not None else []
        cmd = _server_command(self.jar, coap, coaps, web, extra + self.extra_args)
        with open(self.log_path, "wb") as log:
            log.write(("$ " + " ".join(cmd) + "\n").encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, cwd=self.run_dir, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise LeshanError(f"Leshan exited with {self.proc.returncode} during start-up; "
                                  f"log {self.log_path}:\n{_tail(self.log_text())}")
            try:
                self._request("GET", "/api/clients", http_timeout=2)
                break
            except LeshanError:
                pass
            if time.monotonic() >= deadline:
                raise LeshanError(f"Leshan REST API not up after {self.startup_timeout}s; "
                                  f"log {self.log_path}:\n{_tail(self.log_text())}")
            time.sleep(0.2)

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise LeshanError(f"Leshan server died (exit {self.proc.returncode}); log {self.log_path}")

    def stop(self) -> Optional[int]:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        return _terminate(proc, [signal.SIGTERM], grace=5)

    def __enter__(self) -> "LeshanServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _terminate(proc: subprocess.Popen, signals: Sequence[int], grace: float) -> int:
    """Send each signal in turn (waiting ``grace`` s after each), then SIGKILL."""
    for sig in signals:
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
    return proc.returncode


# --------------------------------------------------------------------------
# client process


class ClientProcess:
    """Run an LwM2M client command line in the background, output to a log file."""

    def __init__(self, args: Sequence[str], log_path: Optional[os.PathLike] = None,
                 env: Optional[dict[str, str]] = None, cwd: Optional[os.PathLike] = None):
        self.args = [str(a) for a in args]
        self.env = env
        self.cwd = cwd
        if log_path is None:
            log_path = _new_run_dir("client") / "client.log"
        self.log_path = Path(log_path)
        self.proc: Optional[subprocess.Popen] = None
        self.killed = False

    def start(self) -> "ClientProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            log.write(("$ " + " ".join(self.args) + "\n").encode())
            log.flush()
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                                         start_new_session=True)
        return self

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> Optional[int]:
        return self.proc.poll() if self.proc else None

    def send_signal(self, sig: int = signal.SIGINT) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> Optional[int]:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace: float = 10) -> Optional[int]:
        """SIGINT, wait up to ``grace`` s, then SIGKILL; returns the exit code
        (negative signal number when killed by a signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> "ClientProcess":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------
# command line (used by tools/leshan.sh)

STATE_FILE = CACHE_DIR / "server.json"
PID_FILE = CACHE_DIR / "server.pid"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still "exists"; treat it as gone.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _read_state() -> Optional[dict[str, Any]]:
    try:
        state = json.loads(STATE_FILE.read_text())
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    state["pid"] = pid
    return state if _pid_alive(pid) else None


def _cmd_start(args: argparse.Namespace) -> int:
    state = _read_state()
    if state:
        print(f"Leshan already running (pid {state['pid']})")
        _print_state(state)
        return 0
    server = LeshanServer(coap_port=args.coap_port, web_port=args.web_port, coaps_port=args.coaps_port)
    server.start()
    assert server.proc is not None
    # Detach: the server outlives this process; `stop` ends it by pid.
    state = {"coap_port": server.coap_port, "coaps_port": server.coaps_port,
             "web_port": server.web_port, "coap_uri": server.coap_uri,
             "web_url": server.web_url + "/", "log": str(server.log_path),
             "version": LESHAN_VERSION}
    STATE_FILE.write_text(json.dumps(state, indent=1) + "\n")
    PID_FILE.write_text(f"{server.proc.pid}\n")
    server.proc = None  # do not kill it on exit
    state["pid"] = int(PID_FILE.read_text())
    _print_state(state)
    return 0


def _print_state(state: dict[str, Any]) -> None:
    print(f"Leshan {state.get('version', '?')} demo server, pid {state['pid']}")
    print(f"  web UI:   {state['web_url']}")
    print(f"  CoAP URI: {state['coap_uri']}")
    print(f"  log:      {state['log']}")


def _cmd_stop(args: argparse.Namespace) -> int:
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        print("Leshan not running (no pid file)")
        return 0
    if _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        print(f"Leshan stopped (pid {pid})")
    else:
        print("Leshan not running (stale pid file)")
    for f in (PID_FILE, STATE_FILE):
        with contextlib.suppress(FileNotFoundError):
            f.unlink()
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    state = _read_state()
    if not state:
        print("Leshan not running")
        return 3
    if args.field:
        print(state[args.field.replace("-", "_")])
        return 0
    _print_state(state)
    try:
        regs = LeshanRest(LOOPBACK, int(state["web_port"])).clients()
        print(f"  clients:  {', '.join(r.endpoint for r in regs) or '(none)'}")
    except LeshanError as exc:
        print(f"  REST API not answering: {exc}")
        return 1
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Leshan demo server for interop tests")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("start", help="start in the background on 127.0.0.1")
    p.add_argument("--coap-port", type=int)
    p.add_argument("--web-port", type=int)
    p.add_argument("--coaps-port", type=int)
    sub.add_parser("stop", help="stop the background server")
    p = sub.add_parser("status", help="show the background server")
    p.add_argument("--field", choices=["coap_uri", "web_url", "coap_port", "web_port", "pid", "log"])
    sub.add_parser("jar", help="install the server jar and print its path")
    sub.add_parser("selfcheck-client", help="build the Leshan-library client and print its command")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "start":
            return _cmd_start(args)
        if args.cmd == "stop":
            return _cmd_stop(args)
        if args.cmd == "status":
            return _cmd_status(args)
        if args.cmd == "jar":
            print(ensure_leshan_jar())
            return 0
        if args.cmd == "selfcheck-client":
            print(" ".join(ensure_selfcheck_client()))
            return 0
    except LeshanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
