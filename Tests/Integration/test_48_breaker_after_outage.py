"""Scenario 48: an outage is one signal for the circuit breaker (soak finding, issue #10).

A killed backend fails every request that was on its way to it at once. Counted one by one,
those failures opened the circuit breaker (5 failures), and the instance stayed out of
routing for the 30 s cool-down after it was back. Connect failures of one outage count once,
and a breaker opened only by unreachability closes at the first probe that reaches the
instance; a breaker opened by failures the instance answered (5xx) still holds for its
cool-down (docs/routing.md, "Health").
"""
import threading
import time

import pytest

from helpers import jreq, wait_until

pytestmark = pytest.mark.daemon_only

HEALTH = {"check_interval": "1s", "check_timeout": "500ms"}
CLUSTER_HEALTH = HEALTH
CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stream": False}


def burst(t, n: int) -> list:
    """n chats at once; (status, answering endpoint) of each."""
    out, start = [], threading.Barrier(n)

    def one():
        start.wait()
        r = jreq(t, "POST", "/api/chat", CHAT, timeout=15)
        out.append((r.status, r.header("X-Olla-Endpoint")))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(20)
    return out


def test_a_killed_and_restarted_instance_serves_again_at_its_first_good_probe(cluster):
    cl = cluster([{"name": "a", "models": ["llama3.2"]}, {"name": "b", "models": ["llama3.2"]}],
                 overrides={"proxy": {"load_balancer": "round-robin", "connection_timeout": "1s"}})
    assert {r[1] for r in burst(cl.t, 4)} == {"a", "b"}, "round-robin over a and b"
    # connecting to a now times out: every request routed to a in the meantime fails at once
    # (after connection_timeout), as when a backend machine dies under load
    cl["a"].kill(mode="blackhole")
    answers = burst(cl.t, 12)   # those on their way to a fail to connect and fail over to b
    assert len(answers) == 12 and all(status == 200 for status, _ in answers), answers
    time.sleep(0.3)
    cl["a"].revive()
    t0 = time.monotonic()
    back = wait_until(lambda: jreq(cl.t, "POST", "/api/chat", CHAT).header("X-Olla-Endpoint") == "a", 8.0, 0.1)
    took = time.monotonic() - t0
    assert back, (f"a was revived but gets no requests {took:.1f}s later: a burst of connect failures from one "
                  f"outage must not open its circuit breaker for 30 s")


def test_answered_failures_still_hold_the_breaker_for_its_cool_down(cluster):
    cl = cluster([{"name": "a", "models": ["llama3.2"]}])
    cl["a"].add_rule(path="/api/chat", status=500)
    for _ in range(5):
        assert jreq(cl.t, "POST", "/api/chat", CHAT).status == 500
    # probes of / still pass, but the chats failed: out of routing for the cool-down
    r = jreq(cl.t, "POST", "/api/chat", CHAT)
    assert r.status == 503 and "circuit breaker open after 5 failures" in r.json()["error"], r.describe()
    cl["a"].rules.clear()
    time.sleep(2.5)  # two good probes later, still held
    assert jreq(cl.t, "POST", "/api/chat", CHAT).status == 503
