"""Scenario 1 (+10): routing under /olla/ollama/, byte-exact pass-through, methods preserved."""
import json
import os
import uuid

import pytest

from helpers import RawClient, raw_request, sha256

CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


def marker() -> str:
    return "t-" + uuid.uuid4().hex[:16]


def echo(olla, method, path_and_query, body=None, headers=(), **kw):
    m = marker()
    hdrs = [("X-Mock-Echo", "1"), ("X-Test-Marker", m)] + list(headers)
    if body is not None:
        hdrs.append(("Content-Type", "application/json"))
    r = raw_request(olla.host, olla.port, method, olla.path(path_and_query), hdrs, body, **kw)
    return r, m


# --------------------------------------------------------------------------------------
# Local answers
# --------------------------------------------------------------------------------------

@pytest.mark.daemon_only
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_heartbeat_root_answered_locally(olla, mock, method):
    m = marker()
    r = raw_request(olla.host, olla.port, method, olla.path("/"), [("X-Test-Marker", m)])
    assert r.status == 200, f"{method} /olla/ollama/ -> {r.describe()}"
    ctype = r.header("Content-Type") or ""
    assert ctype.startswith("text/plain"), f"{method} /olla/ollama/ Content-Type {ctype!r}, want text/plain"
    if method == "GET":
        assert r.body == b"Ollama is running", f"body {r.body!r}"
    else:
        assert r.body == b"", "HEAD must not carry a body"
    assert not mock.find_requests(header=("X-Test-Marker", m)), \
        "the heartbeat was forwarded to the backend; it must be answered locally"


@pytest.mark.daemon_only
@pytest.mark.parametrize("path", ["/", "/api/tags", "/v1/models", "/olla", "/ollama/api/tags", "/favicon.ico"])
def test_paths_outside_olla_are_404_json(olla, mock, path):
    m = marker()
    r = raw_request(olla.host, olla.port, "GET", path, [("X-Test-Marker", m)])
    assert r.status == 404, f"GET {path} -> {r.describe()}"
    ctype = r.header("Content-Type") or ""
    assert ctype.startswith("application/json"), f"GET {path}: Content-Type {ctype!r}, want application/json"
    try:
        body = r.json()
    except ValueError:
        pytest.fail(f"GET {path}: body is not JSON: {r.body[:200]!r}")
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], \
        f"GET {path}: want {{\"error\": \"...\"}}, got {body!r}"
    assert not mock.find_requests(header=("X-Test-Marker", m)), f"GET {path} reached the backend"


# --------------------------------------------------------------------------------------
# Prefix stripping, raw query strings
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "?a=%2F&b=1+2",
    "?q=%E2%9C%93&empty=&flag&x=a%26b%3Dc",
    "?model=llama3.2%3Alatest&sp=a%20b&plus=%2B&pct=%25",
])
def test_prefix_stripped_and_raw_query_preserved(olla, mock, query):
    # POST /api/show: always forwarded (a model catalogue may answer GET /api/tags itself)
    r, m = echo(olla, "POST", "/api/show" + query, b'{"model":"llama3.2"}')
    assert r.status == 200, r.describe()
    got = r.json()
    assert got["target"] == "/api/show" + query, \
        f"backend saw request-target {got['target']!r}, want {'/api/show' + query!r} (prefix stripped, query raw)"
    recs = mock.find_requests(header=("X-Test-Marker", m))
    assert len(recs) == 1, f"backend received {len(recs)} copies of the request"


def test_deep_path_forwarded(olla, mock):
    r, m = echo(olla, "GET", "/api/some/deep/path/x.y-z_1?k=v")
    assert r.status == 200, r.describe()
    assert r.json()["target"] == "/api/some/deep/path/x.y-z_1?k=v"


def test_unknown_backend_path_404_passes_through(olla, mock):
    r = raw_request(olla.host, olla.port, "GET", olla.path("/no/such/thing"))
    assert r.status == 404, r.describe()
    assert (r.header("Content-Type") or "").startswith("text/plain"), \
        f"backend's text/plain 404 became {r.header('Content-Type')!r}"
    assert r.body == b"404 page not found", f"body {r.body!r}"


