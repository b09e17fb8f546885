"""Scenario 67: the backend's response headers reach the client byte for byte.

Olla hands a response's headers to libmicrohttpd in one block (`MHD.addHeaders`, patch 0008):
each name and value is copied into it from its String, cut at a NUL. The copy reads a String
where it lies, whatever its form: short ones held inline in the String (up to 15 bytes),
longer ones in their own storage, literals Olla uses for common names and values, bytes
beyond ASCII. Whichever form, the bytes that go out are the backend's, on a complete
(non-streamed) answer and on a streamed one, and on the keep-alive request that follows.

Since patch 0017 a list libmicrohttpd would take unchanged goes as the head's lines, written
by Olla (`ResponseHeaderLines`) and copied by libmicrohttpd as they are; a list with a header
libmicrohttpd has rules for (here: a second `Date`) goes the block's way. Both must put the
same lines on the wire, in the backend's order.
"""
import json

import pytest

from helpers import RawClient

pytestmark = pytest.mark.daemon_only

# Values around the 15-byte inline limit of a Swift String, long ones, one beyond ASCII (the
# UTF-8 bytes of "café, naïve", sent and read as Latin-1 so the bytes are compared as they are).
HEADERS = {
    "X-A": "1",
    "X-Fifteen-Bytes": "abcdefghijklmno",
    "X-Sixteen-Bytes": "abcdefghijklmnop",
    "X-Long": "v" * 300,
    "X-Very-Long-Header-Name-Beyond-Fifteen": "short",
    "X-Utf8": "café, naïve".encode("utf-8").decode("latin-1"),
    "X-Spaces": "a  b\tc",
    "X-Json": '{"k":[1,2,3],"s":"x y"}',
}
for i in range(24):
    HEADERS[f"X-Many-{i:02d}"] = f"value-{i:02d}-" + "w" * i
# The same after a second Date (the mock writes its own first): libmicrohttpd's rules (the
# block of patch 0008) decide, and of two Dates the later goes out.
WITH_DATE = {"Date": "Tue, 01 Dec 2026 10:00:00 GMT", **HEADERS}

CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}


def _request(c: RawClient, olla, body: dict, headers: dict):
    c.send_request("POST", olla.path("/api/chat"),
                   [("Content-Type", "application/json"), ("X-Mock-Resp-Headers", json.dumps(headers))],
                   json.dumps(body).encode())
    return c.read_response(timeout=10, method="POST")


def _assert_headers(r, headers: dict):
    assert r.status == 200, r.describe()
    for name, value in headers.items():
        assert r.header_all(name) == [value], f"{name}: {r.header_all(name)!r}, want {value!r}"
    # Line for line, in the backend's order, nothing between them.
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode("latin-1")
    assert lines in r.raw_head, r.raw_head


@pytest.mark.parametrize("headers", [HEADERS, WITH_DATE], ids=["lines", "block"])
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "streamed"])
def test_backend_headers_reach_the_client_byte_for_byte(olla, stream, headers):
    with RawClient(olla.host, olla.port, timeout=10) as c:
        for _ in range(2):  # and again on the same keep-alive connection
            r = _request(c, olla, {**CHAT, "stream": stream}, headers)
            _assert_headers(r, headers)
            assert r.body, "no body"
            assert len(r.header_all("Date")) == 1, r.raw_head
