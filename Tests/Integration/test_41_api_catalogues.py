"""Scenario 41: what each API lists, it can route (issue 10, item 2).

One ollama endpoint and one openai-compatible endpoint that serves `qwen3-next.gguf`: the
native catalogue (/api/tags, /api/ps) lists only what /api/* can serve (Ollama instances'
models), the OpenAI one (/v1/models) what /v1/* can serve (every endpoint's); a model listed
by /api/tags can be shown and chatted with (LangFlow lists, then shows each one).
X-Olla-Backend-Type names the answering endpoint's type. docs/routing.md "The catalogue".
"""
import pytest

from conftest import PATIENT_HEALTH
from helpers import jreq

pytestmark = pytest.mark.daemon_only

# Health is not under test except where a test takes an endpoint down (it waits for that):
# patient probes, so a loaded machine cannot mark an idle mock offline.
CLUSTER_HEALTH = PATIENT_HEALTH

SPEC = [
    {"name": "ol", "models": ["llama3.2"]},
    {"name": "oa", "type": "openai-compatible", "models": ["qwen3-next.gguf"]},
]


def test_every_listed_model_can_be_used(cluster):
    cl = cluster(SPEC)
    tags = [m["name"] for m in jreq(cl.t, "GET", "/api/tags").json()["models"]]
    assert [t.split(":")[0] for t in tags] == ["llama3.2"], \
        f"/api/tags must list only what /api/* can route (the Ollama instance's models): {tags}"
    for name in tags:
        r = jreq(cl.t, "POST", "/api/show", {"model": name})
        assert r.status == 200, f"/api/tags lists {name!r} but /api/show answers {r.describe()}"
        r = jreq(cl.t, "POST", "/api/chat", {"model": name, "stream": False,
                                             "messages": [{"role": "user", "content": "hi"}]})
        assert r.status == 200, f"/api/tags lists {name!r} but /api/chat answers {r.describe()}"
    ids = sorted(d["id"] for d in jreq(cl.t, "GET", "/v1/models").json()["data"])
    assert any(i.startswith("qwen3-next.gguf") for i in ids) and any(i.startswith("llama3.2") for i in ids), \
        f"/v1/models must list every endpoint's models (all are routable on /v1): {ids}"
    for model_id in ids:
        r = jreq(cl.t, "GET", f"/v1/models/{model_id}")
        assert r.status == 200, f"/v1/models lists {model_id!r}; /v1/models/{model_id}: {r.describe()}"
        r = jreq(cl.t, "POST", "/v1/chat/completions", {"model": model_id,
                                                        "messages": [{"role": "user", "content": "hi"}]})
        assert r.status == 200, f"/v1/models lists {model_id!r} but /v1/chat/completions answers {r.describe()}"
    r = jreq(cl.t, "POST", "/api/show", {"model": "qwen3-next.gguf"})
    assert r.status == 404, f"a model only an openai-compatible endpoint has is not a native model: {r.describe()}"


def test_backend_type_names_the_endpoint_type(cluster):
    cl = cluster(SPEC)
    body = {"messages": [{"role": "user", "content": "hi"}]}
    r = jreq(cl.t, "POST", "/v1/chat/completions", {"model": "qwen3-next.gguf", **body})
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "oa", r.describe()
    assert r.header("X-Olla-Backend-Type") == "openai-compatible", r.headers
    r = jreq(cl.t, "POST", "/api/chat", {"model": "llama3.2", "stream": False, **body})
    assert r.status == 200 and r.header("X-Olla-Backend-Type") == "ollama", r.headers


def test_nothing_routable_names_openai_endpoints_to_v1_only(cluster):
    """Every endpoint down by health: neither is tried (item 6: a down fleet answers at once),
    and the 503 of a /v1 request names the openai-compatible endpoint with the Ollama one
    (both could have served it); a native request's names only the Ollama instance."""
    cl = cluster(SPEC)
    cl["ol"].kill(mode="refuse")
    cl["oa"].add_rule(path="/v1/models", status=500)  # its health check fails; chat still works
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st = jreq(cl.t, "GET", "/v1/models").json()["data"]
        if not st:
            break
        time.sleep(0.1)
    assert not jreq(cl.t, "GET", "/v1/models").json()["data"], "both endpoints should be down by health"
    cl.clear_logs()
    r = jreq(cl.t, "POST", "/v1/chat/completions", {"model": "never-listed",
                                                    "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 503 and r.header("Retry-After"), r.describe()
    message = r.json()["error"]["message"]
    assert "ol (offline: " in message and "oa (unhealthy: probe answered HTTP 500)" in message, message
    assert cl.who_got("/v1/chat/completions", "POST")["oa"] == 0, "oa was found down: it must not be tried"
    r = jreq(cl.t, "POST", "/api/chat", {"model": "never-listed", "stream": False,
                                         "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 503, r.describe()
    assert "ol (offline: " in r.json()["error"] and "oa" not in r.json()["error"], r.describe()
