"""Scenario 39: malformed input gets one well-formed answer, and the daemon keeps serving.

Some requests never reach Olla's code: libmicrohttpd answers them itself (a bad request line,
an unsupported HTTP version, a header line without a colon, a malformed Content-Length or
chunk, a head too large for the connection's buffer). Olla links libmicrohttpd rebuilt with
patches (scripts/libmicrohttpd/) so that those answers are written once, with a JSON body in
Ollama's error shape. Each case here is sent on a raw socket; the bytes that come back must be a
sequence of well-formed responses (one head each, a body of the announced length), every error
among them JSON with an `error` string, and the daemon must answer the next client."""
from __future__ import annotations

import json
import socket
import time

import pytest

from helpers import exchange, split_responses

pytestmark = pytest.mark.daemon_only

BODY = b'{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}'
SECOND = b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\n\r\n"
CHAT = b"POST /olla/ollama/api/chat HTTP/1.1\r\nHost: olla\r\nContent-Type: application/json\r\n"


def with_length(value: bytes, body: bytes = BODY) -> bytes:
    return CHAT + b"Content-Length: " + value + b"\r\n\r\n" + body + SECOND


def chunked(raw_chunks: bytes) -> bytes:
    return CHAT + b"Transfer-Encoding: chunked\r\n\r\n" + raw_chunks + SECOND


CASES = [
    # (id, bytes, statuses of the responses expected, in order)
    ("Content-Length +81", with_length(b"+%d" % len(BODY)), [400]),
    ("Content-Length -1", with_length(b"-1"), [400]),
    ("Content-Length 0x10", with_length(b"0x10"), [400]),
    ("Content-Length empty", with_length(b""), [400]),
    ("Content-Length list 4, 5", with_length(b"4, 5", b"abcde"), [400]),
    ("Content-Length list 4, 4", with_length(b"4, 4", b"abcd"), [400]),
    ("Content-Length beyond 64 bits", with_length(b"99999999999999999999999"), [413]),
    ("request line without spaces", b"GET/olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\n\r\n" + SECOND, [400]),
    ("unknown protocol name", b"GET /olla/ollama/api/version FOO/1.1\r\nHost: olla\r\n\r\n" + SECOND, [400]),
    ("HTTP/0.9 request line", b"GET /olla/ollama/api/version\r\n\r\n", [400]),
    ("HTTP/2.0 request line", b"GET /olla/ollama/api/version HTTP/2.0\r\nHost: olla\r\n\r\n" + SECOND, [505]),
    ("HTTP/2 connection preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [505]),
    ("header line without a colon", b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\nNoColon\r\n\r\n" + SECOND,
     [400]),
    ("chunk size that is not hex", chunked(b"zz\r\nabc\r\n0\r\n\r\n"), [400]),
    ("chunk size beyond 64 bits", chunked(b"ffffffffffffffffffffff\r\nabc\r\n0\r\n\r\n"), [413]),
    # A request line libmicrohttpd cannot split at all is answered by closing the connection.
    ("binary garbage", bytes(range(1, 256)) + b"\r\n\r\n", []),
    # Served: nothing ambiguous about them (the second request follows on the connection).
    ("chunk extension", chunked(b"%x;name=value\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n"), [200, 200]),
    ("Expect: 100-continue", CHAT + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY + SECOND,
     [100, 200, 200]),
    ("unknown Expect value", CHAT + b"Expect: 200-ok\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY + SECOND,
     [200, 200]),
]


def statuses_of(raw: bytes) -> list:
    """Well-formed responses in order; a 100 Continue counts as one (it has no body)."""
    out = []
    while raw.startswith(b"HTTP/1.1 100 "):
        head, _, raw = raw.partition(b"\r\n\r\n")
        out.append((100, {}, b""))
    return out + split_responses(raw)


def alive(port: int):
    raw, _ = exchange(port, b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\nConnection: close\r\n\r\n")
    assert [s for s, _, _ in split_responses(raw)] == [200], f"daemon stopped serving: {raw[:300]!r}"


@pytest.mark.parametrize("data,expected", [pytest.param(d, e, id=i) for i, d, e in CASES])
def test_one_well_formed_answer(olla, daemon, data, expected):
    raw, closed = exchange(olla.port, data, timeout=3.0)
    responses = statuses_of(raw)
    assert [s for s, _, _ in responses] == expected, raw[:800]
    for status, headers, body in responses:
        if status >= 400:
            assert headers.get("content-type", [""])[0].startswith("application/json"), raw[:800]
            assert isinstance(json.loads(body)["error"], str), body
            assert "close" in [v.lower() for v in headers.get("connection", [])], raw[:800]
    if not expected or expected[-1] >= 400:
        assert closed, "the connection stayed open after an error answer"
    assert daemon.proc.poll() is None, "the daemon exited"
    alive(olla.port)


def send_paced(port: int, head: bytes, filler: bytes, limit: int) -> tuple[bytes, bool]:
    """Sends `head`, then `filler` in 4 KiB pieces until the server answers or `limit` bytes
    went out, so the server has read everything it was sent when it closes (no reset)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    out = b""
    try:
        s.sendall(head)
        sent = 0
        s.setblocking(False)
        while sent < limit and not out:
            try:
                s.send(filler[:4096])
                sent += 4096
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.01)
            try:
                out += s.recv(65536)
            except BlockingIOError:
                pass
        s.setblocking(True)
        s.settimeout(3)
        while True:
            try:
                piece = s.recv(65536)
            except socket.timeout:
                return out, False
            except ConnectionResetError:  # closed with bytes of ours still unread
                return out, True
            if not piece:
                return out, True
            out += piece
    finally:
        s.close()


@pytest.mark.parametrize("what,head", [
    ("request target", b"GET /olla/ollama/api/version?q="),
    ("header value", b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\nX-Long: "),
])
def test_heads_too_large_for_the_buffer_get_one_answer(olla, daemon, what, head):
    raw, closed = send_paced(olla.port, head, b"a" * 4096, limit=256 * 1024)
    responses = split_responses(raw)
    assert len(responses) == 1 and responses[0][0] in (414, 431), f"{what}: {raw[:600]!r}"
    assert isinstance(json.loads(responses[0][2])["error"], str), raw[:600]
    assert closed
    alive(olla.port)


def test_nul_bytes_do_not_break_the_daemon(olla, daemon):
    """libmicrohttpd reads C strings: a NUL ends a header value or the request target there,
    and a request line that starts with NUL reads as an empty line (the connection then waits
    for a request until server.read_timeout). None of it may break a response or the daemon."""
    for data in (b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n",
                 b"GET /olla/ollama/api/ver\x00sion HTTP/1.1\r\nHost: olla\r\nConnection: close\r\n\r\n",
                 b"\x00" * 64 + b"\r\n\r\n"):
        raw, _ = exchange(olla.port, data, timeout=2.0)
        assert len(split_responses(raw)) <= 1, raw[:600]
        assert daemon.proc.poll() is None, "the daemon exited"
    alive(olla.port)
