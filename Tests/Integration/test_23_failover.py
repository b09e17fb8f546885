"""Scenario 23: failover, dead / hanging / blackholed instances, recovery and re-discovery,
per-endpoint health timing and backoff (docs/routing.md "Health", "Failover")."""
import time
import uuid
from collections import Counter

import pytest

from helpers import jreq, raw_request, wait_until

pytestmark = pytest.mark.daemon_only

MODEL = "llama3.2"
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": False}


def tags(cl) -> set:
    r = jreq(cl.t, "GET", "/api/tags", timeout=5)
    assert r.status == 200, r.describe()
    return {m["name"] for m in r.json()["models"]}


def olla_ttfb(r) -> float:
    """X-Olla-Response-Time in seconds: Olla's own time from request head to the backend's
    response head, retries included (independent of how fast the body reaches us)."""
    v = r.header("X-Olla-Response-Time")
    assert v and v.endswith("ms"), f"X-Olla-Response-Time missing or malformed: {v!r}"
    return int(v[:-2]) / 1000.0


def probes(mock, since: float = 0.0) -> list:
    """Times of the health probes (GET /) the mock received after ``since``."""
    return [r.received_at for r in mock.find_requests(path="/", method="GET") if r.received_at >= since]


def test_killed_holder_zero_failed_requests_then_rediscovered(cluster):
    cl = cluster([
        {"name": "a", "models": [MODEL, "qwen2.5:0.5b"]},
        {"name": "b", "models": [MODEL, "b-only:1b"]},
        {"name": "c", "models": [MODEL, "qwen2.5:0.5b"]},
    ], overrides={"proxy": {"load_balancer": "round-robin"}})
    assert "b-only:1b" in tags(cl)
    seen, failures = [], []
    t_kill = t_rev = None
    for i in range(30):
        if i == 10:
            cl["b"].kill()  # the process dies: listening socket closed, pooled connections reset
            t_kill = time.monotonic()
        if i == 20:
            gone = wait_until(lambda: "b-only:1b" not in tags(cl), 2.0)
            assert gone, f"b-only:1b (only on the dead b) still in /api/tags {time.monotonic() - t_kill:.1f}s after b died"
            cl["b"].revive()  # requests 20..29 run while Olla rediscovers b
            t_rev = time.monotonic()
        body = {**CHAT, "stream": bool(i % 2)}
        r = jreq(cl.t, "POST", "/api/chat", body, timeout=10)
        if r.status != 200 or not r.complete:
            failures.append(f"request {i} ({'stream' if body['stream'] else 'json'}): {r.describe()[:300]}")
        seen.append((i, r.header("X-Olla-Endpoint")))
    assert not failures, f"{len(failures)} client requests failed while a and c held the model too:\n" + "\n".join(failures)
    before = Counter(ep for i, ep in seen if i < 10)
    during = Counter(ep for i, ep in seen if 10 <= i < 20)
    assert before["b"] > 0, f"test setup: b got no requests before the kill: {dict(before)}"
    assert during["b"] == 0, f"the dead b answered?? {dict(during)}"
    # Backoff while b was dead: probe gaps 0.6, 1.2, 2.4 ... s; the gap spanning the revival is
    # at most about twice b's dead time (capped at 60 s)
    dead_for = t_rev - t_kill
    limit = min(60.0, 2 * dead_for + 1.5)
    back = wait_until(lambda: "b-only:1b" in tags(cl), limit, 0.1)
    took = time.monotonic() - t_rev
    assert back, (f"b was revived but its model b-only:1b is not back in /api/tags after {took:.1f}s "
                  f"(b was dead {dead_for:.1f}s; interval 300 ms, backoff x2 per failure -> expected within {limit:.1f}s)")
    got = Counter(jreq(cl.t, "POST", "/api/chat", CHAT).header("X-Olla-Endpoint") for _ in range(6))
    assert got["b"] >= 1, f"after recovery round-robin should include b again; got {dict(got)}"
    r = jreq(cl.t, "POST", "/api/chat", {**CHAT, "model": "b-only:1b"})
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "b", r.describe()


def test_failed_connect_marks_offline_at_once_and_reprobes_within_a_second(cluster):
    # b's own probes are 5 s apart: only the failed request and the re-probe it schedules can
    # change what Olla knows about b within the test window.
    cl = cluster([
        {"name": "a", "priority": 50, "models": [MODEL]},
        {"name": "b", "priority": 100, "models": [MODEL, "b-only:1b"], "check_interval": "5s", "check_timeout": "1s"},
        {"name": "c", "priority": 10, "models": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "priority"}})
    assert jreq(cl.t, "POST", "/api/chat", CHAT).header("X-Olla-Endpoint") == "b"
    time.sleep(0.3)  # away from the start-up probe
    cl["b"].kill()
    r = jreq(cl.t, "POST", "/api/chat", CHAT)
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "a", (
        f"b (priority 100) refuses: the request must fail over to a (priority 50): {r.describe()}")
    t_fail = time.monotonic()
    now = tags(cl)
    assert "b-only:1b" not in now, (
        f"a request that could not connect must mark b offline at once (its model leaves /api/tags): {sorted(now)}")
    cl["b"].revive()
    back = wait_until(lambda: "b-only:1b" in tags(cl), 2.0, 0.05)
    took = time.monotonic() - t_fail
    assert back, ("after a failed connect Olla must re-probe b within about a second (its check_interval is 5 s); "
                  "b was revived at once but b-only:1b did not return to /api/tags within 2 s")
    r = jreq(cl.t, "POST", "/api/chat", CHAT)
    assert r.header("X-Olla-Endpoint") == "b", f"b is back (after {took:.2f}s): priority should pick it: {r.describe()}"


