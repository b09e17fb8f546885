"""Scenario 61: many streams open at once, each suspended between its chunks and resumed in
an order of its own, all arrive whole — while others hang up in the middle of theirs.

Between two chunks a stream's connection is suspended in libmicrohttpd and resumed when the
backend sends the next one. Patch 0010 keeps the connections being resumed at the tail of
libmicrohttpd's list of suspended connections so that a resume does not walk every open
stream; a mistake there would skip a resume (a stream that stalls until its timeout) or lose
a connection that closes while suspended. The streams here have different paces, so resumes
arrive in every order, suspended connections close in the middle of the list, and a small
request on a kept-alive connection follows each stream.
"""
import json
import threading
import time
import uuid

from helpers import RawClient

CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}
STREAMS = 48
CHUNKS = 12
HANGUPS = 12       # of the streams, these clients leave after a few chunks


def run_stream(olla, i: int, results: dict):
    marker = "t-" + uuid.uuid4().hex[:16]
    delay = 15 + (i * 7) % 45          # 15..59 ms: paces interleave
    headers = [("Content-Type", "application/json"), ("X-Test-Marker", marker),
               ("X-Mock-Chunks", str(CHUNKS)), ("X-Mock-Chunk-Delay-Ms", str(delay))]
    try:
        with RawClient(olla.host, olla.port, timeout=30) as c:
            c.send_request("POST", olla.path("/api/chat"), headers, json.dumps(CHAT).encode())
            resp = c.read_head(30)
            if i < HANGUPS:
                pieces = 0
                for _ in c.iter_body(resp, 30):
                    pieces += 1
                    if pieces >= 3:
                        break
                c.close(rst=i % 2 == 0)
                results[i] = ("left", resp.status, pieces)
                return
            c.read_body(resp, 30)
            lines = [json.loads(line) for _, line in resp.lines()]
            # The connection is kept alive: a small request right after the stream is answered.
            c.send_request("GET", olla.path("/api/version"), [])
            after = c.read_response(10)
            results[i] = ("whole", resp.status, lines, after.status)
    except Exception as e:  # noqa: BLE001 -- reported by the assertions below
        results[i] = ("error", repr(e))


def test_many_suspended_streams_resume_in_any_order(olla):
    results: dict = {}
    threads = [threading.Thread(target=run_stream, args=(olla, i, results)) for i in range(STREAMS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - started
    assert len(results) == STREAMS, f"{STREAMS - len(results)} streams did not finish in 60 s"
    errors = {i: r for i, r in results.items() if r[0] == "error"}
    assert not errors, f"streams failed: {errors}"
    for i, r in results.items():
        if i < HANGUPS:
            assert r[0] == "left" and r[1] == 200, f"stream {i}: {r}"
            continue
        kind, status, lines, after = r
        assert status == 200, f"stream {i}: status {status}"
        contents = [line for line in lines if not line.get("done")]
        assert len(contents) == CHUNKS, f"stream {i}: {len(contents)} of {CHUNKS} content lines"
        assert lines[-1].get("done") is True, f"stream {i}: no final line: {lines[-1]}"
        assert after == 200, f"stream {i}: the request after the stream got {after}"
    # The slowest stream takes 12 x 59 ms; a stalled resume would wait for a timeout instead.
    assert elapsed < 30, f"the streams took {elapsed:.1f} s"


def test_a_stream_after_the_crowd_is_served(olla):
    """After connections left while suspended, the list still serves a new stream."""
    results: dict = {}
    run_stream(olla, STREAMS, results)
    kind, status, lines, after = results[STREAMS]
    assert kind == "whole" and status == 200 and after == 200
    assert lines[-1].get("done") is True
