"""Scenario 35: server.cors (docs/operations.md "CORS", docs/configuration.md "server.cors").

CORS the way Ollama does it (server/routes.go, envconfig.AllowedOrigins): by default
localhost, 127.0.0.1 and 0.0.0.0 on any port and the app schemes are allowed; configured
origins (with one-* patterns such as "http://localhost:*") and OLLAMA_ORIGINS add to them.
Preflights from allowed origins get 204 with the Access-Control-* headers on every route;
other origins get 403 on any request, and a refused preflight says whether the origin, the
method or a header was refused. Actual responses to allowed origins carry
Access-Control-Allow-Origin, Vary: Origin and Access-Control-Expose-Headers (X-Olla-*, rate
limit headers); the client's Origin never reaches the backend.
"""
from __future__ import annotations

import pytest

from conftest import PATIENT_HEALTH, DaemonFactory, endpoint_ex
from helpers import jreq, raw_request

pytestmark = pytest.mark.daemon_only

ORIGIN = "https://app.example.com"
OTHER = "https://evil.example.net"
EXPOSED = ["X-Olla-Request-ID", "X-Olla-Endpoint", "X-Olla-Model", "X-Olla-Backend-Type", "X-Olla-Response-Time",
           "X-Olla-Routing-Strategy", "X-Olla-Routing-Decision", "X-Olla-Routing-Reason", "X-Olla-Fan-Out-Succeeded", "X-Olla-Fan-Out-Failed", "X-RateLimit-Limit",
           "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"]


@pytest.fixture(scope="module")
def cors(mock, tmp_root):
    f = DaemonFactory(tmp_root, mock)
    try:
        yield f.start(endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)], overrides={
            "server": {"cors": {"allowed_origins": [ORIGIN, "http://localhost:3000"],
                                "allowed_headers": ["Authorization", "Content-Type", "X-Custom-Thing"],
                                "max_age": "90s"}}})
    finally:
        f.cleanup()


def preflight(d, origin, method="POST", req_headers=None, path="/olla/ollama/api/chat"):
    hdrs = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if req_headers:
        hdrs.append(("Access-Control-Request-Headers", req_headers))
    return raw_request("127.0.0.1", d.port, "OPTIONS", path, hdrs, timeout=5)


def hlist(value) -> list:
    return [x.strip().lower() for x in (value or "").split(",") if x.strip()]


def assert_403_json(r, what, says=None):
    assert r.status == 403, f"{what}: expected 403, got {r.describe()}"
    ct = r.header("Content-Type") or ""
    assert ct.startswith("application/json") and r.json().get("error"), f"{what}: 403 not JSON: {r.describe()}"
    if says:
        assert says in r.json()["error"], f"{what}: the error should say {says!r}: {r.json()}"
    assert r.header("Access-Control-Allow-Origin") is None or r.header("Access-Control-Allow-Origin") != OTHER, \
        r.describe()


def assert_cors_response(r, origin, what):
    assert r.header("Access-Control-Allow-Origin") == origin, \
        f"{what}: Access-Control-Allow-Origin {r.header('Access-Control-Allow-Origin')!r}, expected {origin!r}"
    vary = hlist(", ".join(r.header_all("Vary")))
    assert "origin" in vary, f"{what}: Vary {r.header_all('Vary')} lacks Origin"
    exposed = hlist(r.header("Access-Control-Expose-Headers"))
    missing = [h for h in EXPOSED if h.lower() not in exposed]
    assert not missing, f"{what}: Access-Control-Expose-Headers {r.header('Access-Control-Expose-Headers')!r} lacks {missing}"
    assert r.header("Access-Control-Allow-Credentials") is None, f"{what}: Access-Control-Allow-Credentials sent"


def test_preflight_allowed(cors, mock):
    mock.clear_log()
    r = preflight(cors, ORIGIN, "POST", "content-type, x-custom-thing, authorization")
    assert r.status == 204, f"preflight from an allowed origin: {r.describe()}"
    assert r.header("Access-Control-Allow-Origin") == ORIGIN, r.headers
    methods = hlist(r.header("Access-Control-Allow-Methods"))
    assert {"get", "post", "delete"} <= set(methods), f"Access-Control-Allow-Methods {methods}"
    allowed = hlist(r.header("Access-Control-Allow-Headers"))
    assert {"content-type", "x-custom-thing", "authorization"} <= set(allowed), f"Access-Control-Allow-Headers {allowed}"
    assert r.header("Access-Control-Max-Age") == "90", f"Access-Control-Max-Age {r.header('Access-Control-Max-Age')!r}"
    assert r.header("Access-Control-Allow-Credentials") is None
    assert r.body_len == 0, r.body
    assert not [x for x in mock.requests if x.method == "OPTIONS"], "the preflight was forwarded to the backend"


