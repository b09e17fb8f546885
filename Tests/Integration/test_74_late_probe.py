"""Scenario 74: a late probe is not an outage (issue #9, "health from real traffic"; docs/routing.md
"Health"). A simulated Ollama whose whole process stalls for a moment (its event loop blocked, as
on a machine starved of CPU: connections are accepted, nothing answers) misses one 500 ms probe.
Having answered just before, it is taken as late: `busy`, still routable, re-probed within a
second, and a request for its only model is tried (and served when the stall ends) instead of
refused with 503. An instance that stays silent leaves routing at the second timeout in a row;
one that refuses connections leaves at once (test_44, test_31)."""
import json
import time
import urllib.request

import pytest

from conftest import endpoint_ex
from fleet_ollama import FleetOllama
from helpers import jreq, wait_until

pytestmark = pytest.mark.daemon_only

MODEL = "llama3.2:3b"
# The bench's probes: every second, 500 ms each.
BENCH_HEALTH = {"check_interval": "1s", "check_timeout": "500ms"}


def chat(tokens: int = 5) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": False,
            "options": {"num_predict": tokens}}


def states(d) -> dict:
    with urllib.request.urlopen(f"http://{d.target.host}:{d.target.port}/internal/status/endpoints", timeout=5) as r:
        return {e["name"]: (e["status"], e.get("last_error")) for e in json.loads(r.read())["endpoints"]}


@pytest.fixture
def fleet():
    started = []

    def make(*names):
        out = []
        for name in names:
            inst = FleetOllama(name, [MODEL], max_loaded=1, load_s=0.2, s_per_token=0.01)
            inst.start()
            started.append(inst)
            out.append(inst)
        return out
    yield make
    for inst in started:
        inst.stop()


def start_olla(olla_factory, instances):
    eps = [endpoint_ex(i.name, i.url, **BENCH_HEALTH) for i in instances]
    d = olla_factory.start(endpoints=eps, overrides={"proxy": {"load_balancer": "residency-aware"}})
    for _ in range(2):  # the model is resident and the instances have answered requests
        r = jreq(d.target, "POST", "/api/chat", chat(), timeout=15)
        assert r.status == 200, r.describe()
    assert wait_until(lambda: all(s == "healthy" for s, _ in states(d).values()), 5, 0.05), states(d)
    return d


def test_one_late_probe_keeps_the_only_holder_routable_and_its_request_is_served(fleet, olla_factory):
    (solo,) = fleet("solo")
    d = start_olla(olla_factory, [solo])
    # 1.6 s: a probe (due within 1 s) starts inside the stall and times out after 500 ms; the
    # re-probe a second later finds the instance answering again.
    solo.stall(1.6)
    seen = []
    late = None
    deadline = time.monotonic() + 1.6
    while time.monotonic() < deadline:
        status, error = states(d)["solo"]
        seen.append(status)
        if status != "healthy":
            late = (status, error)
            break
        time.sleep(0.02)
    assert late is not None, f"no probe of the stalled instance timed out within its stall: {seen}"
    assert late[0] == "busy" and "late" in (late[1] or ""), (
        f"one late probe of an instance that answered just before must read busy (late), not offline: {late}")
    # Its only model is asked for now, while the instance is still stalled: tried, not refused.
    r = jreq(d.target, "POST", "/api/chat", chat(), timeout=15)
    assert r.status == 200, f"a request whose only holder is late must be tried and served: {r.describe()}"
    # The re-probe finds it answering: healthy again, never offline on the way.
    t_end = time.monotonic() + 4.0
    while time.monotonic() < t_end and seen[-1] != "healthy":
        seen.append(states(d)["solo"][0])
        time.sleep(0.05)
    assert seen[-1] == "healthy" and "offline" not in seen, f"states of the stalled instance: {seen}"


def test_an_instance_silent_for_two_probes_in_a_row_leaves_routing(fleet, olla_factory):
    a, b = fleet("a", "b")
    d = start_olla(olla_factory, [a, b])
    a.stall(6.0)
    t0 = time.monotonic()
    seen = []

    def offline():
        seen.append(states(d)["a"][0])
        return seen[-1] == "offline"
    # Late at its first timeout (<= 1 s + 0.5 s), offline at the re-probe's (+1 s + 0.5 s).
    assert wait_until(offline, 4.5, 0.05), f"a silent for 4.5 s is still routable: {seen}"
    took = time.monotonic() - t0
    assert "busy" in seen, f"the first timeout is late (busy), the second offline: {seen}"
    # Requests for the model now go to b at once, none waits for the frozen a.
    for _ in range(3):
        r = jreq(d.target, "POST", "/api/chat", chat(), timeout=10)
        assert r.status == 200 and r.header("X-Olla-Endpoint") == "b", r.describe()
        assert r.elapsed < 1.0, f"b serves at once while a is offline: {r.elapsed:.2f}s"
    # When the stall ends, a's next probe brings it back.
    assert wait_until(lambda: states(d)["a"][0] == "healthy", 6.0 - took + 15, 0.1), states(d)
