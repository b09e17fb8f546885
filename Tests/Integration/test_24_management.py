"""Scenario 24: management calls over many instances (docs/routing.md "Management calls"):
show/push -> a holder; pull -> pull_target (best | all | name); copy/delete -> every holder,
one answer, catalogue refreshed before it; blob uploads remembered, /api/create follows its
blobs; unload -> every instance that has the model loaded."""
import hashlib
import os
import uuid

import pytest

from conftest import PATIENT_HEALTH
from helpers import jreq, ndjson_lines, raw_request, wait_until

pytestmark = pytest.mark.daemon_only

# Health is not under test here: patient probes, so a busy machine cannot take a holder
# offline (which would change who gets a copy/delete and the answer).
SPEC = [
    {"name": "a", "models": ["llama3.2", "qwen2.5:0.5b"], "loaded": [], **PATIENT_HEALTH},
    {"name": "b", "models": ["qwen2.5:0.5b", "nomic-embed-text"], "loaded": [], **PATIENT_HEALTH},
    {"name": "c", "models": ["nomic-embed-text", "mistral:7b"], "loaded": [], **PATIENT_HEALTH},
]


def spec(**per_name):
    out = []
    for s in SPEC:
        out.append({**s, **per_name.get(s["name"], {})})
    return out


def mk():
    return "g-" + uuid.uuid4().hex[:10]


def tags(cl) -> set:
    return {m["name"] for m in jreq(cl.t, "GET", "/api/tags").json()["models"]}


def has(mock, name) -> bool:
    return mock._find_model(name) is not None


def test_show_and_push_go_to_a_holder(cluster):
    cl = cluster(SPEC)
    for model, holder in (("mistral:7b", "c"), ("llama3.2", "a")):
        m = mk()
        r = jreq(cl.t, "POST", "/api/show", {"model": model}, headers=[("X-Test-Marker", m)])
        assert r.status == 200 and r.json()["details"]["family"], f"show {model}: {r.describe()}"
        assert cl.who_got("/api/show", "POST", m) == {**{n: 0 for n in "abc"}, holder: 1}, cl.who_got("/api/show", "POST", m)
        m = mk()
        r = jreq(cl.t, "POST", "/api/push", {"model": model}, headers=[("X-Test-Marker", m)])
        assert r.status == 200, f"push {model}: {r.describe()}"
        assert ndjson_lines(r)[-1] == {"status": "success"}, r.body
        assert cl.who_got("/api/push", "POST", m) == {**{n: 0 for n in "abc"}, holder: 1}, (
            f"push {model} must go to its holder {holder}: {cl.who_got('/api/push', 'POST', m)}")
    m = mk()
    r = jreq(cl.t, "POST", "/api/show", {"name": "nowhere:1b"}, headers=[("X-Test-Marker", m)])
    assert r.status == 404 and r.json() == {"error": "model 'nowhere:1b' not found"}, r.describe()
    assert not any(cl.who_got("/api/show", "POST", m).values())


def test_pull_best_goes_to_the_balancers_pick(cluster):
    cl = cluster(spec(b={"priority": 200}))  # model-aware: nothing loaded/in flight -> priority -> b
    m = mk()
    r = jreq(cl.t, "POST", "/api/pull", {"model": "fresh:7b"}, headers=[("X-Test-Marker", m)])
    assert r.status == 200, r.describe()
    lines = ndjson_lines(r)
    assert lines[0] == {"status": "pulling manifest"} and lines[-1] == {"status": "success"}, (
        f"pull progress should stream through unchanged: {lines}")
    got = cl.who_got("/api/pull", "POST", m)
    assert got == {"a": 0, "b": 1, "c": 0}, f"pull_target best: the balancer's pick (b, priority 200) only: {got}"
    assert wait_until(lambda: "fresh:7b" in tags(cl), 1.0), f"fresh:7b not in /api/tags 1 s after the pull: {sorted(tags(cl))}"
    r = jreq(cl.t, "POST", "/api/chat", {"model": "fresh:7b", "messages": [{"role": "user", "content": "x"}], "stream": False})
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "b", r.describe()