def test_preflight_second_origin_and_internal_route(cors):
    r = preflight(cors, "http://localhost:3000", "GET", path="/internal/status")
    assert r.status == 204 and r.header("Access-Control-Allow-Origin") == "http://localhost:3000", r.describe()


def test_preflight_refused(cors):
    assert_403_json(preflight(cors, OTHER, "POST", "content-type"), f"preflight from {OTHER}",
                    says=f"origin '{OTHER}' is not allowed")
    assert_403_json(preflight(cors, ORIGIN, "POST", "x-not-allowed"), "preflight asking for header x-not-allowed",
                    says="request header 'x-not-allowed' is not allowed")
    assert_403_json(preflight(cors, ORIGIN, "TRACE"), "preflight asking for method TRACE",
                    says="method TRACE is not allowed")


def test_actual_response_headers(cors, mock):
    r = jreq(cors.target, "POST", "/api/chat", {"model": "llama3.2", "stream": False,
                                                 "messages": [{"role": "user", "content": "hi"}]},
             headers=[("Origin", ORIGIN), ("X-Request-ID", "cors-chat")])
    assert r.status == 200, r.describe()
    assert_cors_response(r, ORIGIN, "POST /api/chat from the allowed origin")
    fwd = mock.find_requests(header=("X-Olla-Request-ID", "cors-chat"))
    assert len(fwd) == 1, fwd
    assert fwd[0].header("Origin") is None, f"the client's Origin reached the backend: {fwd[0].headers}"


def test_streamed_and_local_answers_carry_cors(cors):
    r = jreq(cors.target, "POST", "/api/chat", {"model": "llama3.2",
                                                 "messages": [{"role": "user", "content": "hi"}]},
             headers=[("Origin", ORIGIN)])
    assert r.status == 200 and r.framing == "chunked", r.describe()
    assert_cors_response(r, ORIGIN, "streamed /api/chat")
    r = jreq(cors.target, "GET", "/api/tags", headers=[("Origin", ORIGIN)])
    assert_cors_response(r, ORIGIN, "GET /api/tags (answered by Olla)")
    r = raw_request("127.0.0.1", cors.port, "GET", "/internal/status", [("Origin", ORIGIN)], timeout=5)
    assert r.status == 200
    assert_cors_response(r, ORIGIN, "GET /internal/status")
    r = jreq(cors.target, "POST", "/api/chat", {"model": "no-such-model", "stream": False,
                                                 "messages": [{"role": "user", "content": "hi"}]},
             headers=[("Origin", ORIGIN)])
    assert r.status == 404, r.describe()
    assert_cors_response(r, ORIGIN, "404 for an unknown model")


def test_other_origin_is_refused(cors, mock):
    """Ollama answers 403 to any request from an origin it does not allow (a web page
    cannot drive a local model); so does Olla, and nothing reaches the backend."""
    mock.clear_log()
    for method, path in (("GET", "/api/tags"), ("POST", "/api/chat")):
        r = jreq(cors.target, method, path, {"model": "llama3.2", "stream": False} if method == "POST" else None,
                 headers=[("Origin", OTHER)])
        assert_403_json(r, f"{method} {path} from {OTHER}", says=f"origin '{OTHER}' is not allowed")
        leaked = [h for h, _ in r.headers if h.lower().startswith("access-control-")]
        assert not leaked, f"response to a disallowed origin carries {leaked}"
    assert not [x for x in mock.requests if x.path == "/api/chat"], "a refused origin's request reached the backend"


def test_same_host_origin_is_not_cross_origin(cors):
    """A page Olla itself served (Origin == its Host) is not a CORS request (gin-contrib/cors)."""
    host = f"127.0.0.1:{cors.port}"
    r = raw_request("127.0.0.1", cors.port, "GET", "/olla/ollama/api/tags",
                    [("Host", host), ("Origin", f"http://{host}")], timeout=5)
    assert r.status == 200, r.describe()
    assert r.header("Access-Control-Allow-Origin") is None, r.headers


def test_wildcard_origin(olla_factory, mock):
    d = olla_factory.start(endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)],
                           overrides={"server": {"cors": {"allowed_origins": ["*"]}}})
    r = preflight(d, OTHER, "POST", "authorization, content-type")
    assert r.status == 204 and r.header("Access-Control-Allow-Origin") == "*", r.describe()
    assert r.header("Access-Control-Max-Age") == "43200", f"default max_age 12h (Ollama's): {r.header('Access-Control-Max-Age')!r}"
    r = jreq(d.target, "GET", "/api/tags", headers=[("Origin", OTHER)])
    assert r.header("Access-Control-Allow-Origin") == "*", r.headers


