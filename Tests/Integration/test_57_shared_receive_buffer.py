"""Scenario 57: answers read through libcurl's one receive buffer per worker each arrive whole.

libcurl-olla's patch 0004 (scripts/libcurl/) reads every transfer's answer into one receive
buffer per multi handle, lent for the length of one read, instead of a 16 KiB buffer per
transfer held for the whole stream. What a transfer could not hand over (Olla paused it: its
client stopped reading) must be copied aside before the buffer goes to the next transfer; bytes
left in the shared buffer would be overwritten by another answer. Here answers of distinct
content run at the same time on the same workers: large ones (chunked and with a
Content-Length), one of them paused for seconds by a client that stops reading while the others
are read, NDJSON streams, and small answers that echo a per-request marker and carry their own
response header. Every answer must arrive byte for byte, heads included."""
import json
import threading
import time
import uuid

from helpers import RawClient, ndjson_lines
from mock_ollama import huge_body_sha256, tokens_for

PAUSED_BYTES = 48 * 1024 * 1024 + 4321
ROUNDS = 3


def _start_huge(olla, n, mode):
    c = RawClient(olla.host, olla.port, timeout=90)
    c.send_request("POST", olla.path("/api/generate"),
                   [("X-Mock-Huge-Bytes", str(n)), ("X-Mock-Huge-Mode", mode),
                    ("Content-Type", "application/json")], b'{"model":"llama3.2","prompt":"x"}')
    resp = c.read_head(10)
    resp.keep_body = False
    return c, resp


def _huge(olla, n, mode, errors):
    c, resp = _start_huge(olla, n, mode)
    with c:
        c.read_body(resp, timeout=90)
    if resp.status != 200 or not resp.complete or resp.body_len != n \
            or resp.body_sha256 != huge_body_sha256(n):
        errors.append(f"{mode} answer of {n} bytes: status {resp.status}, {resp.body_len} bytes, "
                      f"complete {resp.complete} {resp.error}, sha256 ok "
                      f"{resp.body_sha256 == huge_body_sha256(n)}")


def _echo(olla, i, errors):
    marker = f"m{i}-" + uuid.uuid4().hex
    with RawClient(olla.host, olla.port, timeout=30) as c:
        c.send_request("POST", olla.path("/api/show"),
                       [("X-Mock-Echo", "1"), ("X-Buffer-Marker", marker),
                        ("X-Mock-Resp-Headers", json.dumps({"X-Answer-Marker": marker})),
                        ("Content-Type", "application/json")], b'{"model":"llama3.2"}')
        resp = c.read_response(30)
    if resp.status != 200 or resp.header("X-Answer-Marker") != marker:
        errors.append(f"echo {i}: status {resp.status}, X-Answer-Marker {resp.header('X-Answer-Marker')!r}")
        return
    echoed = dict((k.lower(), v) for k, v in resp.json()["headers"])
    if echoed.get("x-buffer-marker") != marker:
        errors.append(f"echo {i}: the backend saw {echoed.get('x-buffer-marker')!r}, sent {marker!r}")


def _stream(olla, i, errors):
    chunks = 30 + i
    with RawClient(olla.host, olla.port, timeout=30) as c:
        c.send_request("POST", olla.path("/api/chat"),
                       [("X-Mock-Chunks", str(chunks)), ("X-Mock-Chunk-Delay-Ms", "2"),
                        ("Content-Type", "application/json")],
                       json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "x" * i}]}).encode())
        resp = c.read_response(30)
    records = ndjson_lines(resp) if resp.status == 200 else []
    contents = [record["message"]["content"] for record in records[:-1]]
    if not resp.complete or contents != tokens_for(chunks) or not records[-1]["done"]:
        errors.append(f"stream {i}: status {resp.status}, complete {resp.complete}, {len(records)} records")


def _job(errors, target, *args):
    def run():
        try:
            target(*args, errors)
        except Exception as error:  # noqa: BLE001 -- reported as the test's failure
            errors.append(f"{target.__name__}{args[1:]}: {error!r}")
    return threading.Thread(target=run)


def test_concurrent_answers_and_a_paused_one_arrive_whole(olla, mock):
    paused, paused_resp = _start_huge(olla, PAUSED_BYTES, "chunked")
    with paused:
        assert paused_resp.status == 200, paused_resp.describe()
        body = paused.iter_body(paused_resp, timeout=120)
        while paused_resp.body_len < 1 << 20:
            next(body)
        # The client stops reading: Olla's buffer fills and it pauses the transfer, with the
        # bytes libcurl had read but could not hand over set aside.
        time.sleep(1.0)
        errors: list[str] = []
        for r in range(ROUNDS):
            jobs = [_job(errors, _huge, olla, 5 * 1024 * 1024 + 777 * r, "length"),
                    _job(errors, _huge, olla, 3 * 1024 * 1024 + 13 * r, "chunked")]
            jobs += [_job(errors, _echo, olla, 10 * r + i) for i in range(6)]
            jobs += [_job(errors, _stream, olla, 10 * r + i) for i in range(4)]
            for job in jobs:
                job.start()
            for job in jobs:
                job.join(120)
            assert not any(job.is_alive() for job in jobs), "a request did not finish in 120 s"
        assert not errors, "\n".join(errors)
        # The paused answer resumes, read fast: every byte as the backend sent it.
        paused.max_piece = 1 << 20
        for _ in body:
            pass
    assert paused_resp.complete, f"paused answer incomplete: {paused_resp.error} after {paused_resp.body_len} bytes"
    assert paused_resp.body_len == PAUSED_BYTES
    assert paused_resp.body_sha256 == huge_body_sha256(PAUSED_BYTES), "paused answer corrupted (sha256 mismatch)"
