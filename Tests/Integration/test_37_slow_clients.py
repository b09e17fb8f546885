"""Scenario 37: clients that send their request slowly cannot hold connections forever.

`server.read_timeout` bounds the silence while a client sends its head or its body; after it
the connection is closed and nothing reaches the backend."""
from __future__ import annotations

import socket
import time

import pytest

pytestmark = pytest.mark.daemon_only


@pytest.fixture(scope="module")
def slow(mock, tmp_root):
    from conftest import DaemonFactory
    f = DaemonFactory(tmp_root, mock)
    try:
        yield f.start(overrides={"server": {"read_timeout": "1s"}})
    finally:
        f.cleanup()


def closed_after(port: int, first_bytes: bytes, limit: float = 6.0) -> float:
    """Sends `first_bytes`, then nothing; returns how long until the proxy closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=limit)
    try:
        s.sendall(first_bytes)
        start = time.monotonic()
        while True:
            data = s.recv(4096)
            if not data:
                return time.monotonic() - start
    except socket.timeout:
        return limit
    finally:
        s.close()


@pytest.mark.parametrize("what,first_bytes", [
    ("half a request head", b"POST /olla/ollama/api/chat HTTP/1.1\r\nHost: x\r\nX-Slow: "),
    ("a head and part of its body",
     b"POST /olla/ollama/api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"X-Request-ID: slow-body\r\nContent-Length: 200\r\n\r\n{\"model\":\"llama3.2\","),
])
def test_silent_client_is_cut_after_read_timeout(slow, mock, what, first_bytes):
    took = closed_after(slow.port, first_bytes)
    assert 0.8 <= took <= 3.5, f"{what}: connection closed after {took:.2f}s; read_timeout is 1s"
    assert not mock.find_requests(header=("X-Olla-Request-ID", "slow-body")), "an incomplete request was forwarded"


def test_the_proxy_keeps_serving_while_slow_clients_wait(slow):
    sockets = [socket.create_connection(("127.0.0.1", slow.port)) for _ in range(50)]
    try:
        for s in sockets:
            s.sendall(b"GET /olla/ollama/ HTTP/1.1\r\nHost: x\r\n")  # never finished
        t = time.monotonic()
        probe = socket.create_connection(("127.0.0.1", slow.port), timeout=3)
        probe.sendall(b"GET /olla/ollama/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = probe.recv(4096)
        probe.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
        assert time.monotonic() - t < 1.0, "a complete request waited behind 50 stalled ones"
    finally:
        for s in sockets:
            s.close()
