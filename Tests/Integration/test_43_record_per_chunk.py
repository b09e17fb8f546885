"""Scenario 43: one record per chunk (issue 10, item 5).

A backend that writes NDJSON lines and SSE events back to back, several in one write, or one
split over several writes: Olla sends each record as one HTTP chunk, never two records in
one chunk and never one record across two (up to the reader's buffer, ~32 KiB; longer
records are the pathological case and are split), without holding complete records back.
docs/api.md "Bodies".
"""
import json
import socket
import time

import pytest

from conftest import FAST_HEALTH, endpoint_ex
from helpers import RawBackend

pytestmark = pytest.mark.daemon_only

TAGS = {"models": [{"name": "rec:latest", "model": "rec:latest", "modified_at": "2024-01-01T00:00:00Z", "size": 1,
                    "digest": "d" * 64, "details": {}}]}


def ndjson_writes():
    recs = [json.dumps({"model": "rec", "message": {"content": f"t{i}"}, "done": False}).encode() + b"\n"
            for i in range(6)]
    big = json.dumps({"model": "rec", "message": {"content": "x" * 20000}, "done": False}).encode() + b"\n"
    last = json.dumps({"model": "rec", "done": True, "eval_count": 7}).encode() + b"\n"
    writes = [recs[0] + recs[1] + recs[2], recs[3][:10], recs[3][10:] + recs[4], recs[5] + big[:5000], big[5000:], last]
    return writes, recs + [big, last]


def sse_writes():
    evs = [b"data: " + json.dumps({"choices": [{"delta": {"content": f"t{i}"}}]}).encode() + b"\n\n" for i in range(4)]
    done = b"data: [DONE]\n\n"
    writes = [evs[0] + evs[1], evs[2][:7], evs[2][7:] + evs[3] + done]
    return writes, evs + [done]


class RecordBackend(RawBackend):
    """An Ollama-enough backend whose streams write records in odd groupings (one TCP
    write per chunk)."""

    def answer(self, conn, method, path, number):
        if path in ("/api/chat", "/v1/chat/completions"):
            writes, _ = ndjson_writes() if path == "/api/chat" else sse_writes()
            ctype = b"application/x-ndjson" if path == "/api/chat" else b"text/event-stream"
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            for w in writes:
                conn.sendall(b"%x\r\n" % len(w) + w + b"\r\n")
                time.sleep(0.02)
            conn.sendall(b"0\r\n\r\n")
            return True
        self.answer_basics(conn, method, path, TAGS)
        return True


def chunks_of(port, path, body):
    """The HTTP chunks of one response, exactly as they came (raw socket, Connection: close)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    data = json.dumps(body).encode()
    s.sendall(f"POST /olla/ollama{path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    raw = b""
    while True:
        got = s.recv(1 << 20)
        if not got:
            break
        raw += got
    s.close()
    head, rest = raw.split(b"\r\n\r\n", 1)
    assert b"transfer-encoding: chunked" in head.lower(), head
    chunks = []
    while True:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return chunks
        chunks.append(rest[:size])
        rest = rest[size + 2:]


@pytest.fixture(scope="module")
def record_backend():
    b = RecordBackend()
    yield b
    b.close()


def test_ndjson_one_line_per_chunk(olla_factory, record_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("rec", record_backend.url, **FAST_HEALTH)])
    got = chunks_of(d.port, "/api/chat", {"model": "rec", "messages": [{"role": "user", "content": "hi"}]})
    _, records = ndjson_writes()
    assert got == records, ("each NDJSON line must be exactly one chunk: got chunk sizes "
                            f"{[len(c) for c in got]}, want {[len(r) for r in records]}")


def test_sse_one_event_per_chunk(olla_factory, record_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("rec", record_backend.url, **FAST_HEALTH)])
    got = chunks_of(d.port, "/v1/chat/completions", {"model": "rec", "stream": True,
                                                      "messages": [{"role": "user", "content": "hi"}]})
    _, events = sse_writes()
    assert got == events, f"each SSE event must be exactly one chunk: got {got!r}"
