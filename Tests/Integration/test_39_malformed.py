"""Scenario 39: malformed input gets one well-formed answer, and the daemon keeps serving.

Some requests never reach Olla's code: libmicrohttpd answers them itself (a bad request line,
an unsupported HTTP version, a header line without a colon, a malformed Content-Length or
chunk, a head too large for the connection's buffer). Olla links libmicrohttpd rebuilt with
patches (scripts/libmicrohttpd/) so that those answers are written once, with a JSON body in
the error shape of the request's route (OpenAI's on `/v1/*`, Anthropic's on `/v1/messages`,
Ollama's elsewhere and when no target was read), and so that a request line that cannot be one
(a NUL, a control byte or garbage before the method, a line of only whitespace) is refused at
once. Each case here is sent on a raw socket; the bytes that come back must be a sequence of
well-formed responses (one head each, a body of the announced length), every error among them
JSON in the expected shape, and the daemon must answer the next client."""
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
    # A request line that cannot be split (control bytes, no method) is refused like the rest.
    ("binary garbage", bytes(range(1, 256)) + b"\r\n\r\n", [400]),
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


@pytest.mark.parametrize("arguments", [500, 1000, 2000])
def test_a_query_of_many_arguments_is_answered(olla, daemon, arguments):
    """Hundreds of short query arguments within the default head limit (16 KiB) are an
    ordinary request, as for Ollama's Go server (which parses a query only when asked).
    libmicrohttpd split the query into arguments in the connection's memory and, when that
    ran out (~500 arguments), queued a 431 it never sent: no answer at all (patch 0009)."""
    query = "&".join(f"a{i}=1" for i in range(arguments))
    head = f"GET /olla/ollama/api/version?{query} HTTP/1.1\r\nHost: olla\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", olla.port), timeout=10) as s:
        s.sendall(head)
        raw = b""
        try:
            while chunk := s.recv(65536):
                raw += chunk
        except socket.timeout:
            pass
    responses = split_responses(raw)
    assert len(responses) == 1 and responses[0][0] == 200, (
        f"GET with {arguments} query arguments ({len(query)} bytes): want one 200, got {raw[:300]!r}")
    alive(olla.port)


def test_nul_bytes_do_not_break_the_daemon(olla, daemon):
    """libmicrohttpd reads C strings; a NUL anywhere in the head is refused (see
    test_request_line_that_cannot_be_one_is_refused_at_once and the NUL cases above). None of
    it may break a response or the daemon."""
    for data in (b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n",
                 b"GET /olla/ollama/api/ver\x00sion HTTP/1.1\r\nHost: olla\r\nConnection: close\r\n\r\n",
                 b"\x00" * 64 + b"\r\n\r\n"):
        raw, _ = exchange(olla.port, data, timeout=2.0)
        assert len(split_responses(raw)) <= 1, raw[:600]
        assert daemon.proc.poll() is None, "the daemon exited"
    alive(olla.port)


# --- Every answer libmicrohttpd makes itself, on every route family ---------------------------

# (family, target): the shape of the errors Olla itself makes on that target.
FAMILIES = [
    ("ollama", "/olla/ollama/api/chat"),
    ("openai", "/olla/ollama/v1/chat/completions"),
    ("openai", "/olla/openai/v1/chat/completions"),
    ("openai", "/olla/ollama/v1/responses"),
    ("openai", "/olla/ollama/v1/embeddings?dimensions=8"),
    ("anthropic", "/olla/ollama/v1/messages"),
    ("anthropic", "/olla/ollama/v1/messages?beta=true"),
    ("ollama", "/elsewhere"),
]


def post_to(target: str, headers: bytes, body: bytes = b"", version: bytes = b"HTTP/1.1") -> bytes:
    return b"POST " + target.encode() + b" " + version + b"\r\nHost: olla\r\n" + headers + b"\r\n" + body


