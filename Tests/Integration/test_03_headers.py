"""Scenario 3 and 4: headers the proxy sends to the backend and back to the client."""
import json
import re
import uuid

import pytest

from helpers import parse_go_duration, raw_request

pytestmark = pytest.mark.daemon_only


ECHO_BODY = b'{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"stream":false}'


def echo(olla, headers=(), method="POST", path="/api/chat", body=ECHO_BODY, host="auto"):
    """Send through Olla with echo mode; returns (client response, backend request record)."""
    m = "t-" + uuid.uuid4().hex[:16]
    hdrs = [("X-Mock-Echo", "1"), ("X-Test-Marker", m)] + list(headers)
    if body is not None and not any(k.lower() == "content-type" for k, _ in hdrs):
        hdrs.append(("Content-Type", "application/json"))
    r = raw_request(olla.host, olla.port, method, olla.path(path), hdrs, body, host=host)
    assert r.status == 200, r.describe()
    return r, _record(olla, m)


def _record(olla, m):
    mock = olla._mock
    recs = mock.find_requests(header=("X-Test-Marker", m))
    assert len(recs) == 1, f"backend saw {len(recs)} requests with our marker"
    return recs[0]


@pytest.fixture(autouse=True)
def _attach_mock(olla, mock):
    olla._mock = mock


# --------------------------------------------------------------------------------------
# Request ID
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("rid", ["abc-123", "req_ABC.123", "a" * 128, "0f8fad5b-d9cb-469f-a165-70867728950e",
                                 # every RFC 9110 tchar: "printable token chars"
                                 "tok~!#$%&'*^`|"])
def test_sane_inbound_request_id_is_used(olla, rid):
    r, rec = echo(olla, [("X-Request-ID", rid)])
    assert rec.header("X-Olla-Request-ID") == rid, \
        f"inbound X-Request-ID {rid!r} -> backend X-Olla-Request-ID {rec.header('X-Olla-Request-ID')!r}"
    assert r.header("X-Olla-Request-ID") == rid, \
        f"client got X-Olla-Request-ID {r.header('X-Olla-Request-ID')!r}, want {rid!r}"


@pytest.mark.parametrize("rid", ["has space", "b" * 129, "<script>alert(1)</script>", "a\"quoted\""])
def test_insane_inbound_request_id_is_replaced(olla, rid):
    r, rec = echo(olla, [("X-Request-ID", rid)])
    got = rec.header("X-Olla-Request-ID")
    assert got, "backend got no X-Olla-Request-ID"
    assert got != rid, f"unsafe X-Request-ID {rid!r} was passed through as X-Olla-Request-ID"
    assert len(got) <= 128 and re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", got), \
        f"generated request id {got!r} is not a sane token"
    assert r.header("X-Olla-Request-ID") == got, "client and backend saw different request ids"


def test_generated_request_ids_are_unique_and_consistent(olla):
    ids = set()
    for _ in range(5):
        r, rec = echo(olla)
        rid = rec.header("X-Olla-Request-ID")
        assert rid and r.header("X-Olla-Request-ID") == rid, \
            f"backend id {rid!r} vs client id {r.header('X-Olla-Request-ID')!r}"
        ids.add(rid)
    assert len(ids) == 5, f"request ids repeat: {ids}"


# --------------------------------------------------------------------------------------
# Forwarding headers
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("inbound,want", [
    (None, "127.0.0.1"),
    ("10.1.2.3", "10.1.2.3, 127.0.0.1"),
    ("10.1.2.3, 10.4.5.6", "10.1.2.3, 10.4.5.6, 127.0.0.1"),
])
def test_x_forwarded_for(olla, inbound, want):
    hdrs = [("X-Forwarded-For", inbound)] if inbound else []
    _, rec = echo(olla, hdrs)
    xff = rec.header_all("X-Forwarded-For")
    assert len(xff) == 1, f"backend got {len(xff)} X-Forwarded-For headers: {xff}"
    assert re.sub(r"\s*,\s*", ", ", xff[0]) == want, f"X-Forwarded-For {xff[0]!r}, want {want!r}"