@pytest.mark.parametrize("status", [503, 429])
def test_busy_answer_fails_over_with_body_replayed(cluster, status):
    # model-aware: state ranks first (healthy, unknown, busy), then loaded (nowhere
    # here), in-flight, priority -> a first while healthy
    cl = cluster([
        {"name": "a", "priority": 100, "models": [MODEL], "loaded": [], "check_interval": "3s", "check_timeout": "1s"},
        {"name": "b", "priority": 50, "models": [MODEL], "loaded": []},
        {"name": "c", "priority": 10, "models": [MODEL], "loaded": []},
    ], overrides={"proxy": {"load_balancer": "model-aware"}})
    assert jreq(cl.t, "POST", "/api/chat", CHAT).header("X-Olla-Endpoint") == "a"
    time.sleep(0.2)
    cl["a"].add_rule(path="/api/chat", times=1, status=status)
    mk = "r-" + uuid.uuid4().hex[:10]
    body = {**CHAT, "messages": [{"role": "user", "content": "replay me " + mk}]}
    r = jreq(cl.t, "POST", "/api/chat", body, headers=[("X-Test-Marker", mk)])
    assert r.status == 200, f"a answered {status}: the request must be served by b, got {r.describe()}"
    assert r.header("X-Olla-Endpoint") == "b", r.headers
    got = cl.who_got("/api/chat", "POST", mk)
    assert got == {"a": 1, "b": 1, "c": 0}, f"want one attempt on a ({status}) then b: {got}"
    ra = cl.client_requests("a", "/api/chat")[-1]
    rb = cl.client_requests("b", "/api/chat")[-1]
    assert rb.body == ra.body and rb.body_sha256 == ra.body_sha256, "the body replayed to b differs from what a got"
    # a answered busy: it now ranks after healthy instances until a probe says otherwise (a is probed every 3 s)
    r = jreq(cl.t, "POST", "/api/chat", CHAT)
    assert r.header("X-Olla-Endpoint") == "b", (
        f"after a {status} from a, a is 'busy' and should come after the healthy b: got {r.header('X-Olla-Endpoint')}")
    back = wait_until(lambda: jreq(cl.t, "POST", "/api/chat", CHAT).header("X-Olla-Endpoint") == "a", 4.0, 0.2)
    assert back, "a successful probe of a (every 3 s) should restore it as the first choice"


def test_max_retries_bounds_failover(cluster):
    cl = cluster([
        {"name": "a", "priority": 100, "models": [MODEL]},
        {"name": "b", "priority": 50, "models": [MODEL]},
        {"name": "c", "priority": 10, "models": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "priority", "max_retries": 1}})
    cl["a"].add_rule(path="/api/chat", times=1, status=503)
    cl["b"].add_rule(path="/api/chat", times=1, status=503)
    mk = "x-" + uuid.uuid4().hex[:10]
    r = jreq(cl.t, "POST", "/api/chat", CHAT, headers=[("X-Test-Marker", mk)])
    got = cl.who_got("/api/chat", "POST", mk)
    assert got == {"a": 1, "b": 1, "c": 0}, f"max_retries=1: a, then one more (b), never c; got {got}"
    assert r.status == 503, f"both tries answered 503: the client gets the last 503, got {r.describe()}"


def test_connect_timeout_fails_over(cluster):
    cl = cluster([
        {"name": "a", "priority": 100, "models": [MODEL], "check_interval": "5s", "check_timeout": "1s"},
        {"name": "b", "priority": 50, "models": [MODEL]},
        {"name": "c", "priority": 10, "models": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "priority", "connection_timeout": "500ms"}})
    assert jreq(cl.t, "POST", "/api/chat", CHAT).header("X-Olla-Endpoint") == "a"
    time.sleep(0.2)
    cl["a"].kill(mode="blackhole")  # SYNs are dropped: connecting times out
    r = jreq(cl.t, "POST", "/api/chat", CHAT, timeout=10)
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "b", (
        f"a's connect timed out: the request must fail over to b: {r.describe()}")
    assert 0.4 <= olla_ttfb(r) < 2.0, (
        f"failover should take about connection_timeout (500 ms): X-Olla-Response-Time={r.header('X-Olla-Response-Time')}")
    r = jreq(cl.t, "POST", "/api/chat", CHAT, timeout=10)
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "b" and olla_ttfb(r) < 0.3, (
        f"a is offline after the connect timeout: the next request must go straight to b, without another "
        f"500 ms connect attempt (X-Olla-Response-Time={r.header('X-Olla-Response-Time')}, endpoint {r.header('X-Olla-Endpoint')})")


