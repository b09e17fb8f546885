"""Scenario 60: a backend's framing headers are honoured whatever their case, among headers
libcurl does not act on.

libcurl-olla's patch 0008 (scripts/libcurl/) lets libcurl skip a response header line at once
when its first letter starts none of the names it acts on. Here a backend answers with its
framing in unusual case, each beside lines libcurl skips (`date`, `x-...`, `server`):
`transfer-encoding: chunked` (a stream of records), `CONTENT-LENGTH` on a kept-alive
connection (a second request follows on it: the first answer must end at its length, not at a
close that never comes), and `connection: close` (the next request goes out on a new
connection). Every answer reaches the client whole."""
import json

import pytest

from conftest import FAST_HEALTH, endpoint_ex
from helpers import RawBackend, RawClient, ndjson_lines

pytestmark = pytest.mark.daemon_only

TAGS = {"models": [{"name": "case:latest", "model": "case:latest", "modified_at": "2024-01-01T00:00:00Z",
                    "size": 1, "digest": "c" * 64, "details": {}}]}
RECORDS = [json.dumps({"model": "case", "message": {"content": f"t{i}"}, "done": False}).encode() + b"\n"
           for i in range(5)] + [json.dumps({"model": "case", "done": True, "eval_count": 5}).encode() + b"\n"]
SHOW = json.dumps({"modelfile": "FROM case", "details": {"family": "case"}}).encode()
EMBED = json.dumps({"model": "case", "embeddings": [[0.5, -0.25]]}).encode()


class CaseBackend(RawBackend):
    """An Ollama-enough backend whose answers spell their headers in odd case."""

    def __init__(self):
        self.connections = {"/api/show": [], "/api/embed": []}
        super().__init__()

    def answer(self, conn, method, path, number):
        if path in self.connections:
            self.connections[path].append(number)
        if path == "/api/chat":
            conn.sendall(b"HTTP/1.1 200 OK\r\ndate: Mon, 30 Nov 2026 00:00:00 GMT\r\n"
                         b"content-type: application/x-ndjson\r\nx-case: 1\r\n"
                         b"transfer-encoding: chunked\r\n\r\n")
            for record in RECORDS:
                conn.sendall(b"%x\r\n" % len(record) + record + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        elif path == "/api/embed":
            conn.sendall(b"HTTP/1.1 200 OK\r\nServer: case\r\nCONTENT-TYPE: application/json\r\n"
                         b"CONTENT-LENGTH: %d\r\nx-after: 1\r\n\r\n" % len(EMBED) + EMBED)
        elif path == "/api/show":
            conn.sendall(b"HTTP/1.1 200 OK\r\nx-before: 1\r\ncontent-type: application/json\r\n"
                         b"content-length: %d\r\nconnection: close\r\n\r\n" % len(SHOW) + SHOW)
            return False
        else:
            self.answer_basics(conn, method, path, TAGS)
        return True


@pytest.fixture(scope="module")
def case_backend():
    b = CaseBackend()
    yield b
    b.close()


def test_framing_headers_in_any_case(olla_factory, case_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("case", case_backend.url, **FAST_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for _ in range(3):
            c.send_request("POST", "/olla/ollama/api/chat", [("Content-Type", "application/json")],
                           b'{"model":"case","messages":[{"role":"user","content":"x"}]}')
            r = c.read_response(10)
            assert r.status == 200 and r.complete, r.describe()
            assert r.body == b"".join(RECORDS), f"records: {ndjson_lines(r)}"
        for _ in range(3):
            c.send_request("POST", "/olla/ollama/api/embed", [("Content-Type", "application/json")],
                           b'{"model":"case","input":"x"}')
            r = c.read_response(10)
            assert r.status == 200 and r.complete and r.body == EMBED, r.describe()
        for _ in range(3):
            c.send_request("POST", "/olla/ollama/api/show", [("Content-Type", "application/json")],
                           b'{"model":"case"}')
            r = c.read_response(10)
            assert r.status == 200 and r.complete and r.body == SHOW, r.describe()
    show = case_backend.connections["/api/show"]
    assert len(show) == 3 and len(set(show)) == 3, \
        f"after 'connection: close' each /api/show needs a new connection; connections used: {show}"
    embed = case_backend.connections["/api/embed"]
    assert len(embed) == 3 and len(set(embed)) == 1, \
        f"answers ended by 'CONTENT-LENGTH' leave the connection open for the next: connections used: {embed}"
