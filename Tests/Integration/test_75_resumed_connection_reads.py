"""Scenario 75: a connection that waited for its answer reads only what a client sent, and
the answer carries one `Date`, the backend's.

A proxied request waits suspended in libmicrohttpd until the backend's answer is there; its
socket stays in the daemon's epoll set meanwhile (patch 0006). Resuming used to read the
socket whatever had happened (`recv` answered `EAGAIN`: one syscall per proxied request);
since patch 0014 it reads only when an event said there was something to read, kept while
the connection was suspended. What arrives meanwhile must still be read:
- the next request of a keep-alive connection, sent while the first waits for its answer
  (its event comes while the connection is suspended), is answered;
- requests pipelined behind a proxied one, in the same write or a later one, are answered;
- a client that closes its side after sending the request still gets the connection closed
  (its hang-up is an event while suspended), and the connection after it is served.

Date: Olla passes the backend's `Date` and libmicrohttpd must then not write its own
(`olla_MHD_add_response_headers` takes it into the response's header block since patch 0015;
before, it went through `MHD_add_response_header` for that flag). A backend that sends two
gets its later one through, as `MHD_add_response_header` replaced the first; a local answer
gets libmicrohttpd's own, once.
"""
from __future__ import annotations

import email.utils
import json
import socket
import time

import pytest

from helpers import RawClient

pytestmark = pytest.mark.daemon_only

FIXED_DATE = "Mon, 30 Nov 2026 00:00:00 GMT"


def chat(target: str, delay_ms: int = 0, extra: str = "", close: bool = False) -> bytes:
    body = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
                       "stream": False}).encode()
    head = (f"POST {target} HTTP/1.1\r\nHost: olla\r\nContent-Type: application/json\r\n"
            f"X-Mock-Head-Delay-Ms: {delay_ms}\r\n{extra}"
            + ("Connection: close\r\n" if close else "")
            + f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class Reader:
    """Reads length-framed responses off one raw socket."""

    def __init__(self, port: int):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data: bytes):
        self.s.sendall(data)

    def response(self) -> tuple[int, dict, bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        length = int(headers["content-length"][0])
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return int(lines[0].split(" ")[1]), headers, body

    def closed(self, timeout: float = 5.0) -> bool:
        self.s.settimeout(timeout)
        try:
            return self.s.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False

    def _fill(self):
        data = self.s.recv(65536)
        if not data:
            raise AssertionError("the proxy closed the connection")
        self.buf += data

    def close(self):
        self.s.close()


def test_a_request_sent_while_the_previous_waits_is_answered(olla, mock):
    c = Reader(olla.port)
    try:
        target = olla.path("/api/chat")
        for _ in range(3):  # the event for the second request comes while the first is suspended
            c.send(chat(target, delay_ms=300))
            time.sleep(0.1)
            c.send(chat(target))
            assert c.response()[0] == 200
            assert c.response()[0] == 200
    finally:
        c.close()


@pytest.mark.parametrize("apart", [False, True], ids=["one-write", "later-write"])
def test_requests_pipelined_behind_a_proxied_one_are_all_answered(olla, mock, apart):
    c = Reader(olla.port)
    try:
        target = olla.path("/api/chat")
        first = chat(target, delay_ms=100)
        rest = chat(target) + chat(target, delay_ms=50) + chat(target, close=True)
        if apart:
            c.send(first)
            time.sleep(0.03)
            c.send(rest)
        else:
            c.send(first + rest)
        assert [c.response()[0] for _ in range(4)] == [200, 200, 200, 200]
        assert c.closed(), "the connection stayed open after Connection: close"
    finally:
        c.close()


def test_a_client_that_closes_while_waiting_is_closed_and_the_next_is_served(olla, mock):
    s = socket.create_connection(("127.0.0.1", olla.port), timeout=10)
    try:
        s.sendall(chat(olla.path("/api/chat"), delay_ms=300))
        time.sleep(0.1)
        s.shutdown(socket.SHUT_WR)  # its FIN is an event while the connection is suspended
        s.settimeout(5)
        data = b""
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    finally:
        s.close()
    c = Reader(olla.port)
    try:
        c.send(chat(olla.path("/api/chat")))
        assert c.response()[0] == 200
    finally:
        c.close()


def _dates(headers: dict) -> list[str]:
    return headers.get("date", [])


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "streamed"])
def test_the_backend_date_goes_out_once(olla, mock, stream):
    with RawClient(olla.host, olla.port, timeout=10) as c:
        for _ in range(2):  # and on the keep-alive request after it
            body = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
                               "stream": stream}).encode()
            c.send_request("POST", olla.path("/api/chat"), [("Content-Type", "application/json")], body)
            r = c.read_response(timeout=10, method="POST")
            assert r.status == 200, r.describe()
            dates = r.header_all("Date")
            assert len(dates) == 1, dates
            sent = email.utils.parsedate_to_datetime(dates[0]).timestamp()
            assert abs(sent - time.time()) < 60, dates


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "streamed"])
def test_of_two_backend_dates_the_later_goes_out(olla, mock, stream):
    # The mock writes its own Date, then the extra one.
    with RawClient(olla.host, olla.port, timeout=10) as c:
        body = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
                           "stream": stream}).encode()
        c.send_request("POST", olla.path("/api/chat"),
                       [("Content-Type", "application/json"),
                        ("X-Mock-Resp-Headers", json.dumps({"Date": FIXED_DATE}))], body)
        r = c.read_response(timeout=10, method="POST")
        assert r.status == 200, r.describe()
        assert r.header_all("Date") == [FIXED_DATE]


def test_a_local_answer_gets_one_date(olla):
    c = Reader(olla.port)
    try:
        c.send(b"GET /no-such-route HTTP/1.1\r\nHost: olla\r\n\r\n")
        status, headers, _ = c.response()
        assert status == 404
        assert len(_dates(headers)) == 1, headers
        email.utils.parsedate_to_datetime(_dates(headers)[0])
    finally:
        c.close()
