"""Scenario 44: a fleet whose instances are down (issue #10, item 6).

Instances that health checks found down are not tried: a request that only they could serve
is answered at once with a 503 that names every one of them with its state and last error,
and a Retry-After of the soonest next probe, in the route's error shape (Ollama's on /api,
OpenAI's on /v1, Anthropic's on /v1/messages). /api/version never answers a made-up version:
the lowest the Ollama instances reported, the last known one while they are all down, else a
503 that says why. See docs/routing.md ("Health") and docs/api.md ("Errors Olla makes itself").
"""
import json
import time

import pytest

from helpers import DeadPort, SilentPort, jreq, raw_request, wait_until

pytestmark = pytest.mark.daemon_only

# Health is the subject here: probes fast enough to see outages within a second, with a
# timeout that a loaded machine still meets for the live mocks.
HEALTH = {"check_interval": "1s", "check_timeout": "500ms"}
CLUSTER_HEALTH = HEALTH
CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stream": False}

# Every API flavour: (path, body, shape)
FLAVOURS = [
    ("/api/generate", {"model": "llama3.2", "prompt": "hi"}, "ollama"),
    ("/api/chat", CHAT, "ollama"),
    ("/v1/chat/completions", {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}, "openai"),
    ("/v1/embeddings", {"model": "llama3.2", "input": "hi"}, "openai"),
    ("/v1/responses", {"model": "llama3.2", "input": "hi"}, "openai"),
    ("/v1/messages", {"model": "llama3.2", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]},
     "anthropic"),
]


def error_message(r, shape: str) -> str:
    """The message of an error body of ``shape``, after checking the shape itself."""
    assert (r.header("Content-Type") or "").startswith("application/json"), r.describe()
    body = r.json()
    if shape == "ollama":
        assert set(body) == {"error"} and isinstance(body["error"], str), f"want Ollama's {{\"error\": str}}: {body}"
        return body["error"]
    if shape == "openai":
        err = body.get("error")
        assert isinstance(err, dict), f"want OpenAI's error object: {body}"
        assert isinstance(err.get("message"), str) and err.get("type") and "code" in err and err.get("param") is None, err
        return err["message"]
    assert body.get("type") == "error" and isinstance(body.get("error"), dict), f"want Anthropic's error: {body}"
    assert body["error"].get("type") == "overloaded_error", f"a 503 is Anthropic's overloaded_error: {body}"
    return body["error"]["message"]


def retry_after(r) -> int:
    value = r.header("Retry-After")
    assert value is not None and value.isdigit(), f"a 503 for down instances carries Retry-After (seconds): {r.describe()}"
    return int(value)


def endpoints_json(t) -> dict:
    """Olla's own status rows by endpoint name (outside the API prefix)."""
    r = raw_request(t.host, t.port, "GET", "/internal/status/endpoints", timeout=5)
    assert r.status == 200, r.describe()
    return {e["name"]: e for e in json.loads(r.body)["endpoints"]}


def test_three_instances_that_never_answer_get_an_immediate_503_naming_each(olla_factory):
    """The issue's case: three instances accept connections and never answer. The warm-up
    probes find them down; after that no request waits for a connect or first-byte timeout."""
    silent = [SilentPort() for _ in range(3)]
    try:
        eps = [{"name": f"gpu-{i}", "url": s.url, "type": "ollama", "priority": 100, **HEALTH}
               for i, s in enumerate(silent)]
        d = olla_factory.start(endpoints=eps)
        for path, body, shape in FLAVOURS:
            r = jreq(d.target, "POST", path, body, timeout=15)
            assert r.status == 503, f"POST {path} with every instance down: {r.describe()}"
            assert r.elapsed < 1.5, f"POST {path}: a down fleet must be reported at once, took {r.elapsed:.2f}s"
            message = error_message(r, shape)
            for i in range(3):
                assert f"gpu-{i} (offline: probe timed out)" in message, f"POST {path}: {message!r}"
            # probes back off from 1 s: the next one is at most a few seconds away
            assert 1 <= retry_after(r) <= 10, r.describe()
            assert r.header("X-Olla-Routing-Decision") == "rejected", r.describe()
        # nothing ever reported a version: a 503 that says why, never 0.0.0
        r = jreq(d.target, "GET", "/api/version")
        assert r.status == 503, f"/api/version with no version ever reported: {r.describe()}"
        message = error_message(r, "ollama")
        assert "version" in message and all(f"gpu-{i} (offline" in message for i in range(3)), message
        assert 1 <= retry_after(r) <= 10
    finally:
        for s in silent:
            s.close()


