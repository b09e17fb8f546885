"""Scenario 38: ambiguous request framing is refused (RFC 9112 §6), so nothing can be smuggled.

Every shape is sent on a raw socket with a second request (`GET .../api/version`) appended,
as a request smuggler would hide it. A refused shape must get exactly one answer (400, or 501
for a transfer coding Olla does not implement), JSON in the route's error shape, with
`Connection: close`; the connection must then close, and the backend must have received nothing.
Shapes that every parser frames the same way (identical repeated lengths, `Chunked` in any
letter case, leading whitespace) are served, and the appended request is answered as a second
response: that shows the harness would see a smuggled request if one got through."""
from __future__ import annotations

import json
import time

import pytest

from helpers import exchange, split_responses

pytestmark = pytest.mark.daemon_only

BODY = b'{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}'
SECOND = b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\n\r\n"
CHAT = "/olla/ollama/api/chat"
OPENAI_CHAT = "/olla/ollama/v1/chat/completions"


def chunked(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n"


def post(target: str, headers: bytes, body: bytes, version: bytes = b"HTTP/1.1") -> bytes:
    return (b"POST " + target.encode() + b" " + version + b"\r\nHost: olla\r\nContent-Type: application/json\r\n"
            + headers + b"\r\n" + body)


def client_requests(mock) -> list:
    return [r for r in mock.requests if r.header("X-Olla-Request-ID") is not None]


def assert_refused(port: int, mock, data: bytes, status: int, flavor: str = "native") -> dict:
    mock.clear_log()
    raw, closed = exchange(port, data)
    responses = split_responses(raw)
    assert len(responses) == 1, f"expected one answer, got {len(responses)}: {raw[:600]!r}"
    got, headers, body = responses[0]
    assert got == status, f"status {got}, expected {status}: {raw[:400]!r}"
    assert "close" in [v.lower() for v in headers.get("connection", [])], f"no Connection: close: {raw[:400]!r}"
    assert headers.get("content-type", [""])[0].startswith("application/json"), raw[:400]
    assert closed, "the connection stayed open after a refused framing"
    error = json.loads(body)["error"]
    if flavor == "native":
        assert isinstance(error, str) and error, body
    else:
        assert isinstance(error, dict) and error["message"] and error["type"] == "invalid_request_error", body
    time.sleep(0.05)
    assert not client_requests(mock), f"a refused request reached the backend: {client_requests(mock)}"
    return {"status": got, "error": error}


REFUSED = [
    # (id, request bytes, status)
    ("CL.TE: the length covers the chunked body and a second request",
     post(CHAT, b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % (len(chunked(BODY)) + len(SECOND)),
          chunked(BODY) + SECOND), 400),
    ("TE.CL: a length of 4 in front of a chunked body",
     post(CHAT, b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", chunked(BODY) + SECOND), 400),
    ("two different Content-Length fields",
     post(CHAT, b"Content-Length: %d\r\nContent-Length: 4\r\n" % len(BODY), BODY + SECOND), 400),
    ("two different Content-Length fields, short one first",
     post(CHAT, b"Content-Length: 4\r\nContent-Length: %d\r\n" % len(BODY), BODY + SECOND), 400),
    ("Transfer-Encoding: gzip, chunked (not implemented)",
     post(CHAT, b"Transfer-Encoding: gzip, chunked\r\n", chunked(BODY) + SECOND), 501),
    ("Transfer-Encoding: chunked, gzip (chunked not final)",
     post(CHAT, b"Transfer-Encoding: chunked, gzip\r\n", chunked(BODY) + SECOND), 400),
    ("Transfer-Encoding: identity",
     post(CHAT, b"Transfer-Encoding: identity\r\nX-Pad: 1\r\n", BODY + SECOND), 400),
    ("Transfer-Encoding: xchunked",
     post(CHAT, b"Transfer-Encoding: xchunked\r\n", chunked(BODY) + SECOND), 400),
    ("Transfer-Encoding: chunked with trailing space",
     post(CHAT, b"Transfer-Encoding: chunked \r\n", chunked(BODY) + SECOND), 400),
    ("Transfer-Encoding: chunked with trailing tab",
     post(CHAT, b"Transfer-Encoding: chunked\t\r\n", chunked(BODY) + SECOND), 400),
    ("Transfer-Encoding: chunked;ext",
     post(CHAT, b"Transfer-Encoding: chunked;x=1\r\n", chunked(BODY) + SECOND), 400),
    ("Transfer-Encoding twice",
     post(CHAT, b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunked(BODY) + SECOND), 400),
    ("Transfer-Encoding: identity then chunked (unknown coding)",
     post(CHAT, b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n", chunked(BODY) + SECOND), 501),
    ("whitespace between Transfer-Encoding and the colon",
     post(CHAT, b"Transfer-Encoding : chunked\r\nContent-Length: %d\r\n" % len(chunked(BODY)), chunked(BODY) + SECOND),
     400),
    ("Transfer-Encoding in an HTTP/1.0 request",
     post(CHAT, b"Transfer-Encoding: chunked\r\n", chunked(BODY) + SECOND, version=b"HTTP/1.0"), 400),
    ("bare CR inside a header value",
     post(CHAT, b"X-Note: a\rTransfer-Encoding: chunked\r\nContent-Length: %d\r\n" % len(BODY), BODY + SECOND), 400),
]


@pytest.mark.parametrize("data,status", [pytest.param(d, s, id=i) for i, d, s in REFUSED])
def test_ambiguous_framing_is_refused_alone(olla, mock, data, status):
    assert_refused(olla.port, mock, data, status)


@pytest.mark.parametrize("line", [
    b"GET  /olla/ollama/api/show  HTTP/1.1", b"GET /olla/ollama/api/sh ow HTTP/1.1", b"GET /olla/ollama/api/show\t HTTP/1.1",
], ids=["double spaces", "space in the path", "tab after the path"])
def test_targets_with_whitespace_are_refused_not_forwarded(olla, mock, line):
    """libmicrohttpd splits such request lines leniently; forwarded, the target would fail at
    the backend and count against an endpoint that did nothing wrong."""
    assert_refused(olla.port, mock, line + b"\r\nHost: olla\r\n\r\n" + SECOND, 400)


def test_refusals_on_openai_routes_use_the_openai_error_object(olla, mock):
    data = post(OPENAI_CHAT, b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", chunked(BODY) + SECOND)
    error = assert_refused(olla.port, mock, data, 400, flavor="openai")["error"]
    assert "Transfer-Encoding" in error["message"]


def test_refusal_names_the_problem(olla, mock):
    error = assert_refused(olla.port, mock, post(CHAT, b"Transfer-Encoding: gzip, chunked\r\n", chunked(BODY)), 501)
    assert "gzip" in error["error"]


ACCEPTED = [
    ("identical Content-Length fields (RFC 9110 §8.6)",
     post(CHAT, b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(BODY), len(BODY)), BODY)),
    ("Chunked in another letter case", post(CHAT, b"Transfer-Encoding: Chunked\r\n", chunked(BODY))),
    ("chunked after leading whitespace", post(CHAT, b"Transfer-Encoding: \t chunked\r\n", chunked(BODY))),
]


@pytest.mark.parametrize("data", [pytest.param(d, id=i) for i, d in ACCEPTED])
def test_unambiguous_shapes_are_served_and_the_next_request_follows(olla, mock, data):
    mock.clear_log()
    raw, _ = exchange(olla.port, data + SECOND.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    responses = split_responses(raw)
    assert [status for status, _, _ in responses] == [200, 200], raw[:600]
    assert json.loads(responses[0][2])["done"] is True
    assert "version" in json.loads(responses[1][2])
    chats = [r for r in client_requests(mock) if r.path == "/api/chat"]
    assert len(chats) == 1 and chats[0].body == BODY, chats


LINE_ENDS = [
    ("bare LF after every line", b"\n", b"\n"),
    ("bare LF after the request line only", b"\n", b"\r\n"),
    ("bare LF after the header lines only", b"\r\n", b"\n"),
]


@pytest.mark.parametrize("first,rest", [pytest.param(f, r, id=i) for i, f, r in LINE_ENDS])
def test_request_heads_with_bare_lf_line_ends_are_served_whole(olla, mock, first, rest):
    """libmicrohttpd ends a head line at an LF with or without a CR before it (patch 0016
    finds the LF with memchr()): every header of such a head must arrive whole, none cut at
    a CR or merged with the next, and the request after it must be read as one."""
    mock.clear_log()
    head = (b"POST " + CHAT.encode() + b" HTTP/1.1" + first + b"Host: olla" + rest
            + b"Content-Type: application/json" + rest + b"X-Note: a\tb c" + rest
            + b"Content-Length: %d" % len(BODY) + rest + rest)
    raw, _ = exchange(olla.port, head + BODY + SECOND.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    responses = split_responses(raw)
    assert [status for status, _, _ in responses] == [200, 200], raw[:600]
    assert json.loads(responses[0][2])["done"] is True
    chats = [r for r in client_requests(mock) if r.path == "/api/chat"]
    assert len(chats) == 1 and chats[0].body == BODY, chats
    assert chats[0].header("Content-Type") == "application/json"
    assert chats[0].header("X-Note") == "a\tb c"


def test_refusals_are_counted(olla, mock):
    def bad_framing() -> float:
        raw, _ = exchange(olla.port, b"GET /internal/metrics HTTP/1.1\r\nHost: olla\r\nConnection: close\r\n\r\n")
        text = split_responses(raw)[0][2].decode()
        for line in text.splitlines():
            if line.startswith('olla_rejections_total{reason="bad_framing"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0
    before = bad_framing()
    assert_refused(olla.port, mock, post(CHAT, b"Content-Length: 4\r\nContent-Length: 5\r\n", b"abcde"), 400)
    assert bad_framing() == before + 1
