"""Scenario 77: a cached backend connection is found for the right host name and port, and the
request on it names the endpoint's own host.

libcurl-olla's patch 0024 (scripts/libcurl/) finds a cached connection for a plain-HTTP transfer
by comparing the handle's scheme, host name and port with the cached connections directly,
instead of building a whole connection struct per transfer to compare. Here three endpoints name
one backend: `localhost` and `LOCALHOST` (one host: Olla's configuration reads host names in
lower case, and their requests share one backend connection) and `127.0.0.1` (another host
name, the same address and port: a connection of its own). One client connection sends chats
that Olla spreads over the three round-robin; every request must reach the backend with the
`Host` of the endpoint Olla names in X-Olla-Endpoint, on the connection of its host name, with
its whole answer back. A search that took any connection of the port or address, ignored the
host name, or left a reused connection another transfer's host would fail it."""
import json
import threading
import uuid

import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from helpers import RawBackend, RawClient

pytestmark = pytest.mark.daemon_only

TAGS = {"models": [{"name": "host:latest", "model": "host:latest", "modified_at": "2024-01-01T00:00:00Z",
                    "size": 1, "digest": "d" * 64, "details": {}}]}
ANSWER = json.dumps({"model": "host", "message": {"role": "assistant", "content": "hi"}, "done": True}).encode()


class HostBackend(RawBackend):
    """Answers `/api/chat` at once and notes, by the request's X-Test-Marker, the connection it
    came on and its `Host` lines."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}
        super().__init__()

    def received(self, number, method, path, headers, body):
        if path == "/api/chat":
            fields = [(n.lower(), v) for n, v in headers]
            marker = next((v for n, v in fields if n == "x-test-marker"), None)
            with self.lock:
                self.seen[marker] = (number, [v for n, v in fields if n == "host"])

    def answer(self, conn, method, path, number):
        if path != "/api/chat":
            self.answer_basics(conn, method, path, TAGS)
            return True
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(ANSWER) + ANSWER)
        return True


@pytest.fixture
def host_backend():
    b = HostBackend()
    yield b
    b.close()


def test_connections_found_by_host_name_and_port(olla_factory, host_backend):
    port = host_backend.port
    urls = {"lower": f"localhost:{port}", "upper": f"LOCALHOST:{port}", "ip": f"127.0.0.1:{port}"}
    hosts = {name: url.lower() for name, url in urls.items()}
    d = olla_factory.start(
        endpoints=[endpoint_ex(name, f"http://{url}", **PATIENT_HEALTH) for name, url in urls.items()],
        overrides={"proxy": {"load_balancer": "round-robin"}})
    connections = {name: set() for name in hosts}
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for i in range(24):
            marker = f"h{i}-" + uuid.uuid4().hex[:12]
            c.send_request("POST", "/olla/ollama/api/chat",
                           [("Content-Type", "application/json"), ("X-Test-Marker", marker)],
                           b'{"model":"host","stream":false,"messages":[{"role":"user","content":"hi"}]}')
            r = c.read_response(10)
            assert r.status == 200 and r.body == ANSWER, f"request {i}: {r.describe()}"
            endpoint = r.header("X-Olla-Endpoint")
            assert endpoint in hosts, f"request {i}: X-Olla-Endpoint {endpoint!r}"
            with host_backend.lock:
                number, host_lines = host_backend.seen[marker]
            assert host_lines == [hosts[endpoint]], \
                f"request {i} via {endpoint}: Host {host_lines}, the endpoint's host is {hosts[endpoint]!r}"
            connections[endpoint].add(number)
    assert all(connections.values()), f"round-robin left an endpoint out: {connections}"
    localhost = connections["lower"] | connections["upper"]
    assert len(localhost) == 1, f"localhost in either case: one backend connection, got {connections}"
    assert len(connections["ip"]) == 1 and not connections["ip"] & localhost, \
        f"127.0.0.1: a connection of its own, got {connections}"
