"""Scenario 66: backend connections through a SOCKS5 proxy, new ones after reused ones.

Olla's libcurl honours the proxy variables of its environment (ALL_PROXY here). A new
connection through a SOCKS5 proxy does the proxy's handshake in the transfer's own buffer;
libcurl-olla's patch 0013 gives that buffer only to transfers on a new connection, not to one
on a reused connection (which reads nothing into it). So a pooled easy handle alternates: a
transfer on a reused connection without the buffer, then one that needs it for the handshake
of a new connection, in each of the ways a new connection follows a reused one: the backend
closed the connection before the next request (FIN), it closed it as the next request arrived
unread (RST: libcurl resends on a new connection within the same transfer), and a large body
that always goes out on a new connection. Every request must be answered once, and every
connection that served one must have come through the proxy."""
from __future__ import annotations

import json
import socket
import struct
import threading
import uuid

import pytest

from helpers import raw_request

pytestmark = pytest.mark.daemon_only

JSON = [("Content-Type", "application/json")]
CHAT = json.dumps({"model": "llama3.2", "stream": False,
                   "messages": [{"role": "user", "content": "Why is the sky blue?"}]}).encode()
# Above Exchange.inlineBodyLimit (1 MiB): streamed to the backend on a new connection.
BIG_CHAT = json.dumps({"model": "llama3.2", "stream": False,
                       "messages": [{"role": "user", "content": "x" * (1 << 20)}]}).encode()


class Socks5Proxy:
    """A SOCKS5 proxy (RFC 1928: no authentication, CONNECT to an IPv4 address) on loopback.
    Records each tunnel's upstream local address: the backend sees that as the peer."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.upstream_peers: set[str] = set()
        self.handshakes = 0
        self.lock = threading.Lock()
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        self.stopped = True
        self.listener.close()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    @staticmethod
    def _read(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = sock.recv(n - len(data))
            if not part:
                raise ConnectionError("client closed during the handshake")
            data += part
        return data

    def _tunnel(self, client: socket.socket):
        client.settimeout(30)
        try:
            version, methods = self._read(client, 2)
            assert version == 5
            self._read(client, methods)
            client.sendall(b"\x05\x00")                      # no authentication
            version, command, _, address_type = self._read(client, 4)
            assert (version, command, address_type) == (5, 1, 1), "CONNECT to an IPv4 address"
            host = socket.inet_ntoa(self._read(client, 4))
            (port,) = struct.unpack("!H", self._read(client, 2))
            upstream = socket.create_connection((host, port), timeout=30)
        except (OSError, AssertionError, ConnectionError, ValueError):
            client.close()
            return
        local = upstream.getsockname()
        with self.lock:
            self.handshakes += 1
            self.upstream_peers.add(f"{local[0]}:{local[1]}")
        client.sendall(b"\x05\x00\x00\x01" + socket.inet_aton(local[0]) + struct.pack("!H", local[1]))
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            # One side reset: end the tunnel both ways. shutdown, not only close: the other
            # pipe's thread is blocked in recv on one of these sockets, and a close alone
            # neither wakes it nor tells the peer (Linux keeps the socket open under a
            # blocked call): Olla would wait on that connection for good.
            for s in (source, sink):
                for end in (lambda: s.shutdown(socket.SHUT_RDWR), s.close):
                    try:
                        end()
                    except OSError:
                        pass


@pytest.fixture
def proxy():
    p = Socks5Proxy()
    yield p
    p.stop()


def test_new_connections_through_a_socks_proxy_after_reused_ones(olla_factory, mock, proxy, monkeypatch):
    for name in ("no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", f"socks5://127.0.0.1:{proxy.port}")
    # Its health checks go through the proxy too: more time to become ready on a loaded machine.
    daemon = olla_factory.start(wait_ready=False)
    daemon.wait_ready(timeout=30)
    target = daemon.target

    # (close after the answer in ms or None for keep-alive, body): reused connections first,
    # then each kind of new connection after a transfer on a reused one.
    plan = [(None, CHAT)] * 3 + [(0, CHAT)] * 4 + [(None, CHAT)] * 2 + [(150, CHAT)] * 4 \
        + [(None, CHAT), (None, BIG_CHAT), (None, CHAT), (0, CHAT), (None, CHAT)]
    sent = []
    for i, (close_ms, body) in enumerate(plan):
        tag = f"{i}-{uuid.uuid4().hex[:12]}"
        headers = JSON + [("X-Test-Tag", tag)]
        if close_ms is not None:
            headers.append(("X-Mock-Close-Idle-Ms", str(close_ms)))
        r = raw_request(target.host, target.port, "POST", target.path("/api/chat"), headers, body, timeout=30)
        assert r.status == 200, f"request {i} (close after {close_ms} ms, {len(body)} bytes): {r.describe()}"
        sent.append(tag)

    tagged = [r for r in mock.find_requests() if r.header("X-Test-Tag") in sent]
    assert sorted(r.header("X-Test-Tag") for r in tagged) == sorted(sent), \
        "every request reached the backend exactly once"
    serving = {r.conn_id for r in tagged}
    served = [c for c in mock.connections if c.id in serving]
    with proxy.lock:
        peers = set(proxy.upstream_peers)
    assert served and all(c.peer in peers for c in served), \
        f"every backend connection came through the proxy: {[c.peer for c in served]} vs {sorted(peers)}"
    # The closes forced new connections (each through a new handshake): 4 + 4 + 1 closes
    # and the large body's connection at least.
    assert len(served) >= 8, f"{len(served)} connections served {len(sent)} requests"
