"""Scenario 30: Olla's own routes (docs/operations.md "Routes").

Two mocks (a: priority 200, weight 3; b: priority 100, weight 1) and a dead endpoint (c) behind
one daemon. Checked: /internal/health, /version, /internal/status (shape, counts, status
degraded, request counters, in_flight during a stream), /internal/status/endpoints (every field
of every endpoint, in configuration order), /internal/status/models (sorted, holders most
preferred first, loaded_on).
"""
from __future__ import annotations

import json
import re
import threading
import time

import pytest

from conftest import FAST_HEALTH, PATIENT_HEALTH, DaemonFactory, endpoint_ex
from helpers import DeadPort, RawClient, jreq, raw_request, wait_until
from mock_ollama import MockOllama

pytestmark = pytest.mark.daemon_only

ENDPOINT_FIELDS = {"name", "url", "type", "status", "routable", "priority", "weight", "models", "loaded_models",
                   "in_flight", "request_count", "success_rate", "latency_p50_ms", "latency_p95_ms",
                   "latency_p99_ms", "last_check_ago_ms", "next_check_in_ms", "last_error"}


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_root):
    e = Env()
    e.a = MockOllama(name="a").start()
    e.b = MockOllama(name="b").start()
    e.dead = DeadPort()
    e.a.set_models(["llama3.2", "qwen2.5:0.5b"])
    e.a.loaded = ["llama3.2"]
    e.b.set_models(["llama3.2", "mistral:7b"])
    e.b.loaded = []
    # Patient probes for the live mocks: their status must read "healthy", and with a 200 ms
    # check_timeout a probe over 100 ms on a loaded machine reads "busy" (missed: "offline").
    eps = [endpoint_ex("ep-a", e.a.url, priority=200, weight=3, **PATIENT_HEALTH),
           endpoint_ex("ep-b", e.b.url, priority=100, weight=1, **PATIENT_HEALTH),
           endpoint_ex("ep-c", e.dead.url, priority=50, weight=2, **FAST_HEALTH)]
    f = DaemonFactory(tmp_root, None)
    try:
        e.d = f.start(endpoints=eps, overrides={"proxy": {"load_balancer": "priority"}})
        e.t = e.d.target
        yield e
    finally:
        f.cleanup()
        e.a.stop()
        e.b.stop()
        e.dead.close()


def get(e, path: str, headers=None):
    r = raw_request("127.0.0.1", e.d.port, "GET", path, headers or [], timeout=5)
    return r


def get_json(e, path: str):
    r = get(e, path)
    assert r.status == 200, f"GET {path}: expected 200, got {r.describe()}"
    ct = r.header("Content-Type") or ""
    assert ct.startswith("application/json"), f"GET {path}: Content-Type {ct!r}, expected application/json"
    try:
        return r.json()
    except ValueError as ex:
        raise AssertionError(f"GET {path}: body is not JSON ({ex}): {r.body[:300]!r}")


def endpoints_by_name(e) -> dict:
    return {x["name"]: x for x in get_json(e, "/internal/status/endpoints")["endpoints"]}


def wait_dead_marked(e):
    ok = wait_until(lambda: endpoints_by_name(e)["ep-c"]["status"] in ("unhealthy", "offline"), 5, 0.1)
    assert ok, f"the dead endpoint ep-c is still {endpoints_by_name(e)['ep-c']} 5 s after start-up"


def chat(e, model="llama3.2", headers=None, stream=False):
    return jreq(e.t, "POST", "/api/chat", {"model": model, "stream": stream,
                                           "messages": [{"role": "user", "content": "why is the sky blue"}]},
                headers=headers)


def test_health(env):
    r = get(env, "/internal/health")
    assert r.status == 200, r.describe()
    assert (r.header("Content-Type") or "").startswith("application/json"), r.describe()
    assert r.json() == {"status": "healthy"}, f"/internal/health body {r.body!r}"


def test_version(env):
    v = get_json(env, "/version")
    assert v.get("name") == "olla", v
    assert v.get("build") == "swift", v
    assert isinstance(v.get("version"), str) and re.fullmatch(r"\d+\.\d+\.\d+\S*", v["version"]), v


def test_status_overview(env):
    wait_dead_marked(env)
    for _ in range(3):
        r = chat(env)
        assert r.status == 200, r.describe()
    wait_until(lambda: get_json(env, "/internal/status")["requests"]["in_flight"] == 0, 5.0, 0.01)
    s = get_json(env, "/internal/status")
    missing = {"status", "version", "uptime", "uptime_seconds", "endpoints", "requests", "models"} - set(s)
    assert not missing, f"/internal/status lacks {missing}: {s}"
    assert s["status"] == "degraded", f"2 of 3 endpoints healthy: expected status 'degraded', got {s}"
    assert s["endpoints"] == {"total": 3, "healthy": 2, "routable": 2}, s["endpoints"]
    assert s["version"] == get_json(env, "/version")["version"], s
    # llama3.2, qwen2.5:0.5b, mistral:7b: three distinct models
    assert s["models"] == {"total": 3}, s["models"]
    up = time.monotonic() - env.d.started_at
    assert isinstance(s["uptime_seconds"], int) and 0 <= s["uptime_seconds"] <= up + 1, (s, up)
    assert re.fullmatch(r"\d+s|\d+m\d+s|\d+h\d+m|\d+d\d+h", s["uptime"]), s["uptime"]
    assert s["uptime"] == f"{s['uptime_seconds']}s" or s["uptime_seconds"] >= 60, s
    req = s["requests"]
    assert set(req) >= {"total", "failed", "success_rate", "in_flight"}, req
    assert req["total"] >= 3 and req["in_flight"] == 0, req
    expect_rate = round(100.0 * (req["total"] - req["failed"]) / req["total"], 2)
    assert abs(req["success_rate"] - expect_rate) < 0.006, f"success_rate {req['success_rate']} != {expect_rate}: {req}"