def test_pull_all_every_instance_one_answer(cluster):
    cl = cluster(SPEC, overrides={"model_registry": {"pull_target": "all"}})
    for stream in (True, False):
        model = f"everywhere-{int(stream)}:1b"
        m = mk()
        r = jreq(cl.t, "POST", "/api/pull", {"model": model, "stream": stream}, headers=[("X-Test-Marker", m)])
        assert r.status == 200, f"pull all (stream={stream}): {r.describe()}"
        got = cl.who_got("/api/pull", "POST", m)
        assert got == {"a": 1, "b": 1, "c": 1}, f"pull_target all: every instance pulls once (stream={stream}): {got}"
        lines = ndjson_lines(r)
        assert lines and lines[-1] == {"status": "success"}, f"one merged answer ending in success (stream={stream}): {lines}"
        assert not any("error" in x for x in lines), lines
        if not stream:
            assert lines == [{"status": "success"}], f"stream=false: one JSON object, got {r.body!r}"
        assert all(has(cl[n], model) for n in "abc")
        assert wait_until(lambda: model in tags(cl), 1.0), f"{model} not in /api/tags after pull all"


def test_pull_named_target(cluster):
    cl = cluster(SPEC, overrides={"model_registry": {"pull_target": "c"}})
    m = mk()
    r = jreq(cl.t, "POST", "/api/pull", {"name": "named:2b"}, headers=[("X-Test-Marker", m)])
    assert r.status == 200 and ndjson_lines(r)[-1] == {"status": "success"}, r.describe()
    assert cl.who_got("/api/pull", "POST", m) == {"a": 0, "b": 0, "c": 1}, cl.who_got("/api/pull", "POST", m)
    assert has(cl["c"], "named:2b") and not has(cl["a"], "named:2b")


def test_copy_and_delete_every_holder_catalogue_consistent(cluster):
    cl = cluster(SPEC)
    m = mk()
    r = jreq(cl.t, "POST", "/api/copy", {"source": "qwen2.5:0.5b", "destination": "qwen-copy:1"},
             headers=[("X-Test-Marker", m)])
    assert r.status == 200, f"copy: {r.describe()}"
    assert cl.who_got("/api/copy", "POST", m) == {"a": 1, "b": 1, "c": 0}, (
        f"copy goes to every holder of qwen2.5:0.5b (a, b) only: {cl.who_got('/api/copy', 'POST', m)}")
    now = tags(cl)
    assert "qwen-copy:1" in now, f"the catalogue is refreshed before the copy is answered: {sorted(now)}"
    r = jreq(cl.t, "POST", "/api/show", {"model": "qwen-copy:1"})
    assert r.status == 200 and r.header("X-Olla-Endpoint") in ("a", "b"), r.describe()

    m = mk()
    r = jreq(cl.t, "DELETE", "/api/delete", {"model": "qwen2.5:0.5b"}, headers=[("X-Test-Marker", m)])
    assert r.status == 200, f"delete: {r.describe()}"
    assert cl.who_got("/api/delete", "DELETE", m) == {"a": 1, "b": 1, "c": 0}, cl.who_got("/api/delete", "DELETE", m)
    assert not has(cl["a"], "qwen2.5:0.5b") and not has(cl["b"], "qwen2.5:0.5b")
    now = tags(cl)
    assert "qwen2.5:0.5b" not in now, f"`ollama rm` then `ollama list`: the deleted model is still listed: {sorted(now)}"
    r = jreq(cl.t, "POST", "/api/chat", {"model": "qwen2.5:0.5b", "messages": [{"role": "user", "content": "x"}]})
    assert r.status == 404, f"chat for the deleted model: want 404, got {r.describe()}"


def test_copy_delete_partial_failure_answers_the_failure(cluster):
    cl = cluster(SPEC)
    cl["b"].add_rule(path="/api/copy", times=1, status=500)
    r = jreq(cl.t, "POST", "/api/copy", {"source": "qwen2.5:0.5b", "destination": "half:1"})
    assert r.status == 500 and "error" in r.json(), (
        f"copy where b fails: the answer is the first failure (500), got {r.describe()}")
    cl["a"].add_rule(path="/api/delete", times=1, status=500)
    m = mk()
    r = jreq(cl.t, "DELETE", "/api/delete", {"model": "nomic-embed-text"}, headers=[("X-Test-Marker", m)])
    assert r.status == 200, f"delete where only a (not a holder) would fail: b and c succeed -> 200, got {r.describe()}"
    assert cl.who_got("/api/delete", "DELETE", m) == {"a": 0, "b": 1, "c": 1}, cl.who_got("/api/delete", "DELETE", m)
    cl["a"].rules.clear()
    cl["c"].add_rule(path="/api/delete", times=1, status=500)
    cl["a"].add_rule(path="/api/delete", times=1, status=404)  # a holds mistral? no: c only -> must not matter
    r = jreq(cl.t, "DELETE", "/api/delete", {"model": "mistral:7b"})  # only c holds it, c fails
    assert r.status == 500, f"delete where the only holder (c) fails: want its 500, got {r.describe()}"
    r = jreq(cl.t, "DELETE", "/api/delete", {"model": "ghost:9b"})
    assert r.status == 404, f"delete of a model nobody has: 404, got {r.describe()}"


