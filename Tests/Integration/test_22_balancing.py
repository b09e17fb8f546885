"""Scenario 22: how each load balancer distributes requests over instances that hold a model
(docs/routing.md "Balancing")."""
import threading
import time
import uuid
from collections import Counter

import pytest

from conftest import PATIENT_HEALTH
from helpers import jreq, wait_until

pytestmark = pytest.mark.daemon_only

# Health is not under test here: a probe missed or slow on a loaded machine would make an
# instance offline or busy and change where requests go.
CLUSTER_HEALTH = PATIENT_HEALTH

MODEL = "llama3.2"
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": False}


def sequential(cl, n: int, path="/api/chat", body=CHAT) -> list:
    out = []
    for i in range(n):
        r = jreq(cl.t, "POST", path, body)
        assert r.status == 200, f"request {i}: {r.describe()}"
        out.append(r.header("X-Olla-Endpoint"))
    return out


def concurrent_slow(cl, n: int, chunks: int = 15, delay_ms: int = 200) -> list:
    """n streaming chats, each ~chunks*delay_ms long (3 s by default), each started once the
    previous one has reached its instance (so Olla counts it in flight when the next is
    routed; a fixed stagger raced a loaded machine). Returns the answering endpoint of each,
    in start order."""
    def arrived() -> int:
        return sum(len(cl.client_requests(name, "/api/chat", "POST")) for name in cl.mocks)
    base = arrived()
    res = [None] * n
    errs = []

    def one(i):
        try:
            r = jreq(cl.t, "POST", "/api/chat", {**CHAT, "stream": True},
                     headers=[("X-Mock-Chunks", str(chunks)), ("X-Mock-Chunk-Delay-Ms", str(delay_ms))], timeout=15)
            if r.status != 200 or not r.complete:
                errs.append(f"request {i}: {r.describe()}")
            res[i] = r.header("X-Olla-Endpoint")
        except Exception as e:  # pragma: no cover - reported below
            errs.append(f"request {i}: {e!r}")

    ths = []
    for i in range(n):
        th = threading.Thread(target=one, args=(i,))
        th.start()
        ths.append(th)
        assert wait_until(lambda: arrived() >= base + i + 1 or errs, 10.0, 0.01), \
            f"request {i} never reached an instance within 10 s"
    for th in ths:
        th.join(20)
    assert not errs, errs
    return res


def test_priority_always_the_top(cluster):
    cl = cluster([
        {"name": "a", "priority": 100, "models": [MODEL], "loaded": []},
        {"name": "b", "priority": 100, "models": [MODEL], "loaded": []},
        {"name": "c", "priority": 50, "models": [MODEL], "loaded": [MODEL]},  # loaded: must not matter
    ], overrides={"proxy": {"load_balancer": "priority"}})
    got = Counter(sequential(cl, 20))
    assert got == Counter({"a": 20}), (
        f"priority balancer: highest priority first, config order within the tier -> all 20 on a; got {dict(got)}")
    got = Counter(concurrent_slow(cl, 3, chunks=4, delay_ms=100))
    assert got == Counter({"a": 3}), f"priority ignores in-flight load: want all 3 on a, got {dict(got)}"


def test_round_robin_docs_example_sequence(cluster):
    cl = cluster([
        {"name": "a", "weight": 5, "models": [MODEL]},
        {"name": "b", "weight": 1, "models": [MODEL]},
        {"name": "c", "weight": 1, "models": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "round-robin"}})
    seq = sequential(cl, 14)
    want = list("aabacaa") * 2
    assert seq == want, f"round-robin with weights 5,1,1 (nginx smooth WRR, docs/routing.md): want {''.join(want)}, got {''.join(seq)}"


def test_round_robin_weights_3_to_1_top_tier_only(cluster):
    cl = cluster([
        {"name": "a", "weight": 3, "models": [MODEL, "qwen2.5:0.5b"]},
        {"name": "b", "weight": 1, "models": [MODEL, "qwen2.5:0.5b"]},
        {"name": "c", "weight": 1, "priority": 50, "models": [MODEL, "qwen2.5:0.5b"]},
    ], overrides={"proxy": {"load_balancer": "round-robin"}})
    seq = sequential(cl, 40)
    got = Counter(seq)
    assert got == Counter({"a": 30, "b": 10}), (
        f"round-robin a:w3 b:w1 (c is a lower tier, failover only) over 40 requests: want a=30 b=10, got {dict(got)}; "
        f"sequence {''.join(seq)}")
    for i in range(0, 40, 4):
        assert Counter(seq[i:i + 4]) == Counter({"a": 3, "b": 1}), (
            f"smooth rotation: every window of 4 has a,a,a,b; window {i}: {seq[i:i + 4]} (full: {''.join(seq)})")