# (kind, status, request for a target); each is answered by libmicrohttpd before Olla's code runs.
LIBRARY_ANSWERS = [
    ("Content-Length +81", 400, lambda t: post_to(t, b"Content-Length: +81\r\n", BODY)),
    ("Content-Length 0x10", 400, lambda t: post_to(t, b"Content-Length: 0x10\r\n", BODY)),
    ("Content-Length beyond 64 bits", 413, lambda t: post_to(t, b"Content-Length: 99999999999999999999999\r\n")),
    ("chunk size that is not hex", 400,
     lambda t: post_to(t, b"Transfer-Encoding: chunked\r\n", b"zz\r\nabc\r\n0\r\n\r\n")),
    ("chunk without its CRLF", 400,
     lambda t: post_to(t, b"Transfer-Encoding: chunked\r\n", b"3\r\nabcXY0\r\n\r\n")),
    ("chunk size beyond 64 bits", 413,
     lambda t: post_to(t, b"Transfer-Encoding: chunked\r\n", b"ffffffffffffffffffffff\r\nabc\r\n0\r\n\r\n")),
    ("header line without a colon", 400, lambda t: post_to(t, b"NoColon\r\nContent-Length: 0\r\n")),
    # Read as C strings, a header line starting with NUL ended the head (the rest became a body
    # or a request), and a NUL in a value cut it short: both are refused.
    ("header line starting with NUL", 400, lambda t: post_to(t, b"\x00Content-Length: 5\r\n", b"hello")),
    ("NUL in a header value", 400, lambda t: post_to(t, b"X-A: a\x00b\r\nContent-Length: 0\r\n")),
    ("NUL in a folded header line", 400, lambda t: post_to(t, b"X-A: a\r\n \x00b\r\nContent-Length: 0\r\n")),
    ("chunk trailer with NUL", 400,
     lambda t: post_to(t, b"Transfer-Encoding: chunked\r\n", b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\nX-T: a\x00\r\n\r\n")),
    ("HTTP/2.0", 505, lambda t: post_to(t, b"Content-Length: 0\r\n", version=b"HTTP/2.0")),
    ("HTTP/0.x", 505, lambda t: post_to(t, b"Content-Length: 0\r\n", version=b"HTTP/0.9")),
    ("unknown protocol name", 400, lambda t: post_to(t, b"Content-Length: 0\r\n", version=b"FOO/1.1")),
    ("no HTTP version (HTTP/0.9)", 400, lambda t: b"GET " + t.encode() + b"\r\n\r\n"),
]


def assert_error_shape(family: str, body: bytes):
    doc = json.loads(body)
    if family == "ollama":
        assert list(doc) == ["error"] and isinstance(doc["error"], str) and doc["error"], body
    elif family == "openai":
        error = doc["error"]
        assert isinstance(error, dict), body
        assert isinstance(error["message"], str) and error["message"], body
        assert error["type"] in ("invalid_request_error", "api_error"), body
        assert "param" in error and "code" in error, body
    else:
        assert doc["type"] == "error", body
        assert isinstance(doc["error"]["message"], str) and doc["error"]["message"], body
        assert doc["error"]["type"] in ("invalid_request_error", "request_too_large", "api_error"), body


def assert_one_answer(raw: bytes, closed: bool, status: int, family: str):
    responses = split_responses(raw)
    assert [s for s, _, _ in responses] == [status], raw[:800]
    _, headers, body = responses[0]
    assert headers.get("content-type", [""])[0].startswith("application/json"), raw[:800]
    assert "close" in [v.lower() for v in headers.get("connection", [])], raw[:800]
    assert closed, "the connection stayed open after an error answer"
    assert_error_shape(family, body)


# Olla answers a target outside its prefix (404) before reading a body, so the library never
# reads a chunk there.
COMBINATIONS = [pytest.param(f, t, s, b, id=f"{k}-{t}") for k, s, b in LIBRARY_ANSWERS for f, t in FAMILIES
                if not (k.startswith("chunk") and t == "/elsewhere")]


@pytest.mark.parametrize("family,target,status,build", COMBINATIONS)
def test_library_answers_take_the_route_shape(olla, daemon, family, target, status, build):
    raw, closed = exchange(olla.port, build(target) + SECOND, timeout=3.0)
    assert_one_answer(raw, closed, status, family)
    assert daemon.proc.poll() is None, "the daemon exited"


@pytest.mark.parametrize("family,target", [pytest.param(f, t, id=t) for f, t in FAMILIES])
@pytest.mark.parametrize("what,status", [("request target", 414), ("header value", 431), ("header lines", 431)])
def test_heads_too_large_take_the_route_shape(olla, daemon, family, target, what, status):
    """The 414 comes before the request line is complete: its target is read from what arrived."""
    sep = b"&" if b"?" in target.encode() else b"?"
    request_line = b"GET " + target.encode() + b" HTTP/1.1\r\nHost: olla\r\n"
    head, filler = {
        "request target": (b"GET " + target.encode() + sep + b"q=", b"a" * 4096),
        "header value": (request_line + b"X-Long: ", b"a" * 4096),
        "header lines": (request_line, b"X-Many: a\r\n" * 372),
    }[what]
    raw, closed = send_paced(olla.port, head, filler, limit=256 * 1024)
    assert_one_answer(raw, closed, status, family)


@pytest.mark.parametrize("first,second,family", [
    pytest.param("/olla/ollama/v1/chat/completions", b"\x00\r\n\r\n", "ollama", id="v1 then NUL line"),
    pytest.param("/olla/ollama/v1/chat/completions", post_to("/olla/ollama/api/chat", b"Content-Length: +1\r\n"),
                 "ollama", id="v1 then api"),
    pytest.param("/olla/ollama/api/chat", post_to("/olla/ollama/v1/messages", b"Content-Length: +1\r\n"),
                 "anthropic", id="api then messages"),
])
def test_library_answer_after_a_served_request_has_its_own_shape(olla, daemon, first, second, family):
    """On a kept-alive connection the second request's answer takes its own route's shape."""
    served = post_to(first, b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(BODY), BODY)
    raw, closed = exchange(olla.port, served + second, timeout=3.0)
    responses = split_responses(raw)
    assert [s for s, _, _ in responses] == [200, 400], raw[:800]
    assert closed
    assert_error_shape(family, responses[1][2])


# --- A request line that cannot be one -----------------------------------------------------------

VERSION = b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\n\r\n"
NOT_REQUEST_LINES = [
    ("NUL before the method", b"\x00" + VERSION),
    ("NULs and CRLF", b"\x00" * 64 + b"\r\n\r\n"),
    ("NULs without a line end", b"\x00" * 16),
    ("one NUL", b"\x00"),
    ("control byte before the method", b"\x01" + VERSION),
    ("DEL before the method", b"\x7f" + VERSION),
    ("escape sequence", b"\x1b[2J" + VERSION),
    ("TLS ClientHello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\xaa" * 32),
    ("UTF-8 BOM before the method", b"\xef\xbb\xbf" + VERSION),
    ("garbage before the method", b"@@" + VERSION),
    ("JSON instead of a request", b'{"model":"llama3.2"}\r\n\r\n'),
    ("space before the method", b" " + VERSION),
    ("line of spaces", b"   \r\n" + VERSION),
    ("line of tabs", b"\t\t\r\n" + VERSION),
    ("empty lines, then NUL", b"\r\n\r\n\x00\r\n"),
    ("method only", b"GET\r\n\r\n"),
    ("NUL in the target", b"GET /olla/ollama/api/ver\x00sion HTTP/1.1\r\nHost: olla\r\n\r\n"),
    ("control byte in the target", b"GET /olla/ollama/api/ver\x01sion HTTP/1.1\r\nHost: olla\r\n\r\n"),
    ("NUL after the version", b"GET /olla/ollama/api/version HTTP/1.1\x00\r\nHost: olla\r\n\r\n"),
    ("bare CR in the request line", b"GET /olla/ollama/api/version\rHTTP/1.1\r\nHost: olla\r\n\r\n"),
]


@pytest.mark.parametrize("data", [pytest.param(d, id=i) for i, d in NOT_REQUEST_LINES])
def test_request_line_that_cannot_be_one_is_refused_at_once(olla, daemon, data):
    """Answered 400 (Ollama's shape: no target was read) and closed well within a second,
    while server.read_timeout is 30 s here: nothing waits for a request line that cannot come."""
    started = time.monotonic()
    raw, closed = exchange(olla.port, data, timeout=1.5)
    elapsed = time.monotonic() - started
    assert_one_answer(raw, closed, 400, "ollama")
    assert elapsed < 1.5, f"answered after {elapsed:.2f} s"
    assert daemon.proc.poll() is None, "the daemon exited"
    alive(olla.port)


def test_empty_lines_before_a_request_line_are_still_skipped(olla, daemon):
    """RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line."""
    raw, closed = exchange(olla.port, b"\r\n\n\r\n" + VERSION.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    assert [s for s, _, _ in split_responses(raw)] == [200], raw[:400]