def test_some_down_the_rest_serve_at_once_and_a_model_only_on_down_ones_is_named(cluster):
    cl = cluster([
        {"name": "a", "models": ["llama3.2"], "version": "0.9.0", "priority": 100},
        {"name": "b", "models": ["llama3.2"], "version": "0.12.6", "priority": 50},
        {"name": "c", "models": ["mistral:7b"], "version": "0.11.0"},
        {"name": "oa", "type": "openai-compatible", "models": ["qwen3-next.gguf"]},
    ], overrides={"proxy": {"load_balancer": "priority"}})
    assert json.loads(jreq(cl.t, "GET", "/api/version").body) == {"version": "0.9.0"}
    cl["a"].configure(hang=True)   # accepts and reads, never answers: down too
    cl["c"].kill()                 # refuses connections
    down = wait_until(lambda: {n: e["status"] for n, e in endpoints_json(cl.t).items()
                               if n in ("a", "c") and e["status"] == "offline"} == {"a": "offline", "c": "offline"}, 5.0)
    assert down, f"a (hanging) and c (dead) should be offline within 5 s: {endpoints_json(cl.t)}"
    cl.clear_logs()
    for _ in range(3):
        r = jreq(cl.t, "POST", "/api/chat", CHAT, timeout=10)
        assert r.status == 200 and r.header("X-Olla-Endpoint") == "b", r.describe()
        assert r.elapsed < 1.5, f"the hanging a must not be tried first: {r.elapsed:.2f}s"
    assert cl.who_got("/api/chat", "POST")["a"] == 0, "a was found down: it must not be tried"
    r = jreq(cl.t, "POST", "/api/chat", {**CHAT, "model": "mistral:7b"})
    assert r.status == 503, r.describe()
    message = error_message(r, "ollama")
    assert message.startswith("model 'mistral:7b' is only on instances that are unavailable: c (offline: "), message
    assert "a (" not in message and "b (" not in message, f"only c holds mistral: {message}"
    assert retry_after(r) >= 1
    # the lowest version of the routable instances (a is down)
    assert json.loads(jreq(cl.t, "GET", "/api/version").body) == {"version": "0.12.6"}
    # the OpenAI-compatible instance still serves /v1
    r = jreq(cl.t, "POST", "/v1/chat/completions",
             {"model": "qwen3-next.gguf", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "oa", r.describe()


def test_down_then_back_within_retry_after_and_version_is_the_last_known(cluster):
    cl = cluster([
        {"name": "a", "models": ["llama3.2"], "version": "0.9.0"},
        {"name": "b", "models": ["llama3.2"], "version": "0.12.6"},
    ])
    cl["a"].kill()
    cl["b"].kill()
    got = wait_until(lambda: jreq(cl.t, "POST", "/api/chat", CHAT).status == 503, 5.0)
    assert got, "both instances dead: chat should be a 503 within 5 s"
    r = jreq(cl.t, "POST", "/api/chat", CHAT)
    assert r.status == 503 and r.elapsed < 1.5, r.describe()
    message = error_message(r, "ollama")
    assert message.startswith("no instance is available: ") or "only on instances that are unavailable" in message, message
    assert "a (offline: " in message and "b (offline: " in message, message
    # while every Ollama instance is down, /api/version is the last known lowest, never 0.0.0
    v = jreq(cl.t, "GET", "/api/version")
    assert v.status == 200 and json.loads(v.body) == {"version": "0.9.0"}, v.describe()
    wait = retry_after(jreq(cl.t, "POST", "/api/chat", CHAT))
    cl["a"].revive()
    cl["b"].revive()
    t0 = time.monotonic()
    back = wait_until(lambda: jreq(cl.t, "POST", "/api/chat", CHAT).status == 200, wait + 3.0)
    assert back, (f"both revived: chat should succeed within Retry-After ({wait} s) + 3 s, "
                  f"still failing after {time.monotonic() - t0:.1f}s: {jreq(cl.t, 'POST', '/api/chat', CHAT).describe()}")
    assert json.loads(jreq(cl.t, "GET", "/api/version").body) == {"version": "0.9.0"}


def test_a_refused_and_a_silent_instance_each_say_why(olla_factory):
    dead, silent = DeadPort(), SilentPort()
    try:
        d = olla_factory.start(endpoints=[
            {"name": "refusing", "url": dead.url, "type": "ollama", "priority": 100, **HEALTH},
            {"name": "silent", "url": silent.url, "type": "ollama", "priority": 100, **HEALTH},
        ])
        r = jreq(d.target, "POST", "/api/chat", CHAT, timeout=15)
        assert r.status == 503 and r.elapsed < 1.5, r.describe()
        message = error_message(r, "ollama")
        assert "refusing (offline: probe failed: " in message and ("refused" in message or "connect" in message), message
        assert "silent (offline: probe timed out)" in message, message
    finally:
        dead.close()
        silent.close()
