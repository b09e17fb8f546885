"""Scenario 69: the backend's status line, in every form libcurl accepts or refuses, reaches the
client as before.

libcurl-olla's patch 0014 (scripts/libcurl/) reads the usual status line (`HTTP/` digit `.`
digit, a space, three digits) without `sscanf`, and hands any other line to `sscanf` as
libcurl always did. Here one keep-alive client connection asks for answers whose status lines
take either path, in turn:
- the usual form with and without a reason phrase, with a bare LF, HTTP/1.0 and 1.1, codes
  from 200 to 404, and a 204 without a body: the client gets the backend's status and body,
  and the answer's framing holds (the next request finds the connection or a new one);
- the forms libcurl refuses (a four-digit code, a code below 100, HTTP/1.2, HTTP/2 in an
  HTTP/1.1 answer): the request fails as a backend failure (Ollama's error body), and the
  following requests are answered again;
- forms only `sscanf` reads (two spaces or a tab before the code, a sign): libcurl accepts the
  first two and Olla's head parser reads them alike (their body arriving without a head crashed
  Olla before), libcurl refuses the third;
- the heads around them (`SIBLING_HEADS`: codes outside 100-599, lines without a colon,
  obs-fold, bare LF, a NUL, an over-long head, no status line): each is passed through or ends
  as a 502 in Ollama's error shape, and Olla stays up.
Every case is checked by what the client sees, which is the same with and without the patch."""
import json
import threading

import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from helpers import RawBackend, RawClient

pytestmark = pytest.mark.daemon_only

TAGS = {"models": [{"name": "status:latest", "model": "status:latest", "modified_at": "2024-01-01T00:00:00Z",
                    "size": 1, "digest": "d" * 64, "details": {}}]}
BODY = json.dumps({"model": "status", "embeddings": [[0.5]]}).encode()

# (the status line as the backend writes it, without its line end; the status the client gets,
# or None for a line libcurl refuses)
ACCEPTED = [
    (b"HTTP/1.1 200 OK", 200),
    (b"HTTP/1.1 201 Created", 201),
    (b"HTTP/1.1 200", 200),                 # no reason phrase: the line ends after the code
    (b"HTTP/1.1 200 ", 200),                # an empty reason phrase
    (b"HTTP/1.0 200 OK", 200),
    (b"HTTP/1.1 404 Not Found", 404),
    (b"HTTP/1.1 400 Bad Request", 400),
    (b"HTTP/1.1 299 Custom", 299),
]
REFUSED = [
    b"HTTP/1.1 2000 OK",                    # a fourth digit
    b"HTTP/1.1 099 Low",                    # below 100
    b"HTTP/1.2 200 OK",                     # no such HTTP version
    b"HTTP/2.0 200 OK",                     # HTTP/2 is not spoken on this connection
]


class StatusBackend(RawBackend):
    """`/api/embed` answers with the status line the request's `X-Status-Line` header names
    (an index into the cases), `BODY` framed by Content-Length, the line ends as the case
    says; the connection is kept unless libcurl refuses the line (it closes it then)."""

    def __init__(self):
        self.lines = {}
        self.lock = threading.Lock()
        super().__init__()

    def received(self, number, method, path, headers, body):
        if path == "/api/embed":
            values = {n.lower(): v for n, v in headers}
            with self.lock:
                self.lines[number] = values.get("x-status-line", "")

    def answer(self, conn, method, path, number):
        if path != "/api/embed":
            self.answer_basics(conn, method, path, TAGS)
            return True
        with self.lock:
            spec = self.lines.get(number, "")
        kind, _, rest = spec.partition(":")
        eol = b"\n" if kind == "lf" else b"\r\n"
        line = bytes.fromhex(rest)
        if line.split(b" ")[1:2] == [b"204"]:
            conn.sendall(line + eol + b"Content-Type: application/json" + eol + eol)
            return True
        conn.sendall(line + eol + b"Content-Type: application/json" + eol
                     + b"Content-Length: %d" % len(BODY) + eol + eol + BODY)
        return True


@pytest.fixture
def status_backend():
    b = StatusBackend()
    yield b
    b.close()


def ask(c: RawClient, line: bytes, lf: bool = False):
    spec = ("lf:" if lf else "crlf:") + line.hex()
    c.send_request("POST", "/olla/ollama/api/embed",
                   [("Content-Type", "application/json"), ("X-Status-Line", spec)],
                   b'{"model":"status","input":"x"}')
    return c.read_response(10)


