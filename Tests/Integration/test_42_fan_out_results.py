"""Scenario 42: fan-out results and management calls the catalogue already knows (issue 10,
items 3 and 4).

A fan-out (pull to all, copy, delete, unload) reports failure when a member failed, whatever
the order of the endpoints, reading Ollama's in-stream {"error":...} lines as failures: the
answer names the instances that succeeded and those that failed and ends with an error.
Every call that changes what an instance holds (pull, create, copy, delete, load/unload) is
in the catalogue before the client has the last byte of its answer. docs/routing.md
"Management calls".
"""
import json
import threading

import pytest

from helpers import RawClient, jreq, ndjson_lines

pytestmark = pytest.mark.daemon_only

ERR = "pull model manifest: file does not exist"


def spec(first_fails: bool):
    a, b = {"name": "a", "models": ["llama3.2"]}, {"name": "b", "models": ["llama3.2"]}
    return [a, b] if first_fails else [b, a]


@pytest.mark.parametrize("failing_first", [True, False], ids=["failing-first", "failing-last"])
def test_pull_to_all_reports_an_in_stream_failure(cluster, failing_first):
    cl = cluster(spec(failing_first), overrides={"model_registry": {"pull_target": "all"}})
    cl["a"].pull_error = ERR
    r = jreq(cl.t, "POST", "/api/pull", {"model": "fresh:7b"})
    lines = ndjson_lines(r)
    assert r.status == 200, r.describe()
    assert lines and "error" in lines[-1], f"a failed member must end the stream with an error: {lines}"
    assert {"status": "success"} not in lines, f"no plain success line when a member failed: {lines}"
    msg = lines[-1]["error"]
    assert "pull failed on a" in msg and ERR in msg and "succeeded on b" in msg, msg
    assert {"status": "b: success"} in lines, lines
    assert r.header("X-Olla-Fan-Out-Failed") == "a" and r.header("X-Olla-Fan-Out-Succeeded") == "b", r.headers
    # stream: false -> an HTTP error status, same message
    r = jreq(cl.t, "POST", "/api/pull", {"model": "fresh:7b", "stream": False})
    assert r.status == 500 and "pull failed on a" in r.json()["error"], r.describe()


def test_pull_to_all_succeeds_when_all_succeed(cluster):
    cl = cluster(spec(True), overrides={"model_registry": {"pull_target": "all"}})
    r = jreq(cl.t, "POST", "/api/pull", {"model": "fresh:7b"})
    lines = ndjson_lines(r)
    assert r.status == 200 and lines[-1] == {"status": "success"}, lines
    assert r.header("X-Olla-Fan-Out-Failed") is None and set(r.header("X-Olla-Fan-Out-Succeeded").split(",")) == {"a", "b"}


def test_delete_fan_out_names_the_failed_member(cluster):
    cl = cluster([{"name": "a", "models": ["llama3.2", "mistral:7b"]}, {"name": "b", "models": ["mistral:7b"]}])
    cl["b"].add_rule(path="/api/delete", status=500, error_body="permission denied")
    r = jreq(cl.t, "DELETE", "/api/delete", {"model": "mistral:7b"})
    assert r.status == 500, r.describe()
    err = r.json()["error"]
    assert "delete failed on b" in err and "succeeded on a" in err, err


def _pull_then_chat(cl, body):
    """Pull through Olla on a raw socket; the moment the last byte arrives, chat."""
    c = RawClient(cl.t.host, cl.t.port, timeout=15)
    c.send_request("POST", cl.t.path("/api/pull"), [("Content-Type", "application/json")], json.dumps(body).encode())
    resp = c.read_body(c.read_head(15), 15)
    chat = jreq(cl.t, "POST", "/api/chat", {"model": body["model"], "stream": False,
                                            "messages": [{"role": "user", "content": "hi"}]})
    tags = {m["name"] for m in jreq(cl.t, "GET", "/api/tags").json()["models"]}
    return resp, chat, tags


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_model_usable_as_soon_as_pull_returns(cluster, stream):
    cl = cluster([{"name": "a", "models": ["llama3.2"]}])
    for i in range(5):
        model = f"fresh{i}-{int(stream)}:1b"
        resp, chat, tags = _pull_then_chat(cl, {"model": model, "stream": stream})
        assert resp.status == 200, resp.describe()
        assert model in tags, f"pull #{i} answered, but /api/tags right after lacks {model}: {sorted(tags)}"
        assert chat.status == 200, f"chat right after pull #{i} returned: {chat.describe()}"


def test_load_and_unload_show_in_ps_when_answered(cluster):
    cl = cluster([{"name": "a", "models": ["llama3.2", "mistral:7b"], "loaded": []}])
    assert not jreq(cl.t, "GET", "/api/ps").json()["models"]
    cl["a"].loaded = ["mistral:7b"]  # what a load request makes the instance report
    r = jreq(cl.t, "POST", "/api/generate", {"model": "mistral:7b"})
    assert r.status == 200, r.describe()
    ps = [m["name"] for m in jreq(cl.t, "GET", "/api/ps").json()["models"]]
    assert any(n.startswith("mistral") for n in ps), f"a load request returned; /api/ps right after: {ps}"
