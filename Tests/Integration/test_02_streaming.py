"""Scenario 2: streams reach the client chunk by chunk, with the backend's pacing.

Timing checks compare the client's arrival times with the times the mock actually sent
each chunk (same monotonic clock), so scheduling noise in the mock cancels out. A proxy
that buffers (even 1 MiB, or "until the stream ends") delivers everything at once and
fails by hundreds of milliseconds; a streaming proxy passes with a large margin.
"""
import json
import statistics
import uuid

import pytest

from helpers import RawClient

N = 20
DELAY_MS = 50
CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


def marker() -> str:
    return "t-" + uuid.uuid4().hex[:16]


def stream(target, path, body: dict, extra_headers=(), timeout=20.0):
    m = marker()
    hdrs = [("Content-Type", "application/json"), ("X-Test-Marker", m)] + list(extra_headers)
    with RawClient(target.host, target.port, timeout=timeout) as c:
        c.send_request("POST", target.path(path), hdrs, json.dumps(body).encode())
        resp = c.read_head(timeout)
        c.read_body(resp, timeout)
    resp.request_body = json.dumps(body)
    return resp, m


def paced(n=N, delay=DELAY_MS):
    return [("X-Mock-Chunks", str(n)), ("X-Mock-Chunk-Delay-Ms", str(delay))]


def check_pacing(arrivals: list, sent: list, what: str):
    """arrivals[i] = client arrival time of piece i, sent[i] = mock send time of piece i."""
    assert len(arrivals) == len(sent), f"{what}: {len(arrivals)} pieces arrived, backend sent {len(sent)}"
    lat = [a - s for a, s in zip(arrivals, sent)]
    gaps_c = [b - a for a, b in zip(arrivals, arrivals[1:])]
    gaps_b = [b - a for a, b in zip(sent, sent[1:])]
    dev = [abs(c - b) for c, b in zip(gaps_c, gaps_b)]
    report = (f"{what}: per-chunk latency ms={[round(x * 1000) for x in lat]}\n"
              f"client gaps ms={[round(x * 1000) for x in gaps_c]}\n"
              f"backend gaps ms={[round(x * 1000) for x in gaps_b]}")
    # 1. nothing is held back: each chunk reaches the client soon after the backend sent it
    #    (a buffering proxy holds the first chunk ~1000 ms)
    assert max(lat) < 0.25, f"a chunk was held back by the proxy for {max(lat) * 1000:.0f} ms\n{report}"
    assert statistics.median(lat) < 0.05, f"median chunk latency {statistics.median(lat) * 1000:.0f} ms\n{report}"
    # 2. the client sees the backend's gaps (±20 ms for most, nothing wild)
    within = sum(1 for d in dev if d <= 0.020)
    assert within >= int(0.75 * len(dev)), \
        f"only {within}/{len(dev)} client-side gaps within ±20 ms of the backend's gaps\n{report}"
    assert max(dev) < 0.25, f"a gap deviated by {max(dev) * 1000:.0f} ms\n{report}"
    # 3. the first chunk arrives long before the last one is even produced
    assert arrivals[0] < sent[-1] - 0.5, \
        f"first chunk arrived only {(sent[-1] - arrivals[0]) * 1000:.0f} ms before the last was sent\n{report}"


@pytest.mark.parametrize("path,body,field", [
    ("/api/chat", CHAT, lambda o: o["message"]["content"]),
    ("/api/generate", {"model": "llama3.2", "prompt": "Why is the sky blue?"}, lambda o: o["response"]),
])
def test_ndjson_stream_is_paced_like_backend(olla, mock, path, body, field):
    # reference content, fetched fast from the backend directly
    ref, _ = stream(type(olla)("127.0.0.1", mock.port, "", True), path, body, paced(N, 0))
    paced_attempts(lambda: _ndjson_attempt(olla, mock, path, ref, field))


def paced_attempts(attempt, tries=2):
    """Timing on a shared 2-core machine: one scheduling hiccup (another build, the GC) can
    hold a chunk for a few hundred ms. A streaming proxy passes at least one of two tries;
    a buffering one fails both by ~1 s. Content assertions are strict on every try."""
    errors = []
    for _ in range(tries):
        try:
            attempt()
            return
        except PacingError as e:
            errors.append(str(e))
    raise AssertionError("pacing failed on every try:\n\n" + "\n\n".join(errors))


class PacingError(Exception):
    pass


