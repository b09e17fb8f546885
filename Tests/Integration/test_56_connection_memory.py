"""Scenario 56: a connection's buffer starts small and grows with what it holds.

libmicrohttpd keeps a connection's request head, its read buffer and its reply's write buffer
in one pool; Olla's build starts it at 4 KiB and grows it, up to `max_header_size` + 16 KiB,
only where it would run out (scripts/libmicrohttpd/0007). Whatever grows it, nothing may be
lost or cut: heads of every size up to the limit (one long header, many headers, many query
arguments, many cookies), a large body, a reply with large headers, a large chunked reply,
each followed on the same keep-alive connection by small requests and a stream (the pool
goes back to its starting size between requests). Run under valgrind memcheck too when the
patch changes (docs/benchmarks.md).
"""
from __future__ import annotations

import json
import uuid

import pytest

from helpers import RawClient, ndjson_lines
from mock_ollama import huge_body_sha256

pytestmark = pytest.mark.daemon_only

# The default max_header_size (16 KiB): heads up to it are forwarded.
MAX_HEADER = 16384


def marker() -> str:
    return "m-" + uuid.uuid4().hex[:16]


def chat(stream: bool) -> bytes:
    return json.dumps({"model": "llama3.2", "stream": stream,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()


def small_requests(c: RawClient, olla, mock):
    """A small forwarded request and a stream on the connection `c`: both whole."""
    m = marker()
    c.send_request("POST", olla.path("/api/chat"), [("X-Test-Marker", m), ("Content-Type", "application/json")],
                   chat(False))
    r = c.read_response()
    assert r.status == 200, r.describe()
    assert r.json()["done"] is True
    c.send_request("POST", olla.path("/api/chat"), [("X-Mock-Chunks", "30"), ("Content-Type", "application/json")],
                   chat(True))
    r = c.read_response()
    assert r.status == 200, r.describe()
    lines = ndjson_lines(r)
    assert len(lines) == 31 and lines[-1]["done"] is True, lines[-3:]


def forwarded_chat(c, olla, mock, headers, query=""):
    """One non-streamed chat on connection `c` with `headers` (and `query` after the path),
    answered 200: the backend's record of it."""
    m = marker()
    c.send_request("POST", olla.path("/api/chat") + query, [("X-Test-Marker", m)] + headers
                   + [("Content-Type", "application/json")], chat(False))
    r = c.read_response()
    assert r.status == 200, r.describe()
    return mock.find_requests(header=("X-Test-Marker", m))[0]


@pytest.mark.parametrize("size", [100, 1500, 2100, 4000, 4200, 8200, 12000, MAX_HEADER - 700])
def test_one_long_header_forwarded_whole(olla, mock, size):
    with RawClient(olla.host, olla.port) as c:
        small_requests(c, olla, mock)
        value = "".join(chr(ord("a") + i % 26) for i in range(size))
        rec = forwarded_chat(c, olla, mock, [("X-Long", value)])
        assert rec.header("X-Long") == value
        small_requests(c, olla, mock)


def test_many_headers_forwarded_in_order(olla, mock):
    names = [(f"X-Many-{i:03d}", f"value-{i}-" + "v" * 40) for i in range(180)]  # ~11 KB
    with RawClient(olla.host, olla.port) as c:
        rec = forwarded_chat(c, olla, mock, names)
        got = [(k, v) for k, v in rec.headers if k.startswith("X-Many-")]
        assert got == names
        small_requests(c, olla, mock)


def test_many_query_arguments_forwarded(olla, mock):
    query = "&".join(f"a{i}={i}" for i in range(350))  # 350 arguments: an entry each in the pool (~22 KB)
    with RawClient(olla.host, olla.port) as c:
        rec = forwarded_chat(c, olla, mock, [], query="?" + query)
        assert rec.target == "/api/chat?" + query
        small_requests(c, olla, mock)


def test_many_cookies_forwarded(olla, mock):
    cookie = "; ".join(f"c{i}=v{i}" for i in range(250))  # 250 cookies: a copy and an entry each in the pool (~19 KB)
    with RawClient(olla.host, olla.port) as c:
        rec = forwarded_chat(c, olla, mock, [("Cookie", cookie)])
        assert rec.header("Cookie") == cookie
        small_requests(c, olla, mock)


@pytest.mark.parametrize("chunked", [False, True])
def test_large_body_then_a_stream(olla, mock, chunked):
    """A 600 KB chat body grows the pool to read it in large pieces; the stream that follows
    on the connection, and the stream answering it, lose nothing."""
    body = json.dumps({"model": "llama3.2", "stream": True,
                       "messages": [{"role": "user", "content": "x" * 600_000}]}).encode()
    with RawClient(olla.host, olla.port, timeout=30) as c:
        m = marker()
        c.send_request("POST", olla.path("/api/chat"), [("X-Test-Marker", m), ("X-Mock-Chunks", "40"),
                                                         ("Content-Type", "application/json")],
                       body, chunked=chunked, chunk_size=70_000)
        r = c.read_response(timeout=30)
        assert r.status == 200, r.describe()
        lines = ndjson_lines(r)
        assert len(lines) == 41 and lines[-1]["done"] is True
        rec = mock.find_requests(header=("X-Test-Marker", m))[0]
        assert rec.body_length == len(body)
        small_requests(c, olla, mock)


@pytest.mark.parametrize("size", [3000, 9000, 14000])
def test_reply_with_large_headers(olla, mock, size):
    """A backend reply whose head alone is larger than the pool's starting size."""
    value = "r" * size
    with RawClient(olla.host, olla.port) as c:
        c.send_request("POST", olla.path("/api/chat"),
                       [("X-Mock-Resp-Headers", json.dumps({"X-Large-Reply": value})),
                        ("Content-Type", "application/json")], chat(False))
        r = c.read_response()
        assert r.status == 200, r.describe()
        assert r.header("X-Large-Reply") == value
        assert r.json()["done"] is True
        small_requests(c, olla, mock)


def test_large_chunked_reply_whole(olla, mock):
    """A 20 MB chunked reply: the write buffer grows for it; every byte arrives."""
    n = 20 * 1024 * 1024
    with RawClient(olla.host, olla.port, timeout=60) as c:
        c.send_request("POST", olla.path("/api/generate"),
                       [("X-Mock-Huge-Bytes", str(n)), ("X-Mock-Huge-Mode", "chunked"),
                        ("Content-Type", "application/json")], b'{"model":"llama3.2","prompt":"x"}')
        r = c.read_head(10)
        r.keep_body = False
        c.read_body(r, timeout=60)
        assert r.status == 200, r.describe()
        assert r.header("Transfer-Encoding") == "chunked"
        assert r.body_len == n
        assert r.body_sha256 == huge_body_sha256(n)
        small_requests(c, olla, mock)
