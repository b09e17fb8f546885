"""Scenario 7: a slow client of a huge, fast response keeps Olla's memory bounded
(backpressure reaches the backend) and still gets every byte."""
import threading
import time
import uuid

import pytest

from helpers import RawClient, rss_kb
from mock_ollama import huge_body_sha256

RSS_GROWTH_LIMIT_MB = 80
# Bytes that may legitimately be "in flight" between backend and client: Olla's ~1 MiB
# buffer, libcurl's buffer, and four loopback socket buffers (autotuned up to a few MiB each).
IN_FLIGHT_LIMIT_MB = 64


class RssSampler:
    def __init__(self, pid, interval=0.05):
        self.pid, self.interval = pid, interval
        self.samples = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), rss_kb(self.pid)))
            except (OSError, RuntimeError):
                return
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(2)

    @property
    def peak_kb(self):
        return max(kb for _, kb in self.samples) if self.samples else 0


def _huge_request(olla, n, mode, m):
    c = RawClient(olla.host, olla.port, timeout=60)
    c.send_request("POST", olla.path("/api/generate"),
                   [("X-Mock-Huge-Bytes", str(n)), ("X-Mock-Huge-Mode", mode), ("X-Test-Marker", m),
                    ("Content-Type", "application/json")], b'{"model":"llama3.2","prompt":"x"}')
    resp = c.read_head(10)
    resp.keep_body = False
    return c, resp


def _run_slow(olla, mock, n, mode, trickle_s, pause_s):
    m = "t-" + uuid.uuid4().hex[:16]
    pid = olla.daemon.pid if not olla.direct else None
    base_kb = rss_kb(pid) if pid else 0
    sampler = RssSampler(pid) if pid else None
    if sampler:
        sampler.__enter__()
    try:
        c, resp = _huge_request(olla, n, mode, m)
        with c:
            assert resp.status == 200, resp.describe()
            c.max_piece = 1024
            body = c.iter_body(resp, timeout=90)
            # phase 1: trickle, 1 KiB every 2 ms
            t_end = time.monotonic() + trickle_s
            while time.monotonic() < t_end:
                next(body)
                time.sleep(0.002)
            # phase 2: stop reading entirely
            time.sleep(pause_s)
            rec = mock.find_requests(header=("X-Test-Marker", m))[0]
            in_flight = rec.bytes_sent - resp.body_len
            rss_during_pause = rss_kb(pid) if pid else 0
            # phase 3: read the rest as fast as possible (large reads)
            c.max_piece = 1 << 20
            for _ in body:
                pass
    finally:
        if sampler:
            sampler.__exit__(None, None, None)
    return resp, rec, in_flight, base_kb, rss_during_pause, sampler


@pytest.mark.parametrize("mode,n", [("chunked", 200 * 1024 * 1024), ("length", 100 * 1024 * 1024)])
def test_slow_client_of_huge_response(olla, mock, mode, n):
    resp, rec, in_flight, base_kb, rss_pause, sampler = _run_slow(olla, mock, n, mode, trickle_s=2.0, pause_s=4.0)
    assert resp.complete, f"response incomplete: {resp.error} after {resp.body_len} bytes"
    assert resp.body_len == n, f"got {resp.body_len} bytes, backend sent {n}"
    assert resp.body_sha256 == huge_body_sha256(n), "body corrupted in transit (sha256 mismatch)"
    if mode == "length":
        assert resp.header("Content-Length") == str(n), \
            f"upstream Content-Length {n} not kept: {resp.header('Content-Length')!r} / " \
            f"Transfer-Encoding {resp.header('Transfer-Encoding')!r}"
    assert in_flight < IN_FLIGHT_LIMIT_MB << 20, \
        f"while the client was paused the backend had sent {in_flight / 2**20:.0f} MiB more than the client " \
        f"read: no backpressure"
    if olla.direct:
        return
    growth_mb = (sampler.peak_kb - base_kb) / 1024
    assert growth_mb < RSS_GROWTH_LIMIT_MB, \
        f"olla RSS grew by {growth_mb:.0f} MB (baseline {base_kb / 1024:.0f} MB, peak {sampler.peak_kb / 1024:.0f} MB, " \
        f"{rss_pause / 1024:.0f} MB during the pause) for one slow client"
