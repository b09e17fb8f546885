"""Scenario 64: the response reader suspends a stream in the same call that hands over its last
buffered bytes, and libmicrohttpd holds that suspension until those bytes are sent
(scripts/libmicrohttpd/0011). Nothing a client sees changes:

- every chunk goes out as soon as the backend wrote it, not with the next one (a suspension
  that took effect before its bytes were sent would hold each chunk back until the next
  resume), chunked to HTTP/1.1 and close-delimited to HTTP/1.0;
- a client that keeps reading a stream that then goes silent is not taken for a stalled one
  by `server.write_timeout` (the read clock stops once the suspension takes effect), while a
  client that reads nothing is still dropped (test_51);
- a client that hangs up during the silence still stops the backend at once.
"""
import json
import time
import uuid

import pytest

from helpers import RawClient

pytestmark = pytest.mark.daemon_only

CHAT = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}).encode()
GAP_MS = 250


@pytest.fixture(scope="module")
def strict(mock, tmp_root):
    from conftest import DaemonFactory
    f = DaemonFactory(tmp_root, mock)
    try:
        # proxy.read_timeout (3 s in the suite's config) would end the backend's silence below.
        yield f.start(overrides={"server": {"write_timeout": "1s"}, "proxy": {"read_timeout": "60s"}}).target
    finally:
        f.cleanup()


def _stream(c: RawClient, daemon, marker: str, extra: list, version: str = "HTTP/1.1"):
    headers = [("Content-Type", "application/json"), ("X-Test-Marker", marker), *extra]
    if version == "HTTP/1.1":
        c.send_request("POST", daemon.path("/api/chat"), headers, CHAT)
    else:
        head = f"POST {daemon.path('/api/chat')} {version}\r\nHost: x\r\nContent-Length: {len(CHAT)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        c.send(head.encode() + CHAT)
    return c.read_head(10)


def _line_arrivals(resp) -> list:
    """(time, line) for each complete NDJSON line, at the time its last byte arrived."""
    out, pending = [], b""
    for t, data in resp.events:
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            out.append((t, line))
    return out


@pytest.mark.parametrize("version", ["HTTP/1.1", "HTTP/1.0"])
def test_each_chunk_goes_out_when_the_backend_writes_it(olla, mock, version):
    marker = "h-" + uuid.uuid4().hex[:16]
    with RawClient(olla.host, olla.port, timeout=20) as c:
        resp = _stream(c, olla, marker, [("X-Mock-Chunks", "6"), ("X-Mock-Chunk-Delay-Ms", str(GAP_MS))], version)
        assert resp.status == 200
        assert resp.framing == ("chunked" if version == "HTTP/1.1" else "close")
        c.read_body(resp, 20)
    assert resp.complete, resp.error
    rec = mock.wait_request(("X-Test-Marker", marker))
    arrivals = _line_arrivals(resp)
    assert len(arrivals) == len(rec.chunk_times), (len(arrivals), len(rec.chunk_times))
    # Every line reached the client shortly after the mock wrote it (the machine may be
    # loaded: the bound is far below the gap, which a chunk held for the next resume waits).
    late = [(i, round((t - sent) * 1000)) for i, ((t, _), sent) in enumerate(zip(arrivals, rec.chunk_times))
            if t - sent > GAP_MS * 0.8 / 1000]
    assert not late, f"chunks reached the client a gap late (index, ms): {late}"
    assert json.loads(arrivals[-1][1]).get("done") is True


def test_a_reading_client_outlives_a_silence_longer_than_write_timeout(strict, mock):
    marker = "s-" + uuid.uuid4().hex[:16]
    with RawClient(strict.host, strict.port, timeout=20) as c:
        resp = _stream(c, strict, marker, [("X-Mock-Stall-After", "2"), ("X-Mock-Chunk-Delay-Ms", "20")])
        assert resp.status == 200
        pieces = c.iter_body(resp, 20)
        got = b""
        while got.count(b"\n") < 2:
            got += next(pieces)[1]
        rec = mock.wait_request(("X-Test-Marker", marker))
        assert rec
        # The backend is silent now; the client has read everything (3 x write_timeout).
        time.sleep(3.0)
        assert mock.conn(rec.conn_id).closed_at is None, \
            "a client that read every byte was dropped during the backend's silence"
        # Hanging up during the silence stops the backend at once (the suspended
        # connection's socket is watched).
        t0 = time.monotonic()
        c.close()
    closed = mock.wait_for(lambda: mock.conn(rec.conn_id).closed_at, timeout=5)
    assert closed, "the backend kept the stream after the client hung up"
    assert closed - t0 < 1.0, f"backend closed {closed - t0:.2f} s after the hang-up"
