"""Scenario 9: HTTP/1.0 clients get complete answers; streams end with the connection."""
import json
import time

from helpers import RawClient, raw_request

CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


def test_http10_get_tags(olla, mock):
    direct = raw_request("127.0.0.1", mock.port, "GET", "/api/tags")
    with RawClient(olla.host, olla.port, timeout=10) as c:
        c.send(f"GET {olla.path('/api/tags')} HTTP/1.0\r\nHost: {olla.host}:{olla.port}\r\n\r\n".encode())
        r = c.read_head(5)
        assert r.status == 200, r.describe()
        assert r.framing != "chunked", "chunked Transfer-Encoding sent to an HTTP/1.0 client"
        c.read_body(r, 5)
        assert r.complete, r.error
        assert r.body == direct.body, f"body differs from the backend's: {r.body[:200]!r}"
        if r.header("Content-Length") is not None:
            assert int(r.header("Content-Length")) == len(r.body)
        assert c.wait_closed(3), "connection to an HTTP/1.0 client (no keep-alive) was not closed"


def test_http10_ndjson_stream(olla, mock):
    body = json.dumps(CHAT).encode()
    with RawClient(olla.host, olla.port, timeout=10) as c:
        c.send(f"POST {olla.path('/api/chat')} HTTP/1.0\r\nHost: {olla.host}\r\nContent-Type: application/json\r\n"
               f"X-Mock-Chunks: 10\r\nX-Mock-Chunk-Delay-Ms: 30\r\nContent-Length: {len(body)}\r\n\r\n".encode()
               + body)
        r = c.read_head(5)
        assert r.status == 200, r.describe()
        assert r.framing != "chunked", \
            f"chunked encoding sent to an HTTP/1.0 client (Transfer-Encoding: {r.header('Transfer-Encoding')})"
        assert r.framing == "close", f"a stream of unknown length to HTTP/1.0 must end by closing: {r.headers}"
        c.read_body(r, 8)
        assert r.complete and c.eof, "stream did not end with the connection closing"
        lines = [json.loads(ln) for _, ln in r.lines()]
        assert len(lines) == 11, f"got {len(lines)} lines: {r.body!r}"
        assert lines[-1]["done"] is True and not any(x["done"] for x in lines[:-1])
        # it was streamed, not collected
        t = [t for t, _ in r.lines()]
        assert t[-1] - t[0] > 0.2, "all lines arrived at once"


def test_http10_sse_stream(olla, mock):
    body = json.dumps({**CHAT, "stream": True}).encode()
    with RawClient(olla.host, olla.port, timeout=10) as c:
        c.send(f"POST {olla.path('/v1/chat/completions')} HTTP/1.0\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        r = c.read_head(5)
        assert r.status == 200 and r.framing != "chunked", r.describe()
        t0 = time.monotonic()
        c.read_body(r, 8)
        assert r.complete, r.error
        events = [d for _, d in r.sse_events()]
        assert events[-1] == "[DONE]" and len(events) == 7, events
        assert time.monotonic() - t0 < 5
