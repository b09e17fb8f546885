"""Scenario 63: pooled libcurl handles reuse, drop and replace backend connections as before,
and answer headers libcurl does not act on reach the client as the backend sent them.

libcurl-olla's patches 0009-0011 (scripts/libcurl/) change libcurl's bookkeeping around a
transfer: a handle removed after its transfer no longer walks the connection cache for
connect-only connections (0009); a transfer's new connection struct gets its copies of the TLS
settings only when no cached connection is reused (0011); response lines starting with `s` or
`a` (`Server`, `Set-Cookie`, `Strict-Transport-Security`, `Alt-Svc`, ...) skip libcurl's
header comparisons in a build without cookies, HSTS and alt-svc (0010). Here:
- answers with those lines around their `Content-Length` reach the client with every such
  header value as sent, and their length framing still holds: the next request goes out on the
  same backend connection;
- a backend that ends every third connection with `Connection: close` gets the requests of one
  client connection on exactly the connections that reuse and replacement predict;
- clients in parallel (several pooled handles, several cached connections at once) all get
  their whole answers, and the connections are reused afterwards.

Olla does not reset a pooled handle between transfers (`RequestOptions.apply` sets every option
a transfer may change; libcurl-olla's 0012 starts the retry counter at zero per transfer): one
client connection (one worker, its pool) sends every kind of request in changing order — a body
Olla holds (POST, DELETE), a streamed body (over 1 MiB: a new backend connection), GET, HEAD, a
DELETE without a body — and the backend sees each with its own method, its body or none, and
`Content-Length` only with a body."""
import hashlib
import json
import threading
import time

import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from helpers import RawBackend, RawClient

pytestmark = pytest.mark.daemon_only

TAGS = {"models": [{"name": "reuse:latest", "model": "reuse:latest", "modified_at": "2024-01-01T00:00:00Z",
                    "size": 1, "digest": "d" * 64, "details": {}}]}
SHOW = json.dumps({"modelfile": "FROM reuse", "details": {"family": "reuse"}}).encode()
EMBED = json.dumps({"model": "reuse", "embeddings": [[0.5, -0.25]]}).encode()
# Lines libcurl reads past: each starts with 's' or 'a', in varied case, some repeated.
S_AND_A_LINES = [
    ("Server", "reuse-backend/1.0"),
    ("Set-Cookie", "a=1; Path=/"),
    ("set-cookie", "b=2; HttpOnly"),
    ("Strict-Transport-Security", "max-age=63072000"),
    ("Alt-Svc", 'h3=":443"; ma=86400'),
    ("Age", "0"),
    ("accept-ranges", "bytes"),
    ("SS-Custom", "s"),
]
CLOSE_EVERY = 3
PARALLEL_CLIENTS = 4


