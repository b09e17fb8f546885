"""Scenario 59: the request head libcurl writes to the backend: request line, Host and
Content-Length, byte for byte, for bodies whose length crosses every digit boundary.

libcurl-olla's patch 0006 (scripts/libcurl/) writes the request line, the `Host` line and
`Content-Length` without libcurl's printf engine. Here the backend sees, for each request, the
method and the raw request-target (query included) in an HTTP/1.1 request line, one `Host` with
its own host and port, and — for a body — one `Content-Length` equal to the body's length, with
the body whole; a request without a body carries no `Content-Length`."""
import hashlib
import uuid

import pytest

from helpers import RawClient

pytestmark = pytest.mark.daemon_only

MODEL_BODY = b'{"model":"llama3.2"}'
LENGTHS = [1, 9, 10, 99, 100, 999, 1000, 65535, 65536, 99999, 100000, 1048576, 1234567]


def _echo(c, olla, method, target, body):
    marker = uuid.uuid4().hex
    headers = [("X-Mock-Echo", "1"), ("X-Test-Marker", marker)]
    if body is not None:
        headers.append(("Content-Type", "application/json"))
    c.send_request(method, olla.path(target), headers, body)
    r = c.read_response(30)
    assert r.status == 200, f"{method} {target}: {r.describe()}"
    return r.json()


def _values(echo, name):
    return [v for k, v in echo["headers"] if k.lower() == name.lower()]


def test_request_line_host_and_content_length(olla, mock):
    with RawClient(olla.host, olla.port, timeout=30) as c:
        for n in LENGTHS:
            # JSON with trailing whitespace where it fits; any bytes below that
            body = MODEL_BODY.ljust(n) if n >= len(MODEL_BODY) else b"x" * n
            target = f"/api/show?n={n}&q=%2F+x"
            echo = _echo(c, olla, "POST", target, body)
            assert echo["method"] == "POST" and echo["target"] == target and echo["version"] == "HTTP/1.1", \
                f"request line: {echo['method']} {echo['target']} {echo['version']}"
            assert _values(echo, "Host") == [f"127.0.0.1:{mock.port}"], f"Host {_values(echo, 'Host')}"
            assert _values(echo, "Content-Length") == [str(n)], \
                f"body of {n} bytes: Content-Length {_values(echo, 'Content-Length')}"
            assert echo["body_length"] == n and echo["body_sha256"] == hashlib.sha256(body).hexdigest(), \
                f"body of {n} bytes arrived as {echo['body_length']} bytes"
        echo = _echo(c, olla, "GET", "/api/some/deep/path?x=1", None)
        assert echo["method"] == "GET" and echo["target"] == "/api/some/deep/path?x=1", echo
        assert _values(echo, "Host") == [f"127.0.0.1:{mock.port}"], f"Host {_values(echo, 'Host')}"
        assert _values(echo, "Content-Length") == [], f"a GET without a body: {_values(echo, 'Content-Length')}"
