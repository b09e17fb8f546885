"""Scenario 70: a chunked answer's chunk sizes, in every spelling HTTP allows, are read as
before.

libcurl-olla's patch 0016 (scripts/libcurl/) reads each chunk's hex size digit by digit
instead of with strtoll. Here a backend streams an NDJSON answer whose chunk sizes are
written in lower and upper case, with leading zeros up to the longest size libcurl takes (16
digits), and with chunk extensions; the client gets every record, in order, in one complete
answer. A size past what libcurl holds (16 digits from 8 up: over 2^63 - 1) or longer than 16
digits ends that answer with Olla's error record (nothing from the bad size on reaches the
client), and the next request on the same client connection is answered whole again."""
import json

import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from helpers import RawBackend, RawClient

pytestmark = pytest.mark.daemon_only

TAGS = {"models": [{"name": "chunks:latest", "model": "chunks:latest", "modified_at": "2024-01-01T00:00:00Z",
                    "size": 1, "digest": "d" * 64, "details": {}}]}
RECORDS = [json.dumps({"model": "chunks", "message": {"role": "assistant", "content": "x" * n},
                       "done": False}).encode() + b"\n" for n in (1, 9, 40, 200, 1000, 5000)]
LAST = json.dumps({"model": "chunks", "done": True, "eval_count": 6}).encode() + b"\n"


def spellings(size: int) -> list:
    """The ways a chunk size may be written: lower, upper, zero-padded (to 16 digits), with an
    extension."""
    return [b"%x" % size, b"%X" % size, b"%016x" % size, b"%x;ext=1" % size, b"%04X;a=b;c" % size]


class ChunkBackend(RawBackend):
    """`/api/chat` streams `RECORDS` then `LAST`, one chunk each, its sizes spelled as the
    request's `X-Spelling` header says (an index into `spellings`, or `overflow` / `too-long`:
    the third chunk's size is then unreadable for libcurl and the connection is dropped)."""

    def __init__(self):
        self.kind = {}
        super().__init__()

    def received(self, number, method, path, headers, body):
        if path == "/api/chat":
            self.kind[number] = {n.lower(): v for n, v in headers}.get("x-spelling", "0")

    def answer(self, conn, method, path, number):
        if path != "/api/chat":
            self.answer_basics(conn, method, path, TAGS)
            return True
        kind = self.kind.get(number, "0")
        first = int(kind) if kind.isdigit() else 0
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i, record in enumerate(RECORDS + [LAST]):
            if kind in ("overflow", "too-long") and i == 2:
                size = b"8000000000000000" if kind == "overflow" else b"0" * 16 + b"%x" % len(record)
                conn.sendall(size + b"\r\n" + record + b"\r\n0\r\n\r\n")
                return False
            size = spellings(len(record))[(first + i) % 5]
            conn.sendall(size + b"\r\n" + record + b"\r\n")
        conn.sendall(b"0\r\n\r\n")
        return True


@pytest.fixture
def chunk_backend():
    b = ChunkBackend()
    yield b
    b.close()


def chat(c: RawClient, spelling: str):
    c.send_request("POST", "/olla/ollama/api/chat",
                   [("Content-Type", "application/json"), ("X-Spelling", spelling)],
                   b'{"model":"chunks","messages":[{"role":"user","content":"hi"}]}')
    return c.read_response(10)


def test_every_spelling_of_a_chunk_size_reads_the_same(olla_factory, chunk_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("chunks", chunk_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for start in range(5):
            r = chat(c, str(start))
            assert r.status == 200 and r.complete, f"spellings from {start}: {r.describe()}"
            assert r.body == b"".join(RECORDS) + LAST, f"spellings from {start}: {r.body[:200]!r}"


def test_an_unreadable_chunk_size_ends_that_answer_only(olla_factory, chunk_backend):
    d = olla_factory.start(endpoints=[endpoint_ex("chunks", chunk_backend.url, **PATIENT_HEALTH)])
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        for kind in ("overflow", "too-long"):
            r = chat(c, kind)
            assert r.status == 200, f"{kind}: the head was forwarded before the bad size: {r.describe()}"
            assert r.complete and RECORDS[2] not in r.body and LAST not in r.body, \
                f"{kind}: nothing from the bad size on: {r.describe()} {r.body[:300]!r}"
            assert b'"error"' in r.body.splitlines()[-1], f"{kind}: ends with an error record: {r.body[-200:]!r}"
            r = chat(c, "0")
            assert r.status == 200 and r.complete and r.body == b"".join(RECORDS) + LAST, \
                f"after {kind}: {r.describe()}"
    # a fresh client connection is answered whole (the failed one may have been closed)
    with RawClient(d.target.host, d.target.port, timeout=10) as c:
        r = chat(c, "1")
        assert r.status == 200 and r.complete and r.body == b"".join(RECORDS) + LAST, r.describe()