class ReuseBackend(RawBackend):
    """`/api/show` answers carry the 's'/'a' lines around their Content-Length; `/api/embed`
    answers end every third connection with `Connection: close` and are a little slow (so
    parallel clients hold several connections at once)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.used = {"/api/show": [], "/api/embed": []}
        self.answered_on = {}
        super().__init__()

    def answer(self, conn, method, path, number):
        if path == "/api/show":
            with self.lock:
                self.used[path].append(number)
            half = len(S_AND_A_LINES) // 2
            head = "".join(f"{n}: {v}\r\n" for n, v in S_AND_A_LINES[:half])
            head += f"Content-Type: application/json\r\nContent-Length: {len(SHOW)}\r\n"
            head += "".join(f"{n}: {v}\r\n" for n, v in S_AND_A_LINES[half:])
            conn.sendall(b"HTTP/1.1 200 OK\r\n" + head.encode() + b"\r\n" + SHOW)
            return True
        if path == "/api/embed":
            with self.lock:
                self.used[path].append(number)
                self.answered_on[number] = self.answered_on.get(number, 0) + 1
                last = self.answered_on[number] == CLOSE_EVERY
            time.sleep(0.02)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
                         % (len(EMBED), b"Connection: close\r\n" if last else b"") + EMBED)
            return not last
        self.answer_basics(conn, method, path, TAGS)
        return True


@pytest.fixture
def reuse_backend():
    b = ReuseBackend()
    yield b
    b.close()


def embed(c: RawClient):
    c.send_request("POST", "/olla/ollama/api/embed", [("Content-Type", "application/json")],
                   b'{"model":"reuse","input":"x"}')
    return c.read_response(10)


def test_headers_libcurl_reads_past_are_forwarded_and_framing_holds(olla_factory, reuse_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("reuse", reuse_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for i in range(3):
            c.send_request("POST", "/olla/ollama/api/show", [("Content-Type", "application/json")],
                           b'{"model":"reuse"}')
            r = c.read_response(10)
            assert r.status == 200 and r.complete and r.body == SHOW, f"request {i}: {r.describe()}"
            for name in {n.lower() for n, _ in S_AND_A_LINES}:
                sent = [v for n, v in S_AND_A_LINES if n.lower() == name]
                got = [v for v in r.header_all(name) if name != "server" or v in sent]
                assert got == sent, f"request {i}: {name}: the backend sent {sent}, the client got {r.header_all(name)}"
    used = reuse_backend.used["/api/show"]
    assert len(used) == 3 and len(set(used)) == 1, \
        f"answers framed by Content-Length among 's'/'a' lines keep the connection: connections used {used}"


def test_connections_reused_closed_and_replaced(olla_factory, reuse_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("reuse", reuse_backend.url, **PATIENT_HEALTH)])
    count = 4 * CLOSE_EVERY
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for i in range(count):
            r = embed(c)
            assert r.status == 200 and r.complete and r.body == EMBED, f"request {i}: {r.describe()}"
    used = reuse_backend.used["/api/embed"]
    runs = [used[i:i + CLOSE_EVERY] for i in range(0, count, CLOSE_EVERY)]
    assert all(len(set(run)) == 1 for run in runs) and len({run[0] for run in runs}) == len(runs), \
        f"each connection serves {CLOSE_EVERY} requests, then a new one replaces it: connections used {used}"

    # Several pooled handles with connections in the cache at once, then reused.
    failures, lock = [], threading.Lock()

    def client(k):
        try:
            with RawClient(d.target.host, d.target.port, timeout=10) as pc:
                for i in range(5):
                    r = embed(pc)
                    if not (r.status == 200 and r.complete and r.body == EMBED):
                        with lock:
                            failures.append(f"client {k} request {i}: {r.describe()}")
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                failures.append(f"client {k}: {e!r}")

    before = len(reuse_backend.used["/api/embed"])
    threads = [threading.Thread(target=client, args=(k,)) for k in range(PARALLEL_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures, failures
    parallel = reuse_backend.used["/api/embed"][before:]
    assert len(parallel) == 5 * PARALLEL_CLIENTS, f"requests answered: {len(parallel)}"
    assert len(set(parallel)) < len(parallel), f"no connection was reused: {parallel}"


class RecordingBackend(RawBackend):
    """Records what reaches it for the client's requests: method, path, Content-Length,
    Transfer-Encoding, the body's length and hash, and the connection."""

    def __init__(self):
        self.seen = []
        super().__init__()

    def received(self, number, method, path, headers, body):
        if path.startswith("/api/m/") or path.startswith("/api/blobs/"):
            values = {n.lower(): v for n, v in headers}
            self.seen.append({"method": method, "path": path, "connection": number,
                              "content-length": values.get("content-length"),
                              "transfer-encoding": values.get("transfer-encoding"),
                              "body": hashlib.sha256(body).hexdigest() if body else None})

    def answer(self, conn, method, path, number):
        if path.startswith("/api/m/") or path.startswith("/api/blobs/"):
            data = json.dumps({"method": method}).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                         % len(data) + (b"" if method == "HEAD" else data))
            return True
        self.answer_basics(conn, method, path, TAGS)
        return True