def test_rate_limit_429_carries_cors(olla_factory, mock):
    d = olla_factory.start(endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)], overrides={
        "server": {"cors": {"allowed_origins": [ORIGIN]},
                   "rate_limits": {"global_requests_per_minute": 6, "burst_size": 1}}})
    assert jreq(d.target, "GET", "/api/tags", headers=[("Origin", ORIGIN)]).status == 200
    r = jreq(d.target, "GET", "/api/tags", headers=[("Origin", ORIGIN)])
    assert r.status == 429, r.describe()
    assert_cors_response(r, ORIGIN, "429 to the allowed origin")


OLLAMA_ALLOWED = ["http://localhost:5173", "https://localhost", "http://127.0.0.1:8080", "http://0.0.0.0:3000",
                  "app://obsidian.md", "tauri://localhost", "vscode-webview://abc", "vscode-file://vscode-app",
                  "file://"]
ROUTES = [("POST", "/olla/ollama/api/generate"), ("POST", "/olla/ollama/api/chat"), ("GET", "/olla/ollama/api/tags"),
          ("DELETE", "/olla/ollama/api/delete"), ("POST", "/olla/ollama/v1/chat/completions"),
          ("GET", "/olla/ollama/v1/models"), ("POST", "/olla/openai/v1/chat/completions"), ("HEAD", "/olla/ollama/"),
          ("GET", "/internal/status"), ("GET", "/version")]


def test_ollama_defaults(olla, mock):
    """The default configuration answers preflights as Ollama's defaults do, on every route."""
    mock.clear_log()
    for origin in OLLAMA_ALLOWED:
        for method, path in ROUTES:
            r = raw_request("127.0.0.1", olla.daemon.port, "OPTIONS", path,
                            [("Origin", origin), ("Access-Control-Request-Method", method),
                             ("Access-Control-Request-Headers", "content-type, authorization, x-stainless-os")],
                            timeout=5)
            assert r.status == 204, f"default config: preflight {method} {path} from {origin}: {r.describe()}"
            assert r.header("Access-Control-Allow-Origin") == origin, r.headers
            assert {"content-type", "authorization", "x-stainless-os", "user-agent", "openai-beta"} <= \
                set(hlist(r.header("Access-Control-Allow-Headers"))), r.headers
            assert {"get", "post", "put", "patch", "delete", "head", "options"} == \
                set(hlist(r.header("Access-Control-Allow-Methods"))), r.headers
    assert not [x for x in mock.requests if x.method == "OPTIONS"], "a preflight was forwarded"
    r = jreq(olla, "POST", "/api/chat", {"model": "llama3.2", "stream": False, "messages": []},
             headers=[("Origin", "http://localhost:5173")])
    assert r.status == 200, r.describe()
    assert_cors_response(r, "http://localhost:5173", "chat from http://localhost:5173 (default config)")
    r = jreq(olla, "GET", "/api/tags", headers=[("Origin", ORIGIN)])
    assert_403_json(r, f"default config: GET /api/tags from {ORIGIN}", says="not allowed")


def test_port_wildcards_and_ollama_origins(olla_factory, mock, monkeypatch):
    """"http://host:*" patterns are accepted; OLLAMA_ORIGINS adds origins as in Ollama."""
    monkeypatch.setenv("OLLAMA_ORIGINS", "chrome-extension://*,https://ui.example.net")
    d = olla_factory.start(endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)], overrides={
        "server": {"cors": {"allowed_origins": ["http://localhost:*", "http://192.168.7.7:*", "https://*.example.org"]}}})
    for origin in ("http://192.168.7.7:3000", "https://chat.example.org", "chrome-extension://abcdef",
                   "https://ui.example.net", "http://localhost:1234"):
        r = preflight(d, origin, "POST", "content-type")
        assert r.status == 204 and r.header("Access-Control-Allow-Origin") == origin, f"{origin}: {r.describe()}"
    for origin in ("http://192.168.7.8:3000", "https://example.org.evil.net", "moz-extension://x"):
        assert_403_json(preflight(d, origin, "POST"), f"preflight from {origin}", says="not allowed")


def test_cors_off(olla_factory, mock):
    d = olla_factory.start(endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)], overrides={
        "server": {"cors": {"default_origins": False, "origins_env": ""}}})
    r = jreq(d.target, "GET", "/api/tags", headers=[("Origin", ORIGIN)])
    assert r.status == 200
    leaked = [h for h, _ in r.headers if h.lower().startswith("access-control-")]
    assert not leaked, f"CORS is off (no origins allowed), yet the response carries {leaked}"
