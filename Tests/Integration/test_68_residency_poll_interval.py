"""Scenario 68: `/api/ps` of an instance in use is read at least once a second (issue 9), and
not much more often (issue 14: the endpoint monitor is woken after a poll only when it must
act before it wakes by itself).

One instance with an hour between probes (so no poll follows a probe), one slow stream of
about 4 s: the polls the instance sees while the stream runs come about a second apart.
docs/routing.md "Residency".
"""
import threading
import time

import pytest
import httpx

from conftest import endpoint

pytestmark = pytest.mark.daemon_only

CHUNKS = 40
CHUNK_DELAY_MS = 100


def test_api_ps_is_polled_about_once_a_second_while_a_stream_runs(mock, olla_factory):
    d = olla_factory.start(endpoints=[dict(endpoint("mock-a", mock.url), check_interval="1h")])
    model = "llama3.2:latest"  # the mock's first model
    # Start-up's reads are done before the window opens.
    time.sleep(0.5)
    mock.clear_log()
    done = threading.Event()

    def stream():
        with httpx.stream("POST", d.target.url("/api/chat"), timeout=30,
                          json={"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True},
                          headers={"X-Mock-Chunks": str(CHUNKS), "X-Mock-Chunk-Delay-Ms": str(CHUNK_DELAY_MS)}) as r:
            assert r.status_code == 200, r.read()
            for _ in r.iter_lines():
                pass
        done.set()

    t = threading.Thread(target=stream)
    t.start()
    t.join(60)
    assert done.is_set(), f"the stream did not end: {d.log_tail(30)}"
    chat = mock.find_requests(path="/api/chat")
    assert len(chat) == 1, [r.target for r in mock.requests]
    window = (chat[0].received_at, chat[0].finished_at or time.monotonic())
    seconds = window[1] - window[0]
    assert seconds >= 3.0, f"the stream lasted {seconds:.2f} s, too short to count polls"
    polls = [r.received_at for r in mock.find_requests(path="/api/ps") if window[0] <= r.received_at <= window[1]]
    gaps = [b - a for a, b in zip([window[0]] + polls, polls + [window[1]])]
    # At least once a second (1.5 s: slack for a loaded machine), and no busy loop.
    assert max(gaps) <= 1.5, f"gaps between /api/ps polls {['%.2f' % g for g in gaps]} over {seconds:.2f} s"
    assert len(polls) <= seconds + 2, f"{len(polls)} polls in {seconds:.2f} s: {['%.2f' % g for g in gaps]}"
