"""Scenario 32: server.request_limits (docs/configuration.md "server.request_limits").

max_body_size 1024 and max_header_size 2048: larger requests get 413 / 431 with a JSON
`{"error": ...}` body (application/json), nothing reaches the backend, requests at the limit
pass, and olla_rejections_total counts each refusal under its reason.
"""
from __future__ import annotations

import json

import pytest

from helpers import PromText, RawClient, jreq, raw_request

pytestmark = pytest.mark.daemon_only

MAX_BODY = 1024
MAX_HEADER = 2048


@pytest.fixture(scope="module")
def lim(mock, tmp_root):
    from conftest import DaemonFactory
    f = DaemonFactory(tmp_root, mock)
    try:
        d = f.start(overrides={"server": {"request_limits": {"max_body_size": MAX_BODY,
                                                             "max_header_size": MAX_HEADER}}})
        yield d
    finally:
        f.cleanup()


def rejections(d) -> dict:
    r = raw_request("127.0.0.1", d.port, "GET", "/internal/metrics", timeout=5)
    assert r.status == 200, r.describe()
    p = PromText(r.body.decode())
    return {lb["reason"]: v for lb, v in p.find("olla_rejections_total")}


def chat_body(size: int) -> bytes:
    """A valid /api/chat JSON body of exactly ``size`` bytes."""
    base = {"model": "llama3.2", "stream": False, "messages": [{"role": "user", "content": ""}]}
    empty = len(json.dumps(base).encode())
    base["messages"][0]["content"] = "x" * (size - empty)
    out = json.dumps(base).encode()
    assert len(out) == size
    return out


def assert_json_error(r, status: int, what: str):
    assert r.status == status, f"{what}: expected {status}, got {r.describe()}"
    ct = r.header("Content-Type") or ""
    assert ct.startswith("application/json"), f"{what}: {status} with Content-Type {ct!r} (want application/json); " \
                                               f"body {r.body[:200]!r}"
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(f"{what}: {status} body is not JSON: {r.body[:200]!r}")
    assert isinstance(body, dict) and body.get("error"), f"{what}: body should be {{\"error\": ...}}, got {body}"


def test_body_over_limit_content_length(lim, mock):
    before = rejections(lim)
    r = jreq(lim.target, "POST", "/api/chat", raw=chat_body(MAX_BODY + 1),
             headers=[("Content-Type", "application/json"), ("X-Request-ID", "too-big-cl")])
    assert_json_error(r, 413, f"POST /api/chat with a {MAX_BODY + 1}-byte body (max_body_size {MAX_BODY})")
    assert not mock.find_requests(header=("X-Olla-Request-ID", "too-big-cl")), "the oversized body was forwarded"
    after = rejections(lim)
    assert after.get("body_too_large", 0) - before.get("body_too_large", 0) == 1, (before, after)


def test_body_over_limit_openai_route(lim, mock):
    r = jreq(lim.target, "POST", "/v1/chat/completions", raw=chat_body(4 * MAX_BODY),
             headers=[("Content-Type", "application/json"), ("X-Request-ID", "too-big-oa")])
    assert_json_error(r, 413, "POST /v1/chat/completions over max_body_size")
    assert not mock.find_requests(header=("X-Olla-Request-ID", "too-big-oa"))


def test_body_over_limit_chunked(lim, mock):
    """No Content-Length: the limit must hold for a chunked upload too."""
    with RawClient("127.0.0.1", lim.port, timeout=5) as c:
        c.send_request("POST", lim.target.path("/api/chat"),
                       [("Content-Type", "application/json"), ("X-Request-ID", "too-big-chunked")],
                       chat_body(3 * MAX_BODY), chunked=True, chunk_size=512)
        r = c.read_response(5)
    assert_json_error(r, 413, f"chunked POST /api/chat of {3 * MAX_BODY} bytes (max_body_size {MAX_BODY})")
    fwd = mock.find_requests(header=("X-Olla-Request-ID", "too-big-chunked"))
    assert not fwd or all(x.status is None or x.body_length <= MAX_BODY for x in fwd), \
        f"more than max_body_size reached the backend: {[x.body_length for x in fwd]}"


def test_body_at_limit_passes(lim, mock):
    r = jreq(lim.target, "POST", "/api/chat", raw=chat_body(MAX_BODY),
             headers=[("Content-Type", "application/json")])
    assert r.status == 200, f"a body of exactly max_body_size must pass: {r.describe()}"
    assert mock.find_requests(path="/api/chat")[-1].body_length == MAX_BODY