# --------------------------------------------------------------------------------------
# Responses identical to talking to the backend directly
# --------------------------------------------------------------------------------------

def _j(obj) -> bytes:
    return json.dumps(obj).encode()


PASSTHROUGH_CASES = [
    ("GET", "/api/tags", None),
    ("GET", "/api/version", None),
    ("GET", "/api/ps", None),
    ("POST", "/api/show", _j({"model": "llama3.2"})),
    ("POST", "/api/show", _j({"name": "qwen2.5:0.5b"})),
    ("POST", "/api/show", _j({"model": "no-such-model"})),
    ("POST", "/api/chat", _j({**CHAT, "stream": False})),
    ("POST", "/api/generate", _j({"model": "llama3.2", "prompt": "hello", "stream": False})),
    ("POST", "/api/generate", _j({"model": "llama3.2"})),
    ("POST", "/api/chat", _j({"model": "nope:1b", "messages": [{"role": "user", "content": "x"}]})),
    ("POST", "/api/chat", _j({"messages": []})),
    ("POST", "/api/chat", b"{this is not json"),
    ("POST", "/api/embed", _j({"model": "nomic-embed-text", "input": ["a", "b"]})),
    ("POST", "/api/embeddings", _j({"model": "nomic-embed-text", "prompt": "a"})),
    ("DELETE", "/api/delete", _j({"model": "never-existed"})),
    ("GET", "/v1/models", None),
    ("GET", "/v1/models/llama3.2", None),
    ("GET", "/v1/models/nope", None),
    ("POST", "/v1/chat/completions", _j({**CHAT})),
    ("POST", "/v1/completions", _j({"model": "llama3.2", "prompt": "hi"})),
    ("POST", "/v1/embeddings", _j({"model": "nomic-embed-text", "input": "hi", "encoding_format": "float"})),
    ("POST", "/v1/chat/completions", _j({"model": "missing", "messages": [{"role": "user", "content": "x"}]})),
    ("GET", "/does/not/exist", None),
]


@pytest.mark.parametrize("method,path,body", PASSTHROUGH_CASES,
                         ids=[f"{m} {p} #{i}" for i, (m, p, _) in enumerate(PASSTHROUGH_CASES)])
def test_response_identical_to_direct(olla, mock, method, path, body):
    hdrs = [("Content-Type", "application/json")] if body is not None else []
    direct = raw_request("127.0.0.1", mock.port, method, path, hdrs, body)
    mock.reset()  # copy/delete change the mock's state; start from the same state
    via = raw_request(olla.host, olla.port, method, olla.path(path), hdrs, body)
    assert via.status == direct.status, f"{method} {path}: status {via.status}, backend said {direct.status}"
    assert via.header("Content-Type") == direct.header("Content-Type"), \
        f"{method} {path}: Content-Type {via.header('Content-Type')!r}, backend said {direct.header('Content-Type')!r}"
    assert via.body == direct.body, f"{method} {path}: body differs\n via: {via.body[:400]!r}\n direct: {direct.body[:400]!r}"
    # a known upstream Content-Length is kept: not re-chunked
    assert via.framing == "length", \
        f"{method} {path}: backend sent Content-Length {direct.header('Content-Length')}, proxy answered with " \
        f"framing {via.framing!r} (Transfer-Encoding={via.header('Transfer-Encoding')!r})"
    assert via.header("Content-Length") == direct.header("Content-Length")


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/api/copy", _j({"source": "llama3.2", "destination": "llama-copy"})),
    ("DELETE", "/api/delete", _j({"model": "qwen2.5:0.5b"})),
    ("POST", "/api/pull", _j({"model": "tinyllama", "stream": False})),
    ("POST", "/api/create", _j({"model": "mine", "from": "llama3.2", "stream": False})),
])
def test_model_management_identical_to_direct(fresh, method, path, body):
    """Calls that change the backend's model list (run on a private mock + daemon)."""
    mock, olla = fresh
    hdrs = [("Content-Type", "application/json")]
    direct = raw_request("127.0.0.1", mock.port, method, path, hdrs, body)
    mock.reset()
    via = raw_request(olla.host, olla.port, method, olla.path(path), hdrs, body)
    assert (via.status, via.header("Content-Type"), via.body) == \
        (direct.status, direct.header("Content-Type"), direct.body), f"{method} {path}: {via.describe()}\nvs {direct.describe()}"
    assert len(mock.find_requests(path=path)) == 1, f"backend saw {len(mock.find_requests(path=path))} {path} calls"