def test_accepted_status_lines_reach_the_client(olla_factory, status_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("status", status_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for line, status in ACCEPTED:
            for lf in (False, True):
                r = ask(c, line, lf)
                assert r.status == status and r.complete and r.body == BODY, \
                    f"{line!r} ({'LF' if lf else 'CRLF'}): {r.describe()}"
        r = ask(c, b"HTTP/1.1 204 No Content")
        assert r.status == 204 and r.complete and r.body == b"", r.describe()
        r = ask(c, b"HTTP/1.1 200 OK")
        assert r.status == 200 and r.complete and r.body == BODY, f"after the 204: {r.describe()}"


def test_refused_status_lines_fail_as_backend_errors(olla_factory, status_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("status", status_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for line in REFUSED:
            r = ask(c, line)
            assert r.status >= 500 and r.complete, f"{line!r}: {r.describe()}"
            assert "error" in json.loads(r.body), f"{line!r}: not Ollama's error shape: {r.body!r}"
            # the next request is answered again (a new backend connection if that one closed)
            r = ask(c, b"HTTP/1.1 200 OK")
            assert r.status == 200 and r.complete and r.body == BODY, f"after {line!r}: {r.describe()}"


def test_status_lines_only_sscanf_reads(olla_factory, status_backend):
    """Lines the patch's usual form does not fit go to sscanf as before. libcurl accepts a code
    after two spaces or a tab (sscanf skips whitespace), and so does Olla's head parser: the
    answer passes through (its body came without a head and crashed Olla before); a signed
    code is below 100 for libcurl (`+20`) and refused: a 502."""
    d = olla_factory.start(endpoints=[endpoint_ex("status", status_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for line, status in [(b"HTTP/1.1  200 OK", 200), (b"HTTP/1.1 \t200 OK", 200), (b"HTTP/1.1 +200 OK", 502)]:
            r = ask(c, line)
            assert r.status == status and r.complete, f"{line!r}: {r.describe()}"
            if status == 502:
                assert "error" in json.loads(r.body), f"{line!r}: not Ollama's error shape: {r.body!r}"
            else:
                assert r.body == BODY, f"{line!r}: {r.body[:200]!r}"
            r = ask(c, b"HTTP/1.1 200 OK")
            assert r.status == 200 and r.complete and r.body == BODY, f"after {line!r}: {r.describe()}"


# The kind the two-space line belongs to: heads libcurl and ResponseHeadParser may read
# differently. Each: (what the backend writes before the body, the status the client gets, or
# 502 for an answer Olla cannot pass on). Whatever the head, Olla answers and stays up.
LONG = b"X-Long: " + b"a" * (120 * 1024)
SIBLING_HEADS = [
    ("two spaces before the code", b"HTTP/1.1  200 OK\r\nContent-Type: application/json\r\n", 200),
    ("a tab before the code", b"HTTP/1.1 \t200 OK\r\nContent-Type: application/json\r\n", 200),
    ("VT and FF before the code", b"HTTP/1.1 \x0b\x0c200 OK\r\nContent-Type: application/json\r\n", 200),
    ("no reason phrase", b"HTTP/1.1 200\r\nContent-Type: application/json\r\n", 200),
    ("HTTP/1.0", b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n", 200),
    ("a tab after the code", b"HTTP/1.1 200\tOK\r\nContent-Type: application/json\r\n", 200),
    ("a code of 600", b"HTTP/1.1 600 Beyond\r\nContent-Type: application/json\r\n", 600),
    ("a code of 999", b"HTTP/1.1 999 Beyond\r\nContent-Type: application/json\r\n", 999),
    ("a code of 099", b"HTTP/1.1 099 Below\r\nContent-Type: application/json\r\n", 502),
    ("a header line without a colon", b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Type: application/json\r\n", 502),
    ("an obs-fold continuation line", b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Type: application/json\r\n", 200),
    ("bare LF line ends", b"HTTP/1.1 200 OK\nContent-Type: application/json\n", 200),
    ("a NUL in a header value", b"HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Type: application/json\r\n", 502),
    ("an over-long head (120 KiB)", b"HTTP/1.1 200 OK\r\n" + LONG + b"\r\nContent-Type: application/json\r\n", 502),
    ("no status line at all", b"Content-Type: application/json\r\n", 502),
]


class HeadBackend(RawBackend):
    """`/api/embed` answers with the head `SIBLING_HEADS[i]` names (`X-Head: i`), then
    Content-Length and `BODY`, with the head's own line ends; the connection is closed after
    each such answer (a head libcurl refuses leaves it unusable)."""

    def __init__(self):
        self.index = {}
        super().__init__()

    def received(self, number, method, path, headers, body):
        if path == "/api/embed":
            self.index[number] = int({n.lower(): v for n, v in headers}.get("x-head", "-1"))

    def answer(self, conn, method, path, number):
        if path != "/api/embed":
            self.answer_basics(conn, method, path, TAGS)
            return True
        index = self.index.get(number, -1)
        if index < 0:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                         % len(BODY) + BODY)
            return True
        head = SIBLING_HEADS[index][1]
        eol = b"\n" if head.endswith(b"\n") and not head.endswith(b"\r\n") else b"\r\n"
        conn.sendall(head + b"Content-Length: %d" % len(BODY) + eol + eol + BODY)
        return False


def test_sibling_heads_are_answered_and_olla_stays_up(olla_factory):
    backend = HeadBackend()
    try:
        d = olla_factory.start(endpoints=[endpoint_ex("status", backend.url, **PATIENT_HEALTH)])
        for index, (what, _, status) in enumerate(SIBLING_HEADS):
            with RawClient(d.target.host, d.target.port, timeout=10) as c:
                c.send_request("POST", "/olla/ollama/api/embed",
                               [("Content-Type", "application/json"), ("X-Head", str(index))],
                               b'{"model":"status","input":"x"}')
                r = c.read_response(10)
                assert r.complete and r.status == status, f"{what}: {r.describe()}"
                if status == 502:
                    assert "error" in json.loads(r.body), f"{what}: not Ollama's error shape: {r.body!r}"
                else:
                    assert r.body == BODY, f"{what}: {r.body[:200]!r}"
                # Olla is still up and the backend still usable
                c.send_request("POST", "/olla/ollama/api/embed", [("Content-Type", "application/json")],
                               b'{"model":"status","input":"x"}')
                r = c.read_response(10)
                assert r.status == 200 and r.complete and r.body == BODY, f"after {what}: {r.describe()}"
    finally:
        backend.close()
