"""Scenario 54: the Host header (RFC 9112 §3.2), checked as Ollama's Go server checks it.

An HTTP/1.1 request without `Host`, any request with two, and a `Host` holding a byte no host
name, port or IP literal can hold get `400` at once, with Go's reason ("missing required Host
header", "too many Host headers", "malformed Host header") in the route's JSON error shape,
`Connection: close`, and nothing reaches a backend; a request appended behind is not served.
HTTP/1.0 may leave `Host` out, and an empty `Host` is allowed (as in Go)."""
from __future__ import annotations

import json
import time

import pytest

from helpers import exchange, split_responses

pytestmark = pytest.mark.daemon_only

BODY = b'{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}'
SECOND = b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\n\r\n"
CHAT = b"/olla/ollama/api/chat"
OPENAI_CHAT = b"/olla/ollama/v1/chat/completions"
CLOSE = b"Connection: close\r\n"


def post(target: bytes, hosts: list[bytes], version: bytes = b"HTTP/1.1", extra: bytes = b"") -> bytes:
    return (b"POST " + target + b" " + version + b"\r\n" + b"".join(b"Host: " + h + b"\r\n" for h in hosts)
            + extra + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)


def get(target: bytes, hosts: list[bytes], version: bytes = b"HTTP/1.1") -> bytes:
    return b"GET " + target + b" " + version + b"\r\n" + b"".join(b"Host: " + h + b"\r\n" for h in hosts) + b"\r\n"


def client_requests(mock) -> list:
    return [r for r in mock.requests if r.header("X-Olla-Request-ID") is not None]


def assert_refused(port: int, mock, data: bytes, reason: str, flavor: str = "native"):
    mock.clear_log()
    raw, closed = exchange(port, data + SECOND)
    responses = split_responses(raw)
    assert len(responses) == 1, f"expected one answer, got {len(responses)}: {raw[:600]!r}"
    status, headers, body = responses[0]
    assert status == 400, f"status {status}: {raw[:400]!r}"
    assert "close" in [v.lower() for v in headers.get("connection", [])], f"no Connection: close: {raw[:400]!r}"
    assert headers.get("content-type", [""])[0].startswith("application/json"), raw[:400]
    assert closed, "the connection stayed open after a refused Host"
    error = json.loads(body)["error"]
    message = error if flavor == "native" else error["message"]
    if flavor != "native":
        assert error["type"] == "invalid_request_error", body
    assert message == reason, body
    time.sleep(0.05)
    assert not client_requests(mock), f"a refused request reached the backend: {client_requests(mock)}"


REFUSED = [
    ("HTTP/1.1 POST without Host", post(CHAT, []), "missing required Host header"),
    ("HTTP/1.1 GET without Host", get(b"/olla/ollama/api/tags", []), "missing required Host header"),
    ("HTTP/1.1 GET of a local answer without Host", get(b"/olla/ollama/api/version", []), "missing required Host header"),
    ("two Hosts, same value", post(CHAT, [b"olla", b"olla"]), "too many Host headers"),
    ("two Hosts, different values", post(CHAT, [b"olla", b"evil.example"]), "too many Host headers"),
    ("two Hosts in HTTP/1.0", post(CHAT, [b"olla", b"evil.example"], b"HTTP/1.0"), "too many Host headers"),
    ("space in Host", post(CHAT, [b"olla evil"]), "malformed Host header"),
    ("slash in Host", post(CHAT, [b"olla/evil"]), "malformed Host header"),
    ("at sign in Host", post(CHAT, [b"user@olla"]), "malformed Host header"),
    ("non-ASCII Host", post(CHAT, ["bücher.example".encode()]), "malformed Host header"),
]


@pytest.mark.parametrize("data,reason", [pytest.param(d, r, id=i) for i, d, r in REFUSED])
def test_bad_host_is_refused_alone(olla, mock, data, reason):
    assert_refused(olla.port, mock, data, reason)


def test_refusal_on_openai_routes_uses_the_openai_error_object(olla, mock):
    assert_refused(olla.port, mock, post(OPENAI_CHAT, []), "missing required Host header", flavor="openai")


@pytest.mark.parametrize("data", [
    pytest.param(post(CHAT, [], b"HTTP/1.0"), id="HTTP/1.0 without Host"),
    pytest.param(post(CHAT, [b""], extra=CLOSE), id="empty Host"),
    pytest.param(post(CHAT, [b"[::1]:40114"], extra=CLOSE), id="IPv6 literal with port"),
    pytest.param(post(CHAT, [b"OLLA.example:1"], extra=CLOSE), id="upper case name with port"),
])
def test_acceptable_hosts_are_served(olla, mock, data):
    raw, _ = exchange(olla.port, data)
    responses = split_responses(raw)
    assert [status for status, _, _ in responses] == [200], raw[:600]
    assert json.loads(responses[0][2])["done"] is True
