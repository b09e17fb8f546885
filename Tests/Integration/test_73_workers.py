"""Scenario 71: `server.workers` sets how many worker loops serve connections.

Each worker is one event loop with its own SO_REUSEPORT listening socket on the port, so the
number of sockets listening on Olla's port (in /proc/net/tcp*, of Olla's own descriptors) is
the number of workers that run. With `workers: 1` there is one and every request, over many
connections at once, is served by it; with `workers: 3` there are three; left out, one per
online core. The start-up line says how many run. A reload that changes the key keeps the
running workers and logs that the change needs a restart.
"""
from __future__ import annotations

import json
import os
import signal
import threading

import pytest

from helpers import RawClient, jreq, wait_until

pytestmark = pytest.mark.daemon_only

BODY = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stream": False}


def listening_sockets(pid: int, port: int) -> int:
    """How many of the process's descriptors are TCP sockets listening on `port`."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                count += 1
    return count


def listening_line(daemon) -> dict:
    lines = [x for x in daemon.log_json() if x.get("msg") == "listening"]
    assert lines, f"no 'listening' line:\n{daemon.log_tail(20)}"
    return lines[-1]


def serve_concurrently(daemon, connections: int, per_connection: int):
    """`connections` keep-alive clients at once, each sending `per_connection` chat requests."""
    failures: list = []

    def client():
        try:
            with RawClient("127.0.0.1", daemon.port) as c:
                for _ in range(per_connection):
                    body = json.dumps(BODY).encode()
                    c.send_request("POST", "/olla/ollama/api/chat",
                                   [("Content-Type", "application/json")], body)
                    r = c.read_response()
                    if r.status != 200 or r.json()["message"]["role"] != "assistant":
                        failures.append(r.describe())
        except Exception as e:  # noqa: BLE001 -- reported below
            failures.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures[:3]


@pytest.mark.parametrize("workers", [1, 3])
def test_configured_workers_listen_and_serve(olla_factory, mock, workers):
    mock.set_models(["llama3.2"])
    d = olla_factory.start(overrides={"server": {"workers": workers}})
    assert listening_line(d)["workers"] == workers
    assert listening_sockets(d.pid, d.port) == workers
    serve_concurrently(d, connections=8, per_connection=5)
    assert len(mock.find_requests(path="/api/chat", method="POST")) == 40


def test_default_is_one_worker_per_online_core(olla_factory, mock):
    d = olla_factory.start()
    cores = os.sysconf("SC_NPROCESSORS_ONLN")
    assert listening_line(d)["workers"] == cores
    assert listening_sockets(d.pid, d.port) == cores


def test_reload_keeps_the_workers_and_says_a_restart_is_needed(olla_factory, mock):
    mock.set_models(["llama3.2"])
    d = olla_factory.start(overrides={"server": {"workers": 1}})
    changed = json.loads(d.config_path.read_text())
    changed["server"]["workers"] = 2
    d.config_path.write_text(json.dumps(changed))
    lines_before = len(d.log_text().splitlines())
    d.signal(signal.SIGHUP)

    def warned():
        return [x for x in d.log_json()[lines_before:]
                if "restart" in x.get("msg", "") and x.get("key") == "server.workers"]
    assert wait_until(warned, 10), f"no restart warning for server.workers:\n{d.log_tail(20)}"
    assert wait_until(lambda: any(x.get("msg") == "configuration reloaded" for x in d.log_json()[lines_before:]), 10)
    assert listening_sockets(d.pid, d.port) == 1
    r = jreq(d.target, "POST", "/api/chat", BODY)
    assert r.status == 200, r.describe()