def test_response_head_timeout_is_504_not_retried(cluster):
    cl = cluster([
        {"name": "a", "priority": 100, "models": [MODEL]},
        {"name": "b", "priority": 50, "models": [MODEL]},
        {"name": "c", "priority": 10, "models": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "priority", "response_timeout": "1s"}})
    mk = "h-" + uuid.uuid4().hex[:10]
    r = jreq(cl.t, "POST", "/api/chat", CHAT, headers=[("X-Mock-Hang", "1"), ("X-Test-Marker", mk)], timeout=10)
    assert r.status == 504, f"a accepted the request and never answered: want 504 after response_timeout, got {r.describe()}"
    assert 0.9 <= r.elapsed < 2.5, f"504 should come after ~1 s (response_timeout), took {r.elapsed:.2f}s"
    got = cl.who_got("/api/chat", "POST", mk)
    assert got == {"a": 1, "b": 0, "c": 0}, (
        f"a request that was sent and not answered is not retried (only connect failures/503/429 are): {got}")


def test_hanging_instance_is_avoided_after_its_probe_times_out(cluster):
    cl = cluster([
        {"name": "a", "priority": 100, "models": [MODEL]},
        {"name": "b", "priority": 50, "models": [MODEL]},
        {"name": "c", "priority": 10, "models": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "priority", "response_timeout": "5s"}})
    assert jreq(cl.t, "POST", "/api/chat", CHAT).header("X-Olla-Endpoint") == "a"
    cl["a"].configure(hang=True)  # a is wedged: accepts connections, reads requests, never answers
    # Its next probe (<= 300 ms) outlasts check_timeout (200 ms): late (a answered just before),
    # busy; the re-probe 300 ms later times out too: offline, about 1 s after the hang.
    def a_offline():
        r = raw_request(cl.t.host, cl.t.port, "GET", "/internal/status/endpoints", timeout=5)
        return {e["name"]: e["status"] for e in r.json()["endpoints"]}["a"] == "offline"
    assert wait_until(a_offline, 3.0, 0.05), "a hangs: offline at its second probe timeout in a row"
    for i in range(5):
        r = jreq(cl.t, "POST", "/api/chat", CHAT)
        assert r.status == 200 and r.header("X-Olla-Endpoint") == "b" and olla_ttfb(r) < 0.5, (
            f"request {i} after a's probe timed out: must go straight to b: {r.describe()}")


def test_health_timing_per_endpoint_and_backoff(cluster):
    cl = cluster([
        {"name": "a", "models": [MODEL], "check_interval": "300ms", "check_timeout": "200ms"},
        {"name": "b", "models": [MODEL], "check_interval": "1s", "check_timeout": "500ms"},
        {"name": "c", "models": [MODEL], "check_interval": "200ms", "check_timeout": "100ms"},
    ])
    t0 = time.monotonic()
    cl["c"].add_rule(path="/", method="GET", status=500)  # c's health check fails from now on
    time.sleep(3.2)
    t1 = time.monotonic()
    pa, pb = len(probes(cl["a"], t0)), len(probes(cl["b"], t0))
    pc = probes(cl["c"], t0)
    assert 7 <= pa <= 14, f"a (check_interval 300ms) should be probed ~10 times in 3.2 s, was {pa}"
    assert 2 <= pb <= 5, f"b (check_interval 1s) should be probed ~3 times in 3.2 s, was {pb}"
    assert 2.0 <= pa / pb <= 5.5, f"probe ratio a:b should be ~3.3 (300ms vs 1s), was {pa}:{pb}"
    assert 2 <= len(pc) <= 6, (f"c fails every probe (interval 200ms): with exponential backoff (×2 per failure) "
                               f"it should get ~4 probes in 3.2 s, not {len(pc)} (16 without backoff)")
    gaps = [round(y - x, 3) for x, y in zip(pc, pc[1:])]
    assert all(g2 >= 1.5 * g1 for g1, g2 in zip(gaps, gaps[1:])), f"gaps between c's failing probes should double: {gaps}"
    # one success restores the normal interval
    cl["c"].rules.clear()
    ok = wait_until(lambda: [r for r in cl["c"].find_requests(path="/", method="GET") if r.received_at > t1 and r.status == 200], 4.0)
    assert ok, f"c's health check answers 200 again, but no probe came within 4 s (gaps so far {gaps})"
    t2 = ok[0].received_at
    time.sleep(1.1)
    after = probes(cl["c"], t2 + 0.01)
    assert len(after) >= 3, f"after one successful probe c should be probed every 200 ms again; got {len(after)} in 1.1 s"