def test_status_counts_failures(env):
    before = get_json(env, "/internal/status")["requests"]
    r = chat(env, headers=[("X-Mock-Status", "500")])
    assert r.status == 500, r.describe()
    r = chat(env)
    assert r.status == 200, r.describe()
    after = wait_until(lambda: (lambda q: q if q["failed"] > before["failed"] and q["in_flight"] == 0 else None)(
        get_json(env, "/internal/status")["requests"]), 1.0, 0.01) or get_json(env, "/internal/status")["requests"]
    # the first /internal/status itself may or may not be counted: compare failures exactly
    assert after["failed"] - before["failed"] == 1, f"one 500 answered: failed {before} -> {after}"
    assert after["total"] - before["total"] >= 2, f"two proxied requests: total {before} -> {after}"
    assert after["success_rate"] < 100, after


def test_status_in_flight_during_stream(env):
    done = threading.Event()
    result = {}

    def run():
        # 3 s of stream: the status reads below must fall inside it even when a loaded
        # machine stalls the test for a second
        result["r"] = chat(env, stream=True, headers=[("X-Mock-Chunks", "30"), ("X-Mock-Chunk-Delay-Ms", "100")])
        done.set()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    try:
        assert env.a.wait_for(lambda: any(r.path == "/api/chat" and r.outcome is None for r in env.a.requests), 3), \
            "the slow stream never reached mock a"
        time.sleep(0.15)
        s = get_json(env, "/internal/status")
        eps = endpoints_by_name(env)
        assert s["requests"]["in_flight"] == 1, f"one stream running: requests.in_flight should be 1: {s['requests']}"
        assert eps["ep-a"]["in_flight"] == 1, f"ep-a in_flight during its stream: {eps['ep-a']}"
        assert eps["ep-b"]["in_flight"] == 0, eps["ep-b"]
    finally:
        th.join(15)
    assert done.is_set() and result["r"].status == 200, result
    wait_until(lambda: get_json(env, "/internal/status")["requests"]["in_flight"] == 0, 5.0, 0.01)
    s = get_json(env, "/internal/status")
    assert s["requests"]["in_flight"] == 0, f"after the stream ended: {s['requests']}"
    assert endpoints_by_name(env)["ep-a"]["in_flight"] == 0


def test_status_endpoints(env):
    wait_dead_marked(env)
    body = get_json(env, "/internal/status/endpoints")
    assert body.get("total_count") == 3 and body.get("healthy_count") == 2 and body.get("routable_count") == 2, \
        {k: v for k, v in body.items() if k != "endpoints"}
    eps = body["endpoints"]
    assert [x["name"] for x in eps] == ["ep-a", "ep-b", "ep-c"], "endpoints must be in configuration order"
    for x in eps:
        missing = ENDPOINT_FIELDS - set(x)
        assert not missing, f"endpoint {x.get('name')} lacks {sorted(missing)}: {x}"
    a, b, c = eps
    assert (a["url"], a["type"], a["priority"], a["weight"]) == (env.a.url, "ollama", 200, 3), a
    assert (b["url"], b["type"], b["priority"], b["weight"]) == (env.b.url, "ollama", 100, 1), b
    assert (c["url"], c["priority"], c["weight"]) == (env.dead.url, 50, 2), c
    assert a["status"] == "healthy" and a["routable"] is True, a
    assert b["status"] == "healthy" and b["routable"] is True, b
    assert c["status"] in ("unhealthy", "offline") and c["routable"] is False, c
    assert sorted(a["models"]) == ["llama3.2:latest", "qwen2.5:0.5b"], a["models"]
    assert sorted(b["models"]) == ["llama3.2:latest", "mistral:7b"], b["models"]
    assert c["models"] == [] and c["loaded_models"] == [], c
    assert a["loaded_models"] == ["llama3.2:latest"], a["loaded_models"]
    assert b["loaded_models"] == [], b["loaded_models"]
    if "model_count" in a:
        assert a["model_count"] == 2, a
    for x in (a, b):
        assert x["last_error"] is None, f"healthy endpoint with last_error: {x}"
        # check_interval 2 s: the next probe is at most one interval away; the last one at
        # most an interval plus its 1.5 s timeout ago (plus slack for a loaded machine)
        assert isinstance(x["last_check_ago_ms"], int) and 0 <= x["last_check_ago_ms"] <= 4500, x
        assert isinstance(x["next_check_in_ms"], int) and x["next_check_in_ms"] <= 2000, x
    assert isinstance(c["last_error"], str) and c["last_error"], f"dead endpoint without last_error: {c}"


