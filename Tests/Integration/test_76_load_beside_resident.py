"""Scenario 76: another model's load does not hold up a resident model (issue #9, late binding;
docs/routing.md, the estimates table). Ollama admits pending requests one at a time in arrival order,
but the request whose load it is does not hold the line: the load runs beside the scheduler,
and only a further request for the loading model waits for it (server/sched.go; FleetOllama
does the same). So a request Olla holds for a busy slot of a resident model must start as
soon as that slot frees, even while another model loads on the same instance.

Seen in `make bench-routing` (c), seed 5 (2026-12-01 14:16): a held request waited 1.4 s for
a free `fast` because qwen was loading there, where least-connections, which had queued it in
the instance, got its first chunk 0.57 s after sending it."""
import http.client
import json
import socket
import threading
import time

import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from fleet_ollama import FleetOllama
from helpers import jreq, wait_until

pytestmark = pytest.mark.daemon_only

RESIDENT, LOADING = "llama3.2:3b", "qwen2.5:7b"
LOAD_S = 3.0


def chat(model: str, tokens: int) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "options": {"num_predict": tokens}}


class Stream(threading.Thread):
    """One streamed chat: when its first chunk and its end arrived (monotonic), its reason.
    `cancel()` hangs up mid-stream (the client leaves: its slot frees)."""

    def __init__(self, d, model: str, tokens: int):
        super().__init__(daemon=True)
        self.d, self.model, self.tokens = d, model, tokens
        self.first = self.end = None
        self.status = None
        self.reason = ""
        self.error = None
        self.started = threading.Event()
        self.conn = None

    def run(self):
        try:
            self.conn = http.client.HTTPConnection(self.d.target.host, self.d.target.port, timeout=30)
            self.conn.request("POST", self.d.target.path("/api/chat"), json.dumps(chat(self.model, self.tokens)),
                              {"Content-Type": "application/json"})
            resp = self.conn.getresponse()
            self.status = resp.status
            self.reason = resp.getheader("X-Olla-Routing-Reason") or ""
            resp.readline()
            self.first = time.monotonic()
            self.started.set()
            resp.read()
            self.end = time.monotonic()
            self.conn.close()
        except Exception as exc:  # reported by the test (expected after cancel())
            self.error = exc
            self.started.set()

    def cancel(self) -> float:
        self.conn.sock.shutdown(socket.SHUT_RDWR)
        return time.monotonic()


@pytest.fixture
def instance():
    inst = FleetOllama("a", [RESIDENT, LOADING], max_loaded=2, load_s=LOAD_S, s_per_token=0.02)
    inst.start()
    yield inst
    inst.stop()


def test_a_held_request_starts_when_its_slot_frees_while_another_model_loads(instance, olla_factory):
    d = olla_factory.start(
        endpoints=[endpoint_ex(instance.name, instance.url, **PATIENT_HEALTH, num_parallel=1, max_loaded_models=2)],
        overrides={"proxy": {"load_balancer": "residency-aware"}})
    # The resident model loads once; Olla learns the load time from its final chunk.
    r = jreq(d.target, "POST", "/api/chat", chat(RESIDENT, 2), timeout=30)
    assert r.status == 200 and r.complete, r.describe()
    assert list(instance.runners) == [RESIDENT]

    running = Stream(d, RESIDENT, 500)  # takes the one slot for ~10 s, until it hangs up
    running.start()
    assert running.started.wait(10) and running.status == 200, (running.status, running.error)
    held = Stream(d, RESIDENT, 2)       # its slot is taken: Olla holds it
    held.start()
    # Olla reads /api/ps about once a second while the instance is in use, and the listing
    # names a model from the start of its load (as Ollama's does): just after a read, the next
    # is ~1 s away, so what Olla decides in between comes from its own prediction of the load.
    time.sleep(0.3)
    polls = len(instance.ps_log)
    assert wait_until(lambda: len(instance.ps_log) > polls, 5, 0.005), "no /api/ps read while a request ran"
    loader = Stream(d, LOADING, 2)      # cold: loads beside the resident model for ~3 s
    loader.start()
    assert wait_until(lambda: [m for _, m in instance.load_log] == [RESIDENT, LOADING], 2, 0.005), instance.load_log
    time.sleep(0.1)
    freed = running.cancel()
    for s in (held, loader):
        s.join(30)
        assert s.error is None and s.status == 200, (s.model, s.status, s.error)
    assert "held" in held.reason, held.reason
    # The held request went when the slot freed (prompt 0.05 s + a token, plus the handover),
    # not when a poll or the load's end said more (~0.8 s and ~3 s later).
    after_slot = held.first - freed
    assert after_slot < 0.5, (
        f"held request's first chunk {after_slot:.2f} s after its slot freed (load {LOAD_S} s, "
        f"polls at {[round(t - freed, 2) for t in instance.ps_log[-4:]]}); reason {held.reason!r}")
    assert held.first < loader.first, (held.first, loader.first, held.reason)
