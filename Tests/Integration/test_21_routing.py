"""Scenario 21: model-bound requests go only to routable instances that hold the model.

strict: unknown model -> Ollama-style 404 (nobody is asked); only a dead instance has it ->
503 + Retry-After. optimistic: any healthy instance. An openai-compatible endpoint never gets
native /api/* calls. docs/routing.md "Routing".
"""
import json
import uuid

import pytest

from helpers import jreq, ndjson_lines, wait_until

pytestmark = pytest.mark.daemon_only

SPEC = [
    {"name": "a", "models": ["llama3.2", "qwen2.5:0.5b"]},
    {"name": "b", "models": ["qwen2.5:0.5b", "nomic-embed-text"]},
    {"name": "c", "models": ["nomic-embed-text", "mistral:7b", "phi3:mini"]},
]
HOLDERS = {"llama3.2": {"a"}, "qwen2.5:0.5b": {"a", "b"}, "nomic-embed-text": {"b", "c"},
           "mistral:7b": {"c"}, "phi3:mini": {"c"}}
MODEL_PATHS = ["/api/chat", "/api/generate", "/api/embed", "/api/embeddings", "/api/show",
               "/v1/chat/completions", "/v1/completions", "/v1/embeddings"]


def body_for(path: str, model: str) -> dict:
    if path in ("/api/chat", "/v1/chat/completions"):
        return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": False}
    if path in ("/api/generate", "/v1/completions"):
        return {"model": model, "prompt": "hi", "stream": False}
    if path in ("/api/embed", "/v1/embeddings"):
        return {"model": model, "input": "hi"}
    if path == "/api/embeddings":
        return {"model": model, "prompt": "hi"}
    return {"model": model}  # show


def mark():
    return "m-" + uuid.uuid4().hex[:12]


def test_only_holders_receive_model_requests(cluster):
    cl = cluster(SPEC)
    for model, holders in HOLDERS.items():
        for path in MODEL_PATHS:
            for i in range(2):
                mk = mark()
                r = jreq(cl.t, "POST", path, body_for(path, model), headers=[("X-Test-Marker", mk)])
                assert r.status == 200, f"POST {path} model={model}: {r.describe()}"
                ep = r.header("X-Olla-Endpoint")
                assert ep in holders, f"POST {path} model={model}: X-Olla-Endpoint={ep!r}, holders {holders}"
                got = {n: c for n, c in cl.who_got(path, "POST", mk).items() if c}
                assert set(got) == {ep} and got[ep] == 1, (
                    f"POST {path} model={model}: exactly one request to {ep} expected; instances that "
                    f"received it: {got} (holders: {sorted(holders)})")
                assert r.header("X-Olla-Routing-Strategy") == "strict", r.headers
                assert r.header("X-Olla-Routing-Decision") == "routed", (
                    f"POST {path} model={model}: X-Olla-Routing-Decision={r.header('X-Olla-Routing-Decision')!r}")
                assert r.header("X-Olla-Routing-Reason"), f"no X-Olla-Routing-Reason: {r.headers}"


def test_model_names_match_like_ollama(cluster):
    cl = cluster(SPEC)
    # Ollama fills in its default host and namespace and drops a scheme (types/model/name.go),
    # so every one of these names a model the fleet lists as "llama3.2:latest" / "mistral:7b".
    wants = {"MISTRAL:7B": "c", "Phi3:Mini": "c", "llama3.2:latest": "a", "LLAMA3.2": "a",
             "library/llama3.2": "a", "registry.ollama.ai/library/llama3.2:latest": "a",
             "Registry.Ollama.AI/Library/Mistral:7b": "c", "https://registry.ollama.ai/library/mistral:7b": "c"}
    for spelled, want in wants.items():
        r = jreq(cl.t, "POST", "/api/show", {"model": spelled})
        # the mock itself is case-sensitive, so only the routing is checked here
        assert r.header("X-Olla-Endpoint") == want, (
            f"/api/show {spelled!r} should route to {want} (names are case-insensitive, x == x:latest); "
            f"got {r.header('X-Olla-Endpoint')!r}: {r.describe()}")
    # Any other namespace or host is another model, which no instance has.
    for other in ("jmorgan/llama3.2", "myhost/library/llama3.2"):
        r = jreq(cl.t, "POST", "/api/show", {"model": other})
        assert r.status == 404, f"/api/show {other!r} names a model nobody has: want 404, got {r.describe()}"


def test_strict_unknown_model_is_404_in_ollama_words(cluster):
    cl = cluster(SPEC)
    cases = [("/api/chat", 'model "ghost:1b" not found, try pulling it first'),
             ("/api/generate", 'model "ghost:1b" not found, try pulling it first'),
             ("/api/show", "model 'ghost:1b' not found")]
    for path, want in cases:
        mk = mark()
        r = jreq(cl.t, "POST", path, body_for(path, "ghost:1b"), headers=[("X-Test-Marker", mk)])
        assert r.status == 404, f"POST {path} for an unknown model: want 404, got {r.describe()}"
        assert r.json() == {"error": want}, f"POST {path}: want body {{'error': {want!r}}}, got {r.body!r}"
        assert r.header("X-Olla-Routing-Decision") == "rejected", r.headers
        assert not any(cl.who_got(path, "POST", mk).values()), f"no instance should be asked: {cl.who_got(path, 'POST', mk)}"
    r = jreq(cl.t, "POST", "/v1/chat/completions", body_for("/v1/chat/completions", "ghost:1b"))
    assert r.status == 404, f"/v1/chat/completions unknown model: {r.describe()}"
    err = r.json().get("error")
    assert isinstance(err, dict) and "ghost:1b" in err.get("message", ""), f"want an OpenAI error object: {r.body!r}"