def test_forwarded_host_proto_via_and_backend_host(olla, mock):
    _, rec = echo(olla, host="client.example:8080")
    assert rec.header("X-Forwarded-Host") == "client.example:8080", \
        f"X-Forwarded-Host {rec.header('X-Forwarded-Host')!r}, want the client's Host"
    assert rec.header("X-Forwarded-Proto") == "http", f"X-Forwarded-Proto {rec.header('X-Forwarded-Proto')!r}"
    via = rec.header("Via") or ""
    assert "olla" in via.lower(), f"Via {via!r} does not mention olla"
    hosts = rec.header_all("Host")
    assert hosts == [f"127.0.0.1:{mock.port}"], f"backend Host {hosts!r}, want the backend's host:port"


def test_hop_by_hop_and_origin_not_forwarded(olla):
    hdrs = [
        ("Connection", "keep-alive, X-Secret-Hop"),
        ("X-Secret-Hop", "must-not-pass"),
        ("Keep-Alive", "timeout=77, max=9"),
        ("TE", "trailers"),
        ("Trailer", "X-Trail"),
        ("Upgrade", "foo/1"),
        ("Proxy-Authorization", "Basic cHJveHk6c2VjcmV0"),
        ("Origin", "http://localhost:5173"),  # allowed by default (Ollama's CORS defaults)
    ]
    _, rec = echo(olla, hdrs)
    names = {k.lower() for k, _ in rec.headers}
    leaked = [h for h in ("x-secret-hop", "te", "trailer", "upgrade", "proxy-authorization", "origin")
              if h in names]
    assert not leaked, f"hop-by-hop/Origin headers reached the backend: {leaked}\nall: {rec.headers}"
    assert rec.header("Keep-Alive") != "timeout=77, max=9", "client's Keep-Alive header was forwarded"
    conn = (rec.header("Connection") or "").lower()
    assert "x-secret-hop" not in conn, f"client's Connection header was forwarded: {conn!r}"


def test_end_to_end_headers_forwarded(olla):
    hdrs = [
        ("Authorization", "Bearer sk-test-123"),
        ("User-Agent", "custom-agent/1.0 (olla-it)"),
        ("Content-Type", "application/json"),
        ("X-Foo", "bar baz"),
        ("Accept", "application/x-ndjson"),
    ]
    _, rec = echo(olla, hdrs, method="POST", path="/api/show", body=b'{"model":"llama3.2"}')
    for k, v in hdrs:
        assert rec.header_all(k) == [v], f"backend {k}: {rec.header_all(k)!r}, client sent {v!r}"


# --------------------------------------------------------------------------------------
# Headers to the client
# --------------------------------------------------------------------------------------

def test_response_headers_filtered_and_olla_headers_added(olla):
    evil = {"X-Custom-Backend": "kept", "X-Olla-Endpoint": "evil", "X-Olla-Injected": "1",
            "X-Olla-Request-ID": "backend-made-this-up", "Keep-Alive": "timeout=99",
            "Connection": "X-Hop-Resp", "X-Hop-Resp": "secret"}
    r = raw_request(olla.host, olla.port, "POST", olla.path("/api/show"),
                    [("X-Mock-Resp-Headers", json.dumps(evil)), ("X-Request-ID", "resp-hdr-1"),
                     ("Content-Type", "application/json")], b'{"model":"llama3.2"}')
    assert r.status == 200, r.describe()
    assert r.header_all("X-Custom-Backend") == ["kept"], "a normal backend header was dropped"
    assert r.header_all("X-Olla-Endpoint") == ["mock-a"], f"X-Olla-Endpoint {r.header_all('X-Olla-Endpoint')}"
    assert r.header_all("X-Olla-Request-ID") == ["resp-hdr-1"], \
        f"X-Olla-Request-ID {r.header_all('X-Olla-Request-ID')} (backend's own value must be dropped)"
    assert r.header("X-Olla-Injected") is None, "backend-sent X-Olla-* header reached the client"
    assert r.header("X-Hop-Resp") is None, "header named in the backend's Connection header reached the client"
    assert r.header("Keep-Alive") != "timeout=99", "backend's Keep-Alive reached the client"
    assert "x-hop-resp" not in (r.header("Connection") or "").lower()
    assert r.header("X-Olla-Backend-Type") == "ollama", f"X-Olla-Backend-Type {r.header('X-Olla-Backend-Type')!r}"
    assert r.header("Content-Type") == "application/json; charset=utf-8"


