"""Scenario 51: `server.write_timeout` drops a client that stops reading a streamed answer:
the backend connection is closed (its instance stops generating for nobody), and a client
that keeps reading is never cut."""
import socket
import time
import uuid

import pytest

from helpers import RawClient

pytestmark = pytest.mark.daemon_only

GENERATE = b'{"model":"llama3.2","prompt":"x"}'


@pytest.fixture(scope="module")
def strict(mock, tmp_root):
    from conftest import DaemonFactory
    f = DaemonFactory(tmp_root, mock)
    try:
        yield f.start(overrides={"server": {"write_timeout": "1s"}}).target
    finally:
        f.cleanup()


def _huge(daemon, marker, n):
    c = RawClient(daemon.host, daemon.port, timeout=20)
    c.send_request("POST", daemon.path("/api/generate"),
                   [("X-Mock-Huge-Bytes", str(n)), ("X-Mock-Huge-Mode", "chunked"),
                    ("X-Test-Marker", marker), ("Content-Type", "application/json")], GENERATE)
    return c


def test_client_that_reads_nothing_is_dropped_after_write_timeout(strict, mock):
    m = "w-" + uuid.uuid4().hex[:16]
    # Small receive buffer: the client's socket fills at once and stays full.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", strict.port))
    try:
        s.sendall(b"POST " + strict.path("/api/generate").encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nX-Mock-Huge-Bytes: 209715200\r\n"
                  b"X-Mock-Huge-Mode: chunked\r\nX-Test-Marker: " + m.encode() + b"\r\n"
                  b"Content-Length: " + str(len(GENERATE)).encode() + b"\r\n\r\n" + GENERATE)
        rec = mock.wait_for(lambda: (mock.find_requests(header=("X-Test-Marker", m)) or [None])[0], timeout=5)
        assert rec, "the request never reached the backend"
        t0 = time.monotonic()
        closed = mock.wait_for(lambda: mock.conn(rec.conn_id).closed_at, timeout=8)
        assert closed, "Olla kept the backend streaming to a client that read nothing for 8 s (write_timeout 1s)"
        took = closed - t0
        assert took <= 6.0, f"backend connection closed {took:.2f}s after the client stopped reading; write_timeout is 1s"
        assert rec.bytes_sent < 200 * 1024 * 1024, "the whole answer was generated for a client that read nothing"
    finally:
        s.close()


def test_client_that_keeps_reading_is_not_cut(strict, mock):
    m = "r-" + uuid.uuid4().hex[:16]
    n = 8 * 1024 * 1024
    c = _huge(strict, m, n)
    with c:
        resp = c.read_head(10)
        assert resp.status == 200, resp.describe()
        resp.keep_body = False
        # Pauses of 0.3 s between large reads: slow, but never silent for the whole second.
        c.max_piece = 1 << 20
        since_pause = 0
        for _t, data in c.iter_body(resp, timeout=30):
            since_pause += len(data)
            if since_pause >= 1 << 20:
                since_pause = 0
                time.sleep(0.3)
    assert resp.complete, f"a client that kept reading was cut: {resp.error} after {resp.body_len} bytes"
    assert resp.body_len == n
