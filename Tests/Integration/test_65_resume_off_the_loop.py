"""Scenario 65: a client connection resumed from another thread.

libmicrohttpd is built without threads (scripts/libmicrohttpd/0012, build.sh
`--with-threads=none`): only a worker's loop thread may call into it. A fan-out's merged
answer is composed on a task thread, so the resume that hands it to its suspended client is
posted to the connection's loop (`RequestContext.resume`) and carried out there, or dropped
when the request completed meanwhile. Nothing a client sees changes:

- many fan-outs (pulls to every instance) at once, on keep-alive connections, each answered whole, and each
  connection then serves its next request (a resume carried out on the wrong connection, or
  lost, would hang one of them);
- a client that hangs up while its fan-out is still out: the answer that comes later finds the
  request completed and touches nothing; the daemon keeps serving.
"""
import json
import threading
import time

import pytest

from helpers import RawClient, jreq

pytestmark = pytest.mark.daemon_only

CHAT = {"model": "llama3.2", "stream": False, "messages": [{"role": "user", "content": "hi"}]}


def _cluster(cluster):
    return cluster([{"name": "a", "models": ["llama3.2"]}, {"name": "b", "models": ["llama3.2"]}],
                   overrides={"model_registry": {"pull_target": "all"}})


def _pull_then_chat(cl, index: int, results: list):
    """A fan-out (a pull to both members) and then a chat on the same keep-alive connection."""
    c = RawClient(cl.t.host, cl.t.port, timeout=15)
    try:
        body = json.dumps({"model": f"fresh{index}:1b", "stream": False}).encode()
        c.send_request("POST", cl.t.path("/api/pull"), [("Content-Type", "application/json")], body)
        first = c.read_body(c.read_head(15), 15)
        c.send_request("POST", cl.t.path("/api/chat"), [("Content-Type", "application/json")],
                       json.dumps(CHAT).encode())
        second = c.read_body(c.read_head(15), 15)
        results[index] = (first, second)
    finally:
        c.close()


def test_concurrent_fan_outs_on_keep_alive_connections(cluster):
    cl = _cluster(cluster)
    # Slow answers spread the fan-outs' completions over many loop rounds.
    cl["a"].add_rule(path="/api/pull", head_delay_ms=30)
    count = 24
    results: list = [None] * count
    threads = [threading.Thread(target=_pull_then_chat, args=(cl, i, results)) for i in range(count)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(r is not None for r in results), f"{results.count(None)} of {count} connections hung"
    for first, second in results:
        assert first.status == 200 and first.json() == {"status": "success"}, first.describe()
        assert second.status == 200 and second.json()["message"]["role"] == "assistant", second.describe()
    assert time.monotonic() - started < 20


def test_hang_up_while_a_fan_out_is_out(cluster):
    cl = _cluster(cluster)
    cl["b"].add_rule(path="/api/pull", head_delay_ms=400)
    for i in range(5):
        c = RawClient(cl.t.host, cl.t.port, timeout=5)
        body = json.dumps({"model": f"fresh{i}:1b", "stream": False}).encode()
        c.send_request("POST", cl.t.path("/api/pull"), [("Content-Type", "application/json")], body)
        time.sleep(0.05)
        c.close()
    # The fan-outs' answers arrive after their clients left; the daemon serves on.
    time.sleep(0.6)
    for _ in range(3):
        r = jreq(cl.t, "POST", "/api/chat", CHAT)
        assert r.status == 200, r.describe()
    assert cl.daemon.proc.poll() is None, "the daemon exited"