@pytest.mark.parametrize("method,path,body,want", [
    ("POST", "/api/chat", {"model": "llama3.2", "messages": [{"role": "user", "content": "x"}], "stream": False},
     "llama3.2"),
    ("POST", "/api/generate", {"model": "qwen2.5:0.5b", "prompt": "x", "stream": False}, "qwen2.5:0.5b"),
    ("POST", "/api/show", {"name": "qwen2.5:0.5b"}, "qwen2.5:0.5b"),
    ("POST", "/api/show", {"model": "llama3.2:latest"}, "llama3.2:latest"),
    ("POST", "/api/pull", {"name": "llama3.2", "stream": False}, "llama3.2"),
    ("POST", "/api/push", {"name": "llama3.2", "stream": False}, "llama3.2"),
    ("DELETE", "/api/delete", {"name": "no-such-model-to-delete"}, "no-such-model-to-delete"),
    ("POST", "/v1/chat/completions", {"model": "llama3.2", "messages": [{"role": "user", "content": "x"}]},
     "llama3.2"),
    ("POST", "/api/embed", {"model": "nomic-embed-text", "input": "x"}, "nomic-embed-text"),
])
def test_x_olla_model(olla, method, path, body, want):
    r = raw_request(olla.host, olla.port, method, olla.path(path), [("Content-Type", "application/json")],
                    json.dumps(body).encode())
    assert r.status in (200, 201, 404), r.describe()
    assert r.header("X-Olla-Model") == want, f"{method} {path}: X-Olla-Model {r.header('X-Olla-Model')!r}, want {want!r}"
    if r.header("X-Olla-Routing-Decision") == "rejected":
        # Olla answered itself (no instance has the model): no endpoint took part.
        assert r.header("X-Olla-Endpoint") is None
    else:
        assert r.header("X-Olla-Endpoint") == "mock-a"


def test_no_model_header_without_model(olla):
    r = raw_request(olla.host, olla.port, "GET", olla.path("/api/tags"))
    assert r.status == 200
    assert not r.header("X-Olla-Model"), f"GET /api/tags has no model but X-Olla-Model={r.header('X-Olla-Model')!r}"


def test_x_olla_response_time_measures_time_to_backend_headers(olla):
    show = [("Content-Type", "application/json")]
    r = raw_request(olla.host, olla.port, "POST", olla.path("/api/show"), show + [("X-Mock-Head-Delay-Ms", "300")],
                    b'{"model":"llama3.2"}')
    assert r.status == 200, r.describe()
    v = r.header("X-Olla-Response-Time")
    assert v, "no X-Olla-Response-Time header"
    try:
        secs = parse_go_duration(v)
    except ValueError:
        pytest.fail(f"X-Olla-Response-Time {v!r} is not a duration like '12ms'")
    assert 0.28 <= secs < 5, f"backend answered after 300 ms but X-Olla-Response-Time={v!r}"
    fast = raw_request(olla.host, olla.port, "POST", olla.path("/api/show"), show,
                       b'{"model":"llama3.2"}').header("X-Olla-Response-Time")
    assert fast and parse_go_duration(fast) < 0.25, f"a fast response reports X-Olla-Response-Time={fast!r}"


def test_olla_headers_on_streams_too(olla):
    body = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "x"}]}).encode()
    r = raw_request(olla.host, olla.port, "POST", olla.path("/api/chat"),
                    [("Content-Type", "application/json"), ("X-Request-ID", "stream-hdrs-1")], body)
    assert r.status == 200 and r.complete, r.describe()
    assert r.header("X-Olla-Request-ID") == "stream-hdrs-1"
    assert r.header("X-Olla-Endpoint") == "mock-a"
    assert r.header("X-Olla-Model") == "llama3.2"
    assert r.header("X-Olla-Backend-Type") == "ollama"
    assert r.header("X-Olla-Response-Time")