def _ndjson_attempt(olla, mock, path, ref, field):
    resp, m = stream(olla, path, json.loads(ref.request_body), paced())
    assert resp.status == 200, resp.describe()
    assert (resp.header("Content-Type") or "").startswith("application/x-ndjson"), resp.header("Content-Type")
    assert resp.framing == "chunked" and resp.complete, \
        f"want a complete chunked response, got framing={resp.framing} complete={resp.complete} {resp.error}"
    assert resp.body == ref.body, "stream content differs from the backend's"
    lines = resp.lines()
    objs = [json.loads(ln) for _, ln in lines]
    assert len(objs) == N + 1 and objs[-1]["done"] is True and not any(o["done"] for o in objs[:-1])
    assert "".join(field(o) for o in objs[:-1]) != ""
    rec = mock.find_requests(header=("X-Test-Marker", m))[0]
    _pacing([t for t, _ in lines], rec.chunk_times, f"POST {path}")


def _pacing(arrivals, sent, what):
    try:
        check_pacing(arrivals, sent, what)
    except AssertionError as e:
        raise PacingError(str(e)) from None


@pytest.mark.parametrize("path,body", [
    ("/v1/chat/completions", {**CHAT, "stream": True}),
    ("/v1/completions", {"model": "llama3.2", "prompt": "Why is the sky blue?", "stream": True}),
])
def test_sse_stream_is_paced_like_backend(olla, mock, path, body):
    ref, _ = stream(type(olla)("127.0.0.1", mock.port, "", True), path, body, paced(N, 0))
    paced_attempts(lambda: _sse_attempt(olla, mock, path, body, ref))


def _sse_attempt(olla, mock, path, body, ref):
    resp, m = stream(olla, path, body, paced())
    assert resp.status == 200, resp.describe()
    assert (resp.header("Content-Type") or "").startswith("text/event-stream"), resp.header("Content-Type")
    assert resp.complete, f"stream not terminated properly: {resp.error}"
    assert resp.body == ref.body, "SSE bytes differ from the backend's"
    events = resp.sse_events()
    assert events[-1][1] == "[DONE]", f"last event {events[-1][1]!r}"
    chunks = [json.loads(d) for _, d in events[:-1]]
    assert len(chunks) == N + 1, f"{len(chunks)} data events, want {N + 1}"
    rec = mock.find_requests(header=("X-Test-Marker", m))[0]
    # N token events + one final write (closing chunk and [DONE] together)
    arrivals = [t for t, _ in events[:N]] + [events[-1][0]]
    _pacing(arrivals, rec.chunk_times, f"POST {path}")


def test_api_chat_streams_by_default_and_not_when_false(olla, mock):
    resp, _ = stream(olla, "/api/chat", CHAT, paced(5, 0))
    assert resp.status == 200 and resp.header("Content-Type", "").startswith("application/x-ndjson"), resp.describe()
    assert len(resp.lines()) == 6, f"default /api/chat should stream 6 lines: {resp.body!r}"
    resp, _ = stream(olla, "/api/chat", {**CHAT, "stream": False}, paced(5, 0))
    assert resp.status == 200, resp.describe()
    assert resp.header("Content-Type", "").startswith("application/json"), resp.header("Content-Type")
    assert resp.framing == "length", "non-streamed answer has a Content-Length upstream; keep it"
    obj = resp.json()
    assert obj["done"] is True and obj["message"]["content"]


def test_v1_chat_does_not_stream_by_default(olla, mock):
    resp, _ = stream(olla, "/v1/chat/completions", CHAT)
    assert resp.status == 200, resp.describe()
    assert resp.header("Content-Type", "").startswith("application/json"), resp.header("Content-Type")
    assert resp.json()["object"] == "chat.completion"


def test_pull_progress_streams(olla, mock):
    resp, m = stream(olla, "/api/pull", {"model": "tinyllama"}, paced(8, 100))
    assert resp.status == 200 and resp.complete, resp.describe()
    lines = resp.lines()
    objs = [json.loads(ln) for _, ln in lines]
    assert objs[0] == {"status": "pulling manifest"} and objs[-1] == {"status": "success"}
    rec = mock.find_requests(header=("X-Test-Marker", m))[0]
    assert lines[0][0] < rec.chunk_times[-1] - 0.5, "pull progress was buffered until the end"
    assert resp.header("X-Olla-Model", "tinyllama") == "tinyllama" or olla.direct


def test_first_byte_not_delayed_by_stream_length(olla, mock):
    """A long, slow stream: the client has its first line within ~200 ms."""
    with RawClient(olla.host, olla.port, timeout=10) as c:
        t0 = __import__("time").monotonic()
        c.send_request("POST", olla.path("/api/generate"), [("Content-Type", "application/json")] + paced(100, 50),
                       json.dumps({"model": "llama3.2", "prompt": "x"}).encode())
        resp = c.read_head(5)
        first = None
        for t, data in c.iter_body(resp, 5):
            first = t
            break
        assert first is not None and first - t0 < 0.5, \
            f"first stream bytes arrived {(first - t0) * 1000 if first else -1:.0f} ms after the request"
