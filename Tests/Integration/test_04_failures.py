"""Scenario 5: dead endpoints, failover, backend dying or stalling mid-stream, slow heads."""
import json
import time
import uuid

import pytest

from conftest import endpoint
from helpers import RawClient, raw_request

CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}
CHAT_BODY = json.dumps(CHAT).encode()
JSON = [("Content-Type", "application/json")]


def marker() -> str:
    return "t-" + uuid.uuid4().hex[:16]


def post_stream(target, path, body: bytes, headers, timeout=10.0):
    with RawClient(target.host, target.port, timeout=timeout) as c:
        t0 = time.monotonic()
        c.send_request("POST", target.path(path), JSON + list(headers), body)
        resp = c.read_head(timeout)
        c.read_body(resp, timeout)
        resp.t0 = t0
        resp.t_end = time.monotonic()
    return resp


# --------------------------------------------------------------------------------------
# Failover and dead endpoints
# --------------------------------------------------------------------------------------

@pytest.mark.daemon_only
def test_failover_from_refusing_endpoint(olla_factory, mock, dead_port):
    d = olla_factory.start(endpoints=[endpoint("dead-a", dead_port.url, priority=100),
                                      endpoint("mock-b", mock.url, priority=50)])
    t = d.target
    show = b'{"model":"llama3.2"}'
    direct = raw_request("127.0.0.1", mock.port, "POST", "/api/show", JSON, show).body
    for i in range(4):
        r = raw_request(t.host, t.port, "POST", t.path("/api/show"), JSON, show, timeout=10)
        assert r.status == 200, f"request {i} with a dead first endpoint: {r.describe()}"
        assert r.body == direct
        assert r.header("X-Olla-Endpoint") == "mock-b", f"X-Olla-Endpoint {r.header('X-Olla-Endpoint')!r}"
    s = post_stream(t, "/api/chat", CHAT_BODY, [("X-Mock-Chunks", "5")])
    assert s.status == 200 and s.complete, s.describe()
    lines = [json.loads(x) for _, x in s.lines()]
    assert len(lines) == 6 and lines[-1]["done"] is True


@pytest.mark.daemon_only
def test_only_dead_endpoint_gives_503_naming_it(olla_factory, dead_port):
    """The start-up probe found the only endpoint refusing connections: requests are answered
    at once with 503 + Retry-After naming it and why (issue #10 item 6), not tried again."""
    d = olla_factory.start(endpoints=[endpoint("dead-a", dead_port.url)])
    t = d.target
    for method, path, body in [("POST", "/api/show", b'{"model":"llama3.2"}'), ("POST", "/api/chat", CHAT_BODY)]:
        t0 = time.monotonic()
        r = raw_request(t.host, t.port, method, t.path(path), JSON if body else [], body, timeout=15)
        took = time.monotonic() - t0
        assert r.status == 503, f"{method} {path} with only a dead endpoint: {r.describe()}"
        assert (r.header("Retry-After") or "").isdigit(), r.describe()
        assert (r.header("Content-Type") or "").startswith("application/json"), r.header("Content-Type")
        err = r.json()
        assert isinstance(err.get("error"), str) and err["error"], f"want {{\"error\": \"...\"}}, got {err!r}"
        assert "dead-a (offline: " in err["error"], err
        assert took < 5, f"a refused connection took {took:.1f}s to report"
    for method, path, body in [("POST", "/v1/chat/completions", CHAT_BODY),
                               ("POST", "/v1/embeddings", b'{"model":"nomic-embed-text","input":"x"}')]:
        r = raw_request(t.host, t.port, method, t.path(path), JSON if body else [], body, timeout=15)
        assert r.status == 503, f"{method} {path}: {r.describe()}"
        assert (r.header("Content-Type") or "").startswith("application/json"), r.header("Content-Type")
        err = r.json().get("error")
        assert isinstance(err, dict), f"/v1 errors must be OpenAI error objects, got {r.json()!r}"
        assert isinstance(err.get("message"), str) and "dead-a (offline: " in err["message"], err
        assert isinstance(err.get("type"), str) and err["type"], err
        assert "param" in err and err["param"] is None, err
        assert "code" in err, f"OpenAI error object lacks 'code': {err}"


