"""Scenario 53: answers Olla makes itself keep the connection open.

`/api/version`, `/api/tags`, a 404, an internal route: each is answered without a backend, and
each must leave a keep-alive connection open for the next request, sent after the answer or
pipelined behind the request (libmicrohttpd 0.9.75 closes the connection after any answer
queued before it has read the request's body, and drops what was pipelined). A small body of a
request answered locally is read and skipped, never taken for the next request; a large one is
not read: that answer closes the connection. Framing refusals close it too (test_38)."""
from __future__ import annotations

import json
import socket
import time

import pytest

from helpers import split_responses

pytestmark = pytest.mark.daemon_only

VERSION = b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\n\r\n"
TAGS = b"GET /olla/ollama/api/tags HTTP/1.1\r\nHost: olla\r\n\r\n"
MISSING = b"GET /no-such-route HTTP/1.1\r\nHost: olla\r\n\r\n"
HEALTH = b"GET /internal/health HTTP/1.1\r\nHost: olla\r\n\r\n"
LAST = b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\nConnection: close\r\n\r\n"


def post(target: bytes, body: bytes) -> bytes:
    return (b"POST " + target + b" HTTP/1.1\r\nHost: olla\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


class Connection:
    """One raw client connection; reads length-framed responses one at a time."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def read_response(self) -> tuple[int, dict, bytes]:
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(rest) >= length:
                    one = head + sep + rest[:length]
                    self.buffer = rest[length:]
                    return split_responses(one)[0]
            piece = self.sock.recv(65536)
            assert piece, f"connection closed before a whole response: {self.buffer[:300]!r}"
            self.buffer += piece

    def is_closed(self, wait: float = 1.0) -> bool:
        """Whether the server closed the connection (nothing more arrives) within `wait` s."""
        self.sock.settimeout(wait)
        try:
            piece = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        assert not piece, f"unexpected bytes: {piece[:300]!r}"
        return True

    def close(self):
        self.sock.close()


def keeps_alive(headers: dict) -> bool:
    return "close" not in [v.lower() for v in headers.get("connection", [])]


def test_two_local_answers_one_after_the_other_on_one_connection(olla):
    c = Connection(olla.port)
    try:
        for request, status in ((VERSION, 200), (TAGS, 200), (MISSING, 404), (HEALTH, 200), (VERSION, 200)):
            c.send(request)
            got, headers, body = c.read_response()
            assert got == status, f"{request.split(b' ')[1]!r}: {got} {body[:200]!r}"
            assert keeps_alive(headers), f"{request.split(b' ')[1]!r} closed the connection: {headers}"
        assert not c.is_closed(0.3), "the connection closed after local answers"
    finally:
        c.close()


def test_pipelined_requests_behind_local_answers_are_all_answered(olla):
    c = Connection(olla.port)
    try:
        c.send(VERSION + MISSING + TAGS + HEALTH + LAST)
        statuses = [c.read_response()[0] for _ in range(5)]
        assert statuses == [200, 404, 200, 200, 200], statuses
        assert c.is_closed(), "the connection stayed open after Connection: close"
    finally:
        c.close()


def test_a_local_error_answer_keeps_the_connection_for_the_next_request(olla):
    c = Connection(olla.port)
    try:
        c.send(MISSING)
        got, headers, body = c.read_response()
        assert got == 404, body[:200]
        assert keeps_alive(headers), headers
        assert json.loads(body)["error"], body
        c.send(VERSION)
        got, _, body = c.read_response()
        assert got == 200 and json.loads(body)["version"], body[:200]
    finally:
        c.close()


def test_small_body_of_a_locally_answered_request_is_skipped_not_served(olla, mock):
    # The body is a whole request: if it were read as one, a third answer would appear.
    hidden = b"GET /olla/ollama/api/version HTTP/1.1\r\nHost: olla\r\n\r\n"
    c = Connection(olla.port)
    try:
        c.send(post(b"/no-such-route", hidden) + VERSION + LAST)
        first, headers, _ = c.read_response()
        assert first == 404 and keeps_alive(headers), headers
        assert c.read_response()[0] == 200
        assert c.read_response()[0] == 200
        assert c.is_closed(), "a third answer or an open connection: the body was served as a request"
    finally:
        c.close()


def test_large_body_of_a_locally_answered_request_is_not_read_and_closes(olla):
    c = Connection(olla.port)
    try:
        c.send(b"POST /no-such-route HTTP/1.1\r\nHost: olla\r\n"
               b"Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{")
        t0 = time.monotonic()
        got, headers, _ = c.read_response()
        assert got == 404
        assert time.monotonic() - t0 < 2, "the answer waited for the body"
        assert not keeps_alive(headers), f"a 10 MB body would have to be read to keep the connection: {headers}"
        assert c.is_closed(2), "the connection stayed open"
    finally:
        c.close()


def test_a_proxied_request_after_local_answers_on_the_same_connection(olla, mock):
    chat = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
                       "stream": False}).encode()
    c = Connection(olla.port)
    try:
        c.send(VERSION + post(b"/olla/ollama/api/chat", chat) + MISSING)
        statuses = [c.read_response()[0] for _ in range(3)]
        assert statuses == [200, 200, 404], statuses
    finally:
        c.close()