def test_least_connections_spreads_in_flight(cluster):
    cl = cluster([
        {"name": "a", "models": [MODEL]},
        {"name": "b", "models": [MODEL]},
        {"name": "c", "models": [MODEL]},
        {"name": "d", "priority": 50, "models": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "least-connections"}})
    got = Counter(concurrent_slow(cl, 6))
    assert got == Counter({"a": 2, "b": 2, "c": 2}), (
        f"least-connections, 6 overlapping slow requests over a, b, c (d is a lower tier): want 2/2/2, got {dict(got)}")
    # nothing in flight: sequential requests all find an idle top-tier instance
    got = Counter(sequential(cl, 6))
    assert set(got) <= {"a", "b", "c"}, f"sequential requests went to the lower tier: {dict(got)}"


def test_least_connections_relative_to_weight(cluster):
    cl = cluster([
        {"name": "a", "weight": 2, "models": [MODEL]},
        {"name": "b", "weight": 1, "models": [MODEL]},
        {"name": "c", "weight": 1, "models": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "least-connections"}})
    got = Counter(concurrent_slow(cl, 8))
    assert got == Counter({"a": 4, "b": 2, "c": 2}), (
        f"least-connections with weights 2,1,1 and 8 overlapping requests: want a=4 b=2 c=2, got {dict(got)}")


def test_model_aware_prefers_loaded_instance(cluster):
    cl = cluster([
        {"name": "a", "models": [MODEL], "loaded": []},
        {"name": "b", "models": [MODEL], "loaded": [MODEL]},
        {"name": "c", "models": [MODEL], "loaded": []},
    ], overrides={"proxy": {"load_balancer": "model-aware"}})
    got = Counter(sequential(cl, 10))
    assert got == Counter({"b": 10}), f"model-aware: llama3.2 is loaded only on b (per /api/ps); want all 10 on b, got {dict(got)}"
    r = jreq(cl.t, "POST", "/api/chat", CHAT)
    assert r.header("X-Olla-Routing-Decision") == "routed" and r.header("X-Olla-Routing-Reason"), r.headers
    # loaded beats in-flight: overlapping requests still all go to b
    got = Counter(concurrent_slow(cl, 4, chunks=5, delay_ms=150))
    assert got == Counter({"b": 4}), f"model-aware: 'loaded' ranks before in-flight load; want 4 on b, got {dict(got)}"
    # the model moves: b unloads it, c loads it -> /api/ps is re-read after each probe
    # (check_interval 2 s here; 10 s leaves room for a loaded machine)
    cl["b"].loaded = []
    cl["c"].loaded = [MODEL]
    moved = wait_until(lambda: jreq(cl.t, "POST", "/api/chat", CHAT).header("X-Olla-Endpoint") == "c", 10.0, 0.1)
    assert moved, "after b unloaded and c loaded llama3.2, requests did not move to c within 10 s (ps re-read after every probe)"
    got = Counter(sequential(cl, 6))
    assert got == Counter({"c": 6}), f"after the move: want all on c, got {dict(got)}"


def test_model_aware_without_loaded_uses_in_flight_then_priority(cluster):
    cl = cluster([
        {"name": "a", "priority": 100, "models": [MODEL], "loaded": []},
        {"name": "b", "priority": 100, "models": [MODEL], "loaded": []},
        {"name": "c", "priority": 50, "models": [MODEL], "loaded": []},
    ], overrides={"proxy": {"load_balancer": "model-aware"}})
    got = Counter(sequential(cl, 8))
    assert got == Counter({"a": 8}), (
        f"model-aware, loaded nowhere, nothing in flight: priority then config order -> all on a; got {dict(got)}")
    got = concurrent_slow(cl, 3)
    assert Counter(got) == Counter({"a": 1, "b": 1, "c": 1}), (
        f"model-aware, loaded nowhere: in-flight/weight ranks before priority, so 3 overlapping requests "
        f"land on a, b, c; got {got}")