# --------------------------------------------------------------------------------------
# Backend dies or stalls mid-stream
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["fin", "rst"])
def test_backend_dies_mid_ndjson_stream(olla, mock, mode):
    hdrs = [("X-Mock-Chunks", "10"), ("X-Mock-Chunk-Delay-Ms", "20"), ("X-Mock-Die-After", "3"),
            ("X-Mock-Die-Mode", mode)]
    ref = post_stream(type(olla)("127.0.0.1", mock.port, "", True), "/api/chat", CHAT_BODY, [("X-Mock-Chunks", "10")])
    resp = post_stream(olla, "/api/chat", CHAT_BODY, hdrs)
    if olla.direct:
        assert not resp.complete and len(resp.lines()) == 3  # the raw backend just drops the connection
        return
    assert resp.status == 200, resp.describe()
    assert resp.complete, f"the client's chunked response was not terminated properly: {resp.error}; " \
                          f"body={resp.body!r}"
    lines = [ln for _, ln in resp.lines()]
    want = [ln for _, ln in ref.lines()][:3]
    assert lines[:3] == want, f"the chunks before the failure differ:\n{lines[:3]}\n{want}"
    assert len(lines) == 4, f"want 3 chunks + one error line, got {len(lines)} lines: {lines}"
    try:
        err = json.loads(lines[3])
    except ValueError:
        pytest.fail(f"last line is not JSON: {lines[3]!r}")
    assert isinstance(err.get("error"), str) and err["error"], f"last line {err!r}, want {{\"error\": \"...\"}}"
    assert resp.t_end - resp.t0 < 3, f"took {resp.t_end - resp.t0:.1f}s"


def test_backend_dies_mid_sse_stream(olla, mock):
    hdrs = [("X-Mock-Chunks", "10"), ("X-Mock-Chunk-Delay-Ms", "20"), ("X-Mock-Die-After", "3")]
    resp = post_stream(olla, "/v1/chat/completions", json.dumps({**CHAT, "stream": True}).encode(), hdrs)
    if olla.direct:
        assert not resp.complete and len(resp.sse_events()) == 3
        return
    assert resp.status == 200, resp.describe()
    assert resp.complete, f"SSE response not terminated properly: {resp.error}; body={resp.body!r}"
    events = [d for _, d in resp.sse_events()]
    assert len(events) >= 4, f"events: {events}"
    for d in events[:3]:
        assert json.loads(d)["object"] == "chat.completion.chunk"
    rest = events[3:]
    if rest[-1] == "[DONE]":
        rest = rest[:-1]
    assert len(rest) == 1, f"want exactly one error event after the 3 chunks, got {rest}"
    err = json.loads(rest[0]).get("error")
    assert isinstance(err, dict) and err.get("message"), f"want data: {{\"error\": {{...}}}}, got {rest[0]!r}"
    assert resp.t_end - resp.t0 < 3


@pytest.mark.daemon_only
def test_backend_stalls_longer_than_read_timeout(olla_factory, mock):
    d = olla_factory.start(overrides={"proxy": {"read_timeout": "1s"}})
    m = marker()
    hdrs = [("X-Mock-Chunks", "10"), ("X-Mock-Chunk-Delay-Ms", "20"), ("X-Mock-Stall-After", "3"),
            ("X-Test-Marker", m)]
    resp = post_stream(d.target, "/api/chat", CHAT_BODY, hdrs, timeout=8)
    assert resp.status == 200, resp.describe()
    assert resp.complete, f"response not terminated after the stall: {resp.error}; body={resp.body!r}"
    lines = resp.lines()
    assert len(lines) == 4, f"want 3 chunks + error line, got {[ln for _, ln in lines]}"
    err = json.loads(lines[3][1])
    assert isinstance(err.get("error"), str) and err["error"], err
    stall = lines[3][0] - lines[2][0]
    assert 0.8 <= stall <= 2.5, f"read_timeout is 1s, but the error line came {stall:.2f}s after the last chunk"
    rec = mock.find_requests(header=("X-Test-Marker", m))[0]
    c = mock.wait_for(lambda: mock.conn(rec.conn_id).closed_at, timeout=2)
    assert c, "Olla never closed the stalled backend connection"


