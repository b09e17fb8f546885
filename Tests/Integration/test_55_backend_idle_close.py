"""Scenario 55: a backend that closes idle keep-alive connections costs no request.

Servers close keep-alive connections they consider idle (a short idle timeout, a restart of a
worker) without announcing it in the answer before. Olla reuses its connections to a backend;
one the backend closed meanwhile must never fail a client's request, and no request may reach
the backend twice. libcurl either sees the connection closed before reusing it, or sends the
request on it, reads end-of-file or a reset with nothing received and sends it again on a
fresh connection (scripts/libcurl/0003 relies on that for connections used within the last
second). Both orders are exercised: the close before the next request (FIN) and the close
after it arrived unread (RST). Bodies up to 1 MiB reach libcurl whole and can be sent again;
larger ones stream through its read callback and cannot, so they always go out on a new
connection, which no backend can have closed as idle: both orders cost no request either."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from helpers import raw_request

pytestmark = pytest.mark.daemon_only

JSON = [("Content-Type", "application/json")]
SHOW = json.dumps({"model": "llama3.2"}).encode()
CHAT = json.dumps({"model": "llama3.2", "stream": False,
                   "messages": [{"role": "user", "content": "Why is the sky blue?"}]}).encode()
# Above Exchange.inlineBodyLimit (1 MiB): streamed to the backend.
BIG_CHAT = json.dumps({"model": "llama3.2", "stream": False,
                       "messages": [{"role": "user", "content": "x" * (1 << 20)}]}).encode()


def _post(olla, path: str, body: bytes, close_ms: int, tag: str):
    headers = JSON + [("X-Mock-Close-Idle-Ms", str(close_ms)), ("X-Test-Tag", tag)]
    return raw_request(olla.host, olla.port, "POST", olla.path(path), headers, body, timeout=15)


@pytest.mark.parametrize("close_ms, pause_s, streamed", [(0, 0.1, 2), (150, 0.02, 2)],
                         ids=["closed-before-next-request", "closed-with-next-request-unread"])
def test_backend_closing_idle_connections_fails_no_request(olla, mock, close_ms, pause_s, streamed):
    sent = []
    requests = [("/api/show", SHOW), ("/api/chat", CHAT)] * 6 + [("/api/chat", BIG_CHAT)] * streamed
    for i, (path, body) in enumerate(requests):
        tag = f"{i}-{uuid.uuid4().hex[:12]}"
        r = _post(olla, path, body, close_ms, tag)
        assert r.status == 200, f"request {i} ({path}, {len(body)} bytes), backend closes {close_ms} ms " \
                                f"after each answer: {r.describe()}"
        sent.append(tag)
        # Well within a second of the connection's last use: the next request finds it closed.
        time.sleep(pause_s)
    received = [r.header("X-Test-Tag") for r in mock.find_requests() if r.header("X-Test-Tag")]
    assert sorted(received) == sorted(sent), "every request reached the backend exactly once"
    served = [c for c in mock.connections if c.request_ids]
    assert len(served) >= len(sent), \
        f"the backend closed every connection after one answer, yet {len(served)} served {len(sent)}"