def test_every_kind_of_request_in_turn_on_pooled_handles(olla_factory):
    backend = RecordingBackend()
    try:
        d = olla_factory.start(endpoints=[endpoint_ex("reuse", backend.url, **PATIENT_HEALTH)])
        big = bytes(range(256)) * (6 * 1024)  # 1.5 MiB: streamed through the read callback
        digest = hashlib.sha256(big).hexdigest()
        other_big = bytes(range(255, -1, -1)) * (5 * 1024) + b"tail"  # another length
        other_digest = hashlib.sha256(other_big).hexdigest()
        small = b'{"model":"reuse"}'
        kinds = {
            "post": ("POST", "/api/m/show", small),
            "get": ("GET", "/api/m/get", None),
            "head": ("HEAD", "/api/m/head", None),
            "stream": ("POST", f"/api/blobs/sha256:{digest}", big),
            "delete-body": ("DELETE", "/api/m/delete", small),
            "delete": ("DELETE", "/api/m/gone", None),
            # the same kinds again with other values (path, body, its length, method name)
            "post-long": ("POST", "/api/m/show?long=1", b'{"model":"reuse","prompt":"' + b"x" * 300 + b'"}'),
            "get-other": ("GET", "/api/m/other", None),
            "head-other": ("HEAD", "/api/m/other", None),
            "stream-other": ("POST", f"/api/blobs/sha256:{other_digest}", other_big),
            "put-body": ("PUT", "/api/m/put", small),
            "delete-other": ("DELETE", "/api/m/gone-too", None),
        }
        # every kind after every other kind, on one client connection (one worker's pool); then
        # each kind after itself with other values: Olla sets only the options that differ
        # from the handle's last transfer (`AppliedOptions`)
        order = ["post", "get", "head", "stream", "delete-body", "delete", "get", "post", "stream",
                 "head", "delete", "post", "head", "get", "stream", "delete-body", "head", "post",
                 "delete", "get", "delete-body", "post", "stream", "get", "delete", "stream",
                 "post", "post-long", "post", "get", "get-other", "get", "head", "head-other",
                 "head", "stream", "stream-other", "delete-body", "put-body", "delete-body",
                 "delete", "delete-other", "delete", "post-long", "post-long", "get-other", "get-other"]
        with RawClient(d.target.host, d.target.port, timeout=30) as c:
            for i, kind in enumerate(order):
                method, target, body = kinds[kind]
                headers = [("Content-Type", "application/json")] if body is not None else []
                c.send_request(method, "/olla/ollama" + target, headers, body)
                r = c.read_response(30, method=method)
                assert r.status == 200 and r.complete, f"{i} {kind}: {r.describe()}"
                if method != "HEAD" and not target.startswith("/api/blobs/"):
                    assert r.json() == {"method": method}, f"{i} {kind}: {r.body[:200]!r}"
        seen = backend.seen
        assert len(seen) == len(order), f"the backend saw {len(seen)} of {len(order)} requests: {seen}"
        for i, (kind, got) in enumerate(zip(order, seen)):
            method, target, body = kinds[kind]
            want = {"method": method, "path": target,
                    "content-length": str(len(body)) if body is not None else None,
                    "transfer-encoding": None,
                    "body": hashlib.sha256(body).hexdigest() if body is not None else None}
            assert {k: got[k] for k in want} == want, f"request {i} ({kind} after {order[i - 1] if i else '-'}): {got}"
        streamed = [i for i, kind in enumerate(order) if kind == "stream"]
        for i in streamed:
            earlier = {seen[j]["connection"] for j in range(i)}
            assert seen[i]["connection"] not in earlier, f"request {i}: a streamed body goes out on a new connection"
        held = [seen[i]["connection"] for i, kind in enumerate(order) if kind != "stream"]
        assert len(set(held)) < len(held), f"requests without a streamed body never reused a connection: {held}"
    finally:
        backend.close()
