"""Scenario 52: the hang-up watch follows a keep-alive connection from request to request.

A client socket is watched from its connection's first suspension until the connection
closes (not re-registered per request), so a client that leaves during its third request on
one connection, while the backend is silent, must still make Olla close the backend
connection at once; and a client that closes an idle keep-alive connection costs nothing."""
import json
import time
import uuid

from helpers import RawClient

BOUND = 0.250
SLACK = 0.100
CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


def _marker() -> str:
    return "k-" + uuid.uuid4().hex[:16]


def _chat(c, olla, marker, extra=()):
    c.send_request("POST", olla.path("/api/chat"),
                   [("Content-Type", "application/json"), ("X-Test-Marker", marker), ("X-Mock-Chunks", "3"), *extra],
                   json.dumps(CHAT).encode())
    return c.read_head(5)


def _leave_a_stalled_stream(c, olla, marker) -> float:
    """Starts a chat whose backend stalls after its first chunk, reads up to that chunk, then
    closes the client socket; returns when it closed (monotonic seconds)."""
    try:
        resp = _chat(c, olla, marker, [("X-Mock-Stall-After", "1")])
        assert resp.status == 200, resp.describe()
        for _t, data in c.iter_body(resp, 5):
            if b"\n" in data:
                break
        time.sleep(0.3)
    finally:
        t_close = time.monotonic()
        c.close()
    return t_close


def test_hang_up_on_a_later_request_of_a_keep_alive_connection(olla, mock):
    c = RawClient(olla.host, olla.port, timeout=10)
    for _ in range(2):
        resp = _chat(c, olla, _marker())
        assert resp.status == 200, resp.describe()
        for _piece in c.iter_body(resp, 5):
            pass
        assert resp.complete, f"keep-alive request not complete: {resp.error}"
    m = _marker()
    t_close = _leave_a_stalled_stream(c, olla, m)
    rec = mock.wait_request(("X-Test-Marker", m), 5)
    assert rec is not None, "the third request never reached the backend"
    conn = mock.conn(rec.conn_id)
    closed = mock.wait_for(lambda: conn.closed_at, timeout=3.0)
    assert closed, "backend connection still open 3 s after the client left its third keep-alive request"
    lag = closed - t_close
    assert lag <= BOUND + SLACK, f"backend connection closed {lag * 1000:.0f} ms after the client left"


def test_idle_keep_alive_close_then_new_connections_are_still_watched(olla, mock):
    # Connections closed between requests free their socket numbers for new connections:
    # a reused number must be watched again (not mistaken for one already watched).
    for _ in range(3):
        c = RawClient(olla.host, olla.port, timeout=10)
        resp = _chat(c, olla, _marker())
        for _piece in c.iter_body(resp, 5):
            pass
        c.close()
    time.sleep(0.2)
    m = _marker()
    t_close = _leave_a_stalled_stream(RawClient(olla.host, olla.port, timeout=10), olla, m)
    rec = mock.wait_request(("X-Test-Marker", m), 5)
    conn = mock.conn(rec.conn_id)
    closed = mock.wait_for(lambda: conn.closed_at, timeout=3.0)
    assert closed, "backend connection still open 3 s after the client left (socket number reused)"
    assert closed - t_close <= BOUND + SLACK