def test_status_endpoint_request_stats(env):
    # ep-a has carried all traffic so far (priority balancer); ep-b none.
    before = endpoints_by_name(env)
    n0 = before["ep-a"]["request_count"]
    for _ in range(4):
        assert chat(env).status == 200
    # mistral:7b only lives on ep-b
    r = chat(env, model="mistral:7b")
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "ep-b", r.describe()
    # a request is recorded when its exchange finishes, possibly a moment after the client
    # read the last byte
    wait_until(lambda: endpoints_by_name(env)["ep-b"]["request_count"] > before["ep-b"]["request_count"], 1.0, 0.01)
    eps = endpoints_by_name(env)
    a, b = eps["ep-a"], eps["ep-b"]
    assert a["request_count"] == n0 + 4, f"ep-a request_count {n0} -> {a['request_count']} after 4 requests"
    assert b["request_count"] == before["ep-b"]["request_count"] + 1, (before["ep-b"], b)
    for x in (a, b):
        assert isinstance(x["success_rate"], (int, float)) and 0 <= x["success_rate"] <= 100, x
        lat = [x["latency_p50_ms"], x["latency_p95_ms"], x["latency_p99_ms"]]
        assert all(isinstance(v, int) and v >= 0 for v in lat), f"{x['name']} latencies {lat}"
        assert lat[0] <= lat[1] <= lat[2], f"{x['name']} percentiles out of order: {lat}"
    c = eps["ep-c"]
    assert c["request_count"] == 0, c
    assert c["success_rate"] is None, f"no request yet: success_rate must be null, got {c['success_rate']!r}"
    assert c["latency_p50_ms"] is None and c["latency_p99_ms"] is None, c


def test_status_models(env):
    body = get_json(env, "/internal/status/models")
    models = body.get("models")
    assert isinstance(models, list), body
    names = [m["name"] for m in models]
    assert body.get("total") == len(models) == 3, body
    assert names == sorted(names), f"models not sorted by name: {names}"
    by = {m["name"]: m for m in models}
    assert set(by) == {"llama3.2:latest", "qwen2.5:0.5b", "mistral:7b"}, names
    assert by["llama3.2:latest"]["endpoints"] == ["ep-a", "ep-b"], \
        f"holders most preferred (priority 200 first): {by['llama3.2:latest']}"
    assert by["llama3.2:latest"]["loaded_on"] == ["ep-a"], by["llama3.2:latest"]
    assert by["qwen2.5:0.5b"] == {"name": "qwen2.5:0.5b", "endpoints": ["ep-a"], "loaded_on": []}, by["qwen2.5:0.5b"]
    assert by["mistral:7b"]["endpoints"] == ["ep-b"], by["mistral:7b"]


def test_internal_routes_do_not_reach_backends(env):
    env.a.clear_log()
    env.b.clear_log()
    for p in ("/internal/health", "/internal/status", "/internal/status/endpoints", "/internal/status/models",
              "/internal/metrics", "/version"):
        with RawClient("127.0.0.1", env.d.port, timeout=5) as c:
            c.send_request("GET", p, [("X-Request-ID", "status-probe")])
            r = c.read_response(5)
            assert r.status == 200, f"{p}: {r.describe()}"
    fwd = [r.target for m in (env.a, env.b) for r in m.requests if r.header("X-Olla-Request-ID") == "status-probe"]
    assert not fwd, f"internal routes were forwarded to a backend: {fwd}"


def test_first_request_after_port_opens_is_answered_promptly(tmp_root):
    """A liveness probe that connects as soon as the port accepts must be answered at once,
    not after the daemon's first idle event-loop tick."""
    m = MockOllama(name="early").start()
    f = DaemonFactory(tmp_root, None)
    try:
        d = f.start(endpoints=[endpoint_ex("early", m.url, **FAST_HEALTH)], wait_ready=False)
        deadline = time.monotonic() + 10
        c = None
        while time.monotonic() < deadline:
            assert d.proc.poll() is None, f"olla exited: {d.log_tail(20)}"
            try:
                c = RawClient("127.0.0.1", d.port, timeout=5)
                break
            except OSError:
                time.sleep(0.005)
        assert c is not None, "the port never opened"
        # a few more connections right away: each listener (one per worker) must be serving
        conns = [c] + [RawClient("127.0.0.1", d.port, timeout=5) for _ in range(5)]
        took = []
        try:
            for k in conns:
                k.send_request("GET", "/internal/health")
            t0 = time.monotonic()
            for k in conns:
                r = k.read_response(5)
                assert r.status == 200, r.describe()
                took.append(round((time.monotonic() - t0) * 1000))
        finally:
            for k in conns:
                k.close()
        assert max(took) < 300, \
            f"GET /internal/health on 6 connections opened as soon as the port accepted: answered after {took} ms"
    finally:
        f.cleanup()
        m.stop()
