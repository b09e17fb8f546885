"""Scenario 6: a client that goes away makes Olla close the backend connection quickly.

The bound is 250 ms; we allow +100 ms for a loaded 2-core machine. The time the backend
connection closed is the time the mock saw EOF/RST on it (its reader runs all the time,
even while a handler sleeps or stalls).
"""
import json
import time
import uuid

import pytest

from helpers import RawClient

BOUND = 0.250
SLACK = 0.100
CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


def marker() -> str:
    return "t-" + uuid.uuid4().hex[:16]


def _backend_conn_for(mock, m, timeout=5.0):
    rec = mock.wait_request(("X-Test-Marker", m), timeout)
    assert rec is not None, "the request never reached the backend"
    return rec, mock.conn(rec.conn_id)


def _assert_closed_promptly(mock, rec, conn, t_close, what):
    closed = mock.wait_for(lambda: conn.closed_at, timeout=3.0)
    assert closed, f"{what}: backend connection still open 3 s after the client disconnected " \
                   f"(backend request outcome={rec.outcome}, chunks sent={len(rec.chunk_times)})"
    lag = closed - t_close
    assert lag <= BOUND + SLACK, \
        f"{what}: backend connection closed {lag * 1000:.0f} ms after the client disconnected " \
        f"(bound {BOUND * 1000:.0f} ms + {SLACK * 1000:.0f} ms slack); reason={conn.close_reason}"
    return lag


@pytest.mark.parametrize("path,body,rst", [
    ("/api/chat", CHAT, False),
    ("/api/chat", CHAT, True),
    ("/v1/chat/completions", {**CHAT, "stream": True}, False),
])
def test_client_disconnect_mid_stream_closes_backend(olla, mock, path, body, rst):
    m = marker()
    hdrs = [("Content-Type", "application/json"), ("X-Test-Marker", m),
            ("X-Mock-Chunks", "200"), ("X-Mock-Chunk-Delay-Ms", "50")]
    c = RawClient(olla.host, olla.port, timeout=10)
    try:
        c.send_request("POST", olla.path(path), hdrs, json.dumps(body).encode())
        resp = c.read_head(5)
        assert resp.status == 200, resp.describe()
        got = 0
        for _t, data in c.iter_body(resp, 5):
            got += data.count(b"\n")
            if got >= 3:
                break
        assert got >= 3, "stream did not start"
    finally:
        t_close = time.monotonic()
        c.close(rst=rst)
    rec, conn = _backend_conn_for(mock, m)
    _assert_closed_promptly(mock, rec, conn, t_close, f"{path} mid-stream ({'RST' if rst else 'FIN'})")
    sent = len(rec.chunk_times)
    assert sent < 60, f"backend kept streaming after the client left: {sent} chunks sent"


@pytest.mark.parametrize("path,body", [
    ("/api/chat", CHAT),
    ("/api/some-get-endpoint", None),
])
def test_client_disconnect_before_backend_answers_closes_backend(olla, mock, path, body):
    m = marker()
    hdrs = [("X-Test-Marker", m), ("X-Mock-Head-Delay-Ms", "20000")]
    if body is not None:
        hdrs.append(("Content-Type", "application/json"))
    c = RawClient(olla.host, olla.port, timeout=10)
    try:
        c.send_request("POST" if body else "GET", olla.path(path), hdrs,
                       json.dumps(body).encode() if body is not None else None)
        rec, conn = _backend_conn_for(mock, m)
        time.sleep(0.3)  # the backend is "loading the model"
        assert conn.closed_at is None, "backend connection closed before the client left"
    finally:
        t_close = time.monotonic()
        c.close()
    _assert_closed_promptly(mock, rec, conn, t_close, f"{path} before the response head")
    assert rec.head_sent_at is None


def test_client_disconnect_while_backend_stalls(olla, mock):
    """Backend sent 2 chunks then went silent: nothing is being written to the client, so
    Olla must notice the client leaving without a write failing."""
    m = marker()
    hdrs = [("Content-Type", "application/json"), ("X-Test-Marker", m),
            ("X-Mock-Chunks", "10"), ("X-Mock-Stall-After", "2")]
    c = RawClient(olla.host, olla.port, timeout=10)
    try:
        c.send_request("POST", olla.path("/api/chat"), hdrs, json.dumps(CHAT).encode())
        resp = c.read_head(5)
        got = 0
        for _t, data in c.iter_body(resp, 5):
            got += data.count(b"\n")
            if got >= 2:
                break
        time.sleep(0.3)
    finally:
        t_close = time.monotonic()
        c.close()
    rec, conn = _backend_conn_for(mock, m)
    _assert_closed_promptly(mock, rec, conn, t_close, "stalled stream")
