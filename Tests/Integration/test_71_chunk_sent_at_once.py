"""Scenario 71: a chunk for a stream whose client waits idle is sent at once (issue 14a).

When a backend chunk arrives while the client's connection waits suspended with nothing queued
(it took every chunk so far), Olla frames it and sends it itself, in one send
(scripts/libmicrohttpd/0013, `olla_MHD_send_chunk`), without resuming the connection; what
the socket does not take goes the usual way (the connection is resumed and libmicrohttpd sends
the rest before the reader is called again). Nothing a client sees changes:

- a client that stops reading in the middle of a fast stream of small records, so that sends
  fall short, gets every record once, whole, in order, one record per HTTP chunk, with valid
  chunked framing and the terminating chunk;
- the access log counts the body bytes the client got, no more (a chunk counted twice) and no
  less, for a stream sent at once and for one that fell back;
- the connection serves its next request after such a stream (keep-alive);
- the stream end still sees the last line: its token counts reach the metrics.
Timing per chunk (test_02, test_64), records per chunk (test_43), hang-ups (test_05), write
timeouts (test_51), HTTP/1.0 (test_08, test_64) and many open streams (test_61) are covered
where they were.
"""
import json
import socket
import time
import uuid

import pytest

from helpers import PromText, raw_request
from mock_ollama import tokens_for

pytestmark = pytest.mark.daemon_only

CHAT = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}).encode()


def _request(s: socket.socket, path: str, marker: str, extra: list) -> None:
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(CHAT)}\r\nX-Request-ID: {marker}\r\n")
    head += "".join(f"{k}: {v}\r\n" for k, v in extra) + "\r\n"
    s.sendall(head.encode() + CHAT)


class Reader:
    """Reads one response at a time off a keep-alive socket, chunked framing parsed strictly."""

    def __init__(self, s: socket.socket):
        self.s, self.buf = s, b""

    def _fill(self, deadline: float) -> None:
        self.s.settimeout(max(0.05, deadline - time.monotonic()))
        got = self.s.recv(1 << 16)
        assert got, f"connection closed by Olla; {len(self.buf)} bytes pending"
        self.buf += got

    def _until(self, sep: bytes, deadline: float) -> bytes:
        while sep not in self.buf:
            self._fill(deadline)
        out, self.buf = self.buf.split(sep, 1)
        return out

    def _exactly(self, n: int, deadline: float) -> bytes:
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self, timeout: float = 10) -> tuple:
        raw = self._until(b"\r\n\r\n", time.monotonic() + timeout)
        lines = raw.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        return int(lines[0].split()[1]), headers

    def chunks(self, timeout: float = 60) -> list:
        deadline = time.monotonic() + timeout
        out = []
        while True:
            size_line = self._until(b"\r\n", deadline)
            assert size_line and all(c in b"0123456789abcdefABCDEF" for c in size_line), \
                f"bad chunk size line {size_line!r} after {len(out)} chunks"
            size = int(size_line, 16)
            if size == 0:
                assert self._exactly(2, deadline) == b"\r\n", "no CRLF after the terminating chunk"
                return out
            out.append(self._exactly(size, deadline))
            assert self._exactly(2, deadline) == b"\r\n", f"chunk {len(out)} not followed by CRLF"

    def body(self, headers: dict, timeout: float = 10) -> bytes:
        return self._exactly(int(headers["content-length"]), time.monotonic() + timeout)


def _log_line(daemon, request_id: str, timeout: float = 5) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        for obj in daemon.log_json():
            if obj.get("request_id") == request_id:
                return obj
        assert time.monotonic() < deadline, f"no log line for {request_id}:\n{daemon.log_tail(20)}"
        time.sleep(0.05)


def _completion_tokens(olla) -> float:
    r = raw_request(olla.host, olla.port, "GET", "/internal/metrics", timeout=5)
    assert r.status == 200, r.describe()
    return sum(v for lb, v in PromText(r.body.decode()).find("olla_tokens_total", kind="completion"))


def _check_records(chunks: list, n: int) -> None:
    """One whole NDJSON line per chunk, the mock's tokens in order, then its final line."""
    assert all(c.endswith(b"\n") and c.count(b"\n") == 1 for c in chunks), \
        [c[:80] for c in chunks if not (c.endswith(b"\n") and c.count(b"\n") == 1)][:3]
    lines = [json.loads(c) for c in chunks]
    assert [x["message"]["content"] for x in lines[:-1]] == tokens_for(n), "records lost, repeated or reordered"
    assert lines[-1]["done"] is True and lines[-1]["eval_count"] == n, lines[-1]


def test_a_client_that_stops_reading_gets_every_record_whole_and_in_order(olla, daemon):
    tokens_before = _completion_tokens(olla)
    n = 6000  # ~0.7 MB of small records, written as fast as the mock can: far more than the
    # socket buffers hold while the client sleeps, so sends fall short and fall back
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect((olla.host, olla.port))
        reader = Reader(s)
        marker = "direct-" + uuid.uuid4().hex[:12]
        _request(s, olla.path("/api/chat"), marker, [("X-Mock-Chunks", str(n)), ("X-Mock-Chunk-Delay-Ms", "0")])
        status, headers = reader.head()
        assert status == 200 and headers.get("transfer-encoding") == "chunked", headers
        time.sleep(1.5)  # reads nothing meanwhile
        chunks = reader.chunks()
        _check_records(chunks, n)
        received = sum(len(c) for c in chunks)
        line = _log_line(daemon, marker)
        assert line.get("bytes") == received, f"log says {line.get('bytes')} bytes, the client got {received}"

        # The same connection serves the next requests: a paced stream (every chunk finds
        # the client idle and goes at once) and a small answer.
        marker2 = "direct-" + uuid.uuid4().hex[:12]
        _request(s, olla.path("/api/chat"), marker2, [("X-Mock-Chunks", "20"), ("X-Mock-Chunk-Delay-Ms", "20")])
        status, headers = reader.head()
        assert status == 200, headers
        chunks = reader.chunks()
        _check_records(chunks, 20)
        line = _log_line(daemon, marker2)
        assert line.get("bytes") == sum(len(c) for c in chunks), line
        assert line.get("status") == 200, line

        s.sendall(f"GET {olla.path('/api/tags')} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status, headers = reader.head()
        assert status == 200, headers
        assert json.loads(reader.body(headers))["models"], "no models in /api/tags"
    # Both streams' last lines were scanned at their end (Olla records a request once its
    # exchange finished, which the log lines above show).
    assert _completion_tokens(olla) - tokens_before == n + 20
