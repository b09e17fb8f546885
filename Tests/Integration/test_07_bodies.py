"""Scenario 8: big request bodies (Content-Length and chunked) reach the backend intact."""
import hashlib
import json
import os
import uuid

import pytest

from helpers import RawClient, raw_request, sha256

MB = 1024 * 1024


def marker() -> str:
    return "t-" + uuid.uuid4().hex[:16]


def _send(olla, method, path, body, headers=(), chunked=False, chunk_size=65536, timeout=60):
    m = marker()
    with RawClient(olla.host, olla.port, timeout=timeout) as c:
        c.send_request(method, olla.path(path), [("X-Test-Marker", m)] + list(headers), body,
                       chunked=chunked, chunk_size=chunk_size)
        r = c.read_response(timeout=timeout, method=method)
    return r, m


@pytest.fixture(scope="module")
def blob10():
    data = os.urandom(10 * MB)
    return data, sha256(data)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_10mb_blob_upload(olla, mock, blob10, chunked):
    data, digest = blob10
    path = f"/api/blobs/sha256:{digest}"
    r, m = _send(olla, "POST", path, data, [("Content-Type", "application/octet-stream")], chunked=chunked)
    assert r.status == 201, f"blob upload ({'chunked' if chunked else 'Content-Length'}): {r.describe()}"
    rec = mock.find_requests(header=("X-Test-Marker", m))[0]
    assert rec.body_length == len(data), f"backend got {rec.body_length} bytes, client sent {len(data)}"
    assert rec.body_sha256 == digest, "blob corrupted in transit"
    r = raw_request(olla.host, olla.port, "HEAD", olla.path(path))
    assert r.status == 200, f"HEAD after upload: {r.describe()}"


def test_50mb_blob_upload(olla, mock):
    # cheap deterministic 50 MiB (urandom would cost more time than the test)
    block = os.urandom(MB)
    data = b"".join(bytes([i]) + block[1:] for i in range(50))
    digest = hashlib.sha256(data).hexdigest()
    r, m = _send(olla, "POST", f"/api/blobs/sha256:{digest}", data, timeout=90)
    assert r.status == 201, r.describe()
    rec = mock.find_requests(header=("X-Test-Marker", m))[0]
    assert (rec.body_length, rec.body_sha256) == (len(data), digest), "50 MiB upload corrupted"


def test_blob_digest_mismatch_is_backend_400(olla, mock):
    data = os.urandom(64 * 1024)
    wrong = "0" * 64
    r, _ = _send(olla, "POST", f"/api/blobs/sha256:{wrong}", data)
    assert r.status == 400 and b"digest mismatch" in r.body, r.describe()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_10mb_json_chat_body(olla, mock, chunked):
    content = ("All work and no play makes Jack a dull boy. \u00e9\u4e2d " * 250_000)[: 10 * MB]
    body = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": content}],
                       "stream": False}, ensure_ascii=False).encode()
    assert len(body) > 10 * MB
    r, m = _send(olla, "POST", "/api/chat", body, [("Content-Type", "application/json")], chunked=chunked,
                 chunk_size=100_000)
    assert r.status == 200, r.describe()
    assert r.json()["done"] is True
    rec = mock.find_requests(header=("X-Test-Marker", m))[0]
    assert rec.body_length == len(body) and rec.body_sha256 == sha256(body), \
        f"JSON body changed in transit: {rec.body_length} bytes (sent {len(body)})"
    if not olla.direct:
        assert r.header("X-Olla-Model") == "llama3.2", "model not extracted from a 10 MB body"


def test_odd_chunk_sizes_from_client(olla, mock):
    """Tiny and uneven client chunks (1..7 bytes) are reassembled exactly."""
    body = json.dumps({"model": "llama3.2", "prompt": "x" * 3000, "stream": False}).encode()
    m = marker()
    with RawClient(olla.host, olla.port, timeout=10) as c:
        head = (f"POST {olla.path('/api/generate')} HTTP/1.1\r\nHost: x\r\nX-Test-Marker: {m}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        c.send(head)
        i, n = 0, 1
        while i < len(body):
            piece = body[i:i + n]
            c.send(b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n")
            i += n
            n = n % 7 + 1
        c.send(b"0\r\n\r\n")
        r = c.read_response(10)
    assert r.status == 200, r.describe()
    rec = mock.find_requests(header=("X-Test-Marker", m))[0]
    assert rec.body == body, "chunked body reassembled incorrectly"
