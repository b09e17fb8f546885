"""Scenario 72: a backend connection's socket stays in the worker's epoll set between two
transfers, and what happens to it meanwhile costs no request and no CPU.

When a backend's answer is not there yet as libcurl first reads right after sending the
request (every real Ollama: an answer takes milliseconds), libcurl asks Olla to watch the
socket and, at the transfer's end, to stop. Olla leaves the socket in its epoll set then
(parked), where it removed and added it again (two `epoll_ctl`s per request); since libcurl
opens and closes its sockets through Olla's callbacks (`CurlSockets`), a parked socket that
is still the same socket is found armed by the connection's next transfer (no `epoll_ctl`
at all), and a closed one is taken out of the set before its number can come back. Here the
backend answers 20 ms late, so every transfer's socket is watched and then parked, and:
- a connection the backend closes while it sits idle in libcurl's cache (its parked socket
  turns readable for good) neither spins the worker (its CPU over a second stays near zero)
  nor fails the next requests;
- connections the backend ends after each answer (`Connection: close`: libcurl closes the
  parked socket) come back with the same descriptor numbers, and each new connection is
  watched anew: no request hangs;
- a kept connection serves every request of a sequence (each transfer after the first finds
  its socket armed)."""
import json
import os
import time

import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from helpers import RawBackend, RawClient

pytestmark = pytest.mark.daemon_only

TAGS = {"models": [{"name": "late:latest", "model": "late:latest", "modified_at": "2024-01-01T00:00:00Z",
                    "size": 1, "digest": "d" * 64, "details": {}}]}
ANSWER = json.dumps({"model": "late", "message": {"role": "assistant", "content": "late"}, "done": True}).encode()


class LateBackend(RawBackend):
    """`/api/chat` answers after 20 ms; the request's `X-End` says what follows the answer:
    `idle-close` (the connection is closed 50 ms later, while idle), `close` (the answer says
    `Connection: close` and the connection ends), anything else keeps it."""

    def __init__(self):
        self.ends = {}
        self.chats = []
        super().__init__()

    def received(self, number, method, path, headers, body):
        if path == "/api/chat":
            self.ends[number] = {n.lower(): v for n, v in headers}.get("x-end", "keep")
            self.chats.append(number)

    def answer(self, conn, method, path, number):
        if path != "/api/chat":
            self.answer_basics(conn, method, path, TAGS)
            return True
        time.sleep(0.02)
        end = self.ends.get(number, "keep")
        close = b"Connection: close\r\n" if end == "close" else b""
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + close +
                     b"Content-Length: %d\r\n\r\n" % len(ANSWER) + ANSWER)
        if end == "idle-close":
            time.sleep(0.05)
            return False
        return end != "close"


@pytest.fixture
def late_backend():
    b = LateBackend()
    yield b
    b.close()


def chat(c: RawClient, end: str):
    c.send_request("POST", "/olla/ollama/api/chat",
                   [("Content-Type", "application/json"), ("X-End", end)],
                   b'{"model":"late","stream":false,"messages":[{"role":"user","content":"hi"}]}')
    return c.read_response(10)


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_connection_closed_while_parked_costs_no_cpu_and_no_request(olla_factory, late_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("late", late_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        r = chat(c, "idle-close")
        assert r.status == 200 and r.body == ANSWER, r.describe()
        time.sleep(0.3)  # the backend has closed the idle connection: its parked socket is readable
        before = cpu_seconds(d.pid)
        time.sleep(1.0)
        spent = cpu_seconds(d.pid) - before
        assert spent < 0.1, f"the daemon used {spent:.2f} s of CPU in 1 s with nothing to do"
        for i in range(3):
            r = chat(c, "keep")
            assert r.status == 200 and r.body == ANSWER, f"request {i} after the close: {r.describe()}"


def test_connections_ended_after_each_answer_are_each_watched_anew(olla_factory, late_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("late", late_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for i in range(20):
            started = time.monotonic()
            r = chat(c, "close")
            assert r.status == 200 and r.body == ANSWER, f"request {i}: {r.describe()}"
            assert time.monotonic() - started < 2, f"request {i} waited for a timeout, not the answer"
    assert len(set(late_backend.chats)) == 20, "each request came on a new backend connection"


def test_a_kept_connection_serves_a_sequence(olla_factory, late_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("late", late_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for i in range(20):
            r = chat(c, "keep")
            assert r.status == 200 and r.body == ANSWER, f"request {i}: {r.describe()}"
    assert len(set(late_backend.chats)) == 1, f"one backend connection, got {len(set(late_backend.chats))}"
