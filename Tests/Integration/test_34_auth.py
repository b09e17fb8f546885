"""Scenario 34: server.auth API keys and server.internal_allowed_cidrs
(docs/operations.md "Authentication", docs/configuration.md "server.auth").

One daemon with a key in the file and two more from the environment variable named by
`api_keys_env`; checks which routes need a key, both header forms, 401 JSON, nothing forwarded
without a key, the rejection counter, and the real `ollama` / `openai` clients. Then
internal_allowed_cidrs: 403 JSON from a disallowed address, and the trusted-proxy client address.
"""
from __future__ import annotations

import os

import pytest

from conftest import PATIENT_HEALTH, DaemonFactory, endpoint_ex
from helpers import PromText, jreq, raw_request

pytestmark = pytest.mark.daemon_only

FILE_KEY = "sk-file-key-1"
ENV_VAR = "OLLA_IT_API_KEYS_34"
ENV_KEYS = ["sk-env-key-a", "sk-env-key-b"]
PROTECTED_INTERNAL = ("/internal/status", "/internal/status/endpoints", "/internal/status/models", "/internal/metrics")


def start_with_env(factory: DaemonFactory, env: dict, **kw):
    """Start a daemon with extra environment variables (the launcher inherits os.environ)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return factory.start(**kw)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def authd(mock, tmp_root):
    f = DaemonFactory(tmp_root, mock)
    try:
        d = start_with_env(f, {ENV_VAR: ",".join(ENV_KEYS)},
                           endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)],
                           overrides={"server": {"auth": {"api_keys": [FILE_KEY], "api_keys_env": ENV_VAR}}})
        yield d
    finally:
        f.cleanup()


def get(d, path, headers=None, method="GET"):
    return raw_request("127.0.0.1", d.port, method, path, headers or [], timeout=5)


def chat(d, headers=None, path="/api/chat"):
    return jreq(d.target, "POST", path, {"model": "llama3.2", "stream": False,
                                         "messages": [{"role": "user", "content": "hi"}]}, headers=headers)


def assert_401(r, what):
    assert r.status == 401, f"{what}: expected 401, got {r.describe()}"
    ct = r.header("Content-Type") or ""
    assert ct.startswith("application/json"), f"{what}: 401 Content-Type {ct!r}"
    body = r.json()
    assert isinstance(body, dict) and body.get("error"), f"{what}: 401 body {body}"


def bearer(k):
    return [("Authorization", f"Bearer {k}")]


def test_proxied_routes_need_a_key(authd, mock):
    mock.clear_log()
    assert_401(chat(authd, headers=[("X-Request-ID", "nokey")]), "POST /api/chat without a key")
    assert_401(jreq(authd.target, "GET", "/api/tags"), "GET /api/tags without a key")
    assert_401(chat(authd, headers=bearer("sk-wrong")), "POST /api/chat with a wrong key")
    assert_401(chat(authd, path="/v1/chat/completions"), "POST /v1/chat/completions without a key")
    assert not mock.find_requests(header=("X-Olla-Request-ID", "nokey")), "an unauthenticated request was forwarded"


@pytest.mark.parametrize("key", [FILE_KEY] + ENV_KEYS)
def test_valid_keys_both_header_forms(authd, key):
    r = chat(authd, headers=bearer(key))
    assert r.status == 200, f"Authorization: Bearer {key}: {r.describe()}"
    r = chat(authd, headers=[("X-API-Key", key)])
    assert r.status == 200, f"X-API-Key: {key}: {r.describe()}"
    r = jreq(authd.target, "GET", "/api/tags", headers=bearer(key))
    assert r.status == 200, f"GET /api/tags with {key}: {r.describe()}"


@pytest.mark.parametrize("presented", [FILE_KEY + "x", FILE_KEY[:-1], "", ENV_KEYS[0].upper(),
                                       ",".join(ENV_KEYS), ENV_KEYS[0] + ","])
def test_near_miss_keys_are_refused(authd, presented):
    assert_401(chat(authd, headers=bearer(presented)), f"Bearer {presented!r}")
    assert_401(chat(authd, headers=[("X-API-Key", presented)]), f"X-API-Key {presented!r}")


def test_open_routes(authd):
    for method in ("HEAD", "GET"):
        r = get(authd, "/olla/ollama/", method=method)
        assert r.status == 200, f"{method} /olla/ollama/ (heartbeat) must stay open: {r.describe()}"
    r = get(authd, "/internal/health")
    assert r.status == 200 and r.json() == {"status": "healthy"}, f"/internal/health must stay open: {r.describe()}"
    r = get(authd, "/version")
    assert r.status == 200 and r.json().get("name") == "olla", f"/version must stay open: {r.describe()}"


def test_internal_status_routes_need_a_key(authd):
    for p in PROTECTED_INTERNAL:
        assert_401(get(authd, p), f"GET {p} without a key")
        r = get(authd, p, bearer(ENV_KEYS[1]))
        assert r.status == 200, f"GET {p} with a key: {r.describe()}"
        r = get(authd, p, [("X-API-Key", FILE_KEY)])
        assert r.status == 200, f"GET {p} with X-API-Key: {r.describe()}"


def test_unauthorized_counter(authd):
    def count():
        r = get(authd, "/internal/metrics", bearer(FILE_KEY))
        return PromText(r.body.decode()).value("olla_rejections_total", reason="unauthorized") or 0
    before = count()
    for _ in range(3):
        assert chat(authd).status == 401
    assert get(authd, "/internal/status").status == 401
    assert count() - before == 4, "four 401s answered; olla_rejections_total{reason=unauthorized} disagrees"


def test_without_keys_everything_is_open(olla):
    r = chat(olla.daemon)
    assert r.status == 200, r.describe()
    for p in PROTECTED_INTERNAL + ("/internal/health", "/version"):
        r = get(olla.daemon, p)
        assert r.status == 200, f"no keys configured: GET {p} -> {r.describe()}"


def test_ollama_client(authd):
    ollama = pytest.importorskip("ollama")
    c = ollama.Client(host=authd.target.base, headers={"Authorization": f"Bearer {ENV_KEYS[0]}"})
    resp = c.chat(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
    assert resp["message"]["content"], resp
    parts = list(c.generate(model="llama3.2", prompt="hi", stream=True))
    assert parts and parts[-1]["done"] is True
    assert {m["model"] for m in c.list()["models"]} >= {"llama3.2:latest"}
    anon = ollama.Client(host=authd.target.base)
    with pytest.raises(ollama.ResponseError) as ei:
        anon.chat(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
    assert ei.value.status_code == 401, ei.value


def test_openai_client(authd):
    openai = pytest.importorskip("openai")
    c = openai.OpenAI(base_url=authd.target.base + "/v1", api_key=FILE_KEY, max_retries=0, timeout=10)
    r = c.chat.completions.create(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content
    chunks = list(c.chat.completions.create(model="llama3.2", stream=True,
                                            messages=[{"role": "user", "content": "hi"}]))
    assert chunks and chunks[-1].choices[0].finish_reason == "stop"
    bad = openai.OpenAI(base_url=authd.target.base + "/v1", api_key="sk-not-a-key", max_retries=0, timeout=10)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="llama3.2", messages=[{"role": "user", "content": "hi"}])


# ---- server.internal_allowed_cidrs -------------------------------------------------------

def test_internal_allowed_cidrs_refuses_other_addresses(olla_factory, mock):
    d = olla_factory.start(endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)],
                           overrides={"server": {"internal_allowed_cidrs": ["10.0.0.0/8"]}})
    for p in ("/internal/health", "/internal/status", "/internal/status/endpoints", "/internal/status/models",
              "/internal/metrics"):
        r = get(d, p)
        assert r.status == 403, f"GET {p} from 127.0.0.1 with internal_allowed_cidrs [10.0.0.0/8]: {r.describe()}"
        ct = r.header("Content-Type") or ""
        assert ct.startswith("application/json") and r.json().get("error"), f"{p}: 403 not JSON: {r.describe()}"
    # the proxy itself is not affected
    assert chat(d).status == 200
    assert get(d, "/olla/ollama/").status == 200


def test_internal_allowed_cidrs_allows_listed_address(olla_factory, mock):
    d = olla_factory.start(endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)],
                           overrides={"server": {"internal_allowed_cidrs": ["10.0.0.0/8", "127.0.0.1"]}})
    r = get(d, "/internal/status")
    assert r.status == 200, f"127.0.0.1 listed (bare address = one host): {r.describe()}"


def test_internal_allowed_cidrs_uses_trusted_client_address(olla_factory, mock):
    """configuration.md: internal_allowed_cidrs is "matched against the client address (after
    rate_limits.trust_proxy_headers)"."""
    d = olla_factory.start(endpoints=[endpoint_ex("mock-a", mock.url, **PATIENT_HEALTH)],
                           overrides={"server": {"internal_allowed_cidrs": ["10.0.0.0/8"],
                                                 "rate_limits": {"trust_proxy_headers": True,
                                                                 "trusted_proxy_cidrs": ["127.0.0.1/32"]}}})
    r = get(d, "/internal/status", [("X-Forwarded-For", "192.0.2.7")])
    assert r.status == 403, f"client 192.0.2.7 (via trusted proxy 127.0.0.1): {r.describe()}"
    r = get(d, "/internal/status", [("X-Forwarded-For", "10.1.2.3")])
    assert r.status == 200, \
        f"client 10.1.2.3 via the trusted proxy 127.0.0.1 is in internal_allowed_cidrs [10.0.0.0/8]: {r.describe()}"