# --------------------------------------------------------------------------------------
# Scenario 10: methods and bodies preserved
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,body", [
    ("GET", None),
    ("POST", b'{ "model" : "llama3.2",\n  "prompt":"caf\xc3\xa9 \\u00e9",  "options": {"seed":1} }'),
    ("DELETE", b'{"model":"llama3.2"}'),
    ("PUT", b"\x00\x01binary\xff\xfe"),
    ("HEAD", None),
])
def test_method_and_body_preserved(olla, mock, method, body):
    r, m = echo(olla, method, "/api/echo-target?x=1", body)
    assert r.status == 200, r.describe()
    recs = mock.find_requests(header=("X-Test-Marker", m))
    assert len(recs) == 1, f"backend saw {len(recs)} requests"
    rec = recs[0]
    assert rec.method == method, f"backend saw method {rec.method}, client sent {method}"
    if body is None:
        assert rec.body_length == 0, f"backend received a {rec.body_length}-byte body for a bodiless {method}"
    else:
        assert rec.body_length == len(body) and rec.body == body, \
            f"body changed in transit: sent {body!r}, backend got {rec.body!r}"


def test_delete_with_json_body_deletes(fresh):
    mock, olla = fresh
    r = raw_request(olla.host, olla.port, "DELETE", olla.path("/api/delete"),
                    [("Content-Type", "application/json")], b'{"model": "qwen2.5:0.5b"}')
    assert r.status == 200, r.describe()
    recs = mock.find_requests(path="/api/delete")
    assert len(recs) == 1, f"backend saw {len(recs)} DELETE /api/delete requests"
    assert recs[0].method == "DELETE" and recs[0].body == b'{"model": "qwen2.5:0.5b"}'
    tags = raw_request(olla.host, olla.port, "GET", olla.path("/api/tags")).json()
    names = [x["name"] for x in tags["models"]]
    assert "qwen2.5:0.5b" not in names, f"GET /api/tags through Olla still lists the model right after a " \
                                        f"successful DELETE /api/delete through Olla: {names}"


def test_head_blob(olla, mock):
    data = os.urandom(4096)
    digest = sha256(data)
    path = f"/api/blobs/sha256:{digest}"
    r = raw_request(olla.host, olla.port, "HEAD", olla.path(path))
    assert r.status == 404, f"HEAD unknown blob -> {r.describe()}"
    r = raw_request(olla.host, olla.port, "POST", olla.path(path), [], data)
    assert r.status == 201, f"POST blob -> {r.describe()}"
    r = raw_request(olla.host, olla.port, "HEAD", olla.path(path))
    assert r.status == 200, f"HEAD existing blob -> {r.describe()}"
    heads = [x for x in mock.find_requests(path=path) if x.method == "HEAD"]
    assert len(heads) == 2, f"backend saw {len(heads)} HEAD requests for the blob, want 2"


def test_keepalive_connection_reused_for_several_requests(olla, mock):
    """Several proxied requests on one HTTP/1.1 client connection all get answered."""
    with RawClient(olla.host, olla.port) as c:
        for i in range(3):
            c.send_request("POST", olla.path("/api/show"), [("Content-Type", "application/json")],
                           b'{"model":"llama3.2"}')
            r = c.read_response()
            assert r.status == 200 and r.json()["details"]["family"] == "llama", f"request {i}: {r.describe()}"
            assert "close" not in (r.header("Connection") or "").lower(), \
                f"request {i}: keep-alive refused (Connection: {r.header('Connection')})"
        c.send_request("POST", olla.path("/api/chat"), [("Content-Type", "application/json")],
                       json.dumps({**CHAT, "stream": True}).encode())
        r = c.read_response()
        assert r.status == 200 and r.complete, r.describe()
        c.send_request("POST", olla.path("/api/show"), [("Content-Type", "application/json")],
                       b'{"model":"llama3.2"}')
        r = c.read_response()
        assert r.status == 200, f"request after a stream on the same connection: {r.describe()}"