def test_strict_503_when_only_a_dead_instance_has_it(cluster):
    cl = cluster(SPEC)
    assert jreq(cl.t, "POST", "/api/show", {"model": "mistral:7b"}).status == 200
    cl["c"].kill()
    ok = wait_until(lambda: "mistral:7b" not in
                    {m["name"] for m in jreq(cl.t, "GET", "/api/tags").json()["models"]}, 3.0)
    assert ok, "mistral:7b (only on c) still in /api/tags 3 s after c died"
    for path in ("/api/chat", "/api/generate", "/api/show", "/v1/chat/completions"):
        r = jreq(cl.t, "POST", path, body_for(path, "mistral:7b"))
        assert r.status == 503, (f"POST {path} for mistral:7b, held only by the dead c: want 503 + Retry-After, "
                                 f"got {r.describe()}")
        ra = r.header("Retry-After")
        assert ra is not None and ra.isdigit() and int(ra) >= 1, f"POST {path}: Retry-After={ra!r}"
        assert "error" in r.json(), r.body
    # a model that the dead c shares with b is still served (by b)
    r = jreq(cl.t, "POST", "/api/chat", body_for("/api/chat", "nomic-embed-text"))
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "b", r.describe()


def test_optimistic_falls_back_to_any_healthy_instance(cluster):
    spec = [dict(s) for s in SPEC]
    cl = cluster(spec, overrides={"model_registry": {"routing_strategy": {"type": "optimistic"}}})
    # a model installed behind Olla's back on every instance: the catalogue does not know it
    for m in cl.mocks.values():
        m.set_models([*(x["name"] for x in m.models), "late:3b"])
    mk = mark()
    r = jreq(cl.t, "POST", "/api/chat", body_for("/api/chat", "late:3b"), headers=[("X-Test-Marker", mk)])
    assert r.status == 200, f"optimistic: an unknown model should be tried on a healthy instance: {r.describe()}"
    assert r.header("X-Olla-Routing-Strategy") == "optimistic", r.headers
    assert r.header("X-Olla-Routing-Decision") == "fallback", (
        f"X-Olla-Routing-Decision={r.header('X-Olla-Routing-Decision')!r}, want fallback")
    got = cl.who_got("/api/chat", "POST", mk)
    assert sum(got.values()) == 1, got
    # known models are still routed to their holders only
    mk = mark()
    r = jreq(cl.t, "POST", "/api/chat", body_for("/api/chat", "mistral:7b"), headers=[("X-Test-Marker", mk)])
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "c", r.describe()
    assert r.header("X-Olla-Routing-Decision") == "routed", r.headers


def test_strict_ignores_models_unknown_to_catalogue(cluster):
    cl = cluster(SPEC)
    for m in cl.mocks.values():
        m.set_models([*(x["name"] for x in m.models), "late:3b"])
    r = jreq(cl.t, "POST", "/api/chat", body_for("/api/chat", "late:3b"))
    assert r.status == 404, f"strict: a model not in the catalogue is 404 (discovery interval is 5m): {r.describe()}"


def test_openai_compatible_endpoint_gets_only_v1(cluster):
    spec = [dict(s) for s in SPEC] + [
        {"name": "oa", "type": "openai-compatible", "models": ["qwen2.5:0.5b", "oa-only:8b"]}]
    cl = cluster(spec)
    oa = cl["oa"]
    # native calls for a model oa shares with a/b: never oa
    for i in range(8):
        for path in ("/api/chat", "/api/generate", "/api/show", "/api/embed"):
            r = jreq(cl.t, "POST", path, body_for(path, "qwen2.5:0.5b"))
            assert r.status == 200 and r.header("X-Olla-Endpoint") in ("a", "b"), f"{path}: {r.describe()}"
    jreq(cl.t, "POST", "/api/chat", body_for("/api/chat", "oa-only:8b"))  # whatever the answer: never oa's /api
    jreq(cl.t, "GET", "/api/tags")
    native = sorted({x.path for x in oa.requests if x.path.startswith("/api/") or x.path == "/"})
    assert not native, f"the openai-compatible endpoint received native Ollama requests: {native}"
    # its own models are served on /v1/*
    mk = mark()
    r = jreq(cl.t, "POST", "/v1/chat/completions", body_for("/v1/chat/completions", "oa-only:8b"),
             headers=[("X-Test-Marker", mk)])
    assert r.status == 200, f"/v1/chat/completions for oa-only:8b (only on the openai-compatible endpoint): {r.describe()}"
    assert r.header("X-Olla-Endpoint") == "oa" and cl.who_got("/v1/chat/completions", "POST", mk)["oa"] == 1
    r = jreq(cl.t, "POST", "/v1/completions", body_for("/v1/completions", "oa-only:8b"))
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "oa", r.describe()
    ids = {d["id"] for d in jreq(cl.t, "GET", "/v1/models").json()["data"]}
    assert "oa-only:8b" in ids, f"/v1/models should list the openai-compatible endpoint's models: {sorted(ids)}"
    # a shared model over /v1 goes to one of its holders, oa included
    seen = set()
    for i in range(12):
        r = jreq(cl.t, "POST", "/v1/chat/completions", body_for("/v1/chat/completions", "qwen2.5:0.5b"))
        assert r.status == 200, r.describe()
        seen.add(r.header("X-Olla-Endpoint"))
    assert seen <= {"a", "b", "oa"}, f"/v1 qwen2.5:0.5b went to non-holders: {seen}"