def test_blob_uploads_are_remembered_and_create_follows_them(cluster):
    cl = cluster(SPEC, overrides={"proxy": {"load_balancer": "round-robin"}})
    placed = {}
    for i in range(2):
        data = os.urandom(64 * 1024 + i)
        digest = hashlib.sha256(data).hexdigest()
        t = cl.t
        r = raw_request(t.host, t.port, "POST", t.path(f"/api/blobs/sha256:{digest}"),
                        [("Content-Type", "application/octet-stream")], data, timeout=10)
        assert r.status == 201, f"blob upload {i}: {r.describe()}"
        holders = [n for n in "abc" if digest in cl[n].blobs]
        assert len(holders) == 1, f"a blob upload goes to one instance (the balancer's pick): {holders}"
        placed[digest] = holders[0]
    assert len(set(placed.values())) == 2, (
        f"round-robin: two successive blob uploads should land on different instances: {placed}")
    for n, (digest, where) in enumerate(placed.items()):
        m = mk()
        model = f"custom{n}:latest"
        r = jreq(cl.t, "POST", "/api/create", {"model": model, "files": {"model.gguf": f"sha256:{digest}"}},
                 headers=[("X-Test-Marker", m)])
        assert r.status == 200 and ndjson_lines(r)[-1] == {"status": "success"}, f"create {model}: {r.describe()}"
        got = cl.who_got("/api/create", "POST", m)
        assert got == {**{x: 0 for x in "abc"}, where: 1}, (
            f"/api/create with files -> sha256:{digest[:12]}… must go to {where}, where that blob was uploaded: {got}")
        assert wait_until(lambda: model in tags(cl), 1.0), f"{model} not in /api/tags after create"
        r = jreq(cl.t, "POST", "/api/show", {"model": model})
        assert r.status == 200 and r.header("X-Olla-Endpoint") == where, r.describe()


def test_unload_fans_out_to_instances_with_model_loaded(cluster):
    cl = cluster([
        {"name": "a", "models": ["llama3.2", "qwen2.5:0.5b"], "loaded": ["llama3.2:latest"]},
        {"name": "b", "models": ["llama3.2", "nomic-embed-text"], "loaded": ["nomic-embed-text:latest"]},
        {"name": "c", "models": ["llama3.2", "mistral:7b"], "loaded": ["llama3.2:latest", "mistral:7b"]},
    ])
    for path, body in (("/api/generate", {"model": "llama3.2", "keep_alive": 0}),
                       ("/api/chat", {"model": "llama3.2", "keep_alive": 0})):
        m = mk()
        r = jreq(cl.t, "POST", path, body, headers=[("X-Test-Marker", m)])
        assert r.status == 200, f"unload via {path}: {r.describe()}"
        got = cl.who_got(path, "POST", m)
        assert got == {"a": 1, "b": 0, "c": 1}, (
            f"unload ({path} keep_alive=0, no prompt/messages) goes to every instance with llama3.2 loaded (a, c): {got}")
        assert r.json().get("done") is True, r.body
        assert r.header("X-Olla-Routing-Decision") == "fan-out", (
            f"{path} unload: X-Olla-Routing-Decision={r.header('X-Olla-Routing-Decision')!r}, want fan-out")
    # keep_alive 0 WITH a prompt is an ordinary generation: one instance
    m = mk()
    r = jreq(cl.t, "POST", "/api/generate", {"model": "llama3.2", "prompt": "hi", "keep_alive": 0, "stream": False},
             headers=[("X-Test-Marker", m)])
    assert r.status == 200 and sum(cl.who_got("/api/generate", "POST", m).values()) == 1, cl.who_got("/api/generate", "POST", m)