@pytest.mark.daemon_only
def test_slow_head_within_response_timeout_succeeds(olla_factory, mock):
    d = olla_factory.start(overrides={"proxy": {"read_timeout": "10s", "response_timeout": "10m"}})
    t0 = time.monotonic()
    r = raw_request(d.target.host, d.target.port, "POST", d.target.path("/api/show"),
                    JSON + [("X-Mock-Head-Delay-Ms", "3000")], b'{"model":"llama3.2"}', timeout=10)
    took = time.monotonic() - t0
    assert r.status == 200, f"backend answered after 3s (response_timeout 10m): {r.describe()}"
    assert r.json()["details"], r.body
    assert 2.9 <= took < 6, f"took {took:.2f}s"


@pytest.mark.daemon_only
@pytest.mark.parametrize("method,path,body", [("GET", "/api/some-get-endpoint", None), ("POST", "/api/chat", CHAT_BODY)],
                         ids=["GET", "POST"])
def test_head_slower_than_response_timeout_is_504(olla_factory, mock, method, path, body):
    d = olla_factory.start(overrides={"proxy": {"read_timeout": "10s", "response_timeout": "1s"}})
    t0 = time.monotonic()
    r = raw_request(d.target.host, d.target.port, method, d.target.path(path),
                    (JSON if body else []) + [("X-Mock-Head-Delay-Ms", "6000")], body, timeout=10)
    took = time.monotonic() - t0
    assert r.status == 504, f"{method} {path}: backend head after 6s with response_timeout 1s: {r.describe()}"
    assert (r.header("Content-Type") or "").startswith("application/json"), r.header("Content-Type")
    assert isinstance(r.json().get("error"), str), r.body
    assert 0.8 <= took < 3, f"504 came after {took:.2f}s; response_timeout is 1s"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_backend_error_status_passes_through(olla, mock, status):
    hdrs = JSON + [("X-Mock-Status", str(status))]
    direct = raw_request("127.0.0.1", mock.port, "POST", "/api/chat", hdrs, CHAT_BODY)
    r = raw_request(olla.host, olla.port, "POST", olla.path("/api/chat"), hdrs, CHAT_BODY)
    assert r.status == status, f"backend said {status}, client got {r.describe()}"
    assert r.body == direct.body and r.header("Content-Type") == direct.header("Content-Type")


def test_connection_close_after_response_is_not_an_error(olla, mock):
    """The backend closes its connection after each answer (Connection: close): the next
    request must still work (stale pooled connections are not reused / are retried)."""
    for i in range(3):
        r = raw_request(olla.host, olla.port, "GET", olla.path("/api/version"),
                        [("X-Mock-Resp-Headers", json.dumps({"Connection": "close"}))])
        assert r.status == 200, f"request {i}: {r.describe()}"


@pytest.mark.daemon_only
def test_backend_death_is_clean_for_http_clients(olla, mock):
    """httpx (what the ollama SDK uses) reads the whole broken stream without raising."""
    import httpx
    hdrs = {"X-Mock-Chunks": "10", "X-Mock-Die-After": "3", "Content-Type": "application/json"}
    with httpx.Client(timeout=5) as c:
        with c.stream("POST", olla.url("/api/chat"), content=CHAT_BODY, headers=hdrs) as r:
            lines = list(r.iter_lines())  # raises httpx.RemoteProtocolError on a broken chunked body
    assert r.status_code == 200
    assert len(lines) == 4 and "error" in json.loads(lines[-1]), lines