def test_header_over_limit(lim, mock):
    before = rejections(lim)
    r = jreq(lim.target, "GET", "/api/tags", headers=[("X-Request-ID", "too-big-head"),
                                                       ("X-Filler", "f" * (MAX_HEADER + 100))])
    assert_json_error(r, 431, f"GET /api/tags with {MAX_HEADER + 100}+ bytes of headers (max_header_size {MAX_HEADER})")
    after = rejections(lim)
    assert after.get("header_too_large", 0) - before.get("header_too_large", 0) == 1, (before, after)


def test_header_over_limit_forwarded_route(lim, mock):
    r = jreq(lim.target, "POST", "/api/chat", {"model": "llama3.2", "stream": False,
                                                "messages": [{"role": "user", "content": "hi"}]},
             headers=[("X-Request-ID", "too-big-head-2")] + [(f"X-Filler-{i}", "v" * 100) for i in range(25)])
    assert_json_error(r, 431, "POST /api/chat with 25 x 100-byte headers (max_header_size 2048)")
    assert not mock.find_requests(header=("X-Olla-Request-ID", "too-big-head-2")), "forwarded despite 431"


@pytest.mark.parametrize("filler", [4 * MAX_HEADER, MAX_HEADER + 8192 - 240, 8 * MAX_HEADER, MAX_HEADER + 16384 - 600])
def test_header_far_over_limit(lim, mock, filler):
    """Headers several times the limit, up to the per-connection buffer (max_header_size +
    16 KiB), still get Olla's JSON 431, never a reset or an HTML page."""
    what = f"GET /api/tags with a {filler}-byte header (max_header_size {MAX_HEADER})"
    before = rejections(lim)
    try:
        r = jreq(lim.target, "GET", "/api/tags", headers=[("X-Filler", "f" * filler)])
    except AssertionError as e:
        raise AssertionError(f"{what}: no response at all ({e})")
    assert_json_error(r, 431, what)
    after = rejections(lim)
    assert after.get("header_too_large", 0) - before.get("header_too_large", 0) == 1, (before, after)


def test_header_beyond_the_connection_buffer_is_still_431(lim, mock):
    """Past the per-connection buffer libmicrohttpd itself refuses the head: still a 431
    (its own body), never a hang and never forwarded."""
    r = jreq(lim.target, "GET", "/api/tags", headers=[("X-Request-ID", "huge-head"), ("X-Filler", "f" * 65536)])
    assert r.status == 431, r.describe()
    assert not mock.find_requests(header=("X-Olla-Request-ID", "huge-head")), "forwarded despite 431"


def test_query_of_many_arguments_is_forwarded_whole(lim, mock):
    """A query of hundreds of short arguments under max_header_size is an ordinary request
    (Ollama's Go server parses a query only when asked): answered, and forwarded with its
    query byte for byte. libmicrohttpd once split it into arguments in the connection's
    buffer and, when that ran out, never answered at all."""
    query = "&".join(f"a{i}=1" for i in range(250))  # 1.6 KB, under the 2 KiB limit with the rest of the head
    for target in (f"/api/chat?{query}", f"/api/chat?{'x=' + 'y' * 1600}"):
        rid = f"many-args-{len(target)}"
        try:
            r = jreq(lim.target, "POST", target, {"model": "llama3.2", "stream": False,
                                                   "messages": [{"role": "user", "content": "hi"}]},
                     headers=[("X-Request-ID", rid)], timeout=10)
        except AssertionError as e:
            raise AssertionError(f"POST {target[:40]}... ({len(target)} bytes): no response at all ({e})")
        assert r.status == 200, r.describe()
        got = mock.find_requests(header=("X-Olla-Request-ID", rid))
        assert len(got) == 1 and got[0].target == target, (
            f"the backend must get the target as sent: {[g.target[:60] for g in got]}")


def test_query_over_limit_is_431(lim, mock):
    """A request line past max_header_size is refused like a head past it."""
    query = "&".join(f"a{i}=1" for i in range(600))  # 3.9 KB
    r = jreq(lim.target, "GET", f"/api/tags?{query}", headers=[("X-Request-ID", "long-query")], timeout=10)
    assert_json_error(r, 431, f"GET /api/tags with a {len(query)}-byte query (max_header_size {MAX_HEADER})")


def test_header_under_limit_passes(lim, mock):
    r = jreq(lim.target, "GET", "/api/version", headers=[("X-Filler", "f" * (MAX_HEADER - 400))])
    assert r.status == 200, f"headers well under max_header_size must pass: {r.describe()}"
